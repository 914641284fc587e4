// Parsing: operators and their word forms, lists, precedence, parentheses
// and the lexing rules, checked through the canonical print of the tree and
// through evaluation.

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "control/scheduler/query/parser.h"
#include "gtest/gtest.h"
#include "io/absl_compat.h"
#include "tests/unit/control/scheduler/query/fake_subject.h"

namespace berth::scheduler::query {
namespace {

// The canonical text of the tree `text` parses to ("" and a failure if it
// does not parse).
std::string Canonical(std::string_view text) {
  absl::StatusOr<std::unique_ptr<Node>> tree = ParseTree(text);
  EXPECT_TRUE(tree.ok()) << text << ": " << tree.status();
  return tree.ok() ? Print(**tree) : "";
}

FakeSubject Attrs(std::map<std::string, std::string, std::less<>> attributes) {
  FakeSubject s;
  s.attributes = std::move(attributes);
  return s;
}

struct OperatorCase {
  std::string_view symbol;
  std::string_view word;
  std::string_view argument;
  std::string_view true_for;   // a value of attribute n that satisfies it
  std::string_view false_for;  // one that does not
};

TEST(QueryOperators, SymbolAndWordFormsParseAlikeAndEvaluate) {
  const OperatorCase cases[] = {
      {"==", "equals", "5", "5", "6"},
      {"!=", "not_equals", "5", "6", "5"},
      {">", "greater_than", "5", "10", "5"},
      {">=", "greater_than_equal", "5", "5", "4"},
      {"<", "less_than", "5", "4", "10"},
      {"<=", "less_than_equal", "5", "5", "6"},
      {"in", "in", "[4, 5]", "4", "6"},
      {"!in", "not_in", "[4, 5]", "6", "5"},
      {"=~", "matches", "1.*", "10", "21"},
      {"!~", "not_matches", "1.*", "21", "10"},
  };
  for (const OperatorCase& c : cases) {
    std::string symbolic = absl::StrCat("attribute:n ", Absl(c.symbol), " ", Absl(c.argument));
    std::string worded = absl::StrCat("attribute:n ", Absl(c.word), " ", Absl(c.argument));
    EXPECT_EQ(Canonical(symbolic), Canonical(worded)) << worded;
    EXPECT_EQ(Canonical(worded), symbolic) << worded;
    for (const std::string& e : {symbolic, worded}) {
      EXPECT_TRUE(Matches(e, Attrs({{"n", std::string(c.true_for)}}))) << e;
      EXPECT_FALSE(Matches(e, Attrs({{"n", std::string(c.false_for)}}))) << e;
    }
  }
}

TEST(QueryOperators, ExistsForms) {
  FakeSubject with = Attrs({{"gpu", ""}});
  FakeSubject without;
  for (const char* e : {"attribute:gpu exists"}) {
    EXPECT_TRUE(Matches(e, with));
    EXPECT_FALSE(Matches(e, without));
  }
  for (const char* e : {"attribute:gpu !exists", "attribute:gpu not_exists"}) {
    EXPECT_FALSE(Matches(e, with)) << e;
    EXPECT_TRUE(Matches(e, without)) << e;
  }
  EXPECT_EQ(Canonical("attribute:gpu not_exists"), "attribute:gpu !exists");
}

TEST(QueryLists, QuotedUnquotedAndSpacing) {
  const char* forms[] = {
      "attribute:az in [a, b]",     "attribute:az in [a,b]",
      "attribute:az in [ a , b ]",  "attribute:az in ['a', 'b']",
      "attribute:az in [\"a\", \"b\"]", "attribute:az in ['a', \"b\"]",
      "attribute:az in[a,b]",       "attribute:az\tin\n[a,\tb]",
  };
  for (const char* e : forms) {
    EXPECT_EQ(Canonical(e), "attribute:az in [a, b]") << e;
  }
  EXPECT_EQ(Canonical("attribute:az in [a]"), "attribute:az in [a]");
  // Quotes keep spaces, commas and brackets inside one value.
  const char* e = "attribute:name in ['a b', \"c,d\", '[e]']";
  EXPECT_TRUE(Matches(e, Attrs({{"name", "a b"}})));
  EXPECT_TRUE(Matches(e, Attrs({{"name", "c,d"}})));
  EXPECT_TRUE(Matches(e, Attrs({{"name", "[e]"}})));
  EXPECT_FALSE(Matches(e, Attrs({{"name", "a"}})));
}

// Attributes a, b, c set to "1" (true) or "0" (false), for precedence tests.
FakeSubject Bits(bool a, bool b, bool c) {
  return Attrs({{"a", a ? "1" : "0"}, {"b", b ? "1" : "0"}, {"c", c ? "1" : "0"}});
}

TEST(QueryPrecedence, AndBindsTighterThanOr) {
  // a or (b and c), not (a or b) and c.
  for (const char* e : {"attribute:a == 1 or attribute:b == 1 and attribute:c == 1",
                        "attribute:a == 1 || attribute:b == 1 && attribute:c == 1"}) {
    EXPECT_TRUE(Matches(e, Bits(true, false, false))) << e;
    EXPECT_FALSE(Matches(e, Bits(false, true, false))) << e;
    EXPECT_EQ(Canonical(e), "attribute:a == 1 or attribute:b == 1 and attribute:c == 1");
  }
  for (const char* e : {"attribute:a == 1 and attribute:b == 1 or attribute:c == 1",
                        "attribute:a == 1 && attribute:b == 1 || attribute:c == 1"}) {
    EXPECT_TRUE(Matches(e, Bits(false, false, true))) << e;
    EXPECT_FALSE(Matches(e, Bits(true, false, false))) << e;
  }
}

TEST(QueryPrecedence, NotBindsTighterThanAndAndOr) {
  // (not a) and b, not not (a and b).
  for (const char* e : {"not attribute:a == 1 and attribute:b == 1",
                        "!attribute:a == 1 && attribute:b == 1"}) {
    EXPECT_FALSE(Matches(e, Bits(false, false, false))) << e;
    EXPECT_TRUE(Matches(e, Bits(false, true, false))) << e;
    EXPECT_FALSE(Matches(e, Bits(true, true, false))) << e;
  }
  // (not a) or b, not not (a or b).
  for (const char* e : {"not attribute:a == 1 or attribute:b == 1",
                        "! attribute:a == 1 || attribute:b == 1"}) {
    EXPECT_TRUE(Matches(e, Bits(true, true, false))) << e;
    EXPECT_FALSE(Matches(e, Bits(true, false, false))) << e;
  }
}

TEST(QueryPrecedence, ParenthesesOverride) {
  const char* e = "(attribute:a == 1 or attribute:b == 1) and attribute:c == 1";
  EXPECT_FALSE(Matches(e, Bits(true, false, false)));
  EXPECT_TRUE(Matches(e, Bits(true, false, true)));
  EXPECT_EQ(Canonical(e), e);
  const char* n = "not (attribute:a == 1 and attribute:b == 1)";
  EXPECT_TRUE(Matches(n, Bits(true, false, false)));
  EXPECT_FALSE(Matches(n, Bits(true, true, false)));
  EXPECT_EQ(Canonical("!(attribute:a == 1 && attribute:b == 1)"), n);
  EXPECT_EQ(Canonical("not(attribute:a == 1)"), "not attribute:a == 1");
  EXPECT_EQ(Canonical("((((attribute:a == 1))))"), "attribute:a == 1");
  EXPECT_EQ(Canonical("not not attribute:a == 1"), "not not attribute:a == 1");
  EXPECT_EQ(Canonical("!!attribute:a == 1"), "not not attribute:a == 1");
  EXPECT_TRUE(Matches("!!attribute:a == 1", Bits(true, false, false)));
  // Nested groups of the same connective flatten.
  EXPECT_EQ(Canonical("attribute:a == 1 and (attribute:b == 1 and attribute:c == 1)"),
            "attribute:a == 1 and attribute:b == 1 and attribute:c == 1");
}

TEST(QueryLexing, ConnectivesNeedNoSpaces) {
  EXPECT_EQ(Canonical("attribute:a==1&&attribute:b==1"), "attribute:a == 1 and attribute:b == 1");
  EXPECT_EQ(Canonical("attribute:a==1||attribute:b==1"), "attribute:a == 1 or attribute:b == 1");
  EXPECT_EQ(Canonical("(attribute:a==1)and(attribute:b==1)"),
            "attribute:a == 1 and attribute:b == 1");
  EXPECT_EQ(Canonical("not(task:group==database)"), "not task:group == database");
  EXPECT_EQ(Canonical("  \t task:group == x \n "), "task:group == x");
}

TEST(QueryLexing, BareValuesKeepTheirPunctuation) {
  struct {
    const char* expression;
    const char* value;  // the attribute value that must match
  } cases[] = {
      {"attribute:v == service:production", "service:production"},
      {"attribute:v == us-east-1a", "us-east-1a"},
      {"attribute:v == path/to_x.y", "path/to_x.y"},
      {"attribute:v == a\\b", "a\\b"},
      {"attribute:v == user@host", "user@host"},
      {"attribute:v == a=b!c<d>e", "a=b!c<d>e"},
      {"attribute:v == 2018-06-18T22:28:28+00:00", "2018-06-18T22:28:28+00:00"},
      {"attribute:v == a&b|c", "a&b|c"},
      {"attribute:v == and", "and"},
      {"attribute:v == not", "not"},
      {"attribute:v == exists", "exists"},
      {"attribute:v == ''", ""},
      {"attribute:v == \"it's\"", "it's"},
      {"attribute:v == 'say \"hi\"'", "say \"hi\""},
      {"attribute:v == 'a and b or (c)'", "a and b or (c)"},
      {"attribute:v == 'x' and attribute:v == x", "x"},
  };
  for (const auto& c : cases) {
    EXPECT_TRUE(Matches(c.expression, Attrs({{"v", c.value}}))) << c.expression;
    EXPECT_FALSE(Matches(c.expression, Attrs({{"v", std::string(c.value) + "z"}})))
        << c.expression;
  }
}

TEST(QueryLexing, BareValuesEndAtGroupingAndConnectives) {
  // ')' ends the value: the documented not(task:group == database).
  EXPECT_EQ(Canonical("(attribute:v == a)"), "attribute:v == a");
  EXPECT_EQ(Canonical("attribute:v == a&&attribute:w == b"),
            "attribute:v == a and attribute:w == b");
  EXPECT_EQ(Canonical("attribute:v == a||attribute:w == b"),
            "attribute:v == a or attribute:w == b");
  // A single | is part of the value (regex alternation).
  FakeSubject m5 = Attrs({{"t", "m5.large"}});
  EXPECT_TRUE(Matches("attribute:t =~ t2.*|m5.*", m5));
  EXPECT_FALSE(Matches("attribute:t =~ t2.*|m4.*", m5));
}

TEST(QueryLexing, BangReadsByPosition) {
  FakeSubject s = Attrs({{"a", "1"}});
  EXPECT_FALSE(Matches("!attribute:a exists", s));
  EXPECT_FALSE(Matches("! attribute:a exists", s));
  EXPECT_TRUE(Matches("!attribute:b exists", s));
  EXPECT_TRUE(Matches("attribute:b !exists", s));
  EXPECT_TRUE(Matches("attribute:a !in [2]", s));
  EXPECT_TRUE(Matches("attribute:a!=2", s));
  EXPECT_TRUE(Matches("attribute:a!~2", s));
  EXPECT_TRUE(Matches("!!attribute:a!=2", s));
}

TEST(QuerySubjects, EverySubjectParses) {
  const char* expressions[] = {
      "agentConnected == true",        "agentConnected in [true, false]",
      "agentConnected =~ t.*",         "agentVersion >= 1.14.5",
      "attribute:ecs.os-type == linux", "ec2InstanceId =~ i-.*",
      "registeredAt >= 2018-06-18",    "runningTasksCount <= 3",
      "task:group in [a, b]",          "task:group exists",
  };
  for (const char* e : expressions) {
    EXPECT_EQ(Canonical(e), e);
  }
}

TEST(QueryDependencies, NamesWhatIsRead) {
  auto deps = [](std::string_view text) {
    absl::StatusOr<std::shared_ptr<const Expression>> e = Parse(text);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? (*e)->dependencies() : Dependencies{};
  };
  Dependencies d = deps("attribute:a == 1");
  EXPECT_TRUE(d.attributes);
  EXPECT_FALSE(d.agent || d.identity || d.tasks);
  d = deps("agentConnected == true or agentVersion > 1");
  EXPECT_TRUE(d.agent);
  EXPECT_FALSE(d.attributes || d.identity || d.tasks);
  d = deps("not (ec2InstanceId == i-1 and registeredAt < 2018-01-01)");
  EXPECT_TRUE(d.identity);
  EXPECT_FALSE(d.attributes || d.agent || d.tasks);
  d = deps("runningTasksCount == 0");
  EXPECT_TRUE(d.tasks);
  EXPECT_FALSE(d.attributes || d.agent || d.identity);
  d = deps("task:group == x and attribute:a exists");
  EXPECT_TRUE(d.tasks && d.attributes);
  EXPECT_FALSE(d.agent || d.identity);
}

TEST(QueryExpression, KeepsTheTextAsWritten) {
  absl::StatusOr<std::shared_ptr<const Expression>> e = Parse("not(task:group==db)");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->text(), "not(task:group==db)");
}

}  // namespace
}  // namespace berth::scheduler::query
