#ifndef BERTH_CONTROL_SCHEDULER_NODE_SUBJECT_H_
#define BERTH_CONTROL_SCHEDULER_NODE_SUBJECT_H_

// A Node as the query language sees it (internal to control/scheduler).

#include <string>
#include <string_view>
#include <vector>

#include "control/scheduler/group_state.h"
#include "control/scheduler/node.h"
#include "control/scheduler/query/query.h"
#include "ecs/attribute.h"

namespace berth::scheduler::internal {

class NodeSubject final : public query::Subject {
 public:
  // `extra_group`, when not empty, is the group of tasks this request has
  // already put on the node (task:group sees them, as they are pending).
  NodeSubject(const Node& node, const std::vector<GroupState>& groups,
              std::string_view extra_group = {})
      : node_(node), groups_(groups), extra_group_(extra_group) {}

  bool AgentConnected() const override { return node_.agent_connected; }
  std::string_view AgentVersion() const override { return node_.agent_version; }
  std::string_view Ec2InstanceId() const override { return node_.ec2_instance_id; }
  absl::Time RegisteredAt() const override { return node_.registered_at; }
  int64_t RunningTasksCount() const override { return node_.running; }
  std::optional<std::string_view> Attribute(std::string_view name) const override {
    return node_.Attribute(name);
  }
  // Once per distinct group (the language only asks whether some task has
  // a matching group).
  void ForEachTaskGroup(absl::FunctionRef<bool(std::string_view)> fn) const override;

 private:
  const Node& node_;
  const std::vector<GroupState>& groups_;
  std::string_view extra_group_;
};

// Whether the node has every required attribute (and its value, when the
// requirement names one); the first one missing goes to `missing`.
bool HoldsRequiredAttributes(const Node& node, const std::vector<ecs::Attribute>& required,
                             std::string* missing);

}  // namespace berth::scheduler::internal

#endif  // BERTH_CONTROL_SCHEDULER_NODE_SUBJECT_H_
