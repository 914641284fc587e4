#include "ecs/container_instance.h"

namespace berth::ecs {

std::string_view ToString(ContainerInstanceStatus status) {
  switch (status) {
    case ContainerInstanceStatus::kActive:
      return "ACTIVE";
    case ContainerInstanceStatus::kDraining:
      return "DRAINING";
    case ContainerInstanceStatus::kInactive:
      return "INACTIVE";
    case ContainerInstanceStatus::kRegistering:
      return "REGISTERING";
    case ContainerInstanceStatus::kDeregistering:
      return "DEREGISTERING";
    case ContainerInstanceStatus::kRegistrationFailed:
      return "REGISTRATION_FAILED";
  }
  return "ACTIVE";
}

std::optional<ContainerInstanceStatus> ParseContainerInstanceStatus(std::string_view text) {
  for (ContainerInstanceStatus s :
       {ContainerInstanceStatus::kActive, ContainerInstanceStatus::kDraining,
        ContainerInstanceStatus::kInactive, ContainerInstanceStatus::kRegistering,
        ContainerInstanceStatus::kDeregistering, ContainerInstanceStatus::kRegistrationFailed}) {
    if (ToString(s) == text) {
      return s;
    }
  }
  return std::nullopt;
}

const Attribute* ContainerInstance::FindAttribute(std::string_view name) const {
  for (const Attribute& a : attributes) {
    if (a.name == name) {
      return &a;
    }
  }
  return nullptr;
}

}  // namespace berth::ecs
