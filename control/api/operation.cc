#include "control/api/operation.h"

#include "io/log.h"

namespace berth::control {

void OperationRegistry::Add(std::string_view name, OpFn fn) {
  CHECK(fn != nullptr) << name;
  bool inserted = ops_.emplace(std::string(name), fn).second;
  CHECK(inserted) << "operation registered twice: " << name;
}

OpFn OperationRegistry::Find(std::string_view name) const {
  auto it = ops_.find(name);
  return it == ops_.end() ? nullptr : it->second;
}

std::string_view OperationRegistry::CanonicalName(std::string_view name) const {
  auto it = ops_.find(name);
  return it == ops_.end() ? std::string_view() : std::string_view(it->first);
}

std::vector<std::string_view> OperationRegistry::Names() const {
  std::vector<std::string_view> names;
  names.reserve(ops_.size());
  for (const auto& [name, fn] : ops_) {
    names.push_back(name);
  }
  return names;
}

}  // namespace berth::control
