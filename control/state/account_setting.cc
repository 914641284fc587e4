#include "control/state/account_setting.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "control/state/records.h"
#include "io/absl_compat.h"

namespace berth::control::state {

const std::vector<std::string_view>& AccountSettingNames() {
  static const auto* names = new std::vector<std::string_view>{
      "serviceLongArnFormat", "taskLongArnFormat", "containerInstanceLongArnFormat",
      "awsvpcTrunking", "containerInsights"};
  return *names;
}

bool IsAccountSettingName(std::string_view name) {
  for (std::string_view n : AccountSettingNames()) {
    if (n == name) {
      return true;
    }
  }
  return false;
}

std::string_view BuiltinAccountSettingValue(std::string_view name) {
  return absl::EndsWith(Absl(name), "LongArnFormat") ? "enabled" : "disabled";
}

std::string AccountSettingKey(std::string_view principal_arn, std::string_view name) {
  return absl::StrCat(Absl(principal_arn), " ", Absl(name));
}

const AccountSetting* AccountSettingTable::Find(std::string_view principal_arn,
                                                std::string_view name) const {
  auto it = by_key_.find(AccountSettingKey(principal_arn, name));
  return it == by_key_.end() ? nullptr : &it->second;
}

std::vector<AccountSetting> AccountSettingTable::OwnSettings(
    std::string_view principal_arn) const {
  std::vector<AccountSetting> out;
  std::string prefix = absl::StrCat(Absl(principal_arn), " ");
  for (auto it = by_key_.lower_bound(prefix);
       it != by_key_.end() && absl::StartsWith(it->first, prefix); ++it) {
    out.push_back(it->second);
  }
  return out;
}

AccountSetting AccountSettingTable::Effective(std::string_view principal_arn,
                                              std::string_view name) const {
  if (const AccountSetting* own = Find(principal_arn, name)) {
    return *own;
  }
  if (const AccountSetting* account_default = Find(root_, name)) {
    return *account_default;
  }
  return AccountSetting{std::string(name), std::string(BuiltinAccountSettingValue(name)), root_};
}

void AccountSettingTable::Put(AccountSetting setting, ChangeSet& changes) {
  std::string key = AccountSettingKey(setting.principal_arn, setting.name);
  changes.Put(kTable, key, EncodeAccountSetting(setting));
  by_key_.insert_or_assign(std::move(key), std::move(setting));
}

std::optional<AccountSetting> AccountSettingTable::Remove(std::string_view principal_arn,
                                                          std::string_view name,
                                                          ChangeSet& changes) {
  auto it = by_key_.find(AccountSettingKey(principal_arn, name));
  if (it == by_key_.end()) {
    return std::nullopt;
  }
  AccountSetting removed = std::move(it->second);
  changes.Delete(kTable, it->first);
  by_key_.erase(it);
  return removed;
}

absl::Status AccountSettingTable::Load(std::string_view key, std::string_view value) {
  absl::StatusOr<AccountSetting> setting = DecodeAccountSetting(value);
  if (!setting.ok()) {
    return setting.status();
  }
  if (AccountSettingKey(setting->principal_arn, setting->name) != key) {
    return absl::DataLossError(absl::StrCat("the record does not match its key"));
  }
  by_key_.insert_or_assign(std::string(key), *std::move(setting));
  return absl::OkStatus();
}

}  // namespace berth::control::state
