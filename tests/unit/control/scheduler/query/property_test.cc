// Property: a random expression tree printed as text, in the canonical form
// or in a randomly chosen surface form (word or symbol operators, quoted or
// bare values, &&/and, !/not, redundant parentheses, odd whitespace), parses
// back to the same tree and evaluates identically on random instances.
// Thousands of fixed seeds, so a failure reproduces.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "control/scheduler/query/ast.h"
#include "control/scheduler/query/lexer.h"
#include "control/scheduler/query/parser.h"
#include "gtest/gtest.h"
#include "io/absl_compat.h"
#include "io/log.h"
#include "io/rng.h"
#include "tests/unit/control/scheduler/query/fake_subject.h"

namespace berth::scheduler::query {
namespace {

constexpr int kSeeds = 3000;
constexpr int kSubjectsPerSeed = 16;

template <typename T>
const T& Pick(io::Rng& rng, const std::vector<T>& items) {
  return items[rng.Uniform(items.size())];
}

bool Coin(io::Rng& rng) { return rng.Uniform(2) == 0; }

const std::vector<std::string> kAttributeNames = {"a", "ecs.instance-type", "stack"};
const std::vector<std::string> kAttributeValues = {
    "1", "10", "9", "-3", "1.5", "t2.small", "us-east-1a", "", "a b", "x,y",
    "it's", "and", "(p)", "a&", "or", "[q]", "say \"hi\"", "\xc3\xa9t\xc3\xa9"};
const std::vector<std::string> kPatterns = {"t2.*", ".*", "1.*", "a b", "(?i)T2.*",
                                            "[0-9]+", "x|y", "it's", "i-[12]", "true"};
const std::vector<std::string> kInstanceIds = {"i-1", "i-2", "i-3"};
const std::vector<std::string> kVersions = {"1", "1.14", "1.14.5", "1.9.0", "2.0.1"};
const std::vector<std::string> kDates = {"2018-06-18", "2018-06-18T22:28:28Z",
                                         "2018-06-18T22:28:28", "2018-06-18T23:28:28+01:00",
                                         "2017-01-01", "2018-06-19T00:00:00-02:00"};
const std::vector<std::string> kCounts = {"0", "1", "2", "10"};
const std::vector<std::string> kGroups = {"service:web", "family:batch", "db"};

constexpr SubjectKind kSubjectKinds[] = {
    SubjectKind::kAgentConnected, SubjectKind::kAgentVersion,  SubjectKind::kAttribute,
    SubjectKind::kEc2InstanceId,  SubjectKind::kRegisteredAt,  SubjectKind::kRunningTasksCount,
    SubjectKind::kTaskGroup};
constexpr Op kOps[] = {Op::kEq,        Op::kNe, Op::kGt,    Op::kGe,      Op::kLt,
                       Op::kLe,        Op::kExists, Op::kNotExists, Op::kIn, Op::kNotIn,
                       Op::kMatches,   Op::kNotMatches};

const std::vector<std::string>& ValuePool(SubjectKind subject) {
  static const std::vector<std::string> kBooleans = {"true", "false"};
  switch (subject) {
    case SubjectKind::kAgentConnected: return kBooleans;
    case SubjectKind::kAgentVersion: return kVersions;
    case SubjectKind::kAttribute: return kAttributeValues;
    case SubjectKind::kEc2InstanceId: return kInstanceIds;
    case SubjectKind::kRegisteredAt: return kDates;
    case SubjectKind::kRunningTasksCount: return kCounts;
    case SubjectKind::kTaskGroup: return kGroups;
  }
  return kAttributeValues;
}

std::unique_ptr<Node> RandomPredicate(io::Rng& rng) {
  SubjectKind subject = kSubjectKinds[rng.Uniform(std::size(kSubjectKinds))];
  Op op;
  do {
    op = kOps[rng.Uniform(std::size(kOps))];
  } while (!OperatorAllowed(subject, op));
  std::vector<std::string> values;
  const std::vector<std::string>& pool =
      op == Op::kMatches || op == Op::kNotMatches ? kPatterns : ValuePool(subject);
  switch (OpArity(op)) {
    case Arity::kNone:
      break;
    case Arity::kOne:
      values.push_back(Pick(rng, pool));
      break;
    case Arity::kList:
      for (uint64_t n = 1 + rng.Uniform(3); n > 0; --n) {
        values.push_back(Pick(rng, pool));
      }
      break;
  }
  std::string attribute = subject == SubjectKind::kAttribute ? Pick(rng, kAttributeNames) : "";
  absl::StatusOr<Predicate> p = MakePredicate(subject, attribute, op, values);
  CHECK_OK(p.status());
  return MakeLeaf(*std::move(p));
}

std::unique_ptr<Node> RandomTree(io::Rng& rng, int depth) {
  uint64_t roll = rng.Uniform(10);
  if (depth == 0 || roll < 4) {
    return RandomPredicate(rng);
  }
  if (roll < 6) {
    return MakeNot(RandomTree(rng, depth - 1));
  }
  std::vector<std::unique_ptr<Node>> children;
  for (uint64_t n = 2 + rng.Uniform(2); n > 0; --n) {
    children.push_back(RandomTree(rng, depth - 1));
  }
  return MakeJunction(roll < 8 ? Node::Kind::kAnd : Node::Kind::kOr, std::move(children));
}

FakeSubject RandomSubject(io::Rng& rng) {
  FakeSubject s;
  s.connected = Coin(rng);
  s.version = Pick(rng, std::vector<std::string>{"1.14.5", "1.9.0", "2.0.1", "1.14",
                                                 "1.14.5-rc1", "", "dev"});
  s.ec2_instance_id = Pick(rng, std::vector<std::string>{"i-1", "i-2", "i-9", ""});
  // Around the pooled dates, at second and sub-second offsets.
  s.registered_at = absl::FromUnixSeconds(1529360908) +
                    absl::Seconds(Pick(rng, std::vector<int64_t>{-86400 * 600, -3600 * 23, -1,
                                                                 0, 1, 5400, 86400})) +
                    absl::Milliseconds(rng.Uniform(2) * 500);
  s.running_tasks = static_cast<int64_t>(rng.Uniform(12));
  for (const std::string& name : kAttributeNames) {
    if (rng.Uniform(4) != 0) {
      s.attributes[name] = Pick(rng, kAttributeValues);
    }
  }
  for (const std::string& g : kGroups) {
    if (Coin(rng)) {
      s.groups.push_back(g);
    }
  }
  return s;
}

// Writes a tree in a random but valid surface form.
class SurfacePrinter {
 public:
  explicit SurfacePrinter(io::Rng& rng) : rng_(rng) {}

  std::string Print(const Node& node) {
    out_.clear();
    last_bare_ = false;
    Emit(node, 0);
    return out_;
  }

 private:
  static int Precedence(Node::Kind kind) {
    switch (kind) {
      case Node::Kind::kOr: return 1;
      case Node::Kind::kAnd: return 2;
      case Node::Kind::kNot: return 3;
      case Node::Kind::kPredicate: return 4;
    }
    return 4;
  }

  // Whitespace between tokens: none (when `may_touch`), or 1..3 blanks.
  void Space(bool may_touch) {
    uint64_t n = may_touch ? rng_.Uniform(3) : 1 + rng_.Uniform(2);
    static constexpr char kBlanks[] = {' ', ' ', ' ', '\t', '\n'};
    for (; n > 0; --n) {
      out_ += kBlanks[rng_.Uniform(std::size(kBlanks))];
    }
  }

  void Token(std::string_view text, bool bare_value = false) {
    out_ += text;
    last_bare_ = bare_value;
    last_char_ = text.empty() ? ' ' : text.back();
  }

  void Value(const std::string& v) {
    bool has_single = v.find('\'') != std::string::npos;
    bool has_double = v.find('"') != std::string::npos;
    if (CanBeBare(v) && Coin(rng_)) {
      Token(v, true);
      return;
    }
    const char* q = has_single ? "\"" : (has_double ? "'" : (Coin(rng_) ? "'" : "\""));
    Token(absl::StrCat(q, v, q));
  }

  void EmitPredicate(const Predicate& p) {
    Token(p.subject == SubjectKind::kAttribute ? absl::StrCat("attribute:", p.attribute)
                                               : std::string(SubjectName(p.subject)));
    bool word = Coin(rng_);
    std::string_view op = word ? OpWord(p.op) : OpSymbol(p.op);
    // A word operator must not run into the subject; a symbol may.
    bool symbolic = !word && p.op != Op::kExists && p.op != Op::kIn;
    Space(symbolic);
    Token(op);
    switch (OpArity(p.op)) {
      case Arity::kNone:
        break;
      case Arity::kOne:
        // A bare value right after a symbol could extend it (">" "=5").
        Space(false);
        Value(p.values[0]);
        break;
      case Arity::kList:
        Space(!word);
        Token("[");
        for (size_t i = 0; i < p.values.size(); ++i) {
          if (i > 0) {
            Space(true);
            Token(",");
          }
          Space(true);
          Value(p.values[i]);
        }
        Space(true);
        Token("]");
        break;
    }
  }

  void Emit(const Node& node, int parent_precedence) {
    bool parens = Precedence(node.kind) < parent_precedence || rng_.Uniform(8) == 0;
    if (parens) {
      Token("(");
      Space(true);
    }
    switch (node.kind) {
      case Node::Kind::kPredicate:
        EmitPredicate(node.predicate);
        break;
      case Node::Kind::kNot: {
        bool bang = Coin(rng_);
        Token(bang ? "!" : "not");
        // "not" must be separated from a following word; "!" and "not(" need not.
        const Node& child = *node.children[0];
        bool child_parens = Precedence(child.kind) < 3;
        Space(bang || child_parens);
        Emit(child, 3);
        break;
      }
      case Node::Kind::kAnd:
      case Node::Kind::kOr: {
        bool is_and = node.kind == Node::Kind::kAnd;
        for (size_t i = 0; i < node.children.size(); ++i) {
          if (i > 0) {
            bool symbol = Coin(rng_);
            // && and || may touch their neighbours unless a bare value ends
            // in & or | (it would swallow one of them).
            bool touch = symbol && !(last_bare_ && (last_char_ == '&' || last_char_ == '|'));
            Space(touch);
            Token(symbol ? (is_and ? "&&" : "||") : (is_and ? "and" : "or"));
            Space(symbol);
          }
          Emit(*node.children[i], Precedence(node.kind));
        }
        break;
      }
    }
    if (parens) {
      Space(true);
      Token(")");
    }
  }

  io::Rng& rng_;
  std::string out_;
  bool last_bare_ = false;
  char last_char_ = ' ';
};

// Checks that `text` parses to a tree equivalent to `tree`.
void ExpectEquivalent(const Node& tree, const std::string& text, io::Rng& rng, int seed) {
  ParseLimits unlimited;
  unlimited.max_length = 1 << 20;
  absl::StatusOr<std::unique_ptr<Node>> parsed = ParseTree(text, unlimited);
  ASSERT_TRUE(parsed.ok()) << "seed " << seed << ": " << text << "\n" << parsed.status();
  ASSERT_EQ(query::Print(**parsed), query::Print(tree)) << "seed " << seed << ": " << text;
  absl::StatusOr<std::shared_ptr<const Expression>> expression = Parse(text);
  for (int i = 0; i < kSubjectsPerSeed; ++i) {
    FakeSubject s = RandomSubject(rng);
    bool want = Evaluate(tree, s);
    ASSERT_EQ(Evaluate(**parsed, s), want) << "seed " << seed << ": " << text;
    if (expression.ok()) {  // Parse() also enforces the 2,000-character limit
      ASSERT_EQ((*expression)->Evaluate(s), want) << "seed " << seed << ": " << text;
    }
  }
}

TEST(QueryProperty, CanonicalPrintRoundTrips) {
  for (int seed = 0; seed < kSeeds; ++seed) {
    io::Rng rng(static_cast<uint64_t>(seed));
    std::unique_ptr<Node> tree = RandomTree(rng, 4);
    ExpectEquivalent(*tree, query::Print(*tree), rng, seed);
    if (HasFatalFailure()) {
      return;
    }
  }
}

TEST(QueryProperty, RandomSurfaceFormsParseToTheSameTree) {
  int matched = 0;
  int total = 0;
  for (int seed = 0; seed < kSeeds; ++seed) {
    io::Rng rng(static_cast<uint64_t>(seed) + 1000000);
    std::unique_ptr<Node> tree = RandomTree(rng, 4);
    SurfacePrinter printer(rng);
    ExpectEquivalent(*tree, printer.Print(*tree), rng, seed);
    if (HasFatalFailure()) {
      return;
    }
    FakeSubject s = RandomSubject(rng);
    matched += Evaluate(*tree, s) ? 1 : 0;
    ++total;
  }
  // The generators are useful only if both outcomes are common.
  EXPECT_GT(matched, total / 10);
  EXPECT_LT(matched, total * 9 / 10);
}

}  // namespace
}  // namespace berth::scheduler::query
