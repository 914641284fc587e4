#include "agent/runtime/passwd.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::agent::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kPasswd[] =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment\n"
    "\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "broken:x:notanumber:1::/:/bin/sh\n"
    "+nisuser::::::\n"
    "nginx:x:101:101:nginx:/var/cache/nginx:/sbin/nologin\r\n"
    "short:x:7:8\n"
    "dup:x:102:102::/first:/bin/sh\n"
    "dup:x:103:103::/second:/bin/sh\n";

constexpr char kGroup[] =
    "root:x:0:\n"
    "daemon:x:1:\n"
    "tty:x:5:nginx\n"
    "nginx:x:101:\n"
    "www:x:33:nginx,daemon\n"
    "bad:x:-1:nginx\n";

TEST(ParsePasswd, KeepsWellFormedEntries) {
  auto users = ParsePasswd(kPasswd);
  ASSERT_EQ(users.size(), 6u);
  EXPECT_EQ(users[0], (PasswdEntry{"root", 0, 0, "/root"}));
  EXPECT_EQ(users[1], (PasswdEntry{"daemon", 1, 1, "/usr/sbin"}));
  EXPECT_EQ(users[2], (PasswdEntry{"nginx", 101, 101, "/var/cache/nginx"}));
  EXPECT_EQ(users[3], (PasswdEntry{"short", 7, 8, ""}));
}

TEST(ParseGroup, MembersAndBadLines) {
  auto groups = ParseGroup(kGroup);
  ASSERT_EQ(groups.size(), 5u);
  EXPECT_EQ(groups[2].name, "tty");
  EXPECT_THAT(groups[2].members, ElementsAre("nginx"));
  EXPECT_THAT(groups[0].members, IsEmpty());
  EXPECT_THAT(groups[4].members, ElementsAre("nginx", "daemon"));
}

TEST(ResolveUser, EmptyIsRootWithItsHome) {
  auto u = ResolveUser("", std::string(kPasswd), std::string(kGroup));
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->uid, 0u);
  EXPECT_EQ(u->gid, 0u);
  EXPECT_EQ(u->home, "/root");
  EXPECT_THAT(u->groups, IsEmpty());
}

TEST(ResolveUser, NameGivesPrimaryGroupHomeAndSupplementaryGroups) {
  auto u = ResolveUser("nginx", std::string(kPasswd), std::string(kGroup));
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->uid, 101u);
  EXPECT_EQ(u->gid, 101u);
  EXPECT_EQ(u->home, "/var/cache/nginx");
  EXPECT_THAT(u->groups, ElementsAre(5u, 33u));
}

TEST(ResolveUser, NumericUidFindsTheEntry) {
  auto u = ResolveUser("101", std::string(kPasswd), std::string(kGroup));
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->gid, 101u);
  EXPECT_THAT(u->groups, ElementsAre(5u, 33u));
}

TEST(ResolveUser, NumericUidWithoutEntryRunsAsRootGroup) {
  auto u = ResolveUser("4242", std::string(kPasswd), std::string(kGroup));
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 4242u);
  EXPECT_EQ(u->gid, 0u);
  EXPECT_EQ(u->home, "/");
}

TEST(ResolveUser, ExplicitGroupByNameOrNumberHasNoSupplementaryGroups) {
  auto u = ResolveUser("nginx:www", std::string(kPasswd), std::string(kGroup));
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 101u);
  EXPECT_EQ(u->gid, 33u);
  EXPECT_THAT(u->groups, IsEmpty());
  u = ResolveUser("4242:777", std::string(kPasswd), std::string(kGroup));
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 4242u);
  EXPECT_EQ(u->gid, 777u);
}

TEST(ResolveUser, FirstMatchingEntryWins) {
  auto u = ResolveUser("dup", std::string(kPasswd), std::string(kGroup));
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 102u);
  EXPECT_EQ(u->home, "/first");
}

TEST(ResolveUser, UnknownNamesAreErrors) {
  auto u = ResolveUser("nobody", std::string(kPasswd), std::string(kGroup));
  EXPECT_EQ(u.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(u.status().message(),
            "unable to find user nobody: no matching entries in passwd file");
  u = ResolveUser("nginx:nogroup", std::string(kPasswd), std::string(kGroup));
  EXPECT_EQ(u.status().message(),
            "unable to find group nogroup: no matching entries in group file");
}

TEST(ResolveUser, MissingFilesAcceptNumbersOnly) {
  auto u = ResolveUser("1000:1000", std::nullopt, std::nullopt);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 1000u);
  EXPECT_EQ(u->gid, 1000u);
  EXPECT_EQ(u->home, "/");
  EXPECT_FALSE(ResolveUser("app", std::nullopt, std::nullopt).ok());
}

}  // namespace
}  // namespace berth::agent::runtime
