#ifndef BERTH_CONTROL_API_OPS_VALIDATE_H_
#define BERTH_CONTROL_API_OPS_VALIDATE_H_

// Checks shared by operations: names, tags, cluster settings. Each returns
// InvalidParameterException with the ECS-style message users see.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "boost/json/value.hpp"
#include "control/api/args.h"
#include "control/api/ecs_error.h"
#include "io/absl_compat.h"
#include "ecs/cluster.h"
#include "ecs/tag.h"

namespace berth::control::ops {

// A list of structures decoded by an ecs codec; absent → `*out` unchanged;
// an element the codec refuses is InvalidParameterException.
template <typename T>
absl::Status ReadCodecList(const Args& args, std::string_view key,
                           absl::StatusOr<T> (*decode)(const boost::json::value&,
                                                       const std::string&),
                           std::optional<std::vector<T>>* out) {
  const boost::json::value* value = args.object().if_contains(key);
  if (value == nullptr || value->is_null()) {
    return absl::OkStatus();
  }
  const boost::json::array* list = value->if_array();
  if (list == nullptr) {
    return WrongType(args.Path(key), "a list", *value);
  }
  std::vector<T> result;
  for (size_t i = 0; i < list->size(); ++i) {
    absl::StatusOr<T> item = decode((*list)[i], args.ElementPath(key, i));
    if (!item.ok()) {
      return InvalidParameter(Std(item.status().message()));
    }
    result.push_back(*std::move(item));
  }
  *out = std::move(result);
  return absl::OkStatus();
}


// Cluster (and service) names: 1–255 of [A-Za-z0-9_-].
bool IsValidResourceName(std::string_view name);
absl::Status ValidateClusterName(std::string_view name);

// The number of Unicode characters in UTF-8 `text`.
size_t Utf8Length(std::string_view text);

// Reads a `Tags` member (list of {key, value}); value defaults to "".
absl::Status ReadTags(const Args& args, std::string_view key,
                      std::optional<std::vector<ecs::Tag>>* out);
// Per tag: key 1–128 and value 0–256 characters of letters, numbers, spaces
// and _ . : / = + - @; no "aws:" prefix (any case) on either; keys unique.
absl::Status ValidateTags(const std::vector<ecs::Tag>& tags);
// Tag keys of UntagResource: the same key rules.
absl::Status ValidateTagKeys(const std::vector<std::string>& keys);
// `current` with `added` merged in (same key → new value), checked against
// the 50-per-resource limit (aws: tags do not count).
absl::StatusOr<std::vector<ecs::Tag>> MergeTags(const std::vector<ecs::Tag>& current,
                                                const std::vector<ecs::Tag>& added);

// Reads a `ClusterSettings` member and checks it: name containerInsights,
// value enabled | disabled.
absl::Status ReadClusterSettings(const Args& args, std::string_view key,
                                 std::optional<std::vector<ecs::ClusterSetting>>* out);
// `current` with `updates` applied by name.
std::vector<ecs::ClusterSetting> MergeSettings(std::vector<ecs::ClusterSetting> current,
                                               const std::vector<ecs::ClusterSetting>& updates);

// Reads and checks a `ClusterConfiguration` member; returns only the members
// the model has, typed as the model says.
absl::Status ReadClusterConfiguration(const Args& args, std::string_view key,
                                      std::optional<boost::json::object>* out);

}  // namespace berth::control::ops

#endif  // BERTH_CONTROL_API_OPS_VALIDATE_H_
