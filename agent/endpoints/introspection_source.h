#ifndef BERTH_AGENT_ENDPOINTS_INTROSPECTION_SOURCE_H_
#define BERTH_AGENT_ENDPOINTS_INTROSPECTION_SOURCE_H_

// What the endpoints read: the agent's identity and its tasks, read-only.
// The endpoints never see the engine; the agent implements this over it in a
// few lines (agent/endpoints/README.md shows how). Called on the loop thread
// only, during one request, so a `const TaskState&` stays valid while the
// answer is built and no longer.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "agent/stats/container_stats.h"
#include "agent/task/task_state.h"

namespace berth::agent::endpoints {

struct AgentMetadata {
  std::string cluster = {};  // ECS_CLUSTER as configured ("default" by default)
  // The container instance ARN; nullopt until the instance is registered.
  std::optional<std::string> container_instance_arn = {};
  // berth's eBPF accounting: loaded, or not and why (a berth field of
  // /v1/metadata, "Accounting"; absent when unknown).
  struct Accounting {
    bool enabled = false;
    std::string detail = {};  // how it hooks in, or why it is disabled
  };
  std::optional<Accounting> accounting = {};
};

class IntrospectionSource {
 public:
  virtual ~IntrospectionSource() = default;

  virtual AgentMetadata Metadata() const = 0;

  // The stats collector's last sample of a container (runtime id), or
  // nullptr: none yet, or stats are off.
  virtual const stats::ContainerSample* LatestStats(std::string_view /*runtime_id*/) const {
    return nullptr;
  }

  // Every task the agent holds (stopped ones too, until cleaned up), in a
  // stable order: that is the order of /v1/tasks.
  virtual void ForEachTask(absl::FunctionRef<void(const TaskState&)> fn) const = 0;

  // The task with this ARN, or nullptr. The default scans ForEachTask.
  virtual const TaskState* FindByArn(std::string_view arn) const;
};

// The Amazon agent's rule for ?dockerid=: an id longer than 12 characters
// must equal a container's runtime id; one of 12 or fewer is a prefix (so ""
// matches every container that has an id). Returns the distinct tasks that
// own a matching container, in ForEachTask order. Containers without a
// runtime id yet never match.
inline constexpr size_t kShortRuntimeIdLength = 12;
std::vector<const TaskState*> FindByRuntimeId(const IntrospectionSource& source,
                                              std::string_view id);

}  // namespace berth::agent::endpoints

#endif  // BERTH_AGENT_ENDPOINTS_INTROSPECTION_SOURCE_H_
