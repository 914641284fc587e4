#include "agent/endpoints/introspection_source.h"

namespace berth::agent::endpoints {

const TaskState* IntrospectionSource::FindByArn(std::string_view arn) const {
  const TaskState* found = nullptr;
  ForEachTask([&](const TaskState& task) {
    if (found == nullptr && task.spec.arn == arn) {
      found = &task;
    }
  });
  return found;
}

std::vector<const TaskState*> FindByRuntimeId(const IntrospectionSource& source,
                                              std::string_view id) {
  bool prefix = id.size() <= kShortRuntimeIdLength;
  std::vector<const TaskState*> tasks;
  source.ForEachTask([&](const TaskState& task) {
    for (const ContainerState& container : task.containers) {
      std::string_view runtime_id = container.runtime_id;
      if (runtime_id.empty() || !container.created_at.has_value()) {
        continue;
      }
      if (prefix ? runtime_id.substr(0, id.size()) == id : runtime_id == id) {
        tasks.push_back(&task);
        return;
      }
    }
  });
  return tasks;
}

}  // namespace berth::agent::endpoints
