#include "tests/testing/fake_http_peer.h"

#include <sys/socket.h>
#include <unistd.h>

#include "io/log.h"

namespace berth::testing {

FakeHttpPeer::~FakeHttpPeer() {
  for (int fd : peer_fds_) {
    close(fd);
  }
}

int FakeHttpPeer::Connect() {
  std::optional<io::FakeLoop::PendingOp> accept;
  for (const auto& op : loop_.pending()) {
    if (op.kind == io::FakeLoop::Kind::kAccept) {
      accept = op;
    }
  }
  CHECK(accept.has_value()) << "the server is not accepting";
  int fds[2];
  CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  peer_fds_.push_back(fds[1]);
  loop_.Complete(accept->id, fds[0]);
  return fds[0];
}

size_t FakeHttpPeer::Send(int fd, std::string_view data) {
  size_t taken = 0;
  while (taken < data.size()) {
    auto recv = loop_.FindPending(io::FakeLoop::Kind::kRecv, fd);
    if (!recv) {
      break;
    }
    taken += loop_.CompleteRecv(recv->id, data.substr(taken));
  }
  return taken;
}

void FakeHttpPeer::ShutdownWrite(int fd) {
  if (auto recv = loop_.FindPending(io::FakeLoop::Kind::kRecv, fd)) {
    loop_.Complete(recv->id, 0);
  }
}

std::string FakeHttpPeer::Read(int fd) {
  std::string out;
  while (auto send = loop_.FindPending(io::FakeLoop::Kind::kSend, fd)) {
    out += loop_.CompleteSend(send->id);
  }
  return out;
}

bool FakeHttpPeer::IsOpen(int fd) const {
  for (const auto& op : loop_.pending()) {
    if (op.fd == fd) {
      return true;
    }
  }
  return false;
}

}  // namespace berth::testing
