#ifndef BERTH_ECS_ARN_H_
#define BERTH_ECS_ARN_H_

// ECS ARNs in the long (cluster-scoped) format:
//   arn:aws:ecs:<region>:<account>:cluster/<cluster>
//   arn:aws:ecs:<region>:<account>:container-instance/<cluster>/<id>
//   arn:aws:ecs:<region>:<account>:task/<cluster>/<id>
//   arn:aws:ecs:<region>:<account>:service/<cluster>/<name>
//   arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>
// IDs are 32 lowercase hex digits (the new format, no hyphens).

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "io/rng.h"

namespace berth::ecs {

// Where ARNs are minted: region and account come from configuration.
struct ArnScope {
  std::string region = "us-east-1";
  std::string account = "000000000000";
};

inline constexpr std::string_view kArnKindCluster = "cluster";
inline constexpr std::string_view kArnKindContainerInstance = "container-instance";
inline constexpr std::string_view kArnKindTask = "task";
inline constexpr std::string_view kArnKindService = "service";
inline constexpr std::string_view kArnKindTaskDefinition = "task-definition";

// A parsed ARN. `resource` is everything after "<kind>/".
struct Arn {
  std::string partition;  // "aws"
  std::string service;    // "ecs"
  std::string region;
  std::string account;
  std::string kind;       // "task", "container-instance", ...
  std::string resource;   // "<cluster>/<id>", "<family>:<revision>", ...

  friend bool operator==(const Arn&, const Arn&) = default;

  std::string ToString() const;
  // The last '/'-separated part of `resource` (the id or name).
  std::string_view Id() const;
  // For a cluster-scoped kind in the long format, the cluster name; "" for
  // the short format (no cluster in the ARN) and for unscoped kinds.
  std::string_view Cluster() const;
};

// Parses "arn:<partition>:<service>:<region>:<account>:<kind>/<resource>".
// InvalidArgument naming what is wrong.
absl::StatusOr<Arn> ParseArn(std::string_view text);

std::string ClusterArn(const ArnScope& scope, std::string_view cluster);
std::string ContainerInstanceArn(const ArnScope& scope, std::string_view cluster,
                                 std::string_view id);
std::string TaskArn(const ArnScope& scope, std::string_view cluster, std::string_view id);
std::string ServiceArn(const ArnScope& scope, std::string_view cluster, std::string_view name);
std::string TaskDefinitionArn(const ArnScope& scope, std::string_view family, int32_t revision);

// A fresh 32-hex-digit resource id drawn from `rng`.
std::string NewResourceId(io::Rng& rng);

// The id of "id or ARN" API arguments: the text after the last '/' of an
// ARN, or the text itself when it is not an ARN.
std::string_view IdOfArnOrId(std::string_view arn_or_id);

}  // namespace berth::ecs

#endif  // BERTH_ECS_ARN_H_
