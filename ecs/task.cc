#include "ecs/task.h"

namespace berth::ecs {

std::string_view ServiceOfGroup(std::string_view group) {
  constexpr std::string_view kPrefix = "service:";
  if (group.substr(0, kPrefix.size()) != kPrefix) {
    return {};
  }
  return group.substr(kPrefix.size());
}

std::string FamilyGroup(std::string_view family) {
  return "family:" + std::string(family);
}

}  // namespace berth::ecs
