#ifndef BERTH_AGENT_SESSION_HTTP_TRANSPORT_H_
#define BERTH_AGENT_SESSION_HTTP_TRANSPORT_H_

// Where the control client's requests go: io::HttpClient in the agent
// (HttpClientTransport), or straight into a fake control plane's handler in
// unit tests, so the session logic runs on a FakeLoop with fake time.

#include "io/http_client.h"

namespace berth::agent {

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // io::HttpClient's contract: `done` runs once, on the loop thread, never
  // inside Fetch().
  virtual void Fetch(io::HttpClientRequest request, io::HttpClientCallback done) = 0;
};

class HttpClientTransport final : public HttpTransport {
 public:
  explicit HttpClientTransport(io::HttpClient& client) : client_(client) {}
  void Fetch(io::HttpClientRequest request, io::HttpClientCallback done) override {
    client_.Fetch(std::move(request), std::move(done));
  }

 private:
  io::HttpClient& client_;
};

}  // namespace berth::agent

#endif  // BERTH_AGENT_SESSION_HTTP_TRANSPORT_H_
