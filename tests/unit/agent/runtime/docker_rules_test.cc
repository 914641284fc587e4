#include "agent/runtime/docker_rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::agent::runtime {
namespace {

using ::testing::ElementsAre;
using Args = std::vector<std::string>;

TEST(MergeCommand, BothAbsentKeepsTheImages) {
  auto argv = MergeCommand({"/entry", "-x"}, {"serve", "--port=80"}, std::nullopt, std::nullopt);
  ASSERT_TRUE(argv.ok()) << argv.status();
  EXPECT_THAT(*argv, ElementsAre("/entry", "-x", "serve", "--port=80"));
}

TEST(MergeCommand, TaskCommandReplacesTheImageCmd) {
  auto argv = MergeCommand({"/entry"}, {"serve"}, std::nullopt, Args{"run", "once"});
  ASSERT_TRUE(argv.ok());
  EXPECT_THAT(*argv, ElementsAre("/entry", "run", "once"));
}

TEST(MergeCommand, TaskEntryPointReplacesEntrypointAndDropsImageCmd) {
  auto argv = MergeCommand({"/entry"}, {"serve"}, Args{"/bin/sh", "-c"}, std::nullopt);
  ASSERT_TRUE(argv.ok());
  EXPECT_THAT(*argv, ElementsAre("/bin/sh", "-c"));
}

TEST(MergeCommand, TaskEntryPointAndCommand) {
  auto argv = MergeCommand({"/entry"}, {"serve"}, Args{"/bin/sh", "-c"}, Args{"echo hi"});
  ASSERT_TRUE(argv.ok());
  EXPECT_THAT(*argv, ElementsAre("/bin/sh", "-c", "echo hi"));
}

TEST(MergeCommand, EmptyTaskEntryPointWithImageCmdOnlyIsNoCommand) {
  auto argv = MergeCommand({}, {"serve"}, Args{}, std::nullopt);
  EXPECT_EQ(argv.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(argv.status().message(), "no command specified");
}

TEST(MergeCommand, EmptyTaskEntryPointKeepsTaskCommand) {
  auto argv = MergeCommand({"/entry"}, {"serve"}, Args{}, Args{"/bin/true"});
  ASSERT_TRUE(argv.ok());
  EXPECT_THAT(*argv, ElementsAre("/bin/true"));
}

TEST(MergeCommand, NothingAnywhereIsAnError) {
  EXPECT_EQ(MergeCommand({}, {}, std::nullopt, std::nullopt).status().message(),
            "no command specified");
  EXPECT_EQ(MergeCommand({}, {"x"}, std::nullopt, Args{}).status().message(),
            "no command specified");
}

TEST(MergeEnvironment, DefaultsThenTaskThenImage) {
  auto env = MergeEnvironment({"LANG=C", "FOO=image"}, {{"FOO", "task"}, {"BAR", "1"}}, "web");
  EXPECT_THAT(env, ElementsAre(std::string("PATH=") + kDefaultPath, "HOSTNAME=web", "FOO=task",
                               "BAR=1", "LANG=C"));
}

TEST(MergeEnvironment, ImagePathReplacesTheDefaultInPlace) {
  auto env = MergeEnvironment({"PATH=/opt/bin", "X=1"}, {}, "");
  EXPECT_THAT(env, ElementsAre("PATH=/opt/bin", "X=1"));
}

TEST(MergeEnvironment, TaskPathWinsOverImagePath) {
  auto env = MergeEnvironment({"PATH=/opt/bin"}, {{"PATH", "/task/bin"}}, "");
  EXPECT_THAT(env, ElementsAre("PATH=/task/bin"));
}

TEST(MergeEnvironment, LaterTaskEntryWinsAtTheFirstPlace) {
  auto env = MergeEnvironment({}, {{"A", "1"}, {"B", "2"}, {"A", "3"}}, "");
  EXPECT_THAT(env, ElementsAre(std::string("PATH=") + kDefaultPath, "A=3", "B=2"));
}

TEST(MergeEnvironment, TaskCanOverrideHostnameAndKeepEmptyValues) {
  auto env = MergeEnvironment({"EMPTY="}, {{"HOSTNAME", "other"}}, "web");
  EXPECT_THAT(env, ElementsAre(std::string("PATH=") + kDefaultPath, "HOSTNAME=other", "EMPTY="));
}

TEST(ParseUserSpec, Forms) {
  EXPECT_EQ(ParseUserSpec(""), (UserSpec{"", ""}));
  EXPECT_EQ(ParseUserSpec("1000"), (UserSpec{"1000", ""}));
  EXPECT_EQ(ParseUserSpec("1000:50"), (UserSpec{"1000", "50"}));
  EXPECT_EQ(ParseUserSpec("nginx"), (UserSpec{"nginx", ""}));
  EXPECT_EQ(ParseUserSpec("nginx:www"), (UserSpec{"nginx", "www"}));
  EXPECT_EQ(ParseUserSpec(":www"), (UserSpec{"", "www"}));
  EXPECT_EQ(ParseUserSpec("a:b:c"), (UserSpec{"a", "b:c"}));
}

}  // namespace
}  // namespace berth::agent::runtime
