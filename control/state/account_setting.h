#ifndef BERTH_CONTROL_STATE_ACCOUNT_SETTING_H_
#define BERTH_CONTROL_STATE_ACCOUNT_SETTING_H_

// Account settings (PutAccountSetting, PutAccountSettingDefault, ...): a
// value per (principal, setting name). The account default is the setting of
// the account's root principal, arn:aws:iam::<account>:root; a principal
// without its own setting gets the default, and without a default the
// built-in value below.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "control/state/change_set.h"

namespace berth::control::state {

struct AccountSetting {
  std::string name;
  std::string value;
  std::string principal_arn;

  friend bool operator==(const AccountSetting&, const AccountSetting&) = default;
};

// The model's SettingName enum, in its order.
const std::vector<std::string_view>& AccountSettingNames();
bool IsAccountSettingName(std::string_view name);
// The value a setting has when nobody set it: "enabled" for the long ARN
// formats (berth mints long ARNs only), "disabled" for the others.
std::string_view BuiltinAccountSettingValue(std::string_view name);

// The store key of a principal's setting: "<principal ARN> <name>".
std::string AccountSettingKey(std::string_view principal_arn, std::string_view name);

class AccountSettingTable {
 public:
  static constexpr std::string_view kTable = "account_settings";

  explicit AccountSettingTable(std::string root_principal_arn)
      : root_(std::move(root_principal_arn)) {}

  const std::string& root_principal_arn() const { return root_; }

  // The principal's own setting, or nullptr.
  const AccountSetting* Find(std::string_view principal_arn, std::string_view name) const;
  // The principal's own settings, by name.
  std::vector<AccountSetting> OwnSettings(std::string_view principal_arn) const;
  // What applies to the principal: its own, else the account default, else
  // the built-in value (principalArn is then the root's).
  AccountSetting Effective(std::string_view principal_arn, std::string_view name) const;

  void Put(AccountSetting setting, ChangeSet& changes);
  // Removes the principal's own setting; returns it, or nullopt if none.
  std::optional<AccountSetting> Remove(std::string_view principal_arn, std::string_view name,
                                       ChangeSet& changes);

  // Start-up: one stored record.
  absl::Status Load(std::string_view key, std::string_view value);

 private:
  std::string root_;
  std::map<std::string, AccountSetting, std::less<>> by_key_;
};

}  // namespace berth::control::state

#endif  // BERTH_CONTROL_STATE_ACCOUNT_SETTING_H_
