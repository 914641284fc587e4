// The agent channel's ECS operation (docs/agent-protocol.md):
// DiscoverPollEndpoint tells an agent where to poll. The poll itself is
// POST /agent/v1/poll (ApiService), not an ECS operation.

#include <optional>
#include <string>

#include "control/api/agent_dispatch.h"
#include "control/api/ecs_error.h"
#include "control/api/ops/cluster_common.h"
#include "control/api/ops/ops.h"
#include "io/status.h"

namespace berth::control::ops {
namespace {

// Request {containerInstance, cluster}, both optional in the model; answers
// {endpoint, telemetryEndpoint} = the control listener. The cluster, when
// named, must exist; the instance is not looked up (the agent asks before
// and after registering, as Amazon's does).
absl::StatusOr<boost::json::object> DiscoverPollEndpoint(OpContext& ctx, const Args& args) {
  std::optional<std::string> instance, cluster;
  RETURN_IF_ERROR(args.Get("containerInstance", &instance));
  RETURN_IF_ERROR(args.Get("cluster", &cluster));
  if (cluster.has_value()) {
    RETURN_IF_ERROR(RequestCluster(ctx.model, args).status());
  }
  if (ctx.agents == nullptr) {
    return EcsError(ecs_errors::kServer, "The agent channel is not enabled on this server.");
  }
  return boost::json::object{{"endpoint", ctx.agents->endpoint()},
                             {"telemetryEndpoint", ctx.agents->endpoint()}};
}

}  // namespace

void RegisterAgentOperations(OperationRegistry& registry) {
  registry.Add("DiscoverPollEndpoint", &DiscoverPollEndpoint);
}

}  // namespace berth::control::ops
