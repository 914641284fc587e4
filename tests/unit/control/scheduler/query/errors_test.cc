// Bad expressions are rejected with InvalidArgument naming the 1-based
// character position and what was expected there.

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/control/scheduler/query/fake_subject.h"

namespace berth::scheduler::query {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(QueryErrors, ExactMessages) {
  EXPECT_EQ(ErrorOf("attribute:ecs.instance-type"),
            "invalid expression at position 28: expected an operator after "
            "'attribute:ecs.instance-type'");
  EXPECT_EQ(ErrorOf("attribute:ecs.instance-type t2.small"),
            "invalid expression at position 29: expected an operator after "
            "'attribute:ecs.instance-type'");
  EXPECT_EQ(ErrorOf("runningTasksCount =~ 1"),
            "invalid expression at position 19: operator '=~' is not valid for "
            "runningTasksCount (valid: ==, !=, >, >=, <, <=)");
  EXPECT_EQ(ErrorOf("agentConnected greater_than true"),
            "invalid expression at position 16: operator 'greater_than' is not valid for "
            "agentConnected (valid: ==, !=, in, !in, =~, !~)");
  EXPECT_EQ(ErrorOf("runningTasksCount > abc"),
            "invalid expression at position 21: expected a whole number after '>', "
            "found 'abc'");
  EXPECT_EQ(ErrorOf("attribute:a == 1 and"),
            "invalid expression at position 21: expected a subject, 'not' or '(' after 'and'");
  EXPECT_EQ(ErrorOf("(attribute:a == 1"),
            "invalid expression at position 18: expected ')' to close the '(' at position 1");
  EXPECT_EQ(ErrorOf("attribute:a == 1)"),
            "invalid expression at position 17: unexpected ')' without a matching '('");
  EXPECT_EQ(ErrorOf("attribute:a =~ '(x'"),
            "invalid expression at position 16: invalid regular expression '(x': "
            "missing ): (x");
  EXPECT_EQ(ErrorOf("attribute:a == b c"),
            "invalid expression at position 18: expected 'and', 'or' or end of input "
            "after 'b'");
  EXPECT_EQ(ErrorOf(""), "invalid expression at position 1: it is empty");
  EXPECT_EQ(ErrorOf(std::string(2001, 'a')),
            "invalid expression: 2001 characters long, the limit is 2000");
}

struct ErrorCase {
  const char* expression;
  int position;
  const char* expected;  // a substring of the message
};

TEST(QueryErrors, PositionAndExpectation) {
  const ErrorCase cases[] = {
      {"   ", 1, "it is empty"},
      {"foo == bar", 1, "unknown subject 'foo'; expected agentConnected, agentVersion, "
                        "attribute:<name>, ec2InstanceId, registeredAt, "
                        "runningTasksCount or task:group"},
      {"AgentConnected == true", 1, "unknown subject 'AgentConnected'"},
      {"attribute: == x", 11, "expected an attribute name after 'attribute:'"},
      {"attribute:a:b == x", 12, "attribute names cannot contain ':'"},
      {"attribute:a = b", 13, "expected an operator after 'attribute:a'"},
      {"attribute:a", 12, "expected an operator after 'attribute:a'"},
      {"attribute:a !exist", 13, "expected an operator"},
      {"attribute:a equal b", 13, "expected an operator"},
      {"attribute:a ==", 15, "expected a value after '=='"},
      {"attribute:a == )", 16, "expected a value after '=='"},
      {"attribute:a == [x]", 16, "expected a single value after '==' (lists go with in"},
      {"attribute:a == 'abc", 16, "unterminated quoted value: no closing '"},
      {"attribute:a == \"abc", 16, "unterminated quoted value: no closing \""},
      {"attribute:a in x", 16, "expected '[' after 'in'"},
      {"attribute:a in []", 17, "expected a value in the list after '['"},
      {"attribute:a in [x,", 19, "expected a value in the list after ','"},
      {"attribute:a in [x,]", 19, "expected a value in the list after ','"},
      {"attribute:a in [x y]", 19, "expected ',' or ']' after 'x'"},
      {"attribute:a in [x", 18, "expected ',' or ']' after 'x'"},
      {"attribute:a exists x", 20, "expected 'and', 'or' or end of input after 'exists'"},
      {"attribute:a == 'x'y", 19, "expected 'and', 'or' or end of input after ''x''"},
      {"attribute:a == 1 andattribute:b == 1", 18, "expected 'and', 'or' or end"},
      {"attribute:a == 1 & attribute:b == 1", 18, "expected 'and', 'or' or end"},
      {"(attribute:a == 1 x", 19, "expected 'and', 'or' or ')' after '1'"},
      {"()", 2, "expected a subject, 'not' or '(' after '('"},
      {"not", 4, "expected a subject, 'not' or '(' after 'not'"},
      {"!= x", 2, "expected a subject, 'not' or '(' after '!'"},
      {"and attribute:a exists", 1, "unknown subject 'and'"},
      {"task:group > a", 12, "operator '>' is not valid for task:group"},
      {"agentVersion exists", 14, "operator 'exists' is not valid for agentVersion"},
      {"ec2InstanceId < i-1", 15, "operator '<' is not valid for ec2InstanceId"},
      {"registeredAt in [2018-01-01]", 14, "operator 'in' is not valid for registeredAt"},
      {"runningTasksCount matches 1", 19, "operator 'matches' is not valid"},
      {"agentConnected == yes", 19, "expected true or false after '==', found 'yes'"},
      {"agentConnected in [true, TRUE]", 26, "expected true or false after 'in'"},
      {"agentVersion < 1.x", 16, "expected a version such as 1.14.5 after '<', found '1.x'"},
      {"agentVersion < v1.2", 16, "expected a version such as 1.14.5"},
      {"runningTasksCount > -1", 21, "expected a whole number"},
      {"runningTasksCount > 99999999999999999999", 21, "expected a whole number"},
      {"registeredAt < 2018-02-30", 16, "expected a date such as 2018-06-18"},
      {"registeredAt < 2018-02-13T25:00:00", 16, "expected a date"},
      {"registeredAt < 2018-02-13 10:00:00", 27, "expected 'and', 'or' or end"},
      {"registeredAt < '2018-02-13T10:00:00.5Z'", 16, "expected a date"},
      {"attribute:a =~ '(?<=x)y'", 16, "invalid regular expression '(?<=x)y'"},
      {"attribute:a =~ '(a)\\1'", 16, "invalid regular expression"},
      {"attribute:a =~ 'x{2,1}'", 16, "invalid regular expression"},
      {"ec2InstanceId =~ i-0[a-f]+", 21, "expected 'and', 'or' or end of input after 'i-0'"},
      {"attribute:a =~ (x)", 16, "expected a value after '=~'"},
      {"attribute:a == '\xc3\xa9' x", 20, "expected 'and', 'or' or end"},
  };
  for (const ErrorCase& c : cases) {
    std::string message = ErrorOf(c.expression);
    EXPECT_THAT(message, StartsWith(absl::StrCat("invalid expression at position ",
                                                 c.position, ": ")))
        << c.expression;
    EXPECT_THAT(message, HasSubstr(c.expected)) << c.expression;
  }
}

TEST(QueryErrors, LengthLimitIsInCharacters) {
  std::string at_limit = "attribute:a == '" + std::string(2000 - 17, 'x') + "'";
  ASSERT_EQ(at_limit.size(), 2000u);
  EXPECT_TRUE(Parse(at_limit).ok());
  EXPECT_THAT(ErrorOf(at_limit + " "), HasSubstr("2001 characters long"));
  // 1,000 two-byte characters are 1,000 characters, not 2,000 bytes.
  std::string wide = "attribute:a == '";
  for (int i = 0; i < 1500; ++i) {
    wide += "\xc3\xa9";
  }
  wide += "'";
  EXPECT_TRUE(Parse(wide).ok());
}

TEST(QueryErrors, NestingIsBounded) {
  std::string ok = std::string(64, '(') + "attribute:a exists" + std::string(64, ')');
  EXPECT_TRUE(Parse(ok).ok());
  std::string deep = std::string(65, '(') + "attribute:a exists" + std::string(65, ')');
  EXPECT_EQ(ErrorOf(deep),
            "invalid expression at position 65: parentheses and 'not' nest deeper than "
            "64 levels");
  std::string nots;
  for (int i = 0; i < 65; ++i) {
    nots += "not ";
  }
  EXPECT_THAT(ErrorOf(nots + "attribute:a exists"), HasSubstr("nest deeper than 64"));
}

TEST(QueryErrors, LongTokensAreCutInMessages) {
  std::string name(100, 'n');
  std::string message = ErrorOf("attribute:" + name);
  EXPECT_THAT(message, HasSubstr("after 'attribute:" + std::string(30, 'n') + "...'"));
  EXPECT_LT(message.size(), 120u);
  EXPECT_THAT(ErrorOf("attribute:" + std::string(129, 'n') + " exists"),
              HasSubstr("at position 11: attribute names are at most 128 characters"));
  EXPECT_TRUE(Parse("attribute:" + std::string(128, 'n') + " exists").ok());
}

}  // namespace
}  // namespace berth::scheduler::query

namespace berth::scheduler::query {
namespace {

// docs/query-language.md lists what RE2 rejects of Java's syntax; each is a
// parse error naming the pattern, and the common syntax is accepted.
TEST(QueryRegexSyntax, JavaOnlyConstructsAreRejected) {
  for (const char* pattern :
       {"(a)\\1", "a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b", "a*+", "(?>a)", "a\\Z", "\\Ga",
        "(?x)a b", "\\p{javaLowerCase}", "(?<name>a)", "a{1001}", "(?:a{100}){100}",
        "\xff"}) {
    std::string e = absl::StrCat("attribute:a =~ '", pattern, "'");
    EXPECT_THAT(ErrorOf(e), HasSubstr("at position 16: invalid regular expression")) << e;
  }
}

TEST(QueryRegexSyntax, CommonJavaSyntaxIsAccepted) {
  for (const char* pattern :
       {"[a-z]+\\d{2,3}", "\\w+\\s?", "a*?b", "(?i)abc", "(?s).*", "(?m)^a$", "\\p{L}+",
        "\\Aabc\\z", "(?P<name>a)", "(?:a|b)", "a{1000}", "\xc3\xa9+"}) {
    std::string e = absl::StrCat("attribute:a =~ '", pattern, "'");
    EXPECT_TRUE(Parse(e).ok()) << e << ": " << Parse(e).status();
  }
}

TEST(QueryRegexSyntax, HugeProgramsAreRejected) {
  // 270 characters, but more than the 1 MiB budget once compiled: each
  // \pL{1000} (a thousand Unicode letters) is a large program.
  std::string pattern;
  for (int i = 0; i < 30; ++i) {
    pattern += "\\pL{1000}";
  }
  std::string e = "attribute:a =~ '" + pattern + "'";
  EXPECT_THAT(ErrorOf(e), HasSubstr("invalid regular expression"));
  EXPECT_THAT(ErrorOf(e), HasSubstr("pattern too large"));
}

}  // namespace
}  // namespace berth::scheduler::query
