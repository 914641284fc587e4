#ifndef BERTH_ECS_TAG_H_
#define BERTH_ECS_TAG_H_

#include <string>
#include <vector>

namespace berth::ecs {

// ECS `Tag`: metadata on a taggable resource (cluster, task definition,
// task, service, container instance). Keys are unique per resource.
struct Tag {
  std::string key;
  std::string value;

  friend bool operator==(const Tag&, const Tag&) = default;
};

// Limits from the ECS model (TagKey, TagValue, Tags) and its documentation.
inline constexpr size_t kMaxTagsPerResource = 50;  // not counting aws: tags
inline constexpr size_t kMaxTagKeyLength = 128;    // Unicode characters
inline constexpr size_t kMaxTagValueLength = 256;  // Unicode characters

}  // namespace berth::ecs

#endif  // BERTH_ECS_TAG_H_
