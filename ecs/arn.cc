#include "ecs/arn.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "io/absl_compat.h"

namespace berth::ecs {
namespace {

std::string Prefix(const ArnScope& scope) {
  return absl::StrCat("arn:aws:ecs:", scope.region, ":", scope.account, ":");
}

bool IsClusterScoped(std::string_view kind) {
  return kind == kArnKindContainerInstance || kind == kArnKindTask || kind == kArnKindService ||
         kind == "task-set";
}

}  // namespace

std::string Arn::ToString() const {
  return absl::StrCat("arn:", partition, ":", service, ":", region, ":", account, ":", kind, "/",
                      resource);
}

std::string_view Arn::Id() const {
  std::string_view r = resource;
  size_t slash = r.rfind('/');
  return slash == std::string_view::npos ? r : r.substr(slash + 1);
}

std::string_view Arn::Cluster() const {
  if (!IsClusterScoped(kind)) {
    return {};
  }
  std::string_view r = resource;
  size_t slash = r.find('/');
  return slash == std::string_view::npos ? std::string_view() : r.substr(0, slash);
}

absl::StatusOr<Arn> ParseArn(std::string_view text) {
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ARN \"", Absl(text), "\": ", Absl(why)));
  };
  std::vector<absl::string_view> parts = absl::StrSplit(Absl(text), absl::MaxSplits(':', 5));
  if (parts.size() != 6 || parts[0] != "arn") {
    return invalid("expected arn:<partition>:<service>:<region>:<account>:<resource>");
  }
  Arn arn;
  arn.partition = std::string(parts[1]);
  arn.service = std::string(parts[2]);
  arn.region = std::string(parts[3]);
  arn.account = std::string(parts[4]);
  if (arn.partition.empty() || arn.service.empty()) {
    return invalid("empty partition or service");
  }
  absl::string_view rest = parts[5];
  size_t slash = rest.find('/');
  if (slash == absl::string_view::npos || slash == 0 || slash + 1 == rest.size()) {
    return invalid("expected <kind>/<resource> after the account");
  }
  arn.kind = std::string(rest.substr(0, slash));
  arn.resource = std::string(rest.substr(slash + 1));
  return arn;
}

std::string ClusterArn(const ArnScope& scope, std::string_view cluster) {
  return absl::StrCat(Prefix(scope), Absl(kArnKindCluster), "/", Absl(cluster));
}

std::string ContainerInstanceArn(const ArnScope& scope, std::string_view cluster,
                                 std::string_view id) {
  return absl::StrCat(Prefix(scope), Absl(kArnKindContainerInstance), "/", Absl(cluster), "/", Absl(id));
}

std::string TaskArn(const ArnScope& scope, std::string_view cluster, std::string_view id) {
  return absl::StrCat(Prefix(scope), Absl(kArnKindTask), "/", Absl(cluster), "/", Absl(id));
}

std::string ServiceArn(const ArnScope& scope, std::string_view cluster, std::string_view name) {
  return absl::StrCat(Prefix(scope), Absl(kArnKindService), "/", Absl(cluster), "/", Absl(name));
}

std::string TaskDefinitionArn(const ArnScope& scope, std::string_view family, int32_t revision) {
  return absl::StrCat(Prefix(scope), Absl(kArnKindTaskDefinition), "/", Absl(family), ":", revision);
}

std::string NewResourceId(io::Rng& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    uint64_t bits = rng.Next();
    for (int i = 0; i < 16; ++i) {
      id[half * 16 + i] = kHex[(bits >> (4 * i)) & 0xf];
    }
  }
  return id;
}

std::string_view IdOfArnOrId(std::string_view arn_or_id) {
  if (arn_or_id.substr(0, 4) != "arn:") {
    return arn_or_id;
  }
  size_t slash = arn_or_id.rfind('/');
  return slash == std::string_view::npos ? arn_or_id : arn_or_id.substr(slash + 1);
}

}  // namespace berth::ecs
