#ifndef BERTH_BENCH_CONTROL_API_LOAD_CLIENT_H_
#define BERTH_BENCH_CONTROL_API_LOAD_CLIENT_H_

// A deliberately small HTTP/1.1 client for load generation: one thread, one
// epoll set, non-blocking keep-alive connections to one address, one request
// in flight per connection. It does just what the control-API bench needs so
// it takes as little CPU as possible from the server it measures:
//
//   Send(conn, request bytes, done) ── send() ── recv() until the response
//   is whole (status line, headers, Content-Length body) ── done(reply)
//
// `done` runs on the thread calling Run and may Send on the same connection
// (a closed loop). A connection the peer closed, or one that failed, reports
// a transport error (status 0) and reconnects on its next Send. Responses
// must carry Content-Length (berth's server always does); chunked ones are a
// transport error.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "io/socket.h"

namespace berth::bench {

using Clock = std::chrono::steady_clock;

struct HttpReply {
  int status = 0;  // 0: transport error, `error` says what
  std::string body;
  std::string error;
  Clock::duration latency{};  // Send → whole response
};

// "POST / HTTP/1.1" with the ECS JSON 1.1 headers (no signature: dev mode).
std::string EcsRequest(std::string_view host, std::string_view operation, std::string_view body);
// "POST <path>" with Content-Type application/json (the agent poll).
std::string JsonPost(std::string_view host, std::string_view path, std::string_view body);
std::string HttpGet(std::string_view host, std::string_view path);

class LoadClient {
 public:
  using Done = absl::AnyInvocable<void(HttpReply)>;

  static absl::StatusOr<std::unique_ptr<LoadClient>> Create(const io::SocketAddress& server);
  ~LoadClient();
  LoadClient(const LoadClient&) = delete;
  LoadClient& operator=(const LoadClient&) = delete;

  // Adds a connection (connected lazily by its first Send); returns its id.
  int AddConnection();
  // Closes a connection; a pending request's `done` is dropped, not called.
  void CloseConnection(int conn);
  bool Busy(int conn) const;
  // Queues `request` on idle connection `conn`.
  void Send(int conn, std::string request, Done done);

  // Waits for and handles events for at most `max_wait`; returns after one
  // batch. Fails only if epoll itself fails.
  absl::Status RunOnce(std::chrono::milliseconds max_wait);
  // One request, waited for: for set-up steps.
  HttpReply Call(int conn, std::string request, std::chrono::seconds timeout);

  uint64_t connects() const { return connects_; }
  uint64_t bytes_received() const { return bytes_received_; }

 private:
  struct Conn;
  explicit LoadClient(io::UniqueFd epoll, const io::SocketAddress& server);
  absl::Status Open(Conn& c);
  void Fail(Conn& c, std::string error);
  void OnWritable(Conn& c);
  void OnReadable(Conn& c);
  // Completes the response in c's buffer if it is whole; false if not yet.
  bool TryComplete(Conn& c);
  void Watch(Conn& c, uint32_t events);

  io::UniqueFd epoll_;
  io::SocketAddress server_;
  std::vector<std::unique_ptr<Conn>> conns_;
  uint64_t connects_ = 0;
  uint64_t bytes_received_ = 0;
};

}  // namespace berth::bench

#endif  // BERTH_BENCH_CONTROL_API_LOAD_CLIENT_H_
