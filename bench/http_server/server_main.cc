// berth_bench_http_server: the berth HTTP server (UringLoop + HttpServer)
// answering every request with one fixed 200 JSON body, the berth side of
// bench/http_server/run.sh (nginx configured the same way is the other).
//
//   berth_bench_http_server --listen 127.0.0.1:PORT
//
// Loopback addresses only. Prints "listening on ADDR" once bound; on SIGINT
// or SIGTERM shuts down gracefully and prints the server's counters as one
// JSON line on stdout.

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "io/http_server.h"
#include "io/log.h"
#include "io/socket.h"
#include "io/uring_loop.h"

namespace berth::bench {
namespace {

constexpr std::string_view kBody = R"({"status":"ok","service":"berth"})";

int Usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s --listen 127.0.0.1:PORT\n", argv0);
  return 2;
}

bool IsLoopback(const io::SocketAddress& addr) {
  if (addr.storage.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr.storage);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (addr.storage.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr.storage);
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
  }
  return false;
}

int Main(int argc, char** argv) {
  std::string listen;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--listen" && i + 1 < argc) {
      listen = argv[++i];
    } else if (arg.substr(0, 9) == "--listen=") {
      listen = std::string(arg.substr(9));
    } else {
      return Usage(argv[0]);
    }
  }
  if (listen.empty()) {
    return Usage(argv[0]);
  }
  auto addr = io::SocketAddress::Parse(listen);
  if (!addr.ok()) {
    std::fprintf(stderr, "bad --listen %s: %s\n", listen.c_str(),
                 addr.status().ToString().c_str());
    return 2;
  }
  if (!IsLoopback(*addr)) {
    std::fprintf(stderr, "refusing to listen on %s: this bench serves loopback only\n",
                 listen.c_str());
    return 2;
  }

  // SIGINT/SIGTERM arrive through a signalfd polled by the loop, so shutdown
  // runs on the loop thread like everything else.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  CHECK(sigprocmask(SIG_BLOCK, &signals, nullptr) == 0) << std::strerror(errno);
  io::UniqueFd signal_fd(signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC));
  CHECK(signal_fd.valid()) << "signalfd: " << std::strerror(errno);

  auto loop = io::UringLoop::Create();
  if (!loop.ok()) {
    std::fprintf(stderr, "failed to create the event loop: %s\n",
                 loop.status().ToString().c_str());
    return 1;
  }
  const io::HttpResponse response = io::HttpResponse::Json(200, std::string(kBody));
  io::HttpServer server(**loop, io::HttpServer::Options{},
                        [&response](io::HttpRequest, io::HttpResponder responder) {
                          responder.Respond(response);
                        });
  if (absl::Status st = server.Listen(*addr); !st.ok()) {
    std::fprintf(stderr, "failed to listen on %s: %s\n", listen.c_str(), st.ToString().c_str());
    return 1;
  }
  std::printf("listening on %s\n", server.address().ToString().c_str());
  std::fflush(stdout);

  (*loop)->Poll(signal_fd.get(), POLLIN, [&](int32_t) {
    server.Shutdown(absl::Seconds(2), [&] { (*loop)->Stop(); });
  });
  if (absl::Status st = (*loop)->Run(); !st.ok()) {
    std::fprintf(stderr, "event loop failed: %s\n", st.ToString().c_str());
    return 1;
  }
  io::HttpServer::Stats stats = server.stats();
  std::printf(
      "{\"connections_accepted\":%llu,\"connections_rejected\":%llu,\"requests\":%llu,"
      "\"bad_requests\":%llu}\n",
      static_cast<unsigned long long>(stats.connections_accepted),
      static_cast<unsigned long long>(stats.connections_rejected),
      static_cast<unsigned long long>(stats.requests),
      static_cast<unsigned long long>(stats.bad_requests));
  return 0;
}

}  // namespace
}  // namespace berth::bench

int main(int argc, char** argv) { return berth::bench::Main(argc, argv); }
