#ifndef BERTH_CONTROL_SCHEDULER_QUERY_PARSER_H_
#define BERTH_CONTROL_SCHEDULER_QUERY_PARSER_H_

// Recursive-descent parser for the cluster query language:
//
//   expr      := or
//   or        := and (("or" | "||") and)*
//   and       := unary (("and" | "&&") unary)*
//   unary     := ("not" | "!") unary | "(" expr ")" | predicate
//   predicate := subject operator [argument]
//   argument  := value | "[" value ("," value)* "]"
//
// so not binds tighter than and, and than or. Parse() in query.cc wraps the
// tree in an Expression; tests and the fuzz target use ParseTree directly.

#include <cstddef>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "control/scheduler/query/ast.h"

namespace berth::scheduler::query {

// ECS's limit on a memberOf expression (PlacementConstraint.expression).
inline constexpr size_t kMaxExpressionLength = 2000;
// Parentheses and not/! may nest this deep; deeper input is rejected so
// that parsing, evaluating and printing recurse a bounded number of times.
inline constexpr int kMaxNesting = 64;

struct ParseLimits {
  size_t max_length = kMaxExpressionLength;  // in characters
  int max_nesting = kMaxNesting;
};

// Parses `text` into a checked, compiled tree. Errors are InvalidArgument:
// "invalid expression at position <n>: <what was expected>", n being the
// 1-based character position (UTF-8 code points) of the offending token.
absl::StatusOr<std::unique_ptr<Node>> ParseTree(std::string_view text,
                                                const ParseLimits& limits = {});

// The 1-based character position of byte `offset` in `text`: one more than
// the number of UTF-8 code points before it.
size_t CharPosition(std::string_view text, size_t offset);

}  // namespace berth::scheduler::query

#endif  // BERTH_CONTROL_SCHEDULER_QUERY_PARSER_H_
