#include "agent/config/env_file.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace berth::agent::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<EnvFileEntry> Parse(std::string_view text) {
  absl::StatusOr<std::vector<EnvFileEntry>> entries = ParseEnvFile(text);
  EXPECT_TRUE(entries.ok()) << entries.status();
  return entries.ok() ? *entries : std::vector<EnvFileEntry>{};
}

std::string ParseError(std::string_view text) {
  absl::StatusOr<std::vector<EnvFileEntry>> entries = ParseEnvFile(text);
  EXPECT_FALSE(entries.ok());
  if (entries.ok()) {
    return "";
  }
  EXPECT_EQ(entries.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(entries.status().message());
}

TEST(EnvFileTest, PlainLinesCommentsAndBlankLines) {
  EXPECT_THAT(Parse("# the cluster\n\nECS_CLUSTER=prod\n   \n\tECS_LOGLEVEL=debug  \n"),
              ElementsAre(EnvFileEntry{"ECS_CLUSTER", "prod", 3},
                          EnvFileEntry{"ECS_LOGLEVEL", "debug", 5}));
}

TEST(EnvFileTest, EmptyTextHasNoEntries) {
  EXPECT_TRUE(Parse("").empty());
  EXPECT_TRUE(Parse("\n\n# only comments\n").empty());
}

TEST(EnvFileTest, LastLineWithoutNewline) {
  EXPECT_THAT(Parse("A=1\nB=2"), ElementsAre(EnvFileEntry{"A", "1", 1}, EnvFileEntry{"B", "2", 2}));
}

TEST(EnvFileTest, UnquotedJsonKeepsItsQuotes) {
  // How ecs.config files are usually written (ecs-init passes them verbatim).
  EXPECT_THAT(Parse("ECS_INSTANCE_ATTRIBUTES={\"team\": \"a b\"}\n"
                    "ECS_AVAILABLE_LOGGING_DRIVERS=[\"json-file\",\"none\"]\n"),
              ElementsAre(EnvFileEntry{"ECS_INSTANCE_ATTRIBUTES", "{\"team\": \"a b\"}", 1},
                          EnvFileEntry{"ECS_AVAILABLE_LOGGING_DRIVERS",
                                       "[\"json-file\",\"none\"]", 2}));
}

TEST(EnvFileTest, UnquotedValueIsVerbatimIncludingHashAndBackslash) {
  EXPECT_THAT(Parse("A=x # not a comment\nB=c:\\dir\\n\n"),
              ElementsAre(EnvFileEntry{"A", "x # not a comment", 1},
                          EnvFileEntry{"B", "c:\\dir\\n", 2}));
}

TEST(EnvFileTest, ValueMayContainEqualsSigns) {
  EXPECT_THAT(Parse("A=b=c==\n"), ElementsAre(EnvFileEntry{"A", "b=c==", 1}));
}

TEST(EnvFileTest, EmptyValue) {
  EXPECT_THAT(Parse("A=\nB=\"\"\nC=''\n"),
              ElementsAre(EnvFileEntry{"A", "", 1}, EnvFileEntry{"B", "", 2},
                          EnvFileEntry{"C", "", 3}));
}

TEST(EnvFileTest, BlanksAroundEquals) {
  EXPECT_THAT(Parse("  ECS_CLUSTER =  prod\n"), ElementsAre(EnvFileEntry{"ECS_CLUSTER", "prod", 1}));
}

TEST(EnvFileTest, ExportPrefix) {
  EXPECT_THAT(Parse("export ECS_CLUSTER=prod\nexport\tB=1\nexported=2\nexport=3\n"),
              ElementsAre(EnvFileEntry{"ECS_CLUSTER", "prod", 1}, EnvFileEntry{"B", "1", 2},
                          EnvFileEntry{"exported", "2", 3}, EnvFileEntry{"export", "3", 4}));
}

TEST(EnvFileTest, DoubleQuotesWithShellEscapes) {
  EXPECT_THAT(Parse(R"(A="say \"hi\" \\ \$HOME \` \n x")"),
              ElementsAre(EnvFileEntry{"A", R"(say "hi" \ $HOME ` \n x)", 1}));
}

TEST(EnvFileTest, DoubleQuotedJson) {
  EXPECT_THAT(Parse(R"(ECS_INSTANCE_ATTRIBUTES="{\"a\":\"b\"}")"),
              ElementsAre(EnvFileEntry{"ECS_INSTANCE_ATTRIBUTES", R"({"a":"b"})", 1}));
}

TEST(EnvFileTest, SingleQuotesAreLiteral) {
  EXPECT_THAT(Parse(R"(A='{"a": "b \" \\"}')"),
              ElementsAre(EnvFileEntry{"A", R"({"a": "b \" \\"})", 1}));
}

TEST(EnvFileTest, QuotedValueKeepsInnerBlanksAndAllowsTrailingComment) {
  EXPECT_THAT(Parse("A=\"  x  \"   # why\nB=' y '\n"),
              ElementsAre(EnvFileEntry{"A", "  x  ", 1}, EnvFileEntry{"B", " y ", 2}));
}

TEST(EnvFileTest, QuotedValueSpansLines) {
  EXPECT_THAT(Parse("A=\"one\ntwo\"\nB='x\ny'\nC=3\n"),
              ElementsAre(EnvFileEntry{"A", "one\ntwo", 1}, EnvFileEntry{"B", "x\ny", 3},
                          EnvFileEntry{"C", "3", 5}));
}

TEST(EnvFileTest, BackslashNewlineJoinsLinesInDoubleQuotes) {
  EXPECT_THAT(Parse("A=\"one \\\ntwo\"\nB=1\n"),
              ElementsAre(EnvFileEntry{"A", "one two", 1}, EnvFileEntry{"B", "1", 3}));
}

TEST(EnvFileTest, CrlfLineEnds) {
  EXPECT_THAT(Parse("A=1\r\nB=\"2\"\r\n# c\r\nC='x\r\ny'\r\n"),
              ElementsAre(EnvFileEntry{"A", "1", 1}, EnvFileEntry{"B", "2", 2},
                          EnvFileEntry{"C", "x\ny", 4}));
}

TEST(EnvFileTest, ByteOrderMarkIsSkipped) {
  EXPECT_THAT(Parse("\xEF\xBB\xBF" "A=1\n"), ElementsAre(EnvFileEntry{"A", "1", 1}));
}

TEST(EnvFileTest, LaterLineWinsInMap) {
  EnvMap map = ToEnvMap(Parse("A=1\nB=2\nA=3\n"));
  EXPECT_EQ(map.at("A"), "3");
  EXPECT_EQ(map.at("B"), "2");
}

TEST(EnvFileTest, LineWithoutEqualsIsAnErrorNamingTheLine) {
  EXPECT_EQ(ParseError("A=1\n\nECS_CLUSTER prod\n"),
            "invalid config line 3: expected '=' after ECS_CLUSTER");
}

TEST(EnvFileTest, BadNameIsAnError) {
  EXPECT_THAT(ParseError("A=1\n1ABC=2\n"), HasSubstr("invalid config line 2: expected KEY=VALUE"));
  EXPECT_THAT(ParseError("=2\n"), HasSubstr("invalid config line 1: expected KEY=VALUE"));
  EXPECT_THAT(ParseError("A-B=2\n"), HasSubstr("invalid config line 1: expected '=' after A"));
  EXPECT_THAT(ParseError("export\n"), HasSubstr("invalid config line 1: expected '=' after export"));
}

TEST(EnvFileTest, UnclosedQuoteNamesTheLineItStartedOn) {
  EXPECT_EQ(ParseError("A=1\nB=\"open\nC=2\n"),
            "invalid config line 2: the double-quoted value of B is not closed");
  EXPECT_EQ(ParseError("B='open\n"),
            "invalid config line 1: the single-quoted value of B is not closed");
  EXPECT_EQ(ParseError("B=\"x\\"),
            "invalid config line 1: the double-quoted value of B is not closed");
}

TEST(EnvFileTest, TextAfterClosingQuoteIsAnError) {
  EXPECT_THAT(ParseError("A=1\nB=\"x\"y\n"),
              HasSubstr("invalid config line 2: unexpected text after the closing quote of B's value"));
  EXPECT_THAT(ParseError("B='x\ny' z\n"),
              HasSubstr("invalid config line 2: unexpected text after the closing quote of B's "
                        "value (started on line 1)"));
}

TEST(EnvFileTest, NulByteIsAnError) {
  EXPECT_EQ(ParseError(std::string_view("A=1\nB=x\0y\n", 10)), "invalid config line 2: contains a NUL byte");
}

TEST(EnvFileTest, ReadMissingDefaultFileIsEmpty) {
  test::TempDir dir;
  absl::StatusOr<EnvMap> map = ReadEnvFile(dir.path() + "/ecs.config", /*must_exist=*/false);
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_TRUE(map->empty());
}

TEST(EnvFileTest, ReadMissingExplicitFileIsNotFound) {
  test::TempDir dir;
  std::string path = dir.path() + "/ecs.config";
  absl::StatusOr<EnvMap> map = ReadEnvFile(path, /*must_exist=*/true);
  ASSERT_FALSE(map.ok());
  EXPECT_EQ(map.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(map.status().message(), HasSubstr("failed to open config file " + path));
}

TEST(EnvFileTest, ReadFileErrorsNameThePathAndLine) {
  test::TempDir dir;
  std::string path = dir.WriteFile("ecs.config", "ECS_CLUSTER=a\nbad line\n");
  absl::StatusOr<EnvMap> map = ReadEnvFile(path, true);
  ASSERT_FALSE(map.ok());
  EXPECT_EQ(map.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(map.status().message(), "failed to read config file " + path +
                                        ": invalid config line 2: expected '=' after bad");
}

TEST(EnvFileTest, ReadFile) {
  test::TempDir dir;
  std::string path = dir.WriteFile("ecs.config", "ECS_CLUSTER=a\nECS_LOGLEVEL='warn'\n");
  absl::StatusOr<EnvMap> map = ReadEnvFile(path, false);
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(*map, (EnvMap{{"ECS_CLUSTER", "a"}, {"ECS_LOGLEVEL", "warn"}}));
}

TEST(EnvFileTest, EnvironmentOverridesFileEvenWhenEmpty) {
  EnvMap merged = LayerEnvironment({{"A", "file"}, {"B", "file"}, {"C", "file"}},
                                   {{"A", "env"}, {"C", ""}, {"D", "env"}});
  EXPECT_EQ(merged, (EnvMap{{"A", "env"}, {"B", "file"}, {"C", ""}, {"D", "env"}}));
}

TEST(EnvFileTest, ProcessEnvironmentSeesSetenv) {
  ASSERT_EQ(setenv("BERTH_CONFIG_TEST_VAR", "a=b", 1), 0);
  EnvMap env = ProcessEnvironment();
  unsetenv("BERTH_CONFIG_TEST_VAR");
  EXPECT_EQ(env.at("BERTH_CONFIG_TEST_VAR"), "a=b");
}

}  // namespace
}  // namespace berth::agent::config
