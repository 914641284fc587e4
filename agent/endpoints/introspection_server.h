#ifndef BERTH_AGENT_ENDPOINTS_INTROSPECTION_SERVER_H_
#define BERTH_AGENT_ENDPOINTS_INTROSPECTION_SERVER_H_

// The introspection API on the loop: an io::HttpServer whose every request
// is answered at once by IntrospectionHandler. berth listens on
// 127.0.0.1:51678 (the Amazon agent listens on all interfaces and leaves
// blocking off-host access to ecs-init's iptables rules; berth has no such
// launcher, so it binds loopback).

#include <cstdint>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agent/endpoints/introspection_handler.h"
#include "io/event_loop.h"
#include "io/http_server.h"
#include "io/socket.h"

namespace berth::agent::endpoints {

inline constexpr uint16_t kIntrospectionPort = 51678;

class IntrospectionServer {
 public:
  // The Amazon agent's 5 s read and write timeouts; Go's server closes idle
  // keep-alive connections after the read timeout too.
  static io::HttpServer::Options DefaultHttpOptions();

  IntrospectionServer(io::EventLoop& loop, const IntrospectionSource& source,
                      AgentMetrics& metrics, IntrospectionHandler::Options options = {},
                      io::HttpServer::Options http = DefaultHttpOptions());

  // Binds (127.0.0.1:51678 in the agent; port 0 in tests).
  absl::Status Listen(const io::SocketAddress& address);
  const io::SocketAddress& address() const { return http_.address(); }
  void Shutdown(absl::Duration grace, absl::AnyInvocable<void()> done);

  IntrospectionHandler& handler() { return handler_; }

 private:
  IntrospectionHandler handler_;
  io::HttpServer http_;
};

}  // namespace berth::agent::endpoints

#endif  // BERTH_AGENT_ENDPOINTS_INTROSPECTION_SERVER_H_
