#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/control/api/op_harness.h"

namespace berth::control {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::Json;

constexpr char kRoot[] = "arn:aws:iam::000000000000:root";
constexpr char kUser[] = "arn:aws:iam::000000000000:user/ann";

class AccountSettingOpsTest : public ::testing::Test {
 protected:
  testing::OpHarness h_;
};

TEST_F(AccountSettingOpsTest, EffectiveSettingsListEveryNameAlphabetically) {
  boost::json::object out = h_.Ok("ListAccountSettings", R"({"effectiveSettings":true})");
  EXPECT_EQ(Json(out.at("settings")),
            R"([{"name":"awsvpcTrunking","value":"disabled","principalArn":")" +
                std::string(kRoot) +
                R"("},{"name":"containerInsights","value":"disabled","principalArn":")" + kRoot +
                R"("},{"name":"containerInstanceLongArnFormat","value":"enabled","principalArn":")" +
                kRoot +
                R"("},{"name":"serviceLongArnFormat","value":"enabled","principalArn":")" + kRoot +
                R"("},{"name":"taskLongArnFormat","value":"enabled","principalArn":")" + kRoot +
                R"("}])");
  EXPECT_FALSE(out.contains("nextToken"));
  // Without effectiveSettings only explicit settings are listed.
  EXPECT_EQ(Json(h_.Ok("ListAccountSettings", "{}").at("settings")), "[]");
}

TEST_F(AccountSettingOpsTest, PutDefaultThenPrincipalOverride) {
  boost::json::object out =
      h_.Ok("PutAccountSettingDefault", R"({"name":"containerInsights","value":"enabled"})");
  EXPECT_EQ(Json(out.at("setting")),
            R"({"name":"containerInsights","value":"enabled","principalArn":")" +
                std::string(kRoot) + "\"}");
  EXPECT_EQ(h_.changes().size(), 1u);
  h_.Ok("PutAccountSettingDefault", R"({"name":"containerInsights","value":"enabled"})");
  EXPECT_TRUE(h_.changes().empty());
  out = h_.Ok("PutAccountSetting", std::string(R"({"name":"containerInsights","value":"disabled",)"
                                               R"("principalArn":")") + kUser + "\"}");
  EXPECT_EQ(out.at("setting").at("principalArn").as_string(), kUser);
  auto effective = [&](const std::string& principal) {
    return std::string(h_.Ok("ListAccountSettings",
                             R"({"effectiveSettings":true,"name":"containerInsights",)"
                             R"("principalArn":")" + principal + "\"}")
                           .at("settings")
                           .as_array()[0]
                           .at("value")
                           .as_string());
  };
  EXPECT_EQ(effective(kUser), "disabled");
  EXPECT_EQ(effective("arn:aws:iam::000000000000:role/other"), "enabled");
  // Filters.
  EXPECT_EQ(h_.Ok("ListAccountSettings", R"({"name":"containerInsights","value":"disabled"})")
                .at("settings")
                .as_array()
                .size(),
            0u);  // the caller (root) has "enabled"
  EXPECT_EQ(h_.Error("ListAccountSettings", R"({"value":"enabled"})"),
            "InvalidParameterException: value can only be used together with name.");
  // Delete returns what was removed, then the default applies again.
  out = h_.Ok("DeleteAccountSetting",
              std::string(R"({"name":"containerInsights","principalArn":")") + kUser + "\"}");
  EXPECT_EQ(Json(out.at("setting")),
            R"({"name":"containerInsights","value":"disabled","principalArn":")" +
                std::string(kUser) + "\"}");
  EXPECT_EQ(h_.changes().size(), 1u);
  EXPECT_EQ(effective(kUser), "enabled");
  out = h_.Ok("DeleteAccountSetting",
              std::string(R"({"name":"containerInsights","principalArn":")") + kUser + "\"}");
  EXPECT_TRUE(h_.changes().empty());
  EXPECT_EQ(out.at("setting").at("value").as_string(), "enabled");
}

TEST_F(AccountSettingOpsTest, NamesValuesAndPrincipalsAreChecked) {
  EXPECT_THAT(h_.Error("PutAccountSetting", R"({"name":"fargateFSP","value":"enabled"})"),
              StartsWith("InvalidParameterException: Invalid account setting name 'fargateFSP'"));
  EXPECT_EQ(h_.Error("PutAccountSetting", R"({"name":"containerInsights","value":"on"})"),
            "InvalidParameterException: Invalid value 'on' for containerInsights. Valid values "
            "are enabled and disabled.");
  EXPECT_THAT(h_.Error("PutAccountSettingDefault",
                       R"({"name":"taskLongArnFormat","value":"disabled"})"),
              HasSubstr("taskLongArnFormat cannot be disabled"));
  EXPECT_EQ(h_.Error("PutAccountSetting", R"({"name":"containerInsights"})"),
            "InvalidParameterException: Missing required parameter 'value'.");
  EXPECT_THAT(h_.Error("PutAccountSetting", R"({"name":"containerInsights","value":"enabled",)"
                                            R"("principalArn":"arn:aws:iam::111111111111:root"})"),
              HasSubstr("is not the ARN of an IAM user, role or the root user of account "
                        "000000000000"));
  EXPECT_THAT(h_.Error("DeleteAccountSetting",
                       R"({"name":"containerInsights","principalArn":"bob"})"),
              StartsWith("InvalidParameterException: principalArn 'bob'"));
  EXPECT_EQ(h_.Error("DeleteAccountSetting", "{}"),
            "InvalidParameterException: Missing required parameter 'name'.");
}

TEST_F(AccountSettingOpsTest, ListPagesWithTheModelsLimits) {
  boost::json::object first =
      h_.Ok("ListAccountSettings", R"({"effectiveSettings":true,"maxResults":2})");
  ASSERT_EQ(first.at("settings").as_array().size(), 2u);
  std::string token(first.at("nextToken").as_string());
  boost::json::object second = h_.Ok(
      "ListAccountSettings",
      R"({"effectiveSettings":true,"maxResults":10,"nextToken":")" + token + "\"}");
  EXPECT_EQ(second.at("settings").as_array().size(), 3u);
  EXPECT_EQ(second.at("settings").as_array()[0].at("name").as_string(),
            "containerInstanceLongArnFormat");
  EXPECT_FALSE(second.contains("nextToken"));
  EXPECT_EQ(h_.Error("ListAccountSettings", R"({"maxResults":11})"),
            "InvalidParameterException: maxResults must be between 1 and 10.");
}

}  // namespace
}  // namespace berth::control
