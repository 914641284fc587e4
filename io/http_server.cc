#include "io/http_server.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "io/log.h"
#include "io/status.h"

namespace berth::io {

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(EventLoop& loop, Options options, Handler handler)
      : loop(loop), options(std::move(options)), handler(std::move(handler)) {}

  void StartAccept();
  void OnAccept(int32_t res);
  void Remove(HttpConnection* conn);
  void MaybeFinishShutdown();
  const std::string& Date();

  EventLoop& loop;
  const Options options;
  Handler handler;
  UniqueFd listen_fd;
  SocketAddress address;
  bool accepting = false;
  OpId accept_op = 0;
  absl::flat_hash_map<HttpConnection*, std::shared_ptr<HttpConnection>> conns;
  Stats stats;
  bool shutting_down = false;
  absl::AnyInvocable<void()> shutdown_done;
  TimerId grace_timer = 0;
  int64_t date_second = -1;
  std::string date;
};

// One accepted connection. Life cycle: kOpen (reading and answering) →
// kDraining (no more reads; answer what was read, then close) → kClosed
// (ops cancelled; the fd closes once the last op completed). Every op
// callback holds a shared_ptr, so the object outlives its ops.
class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(HttpServer::Impl* server, int fd, std::string peer)
      : server_(server),
        loop_(server->loop),
        options_(server->options),
        fd_(fd),
        peer_(std::move(peer)),
        parser_(options_.limits) {}

  void Start() {
    buf_.resize(kInitialBuffer);
    StartRecv();
    UpdateTimer();
  }

  void Respond(uint64_t seq, HttpResponse response);
  void Drain();
  void Close();
  void Detach() { server_ = nullptr; }

 private:
  static constexpr size_t kInitialBuffer = 8192;
  enum class State { kOpen, kDraining, kClosed };
  enum class TimerKind { kNone, kIdle, kRequest };
  struct Slot {
    uint64_t seq;
    bool ready = false;
    bool head = false;
    unsigned version = 11;
    bool keep_alive = true;
    HttpResponse response;
  };

  bool InProgress() const { return parser_started_ || begin_ < end_; }
  bool Idle() const {
    return slots_.empty() && !send_pending_ && out_.empty() && !InProgress();
  }
  void StartRecv();
  void OnRecv(int32_t res);
  void ProcessInput();
  void Dispatch(HttpRequest req);
  void QueueError(int status, std::string message);
  void Flush();
  void StartSend();
  void OnSend(int32_t res);
  void UpdateTimer();
  void ArmTimer(absl::Duration deadline);
  void OnTimer();
  void MaybeFinishClose();

  HttpServer::Impl* server_;
  EventLoop& loop_;
  const HttpServer::Options& options_;
  UniqueFd fd_;
  std::string peer_;
  State state_ = State::kOpen;

  RequestParser parser_;
  bool parser_started_ = false;
  bool continue_sent_ = false;
  std::vector<char> buf_;  // received bytes: [begin_, end_) not yet parsed
  size_t begin_ = 0;
  size_t end_ = 0;
  bool recv_pending_ = false;
  OpId recv_op_ = 0;
  bool paused_ = false;  // too many pipelined requests in flight

  std::deque<Slot> slots_;  // responses owed, in request order
  uint64_t next_seq_ = 1;
  std::string out_;      // serialized, waiting for the send in flight
  std::string sending_;  // owned by the send in flight
  size_t sent_ = 0;
  bool send_pending_ = false;
  OpId send_op_ = 0;
  bool close_after_write_ = false;

  TimerKind timer_kind_ = TimerKind::kNone;  // what the deadline is for
  absl::Duration deadline_;                  // monotonic
  bool timer_armed_ = false;
  absl::Duration armed_deadline_;
  TimerId timer_ = 0;
  bool finished_ = false;
};

void HttpConnection::StartRecv() {
  if (recv_pending_ || state_ != State::kOpen || paused_) {
    return;
  }
  if (end_ == buf_.size()) {
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    } else {
      // Only a partial header can fill the buffer (bodies are consumed as
      // they arrive), and the parser rejects headers over the limit first.
      buf_.resize(std::min(buf_.size() * 2, options_.limits.max_header_bytes + kInitialBuffer));
    }
  }
  recv_pending_ = true;
  recv_op_ = loop_.Recv(fd_.get(), absl::MakeSpan(buf_.data() + end_, buf_.size() - end_),
                        [self = shared_from_this()](int32_t res) { self->OnRecv(res); });
}

void HttpConnection::OnRecv(int32_t res) {
  recv_pending_ = false;
  if (state_ == State::kClosed) {
    MaybeFinishClose();
    return;
  }
  if (res == 0 || (res < 0 && state_ == State::kDraining)) {
    // The peer finished sending (or we stopped reading): answer what was
    // read, then close.
    if (slots_.empty() && !send_pending_ && out_.empty()) {
      Close();
    } else {
      state_ = State::kDraining;
      UpdateTimer();
    }
    return;
  }
  if (res < 0) {
    Close();
    return;
  }
  end_ += static_cast<size_t>(res);
  ProcessInput();
  StartRecv();
  UpdateTimer();
}

void HttpConnection::ProcessInput() {
  while (state_ == State::kOpen && begin_ < end_) {
    if (slots_.size() >= options_.max_pipelined) {
      paused_ = true;
      return;
    }
    size_t n = parser_.Feed(std::string_view(buf_.data() + begin_, end_ - begin_));
    begin_ += n;
    if (begin_ == end_) {
      begin_ = end_ = 0;
    }
    switch (parser_.state()) {
      case RequestParser::State::kNeedMore:
        parser_started_ |= n > 0;
        if (parser_.expects_continue() && !continue_sent_ && slots_.empty()) {
          continue_sent_ = true;
          out_ += "HTTP/1.1 100 Continue\r\n\r\n";
          Flush();
        }
        return;
      case RequestParser::State::kDone:
        parser_started_ = false;
        continue_sent_ = false;
        Dispatch(parser_.Take());
        break;
      case RequestParser::State::kError:
        QueueError(parser_.error_status(), parser_.error_message());
        return;
    }
  }
}

void HttpConnection::Dispatch(HttpRequest req) {
  Slot slot;
  slot.seq = next_seq_++;
  slot.head = req.method == "HEAD";
  slot.version = req.version;
  slot.keep_alive = req.keep_alive;
  uint64_t seq = slot.seq;
  slots_.push_back(std::move(slot));
  if (!req.keep_alive) {
    state_ = State::kDraining;  // the client asked to close after this one
  }
  if (server_ == nullptr) {
    return;
  }
  ++server_->stats.requests;
  req.peer = peer_;
  server_->handler(std::move(req), HttpResponder(weak_from_this(), seq));
}

void HttpConnection::QueueError(int status, std::string message) {
  if (server_ != nullptr) {
    ++server_->stats.bad_requests;
  }
  Slot slot;
  slot.seq = next_seq_++;
  slot.ready = true;
  slot.keep_alive = false;
  slot.response = HttpResponse::Text(status, std::move(message) + "\n");
  slots_.push_back(std::move(slot));
  parser_started_ = false;
  begin_ = end_ = 0;
  state_ = State::kDraining;
  if (recv_pending_) {
    loop_.Cancel(recv_op_);
  }
  Flush();
}

void HttpConnection::Respond(uint64_t seq, HttpResponse response) {
  if (state_ == State::kClosed || slots_.empty() || seq < slots_.front().seq) {
    return;
  }
  size_t index = seq - slots_.front().seq;
  CHECK_LT(index, slots_.size());
  Slot& slot = slots_[index];
  CHECK(!slot.ready) << "responded twice to request " << seq;
  slot.response = std::move(response);
  slot.ready = true;
  Flush();
}

void HttpConnection::Flush() {
  while (!slots_.empty() && slots_.front().ready) {
    Slot slot = std::move(slots_.front());
    slots_.pop_front();
    bool last = !slot.keep_alive || (state_ != State::kOpen && slots_.empty());
    const std::string& date = server_ ? server_->Date() : std::string();
    SerializeResponse(slot.response, slot.version, !last, slot.head, date, &out_);
    if (last) {
      close_after_write_ = true;
      slots_.clear();
      break;
    }
  }
  if (!send_pending_ && !out_.empty()) {
    sending_.swap(out_);
    out_.clear();
    sent_ = 0;
    StartSend();
  }
  if (paused_ && slots_.size() < options_.max_pipelined && state_ == State::kOpen) {
    paused_ = false;
    loop_.Post([self = shared_from_this()] {
      self->ProcessInput();
      self->StartRecv();
      self->UpdateTimer();
    });
  }
  UpdateTimer();
}

void HttpConnection::StartSend() {
  send_pending_ = true;
  send_op_ = loop_.Send(fd_.get(),
                        absl::MakeConstSpan(sending_.data() + sent_, sending_.size() - sent_),
                        [self = shared_from_this()](int32_t res) { self->OnSend(res); });
}

void HttpConnection::OnSend(int32_t res) {
  send_pending_ = false;
  if (state_ == State::kClosed) {
    MaybeFinishClose();
    return;
  }
  if (res < 0) {
    Close();  // EPIPE, ECONNRESET: the peer is gone
    return;
  }
  sent_ += static_cast<size_t>(res);
  if (sent_ < sending_.size()) {
    StartSend();
    return;
  }
  sending_.clear();
  sent_ = 0;
  if (!out_.empty()) {
    sending_.swap(out_);
    StartSend();
    return;
  }
  if (close_after_write_ || (state_ == State::kDraining && slots_.empty())) {
    Close();
    return;
  }
  UpdateTimer();
}

// One loop timer per connection at most, armed lazily (as nginx does): the
// wanted deadline is a field, and the armed timer re-arms itself when it
// fires early because the deadline moved. A request/response cycle on a
// keep-alive connection then costs no timer operation at all.
void HttpConnection::UpdateTimer() {
  TimerKind want = TimerKind::kNone;
  if (state_ == State::kOpen && InProgress()) {
    want = TimerKind::kRequest;
  } else if (state_ == State::kOpen && Idle()) {
    want = TimerKind::kIdle;
  }
  if (want == timer_kind_) {
    return;  // a request timer keeps its deadline from the request's start
  }
  timer_kind_ = want;
  if (want == TimerKind::kNone) {
    return;  // an armed timer finds nothing to do when it fires
  }
  deadline_ = loop_.time().Monotonic() +
              (want == TimerKind::kIdle ? options_.idle_timeout : options_.request_timeout);
  if (!timer_armed_ || deadline_ < armed_deadline_) {
    if (timer_armed_) {
      loop_.CancelTimer(timer_);
    }
    ArmTimer(deadline_);
  }
}

void HttpConnection::ArmTimer(absl::Duration deadline) {
  timer_armed_ = true;
  armed_deadline_ = deadline;
  timer_ = loop_.AddTimer(deadline - loop_.time().Monotonic(), [weak = weak_from_this()] {
    if (auto self = weak.lock()) {
      self->OnTimer();
    }
  });
}

void HttpConnection::OnTimer() {
  timer_armed_ = false;
  if (timer_kind_ == TimerKind::kNone || state_ == State::kClosed) {
    return;
  }
  if (loop_.time().Monotonic() < deadline_) {
    ArmTimer(deadline_);  // the deadline moved since this timer was armed
    return;
  }
  TimerKind kind = timer_kind_;
  timer_kind_ = TimerKind::kNone;
  if (kind == TimerKind::kIdle) {
    Close();
  } else {
    QueueError(408, "request not received within the timeout");
  }
}

void HttpConnection::Drain() {
  if (state_ != State::kOpen) {
    return;
  }
  state_ = State::kDraining;
  if (recv_pending_) {
    loop_.Cancel(recv_op_);
  }
  if (slots_.empty() && !send_pending_ && out_.empty()) {
    Close();
    return;
  }
  if (slots_.empty()) {
    close_after_write_ = true;
  }
  UpdateTimer();
}

void HttpConnection::Close() {
  if (state_ == State::kClosed) {
    return;
  }
  state_ = State::kClosed;
  timer_kind_ = TimerKind::kNone;
  if (timer_armed_) {
    loop_.CancelTimer(timer_);
    timer_armed_ = false;
  }
  if (recv_pending_) {
    loop_.Cancel(recv_op_);
  }
  if (send_pending_) {
    loop_.Cancel(send_op_);
  }
  MaybeFinishClose();
}

void HttpConnection::MaybeFinishClose() {
  if (state_ != State::kClosed || recv_pending_ || send_pending_ || finished_) {
    return;
  }
  finished_ = true;
  fd_.Reset();
  if (server_ != nullptr) {
    HttpServer::Impl* server = server_;
    server_ = nullptr;
    server->Remove(this);  // may destroy *this: nothing after this line
  }
}

HttpResponder& HttpResponder::operator=(HttpResponder&& o) noexcept {
  if (this != &o) {
    if (pending_) {
      // Dropping an unanswered responder answers 500 (see the header).
      if (auto conn = conn_.lock()) {
        conn->Respond(seq_, HttpResponse::Text(500, "handler dropped the request\n"));
      }
    }
    conn_ = std::move(o.conn_);
    seq_ = o.seq_;
    pending_ = o.pending_;
    o.pending_ = false;
  }
  return *this;
}

HttpResponder::~HttpResponder() {
  if (pending_) {
    if (auto conn = conn_.lock()) {
      LOG(ERROR) << "HTTP handler dropped request " << seq_ << " without a response";
      conn->Respond(seq_, HttpResponse::Text(500, "handler dropped the request\n"));
    }
  }
}

void HttpResponder::Respond(HttpResponse response) {
  CHECK(pending_) << "HttpResponder::Respond called twice or on an empty responder";
  pending_ = false;
  if (auto conn = conn_.lock()) {
    conn->Respond(seq_, std::move(response));
  }
}

HttpServer::HttpServer(EventLoop& loop, Options options, Handler handler)
    : impl_(std::make_shared<Impl>(loop, std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() {
  impl_->shutting_down = true;
  if (impl_->accepting) {
    impl_->loop.Cancel(impl_->accept_op);
  }
  if (impl_->grace_timer != 0) {
    impl_->loop.CancelTimer(impl_->grace_timer);
  }
  auto conns = std::move(impl_->conns);
  for (auto& [raw, conn] : conns) {
    conn->Detach();
    conn->Close();
  }
}

absl::Status HttpServer::Listen(const SocketAddress& addr) {
  CHECK(!impl_->listen_fd.valid()) << "Listen called twice";
  ASSIGN_OR_RETURN(impl_->listen_fd, ListenTcp(addr, impl_->options.backlog));
  ASSIGN_OR_RETURN(impl_->address, LocalAddress(impl_->listen_fd.get()));
  impl_->StartAccept();
  return absl::OkStatus();
}

const SocketAddress& HttpServer::address() const { return impl_->address; }

HttpServer::Stats HttpServer::stats() const {
  Stats s = impl_->stats;
  s.open_connections = impl_->conns.size();
  return s;
}

void HttpServer::Impl::StartAccept() {
  if (shutting_down || !listen_fd.valid()) {
    return;
  }
  accepting = true;
  accept_op = loop.Accept(listen_fd.get(), [weak = weak_from_this()](int32_t res) {
    auto self = weak.lock();
    if (!self) {
      if (res >= 0) {
        close(res);
      }
      return;
    }
    self->OnAccept(res);
  });
}

void HttpServer::Impl::OnAccept(int32_t res) {
  accepting = false;
  if (res >= 0) {
    UniqueFd fd(res);
    if (shutting_down) {
      return;
    }
    if (conns.size() >= options.max_connections) {
      ++stats.connections_rejected;
    } else {
      ++stats.connections_accepted;
      std::string peer;
      if (auto addr = [&]() -> absl::StatusOr<SocketAddress> {
            SocketAddress a;
            a.len = sizeof(a.storage);
            if (getpeername(fd.get(), reinterpret_cast<sockaddr*>(&a.storage), &a.len) < 0) {
              return ErrnoStatus(errno, "get peer name");
            }
            return a;
          }();
          addr.ok()) {
        peer = addr->ToString();
      }
      auto conn = std::make_shared<HttpConnection>(this, fd.Release(), std::move(peer));
      conns.emplace(conn.get(), conn);
      conn->Start();
    }
    StartAccept();
    return;
  }
  if (res == -ECANCELED || shutting_down) {
    return;
  }
  if (res == -EMFILE || res == -ENFILE || res == -ENOBUFS || res == -ENOMEM) {
    // Out of descriptors or memory: back off instead of spinning.
    LOG(WARNING) << "accept on " << address.ToString() << ": " << strerror(-res)
                 << "; retrying in 100ms";
    loop.AddTimer(absl::Milliseconds(100), [weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        self->StartAccept();
      }
    });
    return;
  }
  StartAccept();  // ECONNABORTED and friends concern one client only
}

void HttpServer::Impl::Remove(HttpConnection* conn) {
  auto it = conns.find(conn);
  if (it == conns.end()) {
    return;
  }
  std::shared_ptr<HttpConnection> keep = std::move(it->second);
  conns.erase(it);
  MaybeFinishShutdown();
}

const std::string& HttpServer::Impl::Date() {
  int64_t now = absl::ToUnixSeconds(loop.time().Now());
  if (now != date_second) {
    date_second = now;
    date = HttpDate(now);
  }
  return date;
}

void HttpServer::Shutdown(absl::Duration grace, absl::AnyInvocable<void()> done) {
  Impl& impl = *impl_;
  impl.shutting_down = true;
  impl.shutdown_done = std::move(done);
  if (impl.accepting) {
    impl.loop.Cancel(impl.accept_op);
  }
  impl.listen_fd.Reset();
  impl.grace_timer = impl.loop.AddTimer(grace, [weak = impl.weak_from_this()] {
    auto self = weak.lock();
    if (!self) {
      return;
    }
    self->grace_timer = 0;
    std::vector<std::shared_ptr<HttpConnection>> left;
    for (auto& [raw, conn] : self->conns) {
      left.push_back(conn);
    }
    for (auto& conn : left) {
      conn->Close();
    }
  });
  std::vector<std::shared_ptr<HttpConnection>> all;
  for (auto& [raw, conn] : impl.conns) {
    all.push_back(conn);
  }
  for (auto& conn : all) {
    conn->Drain();
  }
  impl.MaybeFinishShutdown();
}

void HttpServer::Impl::MaybeFinishShutdown() {
  if (!shutting_down || !conns.empty() || !shutdown_done) {
    return;
  }
  if (grace_timer != 0) {
    loop.CancelTimer(grace_timer);
    grace_timer = 0;
  }
  auto done = std::move(shutdown_done);
  shutdown_done = nullptr;
  done();
}

}  // namespace berth::io
