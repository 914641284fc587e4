#include "control/auth/credentials.h"

#include <cstdio>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::control::auth {
namespace {

using ::testing::HasSubstr;

TEST(CredentialsTest, ParsesPairsCommentsAndBlankLines) {
  absl::StatusOr<CredentialSet> set =
      CredentialSet::Parse("# berth keys\n\nAKID1 secret/with+chars\n  AKID2\tother  \n");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->size(), 2u);
  ASSERT_NE(set->Find("AKID1"), nullptr);
  EXPECT_EQ(*set->Find("AKID1"), "secret/with+chars");
  EXPECT_EQ(*set->Find("AKID2"), "other");
  EXPECT_EQ(set->Find("AKID3"), nullptr);
}

TEST(CredentialsTest, RejectsBadLinesNamingThem) {
  EXPECT_THAT(std::string(CredentialSet::Parse("A B\nC\n").status().message()),
              HasSubstr("line 2: expected \"ACCESS_KEY_ID SECRET_ACCESS_KEY\", got 1 fields"));
  EXPECT_THAT(std::string(CredentialSet::Parse("A B\nA C\n").status().message()),
              HasSubstr("line 2: access key id A is listed twice"));
  EXPECT_THAT(std::string(CredentialSet::Parse("A/B C\n").status().message()),
              HasSubstr("cannot contain '/'"));
  EXPECT_EQ(CredentialSet::Parse("# none\n").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CredentialsTest, LoadNamesTheFile) {
  absl::StatusOr<CredentialSet> missing = CredentialSet::Load("/nonexistent/berth-creds");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("/nonexistent/berth-creds"));
  std::string path = ::testing::TempDir() + "/creds";
  std::ofstream(path) << "KEY SECRET\n";
  absl::StatusOr<CredentialSet> loaded = CredentialSet::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*loaded->Find("KEY"), "SECRET");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace berth::control::auth
