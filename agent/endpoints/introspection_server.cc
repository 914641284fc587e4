#include "agent/endpoints/introspection_server.h"

#include <utility>

namespace berth::agent::endpoints {

io::HttpServer::Options IntrospectionServer::DefaultHttpOptions() {
  io::HttpServer::Options options;
  options.request_timeout = absl::Seconds(5);
  options.idle_timeout = absl::Seconds(5);
  options.max_connections = 256;
  options.backlog = 64;
  return options;
}

IntrospectionServer::IntrospectionServer(io::EventLoop& loop, const IntrospectionSource& source,
                                         AgentMetrics& metrics,
                                         IntrospectionHandler::Options options,
                                         io::HttpServer::Options http)
    : handler_(source, metrics, std::move(options)),
      http_(loop, http, [this](io::HttpRequest request, io::HttpResponder responder) {
        responder.Respond(handler_.Handle(request));
      }) {}

absl::Status IntrospectionServer::Listen(const io::SocketAddress& address) {
  return http_.Listen(address);
}

void IntrospectionServer::Shutdown(absl::Duration grace, absl::AnyInvocable<void()> done) {
  http_.Shutdown(grace, std::move(done));
}

}  // namespace berth::agent::endpoints
