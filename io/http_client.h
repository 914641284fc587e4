#ifndef BERTH_IO_HTTP_CLIENT_H_
#define BERTH_IO_HTTP_CLIENT_H_

// An HTTP client on the event loop: libcurl's multi socket interface, with
// curl's sockets watched by loop polls and curl's timer kept as a loop timer.
// No thread of its own, no blocking call. docs/http-client.md has the
// mapping, the error table and the streaming rules.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "io/event_loop.h"
#include "io/http_types.h"

namespace berth::io {

struct HttpClientRequest {
  std::string method = "GET";
  // http:// or https:// only; anything else fails with InvalidArgument.
  std::string url;
  // Sent as given. The client adds Host, Accept, User-Agent and
  // Content-Length, and never sends "Expect: 100-continue" unless asked.
  HttpHeaders headers;
  // Sent for POST, PUT and PATCH (even when empty), and for any method when
  // not empty. Sent as is: no form Content-Type is added.
  std::string body;

  // The whole exchange, connecting included; InfiniteDuration for none.
  absl::Duration timeout = absl::Seconds(30);
  absl::Duration connect_timeout = absl::Seconds(10);
  // Fails with DeadlineExceeded when no byte was sent or received for this
  // long (connecting and waiting for the response count as idle); zero
  // disables it. For long downloads that use timeout = InfiniteDuration().
  absl::Duration stall_timeout = absl::ZeroDuration();
  // Follows up to 10 redirects (http and https only).
  bool follow_redirects = false;

  // A PEM file of CA certificates to trust for https instead of the
  // system's bundle (a registry's own CA); empty: the system's.
  std::string ca_file;

  // Asks for the body from this byte on (a "Range: bytes=N-" header). A
  // server that ignores the range and sends the whole body fails the
  // request with FailedPrecondition.
  int64_t resume_from = 0;

  // When set, the body of a 2xx response goes here piece by piece (each
  // piece at most a few tens of KiB) instead of into the response; the
  // response's body stays empty. Any other status's body is buffered as
  // usual, so an error page never lands in a download. A non-OK status
  // stops the transfer, and the request fails with it (errno payload kept).
  // Runs on the loop thread inside libcurl: it may Fetch() and Cancel() but
  // must not destroy the client.
  absl::AnyInvocable<absl::Status(std::string_view piece)> body_sink;
  // A buffered body larger than this fails with ResourceExhausted.
  size_t max_body_bytes = 64 << 20;
};

struct HttpClientResponse {
  int status = 0;
  // The final response's headers, in order (not those of a 100 Continue or
  // of a redirect that was followed).
  HttpHeaders headers;
  std::string body;
  // The URL that answered, after redirects.
  std::string effective_url;

  std::string_view Header(std::string_view name) const { return FindHeader(headers, name); }
};

struct HttpClientOptions {
  // Connections to one host:port; more requests wait for a free one.
  size_t max_connections_per_host = 8;
  // Connections in total; 0 means no limit.
  size_t max_connections = 0;
  // "http://host:port" to go through a proxy. Empty means no proxy at all:
  // http_proxy and friends in the environment are ignored.
  std::string proxy;
  std::string user_agent = "berth";
};

using HttpRequestId = uint64_t;  // 0 is never used
using HttpClientCallback = absl::AnyInvocable<void(absl::StatusOr<HttpClientResponse>)>;

// Every request's callback runs exactly once, on the loop thread, and never
// inside the Fetch() call that started it. Any HTTP status is a response;
// errors are transport failures, worded "failed to <METHOD> <url>: <why>":
//
//   timeout / connect_timeout / stall_timeout   DeadlineExceeded
//   connection refused, reset, DNS failure      Unavailable (errno kept)
//   malformed URL, scheme not http(s)           InvalidArgument
//   Cancel() or the client destroyed            Cancelled
//   resume_from ignored, too many redirects     FailedPrecondition
//   body over max_body_bytes                    ResourceExhausted
//   body_sink's error                           the sink's code
//
// Connections are kept alive and reused across requests. Everything but
// the destructor's promise below must happen on the loop thread.
class HttpClient {
 public:
  // Fails only if libcurl cannot be initialised.
  static absl::StatusOr<std::unique_ptr<HttpClient>> Create(EventLoop& loop,
                                                            HttpClientOptions options = {});
  // Completes every request still in flight with Cancelled (their callbacks
  // run inside the destructor, so they must not use the client) and closes
  // every connection. Must run on the loop thread, before the loop dies.
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpRequestId Fetch(HttpClientRequest request, HttpClientCallback done);

  // Stops a request in flight: its callback runs with Cancelled before
  // Cancel returns (from a body_sink, shortly after), and its connection is
  // closed. Returns false when `id` is not in flight (done or unknown).
  bool Cancel(HttpRequestId id);

  // Requests started and not yet completed.
  size_t in_flight() const;

  struct Impl;

 private:
  explicit HttpClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace berth::io

#endif  // BERTH_IO_HTTP_CLIENT_H_
