#include "control/scheduler/node_subject.h"

namespace berth::scheduler::internal {

void NodeSubject::ForEachTaskGroup(absl::FunctionRef<bool(std::string_view)> fn) const {
  bool extra_seen = extra_group_.empty();
  for (const auto& [group, count] : node_.groups) {
    if (count <= 0) {
      continue;
    }
    const std::string& name = groups_[group].name;
    if (name == extra_group_) {
      extra_seen = true;
    }
    if (!fn(name)) {
      return;
    }
  }
  if (!extra_seen) {
    fn(extra_group_);
  }
}

bool HoldsRequiredAttributes(const Node& node, const std::vector<ecs::Attribute>& required,
                             std::string* missing) {
  for (const ecs::Attribute& a : required) {
    std::optional<std::string_view> have = node.Attribute(a.name);
    bool ok = have.has_value() && (!a.value.has_value() || *have == *a.value);
    if (!ok) {
      if (missing != nullptr) {
        *missing = a.value.has_value() ? a.name + "=" + *a.value : a.name;
      }
      return false;
    }
  }
  return true;
}

}  // namespace berth::scheduler::internal
