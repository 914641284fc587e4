#ifndef BERTH_TESTS_TESTING_FAKE_HTTP_PEER_H_
#define BERTH_TESTS_TESTING_FAKE_HTTP_PEER_H_

#include <string>
#include <string_view>
#include <vector>

#include "io/fake_loop.h"
#include "io/http_server.h"

namespace berth::testing {

// Drives an HttpServer on a FakeLoop as if clients were connected: Connect()
// completes the server's pending accept with a real (unused) socketpair end,
// Send() completes its recvs with bytes, Read() completes its sends and
// returns what the server wrote.
class FakeHttpPeer {
 public:
  explicit FakeHttpPeer(io::FakeLoop& loop) : loop_(loop) {}
  ~FakeHttpPeer();

  // Accepts a new connection; returns its fd (the server owns and closes it).
  int Connect();
  // Delivers `data` as it arrives on `fd`, filling as many recvs as needed.
  // Returns the number of bytes the server took (less if it stopped reading).
  size_t Send(int fd, std::string_view data);
  // Ends the client's side: the server's pending recv sees EOF.
  void ShutdownWrite(int fd);
  // Completes every pending send on `fd` and returns the bytes.
  std::string Read(int fd);
  // Whether the server still has an operation on `fd` (open connection).
  bool IsOpen(int fd) const;

 private:
  io::FakeLoop& loop_;
  std::vector<int> peer_fds_;  // the other ends of the socketpairs
};

}  // namespace berth::testing

#endif  // BERTH_TESTS_TESTING_FAKE_HTTP_PEER_H_
