#include "control/store/store.h"

namespace berth::control {

std::vector<std::string> DefaultStoreTables() {
  return {"clusters", "task_definitions", "container_instances", "tasks", "services",
          "attributes", "account_settings", "tags", "meta"};
}

}  // namespace berth::control
