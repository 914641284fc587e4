#ifndef BERTH_ECS_CLUSTER_H_
#define BERTH_ECS_CLUSTER_H_

// ECS `Cluster` as berth stores it: what users set (name, tags, settings,
// configuration) and its status. The counts DescribeClusters shows
// (registered instances, running and pending tasks, active services) are not
// stored: the control plane computes them from its model.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "boost/json/object.hpp"
#include "ecs/tag.h"

namespace berth::ecs {

inline constexpr std::string_view kClusterStatusActive = "ACTIVE";
inline constexpr std::string_view kClusterStatusInactive = "INACTIVE";
inline constexpr std::string_view kDefaultClusterName = "default";
inline constexpr size_t kMaxClusterNameLength = 255;

// `ClusterSetting`; the model's only name is "containerInsights", with the
// values "enabled" and "disabled".
struct ClusterSetting {
  std::string name;
  std::string value;

  friend bool operator==(const ClusterSetting&, const ClusterSetting&) = default;
};

inline constexpr std::string_view kSettingContainerInsights = "containerInsights";

struct Cluster {
  std::string name;
  std::string status{kClusterStatusActive};
  std::vector<Tag> tags;
  std::vector<ClusterSetting> settings;
  // `ClusterConfiguration` (executeCommandConfiguration), kept as the
  // validated JSON the user sent; berth stores and echoes it.
  std::optional<boost::json::object> configuration;

  bool active() const { return status == kClusterStatusActive; }
};

}  // namespace berth::ecs

#endif  // BERTH_ECS_CLUSTER_H_
