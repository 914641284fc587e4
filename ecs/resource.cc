#include "ecs/resource.h"

namespace berth::ecs {

Resource IntegerResource(std::string_view name, int32_t value) {
  Resource r;
  r.name = std::string(name);
  r.type = std::string(kResourceTypeInteger);
  r.integer_value = value;
  return r;
}

Resource PortsResource(std::string_view name, const std::vector<int>& ports) {
  Resource r;
  r.name = std::string(name);
  r.type = std::string(kResourceTypeStringSet);
  r.string_set_value.reserve(ports.size());
  for (int port : ports) {
    r.string_set_value.push_back(std::to_string(port));
  }
  return r;
}

const Resource* FindResource(const std::vector<Resource>& resources, std::string_view name) {
  for (const Resource& r : resources) {
    if (r.name == name) {
      return &r;
    }
  }
  return nullptr;
}

int64_t ResourceAmount(const Resource& r) {
  if (r.type == kResourceTypeLong) {
    return r.long_value;
  }
  if (r.type == kResourceTypeDouble) {
    return static_cast<int64_t>(r.double_value);
  }
  return r.integer_value;
}

}  // namespace berth::ecs
