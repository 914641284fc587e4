#include "bench/control_api/load_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "io/absl_compat.h"

namespace berth::bench {

namespace {

constexpr size_t kReadChunk = 64 << 10;
constexpr std::string_view kTargetPrefix = "AmazonEC2ContainerServiceV20141113.";

}  // namespace

std::string EcsRequest(std::string_view host, std::string_view operation, std::string_view body) {
  return absl::StrCat("POST / HTTP/1.1\r\nHost: ", Absl(host),
                      "\r\nX-Amz-Target: ", Absl(kTargetPrefix), Absl(operation),
                      "\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: ",
                      body.size(), "\r\n\r\n", Absl(body));
}

std::string JsonPost(std::string_view host, std::string_view path, std::string_view body) {
  return absl::StrCat("POST ", Absl(path), " HTTP/1.1\r\nHost: ", Absl(host),
                      "\r\nContent-Type: application/json\r\nContent-Length: ", body.size(),
                      "\r\n\r\n", Absl(body));
}

std::string HttpGet(std::string_view host, std::string_view path) {
  return absl::StrCat("GET ", Absl(path), " HTTP/1.1\r\nHost: ", Absl(host), "\r\n\r\n");
}

struct LoadClient::Conn {
  enum class State { kClosed, kConnecting, kIdle, kBusy };
  int id = 0;
  io::UniqueFd fd;
  State state = State::kClosed;
  uint32_t watched = 0;  // events registered with epoll; 0 = not registered
  std::string out;
  size_t out_sent = 0;
  std::vector<char> in;
  size_t in_len = 0;
  size_t head_len = 0;  // 0 until the header block is whole
  size_t content_length = 0;
  int status = 0;
  Done done;
  Clock::time_point started;
};

absl::StatusOr<std::unique_ptr<LoadClient>> LoadClient::Create(const io::SocketAddress& server) {
  io::UniqueFd epoll(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll.valid()) {
    return absl::ErrnoToStatus(errno, "failed to create an epoll instance");
  }
  return std::unique_ptr<LoadClient>(new LoadClient(std::move(epoll), server));
}

LoadClient::LoadClient(io::UniqueFd epoll, const io::SocketAddress& server)
    : epoll_(std::move(epoll)), server_(server) {}

LoadClient::~LoadClient() = default;

int LoadClient::AddConnection() {
  auto c = std::make_unique<Conn>();
  c->id = static_cast<int>(conns_.size());
  conns_.push_back(std::move(c));
  return conns_.back()->id;
}

void LoadClient::CloseConnection(int conn) {
  Conn& c = *conns_[conn];
  c.fd.Reset();
  c.watched = 0;
  c.state = Conn::State::kClosed;
  c.done = nullptr;
  c.in_len = 0;
  c.head_len = 0;
}

bool LoadClient::Busy(int conn) const {
  return conns_[conn]->state == Conn::State::kBusy ||
         conns_[conn]->state == Conn::State::kConnecting;
}

absl::Status LoadClient::Open(Conn& c) {
  io::UniqueFd fd(socket(server_.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return absl::ErrnoToStatus(errno, "failed to create a socket");
  }
  int one = 1;
  setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(fd.get(), server_.get(), server_.len) != 0 && errno != EINPROGRESS) {
    return absl::ErrnoToStatus(errno, absl::StrCat("failed to connect to ", server_.ToString()));
  }
  c.fd = std::move(fd);
  c.watched = 0;
  c.state = Conn::State::kConnecting;
  ++connects_;
  return absl::OkStatus();
}

void LoadClient::Watch(Conn& c, uint32_t events) {
  if (c.watched == events) {
    return;
  }
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = static_cast<uint64_t>(c.id);
  epoll_ctl(epoll_.get(), c.watched == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c.fd.get(), &ev);
  c.watched = events;
}

void LoadClient::Send(int conn, std::string request, Done done) {
  Conn& c = *conns_[conn];
  c.out = std::move(request);
  c.out_sent = 0;
  c.in_len = 0;
  c.head_len = 0;
  c.done = std::move(done);
  c.started = Clock::now();
  if (c.state == Conn::State::kClosed) {
    if (absl::Status opened = Open(c); !opened.ok()) {
      Fail(c, std::string(opened.message()));
      return;
    }
    Watch(c, EPOLLOUT | EPOLLIN);
    return;  // OnWritable sends once connected
  }
  c.state = Conn::State::kBusy;
  OnWritable(c);
}

void LoadClient::Fail(Conn& c, std::string error) {
  Done done = std::move(c.done);
  HttpReply reply;
  reply.error = std::move(error);
  reply.latency = Clock::now() - c.started;
  CloseConnection(c.id);
  if (done) {
    done(std::move(reply));
  }
}

void LoadClient::OnWritable(Conn& c) {
  if (c.state == Conn::State::kConnecting) {
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(c.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      Fail(c, absl::StrCat("failed to connect: ", std::strerror(err)));
      return;
    }
    c.state = c.done ? Conn::State::kBusy : Conn::State::kIdle;
  }
  while (c.out_sent < c.out.size()) {
    ssize_t n =
        send(c.fd.get(), c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        Watch(c, EPOLLOUT | EPOLLIN);
        return;
      }
      if (errno == EINTR) {
        continue;
      }
      Fail(c, absl::StrCat("failed to send: ", std::strerror(errno)));
      return;
    }
    c.out_sent += static_cast<size_t>(n);
  }
  Watch(c, EPOLLIN);
}

void LoadClient::OnReadable(Conn& c) {
  for (;;) {
    if (c.in.size() - c.in_len < kReadChunk) {
      c.in.resize(std::max(c.in.size() * 2, c.in_len + kReadChunk));
    }
    ssize_t n = recv(c.fd.get(), c.in.data() + c.in_len, c.in.size() - c.in_len, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return;
      }
      if (errno == EINTR) {
        continue;
      }
      Fail(c, absl::StrCat("failed to receive: ", std::strerror(errno)));
      return;
    }
    if (n == 0) {
      if (c.state == Conn::State::kBusy) {
        Fail(c, "the server closed the connection before answering");
      } else {
        CloseConnection(c.id);  // an idle keep-alive connection closed: reopen on use
      }
      return;
    }
    c.in_len += static_cast<size_t>(n);
    bytes_received_ += static_cast<uint64_t>(n);
    if (c.state != Conn::State::kBusy) {
      Fail(c, "the server sent bytes nobody asked for");
      return;
    }
    if (TryComplete(c)) {
      return;  // `done` may have sent the next request already
    }
  }
}

bool LoadClient::TryComplete(Conn& c) {
  std::string_view data(c.in.data(), c.in_len);
  if (c.head_len == 0) {
    size_t end = data.find("\r\n\r\n");
    if (end == std::string_view::npos) {
      return false;
    }
    c.head_len = end + 4;
    std::string_view head = data.substr(0, end);
    // "HTTP/1.1 200 OK"
    if (head.size() < 12 || !absl::StartsWith(Absl(head), "HTTP/1.") ||
        !absl::SimpleAtoi(Absl(head.substr(9, 3)), &c.status)) {
      Fail(c, "malformed status line");
      return true;
    }
    bool have_length = false;
    size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos) {
      size_t next = head.find("\r\n", pos + 2);
      std::string_view line = head.substr(
          pos + 2, next == std::string_view::npos ? std::string_view::npos : next - pos - 2);
      size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string_view name = line.substr(0, colon);
        absl::string_view value = absl::StripAsciiWhitespace(Absl(line.substr(colon + 1)));
        if (absl::EqualsIgnoreCase(Absl(name), "content-length")) {
          have_length = absl::SimpleAtoi(value, &c.content_length);
        } else if (absl::EqualsIgnoreCase(Absl(name), "transfer-encoding")) {
          Fail(c, "chunked responses are not supported by this client");
          return true;
        }
      }
      pos = next;
    }
    if (!have_length) {
      if (c.status == 204 || c.status == 304) {
        c.content_length = 0;
      } else {
        Fail(c, "response without Content-Length");
        return true;
      }
    }
  }
  if (c.in_len < c.head_len + c.content_length) {
    return false;
  }
  HttpReply reply;
  reply.status = c.status;
  reply.body.assign(c.in.data() + c.head_len, c.content_length);
  reply.latency = Clock::now() - c.started;
  c.in_len = 0;
  c.head_len = 0;
  c.state = Conn::State::kIdle;
  Done done = std::move(c.done);
  c.done = nullptr;
  if (done) {
    done(std::move(reply));
  }
  return true;
}

absl::Status LoadClient::RunOnce(std::chrono::milliseconds max_wait) {
  epoll_event events[256];
  int n = epoll_wait(epoll_.get(), events, 256, static_cast<int>(max_wait.count()));
  if (n < 0) {
    if (errno == EINTR) {
      return absl::OkStatus();
    }
    return absl::ErrnoToStatus(errno, "failed to wait on epoll");
  }
  for (int i = 0; i < n; ++i) {
    Conn& c = *conns_[events[i].data.u64];
    if (!c.fd.valid()) {
      continue;  // closed by an earlier event's callback
    }
    if ((events[i].events & (EPOLLOUT | EPOLLERR)) != 0 &&
        (c.state == Conn::State::kConnecting || c.out_sent < c.out.size())) {
      OnWritable(c);
      if (!c.fd.valid()) {
        continue;
      }
    }
    if ((events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 &&
        c.state != Conn::State::kConnecting) {
      OnReadable(c);
    }
  }
  return absl::OkStatus();
}

HttpReply LoadClient::Call(int conn, std::string request, std::chrono::seconds timeout) {
  bool finished = false;
  HttpReply result;
  Send(conn, std::move(request), [&](HttpReply reply) {
    result = std::move(reply);
    finished = true;
  });
  Clock::time_point deadline = Clock::now() + timeout;
  while (!finished) {
    if (Clock::now() > deadline) {
      CloseConnection(conn);
      result.error = "timed out";
      return result;
    }
    if (absl::Status ran = RunOnce(std::chrono::milliseconds(100)); !ran.ok()) {
      CloseConnection(conn);
      result.error = std::string(ran.message());
      return result;
    }
  }
  return result;
}

}  // namespace berth::bench
