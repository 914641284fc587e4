#ifndef BERTH_IO_HTTP_SERVER_H_
#define BERTH_IO_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "io/event_loop.h"
#include "io/http_codec.h"
#include "io/http_types.h"
#include "io/socket.h"

namespace berth::io {

class HttpConnection;

// Hands a handler's response back to its connection. Move-only; Respond()
// once. Responses go out in request order even when handlers answer out of
// order (pipelining). A responder dropped without answering sends a 500, so a
// bug in a handler never leaves a client hanging. Responding after the
// connection closed is a no-op.
class HttpResponder {
 public:
  HttpResponder() = default;
  HttpResponder(std::weak_ptr<HttpConnection> conn, uint64_t seq)
      : conn_(std::move(conn)), seq_(seq) {}
  HttpResponder(HttpResponder&& o) noexcept { *this = std::move(o); }
  HttpResponder& operator=(HttpResponder&& o) noexcept;
  ~HttpResponder();

  void Respond(HttpResponse response);

 private:
  std::weak_ptr<HttpConnection> conn_;
  uint64_t seq_ = 0;
  bool pending_ = true;
};

// An HTTP/1.1 server on the event loop: keep-alive, pipelining, limits,
// timeouts and graceful shutdown. Parsing and serialization are Beast's
// (io/http_codec.h). docs/event-loop.md describes the connection life cycle.
class HttpServer {
 public:
  struct Options {
    HttpLimits limits;
    // From a request's first byte until it is fully read → 408 and close.
    absl::Duration request_timeout = absl::Seconds(30);
    // A keep-alive connection with nothing in flight is closed after this.
    absl::Duration idle_timeout = absl::Seconds(60);
    // Requests read ahead of their responses; reading pauses beyond it.
    size_t max_pipelined = 32;
    // Connections beyond this are accepted and closed at once.
    size_t max_connections = 10000;
    int backlog = 1024;
  };

  // Called on the loop thread for every complete request.
  using Handler = std::function<void(HttpRequest, HttpResponder)>;

  struct Stats {
    uint64_t connections_accepted = 0;
    uint64_t connections_rejected = 0;
    uint64_t requests = 0;
    uint64_t bad_requests = 0;  // 400/408/413/431 sent by the server itself
    size_t open_connections = 0;
  };

  HttpServer(EventLoop& loop, Options options, Handler handler);
  ~HttpServer();  // closes everything at once; use Shutdown() to be graceful
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting. Port 0 picks a free port (see address()).
  absl::Status Listen(const SocketAddress& addr);
  const SocketAddress& address() const;

  // Stops accepting, closes idle connections, lets in-flight requests get
  // their responses (the last with "Connection: close"), then calls `done`.
  // Connections still open after `grace` are closed.
  void Shutdown(absl::Duration grace, absl::AnyInvocable<void()> done);

  Stats stats() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace berth::io

#endif  // BERTH_IO_HTTP_SERVER_H_
