// ListAccountSettings, PutAccountSetting, PutAccountSettingDefault,
// DeleteAccountSetting. Semantics: control/state/account_setting.h.

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/json/array.hpp"
#include "control/api/ecs_error.h"
#include "control/api/ops/ops.h"
#include "control/api/paging.h"
#include "control/api/request_decoder.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::control::ops {
namespace {

boost::json::object SettingJson(const state::AccountSetting& s) {
  return boost::json::object{{"name", s.name}, {"value", s.value}, {"principalArn", s.principal_arn}};
}

absl::Status CheckName(std::string_view name) {
  if (state::IsAccountSettingName(name)) {
    return absl::OkStatus();
  }
  return InvalidParameter(absl::StrCat(
      "Invalid account setting name '", Excerpt(name),
      "'. Valid names are serviceLongArnFormat, taskLongArnFormat, "
      "containerInstanceLongArnFormat, awsvpcTrunking and containerInsights."));
}

absl::Status CheckValue(std::string_view name, std::string_view value) {
  if (value != "enabled" && value != "disabled") {
    return InvalidParameter(absl::StrCat("Invalid value '", Excerpt(value), "' for ",
                                         Absl(name), ". Valid values are enabled and disabled."));
  }
  if (value == "disabled" && absl::EndsWith(Absl(name), "LongArnFormat")) {
    return InvalidParameter(absl::StrCat(Absl(name),
                                         " cannot be disabled: berth uses the long ARN and "
                                         "resource ID format only."));
  }
  return absl::OkStatus();
}

// An IAM principal of this account: arn:aws:iam::<account>:root, :user/...,
// or :role/....
absl::StatusOr<std::string> Principal(const OpContext& ctx, const Args& args) {
  std::optional<std::string> arn;
  RETURN_IF_ERROR(args.Get("principalArn", &arn));
  if (!arn.has_value()) {
    return ctx.principal;
  }
  std::string prefix = absl::StrCat("arn:aws:iam::", ctx.model.scope().account, ":");
  std::string_view rest = std::string_view(*arn).substr(std::min(arn->size(), prefix.size()));
  bool valid = absl::StartsWith(*arn, prefix) &&
               (rest == "root" ||
                ((absl::StartsWith(Absl(rest), "user/") || absl::StartsWith(Absl(rest), "role/")) &&
                 rest.size() > 5));
  if (!valid) {
    return InvalidParameter(absl::StrCat("principalArn '", Excerpt(*arn, 128),
                                         "' is not the ARN of an IAM user, role or the root "
                                         "user of account ",
                                         ctx.model.scope().account, "."));
  }
  return *arn;
}

absl::StatusOr<boost::json::object> ListAccountSettings(OpContext& ctx, const Args& args) {
  std::optional<std::string> name, value;
  std::optional<bool> effective;
  RETURN_IF_ERROR(args.Get("name", &name));
  RETURN_IF_ERROR(args.Get("value", &value));
  RETURN_IF_ERROR(args.Get("effectiveSettings", &effective));
  ASSIGN_OR_RETURN(std::string principal, Principal(ctx, args));
  ASSIGN_OR_RETURN(PageRequest page,
                   ReadPageRequest(args, "ListAccountSettings", kAccountSettingsPageLimits));
  if (name.has_value()) {
    RETURN_IF_ERROR(CheckName(*name));
  }
  if (value.has_value() && !name.has_value()) {
    return InvalidParameter("value can only be used together with name.");
  }
  std::vector<state::AccountSetting> settings;
  if (effective.value_or(false)) {
    for (std::string_view n : state::AccountSettingNames()) {
      settings.push_back(ctx.model.account_settings().Effective(principal, n));
    }
  } else {
    settings = ctx.model.account_settings().OwnSettings(principal);
  }
  std::erase_if(settings, [&](const state::AccountSetting& s) {
    return (name.has_value() && s.name != *name) || (value.has_value() && s.value != *value);
  });
  std::sort(settings.begin(), settings.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  boost::json::array out;
  std::string last;
  size_t i = 0;
  for (; i < settings.size(); ++i) {
    if (page.has_token && settings[i].name <= page.after) {
      continue;
    }
    if (out.size() == static_cast<size_t>(page.max_results)) {
      break;
    }
    out.push_back(SettingJson(settings[i]));
    last = settings[i].name;
  }
  boost::json::object result{{"settings", std::move(out)}};
  if (i < settings.size()) {
    result["nextToken"] = EncodeNextToken("ListAccountSettings", last);
  }
  return result;
}

absl::StatusOr<boost::json::object> Put(OpContext& ctx, const Args& args, bool account_default) {
  std::string name, value;
  RETURN_IF_ERROR(args.Require("name", &name));
  RETURN_IF_ERROR(args.Require("value", &value));
  std::string principal = ctx.model.root_principal_arn();
  if (!account_default) {
    ASSIGN_OR_RETURN(principal, Principal(ctx, args));
  }
  RETURN_IF_ERROR(CheckName(name));
  RETURN_IF_ERROR(CheckValue(name, value));
  state::AccountSetting setting{name, value, principal};
  const state::AccountSetting* current = ctx.model.account_settings().Find(principal, name);
  if (current == nullptr || !(*current == setting)) {
    ctx.model.account_settings().Put(setting, ctx.changes);
  }
  return boost::json::object{{"setting", SettingJson(setting)}};
}

absl::StatusOr<boost::json::object> PutAccountSetting(OpContext& ctx, const Args& args) {
  return Put(ctx, args, /*account_default=*/false);
}

absl::StatusOr<boost::json::object> PutAccountSettingDefault(OpContext& ctx, const Args& args) {
  return Put(ctx, args, /*account_default=*/true);
}

// Returns the removed setting; with nothing to remove, the setting that
// applies to the principal (deleting is idempotent).
absl::StatusOr<boost::json::object> DeleteAccountSetting(OpContext& ctx, const Args& args) {
  std::string name;
  RETURN_IF_ERROR(args.Require("name", &name));
  ASSIGN_OR_RETURN(std::string principal, Principal(ctx, args));
  RETURN_IF_ERROR(CheckName(name));
  std::optional<state::AccountSetting> removed =
      ctx.model.account_settings().Remove(principal, name, ctx.changes);
  state::AccountSetting shown =
      removed.has_value() ? *removed : ctx.model.account_settings().Effective(principal, name);
  shown.principal_arn = principal;
  return boost::json::object{{"setting", SettingJson(shown)}};
}

}  // namespace

void RegisterAccountSettingOperations(OperationRegistry& registry) {
  registry.Add("ListAccountSettings", &ListAccountSettings);
  registry.Add("PutAccountSetting", &PutAccountSetting);
  registry.Add("PutAccountSettingDefault", &PutAccountSettingDefault);
  registry.Add("DeleteAccountSetting", &DeleteAccountSetting);
}

}  // namespace berth::control::ops
