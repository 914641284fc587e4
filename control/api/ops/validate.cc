#include "control/api/ops/validate.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "control/api/ecs_error.h"
#include "control/api/request_decoder.h"
#include "io/absl_compat.h"
#include "io/status.h"
#include "re2/re2.h"

namespace berth::control::ops {
namespace {

// The model's TagKey / TagValue pattern.
const RE2& TagPattern() {
  static const auto* re = new RE2(R"(^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$)");
  return *re;
}

bool HasReservedPrefix(std::string_view text) {
  return absl::StartsWithIgnoreCase(Absl(text), "aws:");
}

absl::Status CheckTagKey(std::string_view key) {
  size_t length = Utf8Length(key);
  if (length < 1 || length > ecs::kMaxTagKeyLength) {
    return InvalidParameter(absl::StrCat("Tag keys must be between 1 and ",
                                         ecs::kMaxTagKeyLength, " characters long; '",
                                         Excerpt(key), "' has ", length, "."));
  }
  if (!RE2::FullMatch(re2::StringPiece(key.data(), key.size()), TagPattern())) {
    return InvalidParameter(absl::StrCat(
        "Tag key '", Excerpt(key),
        "' has characters that are not allowed: use letters, numbers, spaces and _ . : / = + - @."));
  }
  if (HasReservedPrefix(key)) {
    return InvalidParameter(absl::StrCat("Tag key '", Excerpt(key),
                                         "' uses the prefix 'aws:', which is reserved for AWS use."));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsValidResourceName(std::string_view name) {
  if (name.empty() || name.size() > ecs::kMaxClusterNameLength) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

absl::Status ValidateClusterName(std::string_view name) {
  if (IsValidResourceName(name)) {
    return absl::OkStatus();
  }
  return InvalidParameter(
      "Cluster name must be 1 to 255 characters long and can contain only letters "
      "(uppercase and lowercase), numbers, underscores and hyphens.");
}

size_t Utf8Length(std::string_view text) {
  return static_cast<size_t>(std::count_if(
      text.begin(), text.end(), [](char c) { return (static_cast<uint8_t>(c) & 0xc0) != 0x80; }));
}

absl::Status ReadTags(const Args& args, std::string_view key,
                      std::optional<std::vector<ecs::Tag>>* out) {
  return args.GetList(key, out, [](const Args& element, ecs::Tag* tag) -> absl::Status {
    std::optional<std::string> k, v;
    if (absl::Status s = element.Get("key", &k); !s.ok()) {
      return s;
    }
    if (absl::Status s = element.Get("value", &v); !s.ok()) {
      return s;
    }
    if (!k.has_value()) {
      return MissingParameter(element.Path("key"));
    }
    tag->key = *std::move(k);
    tag->value = v.value_or("");
    return absl::OkStatus();
  });
}

absl::Status ValidateTags(const std::vector<ecs::Tag>& tags) {
  if (tags.size() > ecs::kMaxTagsPerResource) {
    return InvalidParameter(absl::StrCat("A request can have at most ", ecs::kMaxTagsPerResource,
                                         " tags; this one has ", tags.size(), "."));
  }
  std::set<std::string_view> keys;
  for (const ecs::Tag& tag : tags) {
    if (absl::Status s = CheckTagKey(tag.key); !s.ok()) {
      return s;
    }
    size_t length = Utf8Length(tag.value);
    if (length > ecs::kMaxTagValueLength) {
      return InvalidParameter(absl::StrCat("Tag values can be at most ", ecs::kMaxTagValueLength,
                                           " characters long; the value of '", Excerpt(tag.key),
                                           "' has ", length, "."));
    }
    if (!RE2::FullMatch(re2::StringPiece(tag.value), TagPattern())) {
      return InvalidParameter(absl::StrCat(
          "The value of tag '", Excerpt(tag.key),
          "' has characters that are not allowed: use letters, numbers, spaces and "
          "_ . : / = + - @."));
    }
    if (HasReservedPrefix(tag.value)) {
      return InvalidParameter(absl::StrCat(
          "The value of tag '", Excerpt(tag.key),
          "' uses the prefix 'aws:', which is reserved for AWS use."));
    }
    if (!keys.insert(tag.key).second) {
      return InvalidParameter(
          absl::StrCat("Tag key '", Excerpt(tag.key), "' appears more than once; tag keys "
                                                       "must be unique."));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateTagKeys(const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    if (absl::Status s = CheckTagKey(key); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ecs::Tag>> MergeTags(const std::vector<ecs::Tag>& current,
                                                const std::vector<ecs::Tag>& added) {
  std::vector<ecs::Tag> merged = current;
  for (const ecs::Tag& tag : added) {
    auto it = std::find_if(merged.begin(), merged.end(),
                           [&](const ecs::Tag& t) { return t.key == tag.key; });
    if (it != merged.end()) {
      it->value = tag.value;
    } else {
      merged.push_back(tag);
    }
  }
  size_t counted = static_cast<size_t>(std::count_if(
      merged.begin(), merged.end(), [](const ecs::Tag& t) { return !HasReservedPrefix(t.key); }));
  if (counted > ecs::kMaxTagsPerResource) {
    return InvalidParameter(absl::StrCat("A resource can have at most ",
                                         ecs::kMaxTagsPerResource,
                                         " tags; this request would leave it with ", counted,
                                         "."));
  }
  return merged;
}

absl::Status ReadClusterSettings(const Args& args, std::string_view key,
                                 std::optional<std::vector<ecs::ClusterSetting>>* out) {
  return args.GetList(key, out, [](const Args& element, ecs::ClusterSetting* setting) {
    std::optional<std::string> name, value;
    if (absl::Status s = element.Get("name", &name); !s.ok()) {
      return s;
    }
    if (absl::Status s = element.Get("value", &value); !s.ok()) {
      return s;
    }
    if (!name.has_value()) {
      return MissingParameter(element.Path("name"));
    }
    if (*name != ecs::kSettingContainerInsights) {
      return InvalidParameter(absl::StrCat("Invalid cluster setting name '", Excerpt(*name),
                                           "'. The supported name is containerInsights."));
    }
    if (!value.has_value() || (*value != "enabled" && *value != "disabled")) {
      return InvalidParameter(absl::StrCat(
          "Invalid value '", Excerpt(value.value_or("")),
          "' for cluster setting containerInsights. Valid values are enabled and disabled."));
    }
    setting->name = *std::move(name);
    setting->value = *std::move(value);
    return absl::OkStatus();
  });
}

std::vector<ecs::ClusterSetting> MergeSettings(std::vector<ecs::ClusterSetting> current,
                                               const std::vector<ecs::ClusterSetting>& updates) {
  for (const ecs::ClusterSetting& update : updates) {
    auto it = std::find_if(current.begin(), current.end(),
                           [&](const ecs::ClusterSetting& s) { return s.name == update.name; });
    if (it != current.end()) {
      it->value = update.value;
    } else {
      current.push_back(update);
    }
  }
  return current;
}

absl::Status ReadClusterConfiguration(const Args& args, std::string_view key,
                                      std::optional<boost::json::object>* out) {
  const boost::json::object* config = nullptr;
  if (absl::Status s = args.GetObject(key, &config); !s.ok() || config == nullptr) {
    return s;
  }
  Args config_args(*config, args.Path(key));
  boost::json::object result;
  const boost::json::object* exec = nullptr;
  if (absl::Status s = config_args.GetObject("executeCommandConfiguration", &exec); !s.ok()) {
    return s;
  }
  if (exec != nullptr) {
    Args exec_args(*exec, config_args.Path("executeCommandConfiguration"));
    boost::json::object exec_out;
    std::optional<std::string> kms_key_id, logging;
    RETURN_IF_ERROR(exec_args.Get("kmsKeyId", &kms_key_id));
    RETURN_IF_ERROR(exec_args.Get("logging", &logging));
    if (kms_key_id.has_value()) {
      exec_out["kmsKeyId"] = *kms_key_id;
    }
    if (logging.has_value()) {
      if (*logging != "NONE" && *logging != "DEFAULT" && *logging != "OVERRIDE") {
        return InvalidParameter(absl::StrCat("Invalid value '", Excerpt(*logging), "' for ",
                                             exec_args.Path("logging"),
                                             ". Valid values are NONE, DEFAULT and OVERRIDE."));
      }
      exec_out["logging"] = *logging;
    }
    const boost::json::object* log_config = nullptr;
    RETURN_IF_ERROR(exec_args.GetObject("logConfiguration", &log_config));
    if (log_config != nullptr) {
      if (logging != "OVERRIDE") {
        return InvalidParameter(absl::StrCat(exec_args.Path("logConfiguration"),
                                             " can only be set when logging is OVERRIDE."));
      }
      Args log_args(*log_config, exec_args.Path("logConfiguration"));
      boost::json::object log_out;
      for (std::string_view member : {"cloudWatchLogGroupName", "s3BucketName", "s3KeyPrefix"}) {
        std::optional<std::string> v;
        RETURN_IF_ERROR(log_args.Get(member, &v));
        if (v.has_value()) {
          log_out[member] = *v;
        }
      }
      for (std::string_view member : {"cloudWatchEncryptionEnabled", "s3EncryptionEnabled"}) {
        std::optional<bool> v;
        RETURN_IF_ERROR(log_args.Get(member, &v));
        if (v.has_value()) {
          log_out[member] = *v;
        }
      }
      exec_out["logConfiguration"] = std::move(log_out);
    } else if (logging == "OVERRIDE") {
      return InvalidParameter(absl::StrCat(exec_args.Path("logConfiguration"),
                                           " is required when logging is OVERRIDE."));
    }
    result["executeCommandConfiguration"] = std::move(exec_out);
  }
  *out = std::move(result);
  return absl::OkStatus();
}

}  // namespace berth::control::ops
