// Drives a whole HttpServer connection on the fake loop with fuzzer-chosen
// traffic: bytes in fuzzer-sized pieces, handlers that answer at once, late
// or never, time passing (timeouts), the client half-closing, and a graceful
// shutdown at the end. The server must never crash, answer out of order, or
// leak a connection once shutdown completes.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

#include "io/fake_loop.h"
#include "io/http_server.h"
#include "io/log.h"
#include "tests/testing/fake_http_peer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) {
    return 0;
  }
  berth::io::FakeLoop loop;
  berth::io::HttpServer::Options options;
  options.limits.max_header_bytes = 1024;
  options.limits.max_body_bytes = 2048;
  options.max_pipelined = 1 + data[0] % 8;
  std::deque<berth::io::HttpResponder> held;
  uint64_t answered = 0;
  const bool hold = data[1] & 1;
  bool done = false;
  {
    berth::io::HttpServer server(
        loop, options, [&](berth::io::HttpRequest req, berth::io::HttpResponder r) {
          if (hold) {
            held.push_back(std::move(r));
          } else {
            ++answered;
            r.Respond(berth::io::HttpResponse::Text(200, req.target));
          }
        });
    CHECK_OK(server.Listen(berth::io::SocketAddress::Loopback4(0)));
    berth::testing::FakeHttpPeer peer(loop);
    int fd = peer.Connect();
    size_t pos = 2;
    while (pos < size) {
      uint8_t op = data[pos++];
      switch (op % 6) {
        case 0:
        case 1:
        case 2: {  // send the next few bytes
          size_t n = std::min<size_t>(1 + op / 6, size - pos);
          peer.Send(fd, std::string_view(reinterpret_cast<const char*>(data) + pos, n));
          pos += n;
          break;
        }
        case 3:  // answer the oldest held request
          if (!held.empty()) {
            held.front().Respond(berth::io::HttpResponse::Text(201, "late"));
            held.pop_front();
          }
          break;
        case 4:
          loop.AdvanceTime(absl::Seconds(op / 6));
          break;
        case 5:
          peer.Read(fd);
          break;
      }
    }
    if (data[1] & 2) {
      peer.ShutdownWrite(fd);
    }
    server.Shutdown(absl::Seconds(10), [&] { done = true; });
    while (!held.empty()) {
      held.front().Respond(berth::io::HttpResponse::Text(200, "end"));
      held.pop_front();
    }
    peer.Read(fd);
    loop.AdvanceTime(absl::Seconds(11));
    peer.Read(fd);
    loop.RunUntilIdle();
    CHECK(done) << "shutdown did not complete";
    CHECK_EQ(server.stats().open_connections, 0u);
  }
  loop.RunUntilIdle();
  return 0;
}
