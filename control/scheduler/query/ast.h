#ifndef BERTH_CONTROL_SCHEDULER_QUERY_AST_H_
#define BERTH_CONTROL_SCHEDULER_QUERY_AST_H_

// The syntax tree of a parsed expression: predicates ("subject operator
// argument") combined with not / and / or. A tree is built once, checked and
// compiled as it is built (numbers, dates, regular expressions), and is
// immutable afterwards, so evaluating it needs no further validation and
// may run from any number of threads.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "control/scheduler/query/query.h"
#include "control/scheduler/query/values.h"
#include "re2/re2.h"

namespace berth::scheduler::query {

enum class SubjectKind {
  kAgentConnected,
  kAgentVersion,
  kAttribute,  // attribute:<name>
  kEc2InstanceId,
  kRegisteredAt,
  kRunningTasksCount,
  kTaskGroup,  // task:group
};

enum class Op {
  kEq,          // ==, equals
  kNe,          // !=, not_equals
  kGt,          // >, greater_than
  kGe,          // >=, greater_than_equal
  kLt,          // <, less_than
  kLe,          // <=, less_than_equal
  kExists,      // exists
  kNotExists,   // !exists, not_exists
  kIn,          // in
  kNotIn,       // !in, not_in
  kMatches,     // =~, matches
  kNotMatches,  // !~, not_matches
};

// Longest attribute name ECS accepts (PutAttributes).
inline constexpr size_t kMaxAttributeNameLength = 128;

// "agentConnected", "task:group"; "attribute:<name>" for kAttribute.
std::string_view SubjectName(SubjectKind subject);
// The symbol form of an operator: "==", "!exists", "in", "=~".
std::string_view OpSymbol(Op op);
// The word form: "equals", "not_exists", "in", "matches".
std::string_view OpWord(Op op);
// How many arguments the operator takes: 0 (exists), 1, or a list (in).
enum class Arity { kNone, kOne, kList };
Arity OpArity(Op op);

// Whether `op` may be used with `subject`, and the list of those that may
// ("==, !=, in, !in, =~, !~") for error messages.
bool OperatorAllowed(SubjectKind subject, Op op);
std::string AllowedOperators(SubjectKind subject);
// "" when `value` is a valid argument of `op` for `subject`; otherwise what
// a valid one looks like ("a whole number", "true or false", ...).
// Regular expressions are checked by MakePredicate, which compiles them.
std::string_view ValueExpectation(SubjectKind subject, Op op, std::string_view value);
// True when an attribute name uses only the characters ECS allows (letters,
// digits, '-', '_', '/', '\', '.') and is 1..128 characters long.
bool IsValidAttributeName(std::string_view name);

// One "subject operator argument" comparison, with its argument compiled.
struct Predicate {
  SubjectKind subject = SubjectKind::kAgentConnected;
  std::string attribute;            // the name, for kAttribute only
  Op op = Op::kEq;
  std::vector<std::string> values;  // unquoted; none for exists, 1+ for in
  // Compiled forms of values[0], set by MakePredicate as the subject needs:
  std::unique_ptr<const RE2> regex;  // =~ and !~
  int64_t number = 0;                // runningTasksCount
  TimeRange time;                    // registeredAt
};

// Checks and compiles a predicate. Errors are InvalidArgument without a
// position (the parser adds it).
absl::StatusOr<Predicate> MakePredicate(SubjectKind subject, std::string attribute,
                                        Op op, std::vector<std::string> values);

struct Node {
  enum class Kind { kPredicate, kNot, kAnd, kOr };
  Kind kind = Kind::kPredicate;
  Predicate predicate;                               // kPredicate
  std::vector<std::unique_ptr<Node>> children;  // kNot: 1; kAnd/kOr: 2+
};

std::unique_ptr<Node> MakeLeaf(Predicate predicate);
std::unique_ptr<Node> MakeNot(std::unique_ptr<Node> child);
// kind is kAnd or kOr; a child of the same kind is flattened into the new
// node, so "a and (b and c)" and "a and b and c" give the same tree.
std::unique_ptr<Node> MakeJunction(Node::Kind kind,
                                         std::vector<std::unique_ptr<Node>> children);

// Evaluates the tree against one instance (evaluate.cc).
bool Evaluate(const Node& node, const Subject& subject);
bool EvaluatePredicate(const Predicate& predicate, const Subject& subject);

// What the tree reads.
Dependencies DependenciesOf(const Node& node);

// `text` cut to `max_bytes` (on a UTF-8 character boundary) with "..."
// appended when cut, so hostile input cannot make error messages large.
std::string Abbreviate(std::string_view text, size_t max_bytes);
// 'text' abbreviated to 40 bytes, for error messages.
std::string QuoteForMessage(std::string_view text);

// Prints the tree as canonical text that parses back to the same tree:
// symbol operators, single spaces, "and"/"or"/"not", parentheses only where
// precedence (not > and > or) needs them, values quoted only when a bare
// word would not read back the same.
std::string Print(const Node& node);
// Quotes a value if it cannot be written bare ("us-east-1a" stays,
// "a b" becomes 'a b').
std::string PrintValue(std::string_view value);

}  // namespace berth::scheduler::query

#endif  // BERTH_CONTROL_SCHEDULER_QUERY_AST_H_
