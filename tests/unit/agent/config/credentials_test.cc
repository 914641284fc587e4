#include "agent/config/credentials.h"

#include <string>

#include "absl/status/status.h"
#include "agent/config/ini_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace berth::agent::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(IniFileTest, SectionsKeysCommentsAndDelimiters) {
  absl::StatusOr<IniFile> ini = ParseIni(
      "# comment\n; another\n[default]\naws_access_key_id = AKID\nAWS_Secret_Access_Key:secret\n"
      "\n[profile dev]\nregion=eu-west-1   \nempty =\n");
  ASSERT_TRUE(ini.ok()) << ini.status();
  EXPECT_EQ(ini->sections.at("default").at("aws_access_key_id"), "AKID");
  EXPECT_EQ(ini->sections.at("default").at("aws_secret_access_key"), "secret");
  EXPECT_EQ(ini->sections.at("profile dev").at("region"), "eu-west-1");
  EXPECT_EQ(ini->sections.at("profile dev").at("empty"), "");
}

TEST(IniFileTest, FirstDelimiterSplitsAndInlineHashIsKept) {
  absl::StatusOr<IniFile> ini = ParseIni("[a]\nk = v=w:x # not a comment\nu: http://x\n");
  ASSERT_TRUE(ini.ok()) << ini.status();
  EXPECT_EQ(ini->sections.at("a").at("k"), "v=w:x # not a comment");
  EXPECT_EQ(ini->sections.at("a").at("u"), "http://x");
}

TEST(IniFileTest, IndentedLinesContinueTheValue) {
  absl::StatusOr<IniFile> ini =
      ParseIni("[default]\ns3 =\n  max_concurrent_requests = 10\n  addressing_style = path\nk = v\n");
  ASSERT_TRUE(ini.ok()) << ini.status();
  EXPECT_EQ(ini->sections.at("default").at("s3"),
            "\nmax_concurrent_requests = 10\naddressing_style = path");
  EXPECT_EQ(ini->sections.at("default").at("k"), "v");
}

TEST(IniFileTest, CrlfAndBom) {
  absl::StatusOr<IniFile> ini = ParseIni("\xEF\xBB\xBF[default]\r\nk = v\r\n");
  ASSERT_TRUE(ini.ok()) << ini.status();
  EXPECT_EQ(ini->sections.at("default").at("k"), "v");
}

TEST(IniFileTest, ErrorsNameTheLine) {
  EXPECT_EQ(ParseIni("k = v\n").status().message(),
            "invalid line 1: a key before the first [section] header");
  EXPECT_EQ(ParseIni("[a]\njunk\n").status().message(),
            "invalid line 2: expected key = value or a [section] header");
  EXPECT_EQ(ParseIni("[a]\n[b]\n[a]\n").status().message(),
            "invalid line 3: section [a] appears twice");
  EXPECT_EQ(ParseIni("[a]\nk=1\nK=2\n").status().message(),
            "invalid line 3: key 'k' appears twice in its section");
  EXPECT_EQ(ParseIni("[a\n").status().message(),
            "invalid line 1: expected a section header like [default]");
  EXPECT_EQ(ParseIni("[a]\n= v\n").status().code(), absl::StatusCode::kInvalidArgument);
}

class CredentialsTest : public ::testing::Test {
 protected:
  EnvMap Home() const { return {{"HOME", home_.path()}}; }
  void WriteCredentials(std::string_view text) { home_.WriteFile(".aws/credentials", text); }
  void WriteConfig(std::string_view text) { home_.WriteFile(".aws/config", text); }

  test::TempDir home_;
};

TEST_F(CredentialsTest, EnvironmentFirst) {
  WriteCredentials("[default]\naws_access_key_id = FILE\naws_secret_access_key = filesecret\n");
  EnvMap vars = Home();
  vars["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  vars["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  vars["AWS_SESSION_TOKEN"] = "token";
  absl::StatusOr<AwsCredentials> c = LoadAwsCredentials(vars);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "ENVKEY");
  EXPECT_EQ(c->secret_access_key, "envsecret");
  EXPECT_EQ(c->session_token, "token");
  EXPECT_EQ(c->source, "environment");
  control::auth::SigningCredentials signing = c->Signing();
  EXPECT_EQ(signing.access_key_id, "ENVKEY");
  EXPECT_EQ(signing.secret_access_key, "envsecret");
}

TEST_F(CredentialsTest, LegacySecurityToken) {
  absl::StatusOr<AwsCredentials> c = LoadAwsCredentials(
      {{"AWS_ACCESS_KEY_ID", "K"}, {"AWS_SECRET_ACCESS_KEY", "S"}, {"AWS_SECURITY_TOKEN", "T"}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->session_token, "T");
}

TEST_F(CredentialsTest, HalfAnEnvironmentPairIsAnError) {
  EnvMap vars = Home();
  vars["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  absl::StatusOr<AwsCredentials> c = LoadAwsCredentials(vars);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(),
            "failed to load AWS credentials: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY "
            "is not");
}

TEST_F(CredentialsTest, SecretAloneIsNotAKeyAndFallsThrough) {
  WriteCredentials("[default]\naws_access_key_id = FILE\naws_secret_access_key = filesecret\n");
  EnvMap vars = Home();
  vars["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  absl::StatusOr<AwsCredentials> c = LoadAwsCredentials(vars);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "FILE");
}

TEST_F(CredentialsTest, SharedCredentialsFileDefaultProfile) {
  WriteCredentials("[other]\naws_access_key_id = O\naws_secret_access_key = o\n"
                   "[default]\naws_access_key_id = AKID\naws_secret_access_key = sec\n"
                   "aws_session_token = tok\n");
  absl::StatusOr<AwsCredentials> c = LoadAwsCredentials(Home());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "AKID");
  EXPECT_EQ(c->secret_access_key, "sec");
  EXPECT_EQ(c->session_token, "tok");
  EXPECT_EQ(c->source, home_.path() + "/.aws/credentials [default]");
}

TEST_F(CredentialsTest, ProfileFromAwsProfile) {
  WriteCredentials("[default]\naws_access_key_id = D\naws_secret_access_key = d\n"
                   "[ci]\naws_access_key_id = CI\naws_secret_access_key = ci\n");
  EnvMap vars = Home();
  vars["AWS_PROFILE"] = "ci";
  vars["AWS_DEFAULT_PROFILE"] = "default";
  absl::StatusOr<AwsCredentials> c = LoadAwsCredentials(vars);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "CI");
  vars.erase("AWS_PROFILE");
  vars["AWS_DEFAULT_PROFILE"] = "ci";
  c = LoadAwsCredentials(vars);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "CI");
}

TEST_F(CredentialsTest, SharedCredentialsFileFromVariable) {
  std::string path = home_.WriteFile("elsewhere.ini",
                                     "[default]\naws_access_key_id=X\naws_secret_access_key=y\n");
  WriteCredentials("[default]\naws_access_key_id = HOME\naws_secret_access_key = h\n");
  EnvMap vars = Home();
  vars["AWS_SHARED_CREDENTIALS_FILE"] = path;
  absl::StatusOr<AwsCredentials> c = LoadAwsCredentials(vars);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "X");
  vars["AWS_SHARED_CREDENTIALS_FILE"] = "~/elsewhere.ini";
  c = LoadAwsCredentials(vars);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "X");
}

TEST_F(CredentialsTest, ConfigFileProfileSection) {
  WriteConfig("[default]\nregion = us-east-1\n[profile ci]\naws_access_key_id = CFG\n"
              "aws_secret_access_key = cfg\n");
  EnvMap vars = Home();
  vars["AWS_PROFILE"] = "ci";
  absl::StatusOr<AwsCredentials> c = LoadAwsCredentials(vars);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "CFG");
  EXPECT_EQ(c->source, home_.path() + "/.aws/config [profile ci]");
}

TEST_F(CredentialsTest, ConfigFileDefaultSection) {
  WriteConfig("[default]\naws_access_key_id = CFGD\naws_secret_access_key = d\n");
  absl::StatusOr<AwsCredentials> c = LoadAwsCredentials(Home());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "CFGD");
}

TEST_F(CredentialsTest, CredentialsFileWinsOverConfigFile) {
  WriteCredentials("[default]\naws_access_key_id = CRED\naws_secret_access_key = c\n");
  WriteConfig("[default]\naws_access_key_id = CFG\naws_secret_access_key = d\n");
  absl::StatusOr<AwsCredentials> c = LoadAwsCredentials(Home());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "CRED");
}

TEST_F(CredentialsTest, KeyWithoutSecretInFileIsAnError) {
  WriteCredentials("[default]\naws_access_key_id = AKID\n");
  absl::StatusOr<AwsCredentials> c = LoadAwsCredentials(Home());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("has aws_access_key_id but no aws_secret_access_key"));
  EXPECT_THAT(c.status().message(), Not(HasSubstr("AKID")));
}

TEST_F(CredentialsTest, UnknownProfileIsAnError) {
  WriteCredentials("[default]\naws_access_key_id = D\naws_secret_access_key = d\n");
  EnvMap vars = Home();
  vars["AWS_PROFILE"] = "nope";
  absl::StatusOr<AwsCredentials> c = LoadAwsCredentials(vars);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("the profile 'nope' is in neither"));
}

TEST_F(CredentialsTest, MalformedFileIsAnErrorNamingIt) {
  WriteCredentials("[default]\naws_access_key_id\n");
  absl::StatusOr<AwsCredentials> c = LoadAwsCredentials(Home());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "failed to read AWS credentials file " + home_.path() +
                                      "/.aws/credentials: invalid line 2: expected key = value "
                                      "or a [section] header");
}

TEST_F(CredentialsTest, NoneFoundIsNotFoundSayingWhereItLooked) {
  absl::StatusOr<AwsCredentials> c = LoadAwsCredentials(Home());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(), HasSubstr("failed to find AWS credentials: set "
                                              "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"));
  EXPECT_THAT(c.status().message(), HasSubstr("under [default] in " + home_.path() +
                                              "/.aws/credentials"));
}

TEST_F(CredentialsTest, NoHomeNoFiles) {
  absl::StatusOr<AwsCredentials> c = LoadAwsCredentials({});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(), HasSubstr("HOME is not set"));
}

}  // namespace
}  // namespace berth::agent::config
