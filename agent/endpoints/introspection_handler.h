#ifndef BERTH_AGENT_ENDPOINTS_INTROSPECTION_HANDLER_H_
#define BERTH_AGENT_ENDPOINTS_INTROSPECTION_HANDLER_H_

// The introspection API's routes, as a function from request to response
// (any method; ../shared/reference/ecs-agent.md §1):
//   /v1/metadata             200 {"Cluster","ContainerInstanceArn","Version"}
//   /v1/tasks                200 {"Tasks":[TaskResponse...]}
//   /v1/tasks?taskarn=A      200 TaskResponse | 404 empty TaskResponse
//   /v1/tasks?dockerid=D     200 TaskResponse | 404 | 400 when D (12 chars or
//                            fewer: a prefix) matches containers of >1 task
//   both keys present        400 empty TaskResponse
//   /license                 200 text/plain
//   /metrics                 200 Prometheus text (AgentMetrics)
//   anything else, and /     200 {"AvailableCommands":["/v1/metadata","/v1/tasks","/license"]}
// A query key counts when present with an empty value; "?dockerid=" is a
// prefix match on "" (every container with an id).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/endpoints/agent_metrics.h"
#include "agent/endpoints/introspection_source.h"
#include "io/http_types.h"

namespace berth::agent::endpoints {

// A URL query decoded as Go's url.ParseQuery does: pairs split on '&', key
// and value on the first '=', %XX and '+' decoded; a pair containing ';' or
// a malformed escape is dropped. Values of each key in order.
std::map<std::string, std::vector<std::string>, std::less<>> ParseQuery(std::string_view query);

// What the handler answers with where the agent does not decide per request.
struct IntrospectionOptions {
  std::string version = {};       // /v1/metadata "Version"; "" = AgentVersionString()
  std::string license_text = {};  // /license; "" = LicenseText()
  // Resident memory for /metrics; empty = ReadSelfRssBytes.
  std::function<std::optional<uint64_t>()> rss_bytes = {};
};

class IntrospectionHandler {
 public:
  using Options = IntrospectionOptions;

  // `source` and `metrics` must outlive the handler. Every request is
  // counted in `metrics` (berth_agent_introspection_requests_total).
  IntrospectionHandler(const IntrospectionSource& source, AgentMetrics& metrics,
                       Options options = {});

  io::HttpResponse Handle(const io::HttpRequest& request);

 private:
  io::HttpResponse Tasks(std::string_view query) const;

  const IntrospectionSource& source_;
  AgentMetrics& metrics_;
  Options options_;
};

}  // namespace berth::agent::endpoints

#endif  // BERTH_AGENT_ENDPOINTS_INTROSPECTION_HANDLER_H_
