#include "control/scheduler/query/query.h"

#include <string>
#include <utility>

#include "control/scheduler/query/ast.h"
#include "control/scheduler/query/cache.h"
#include "control/scheduler/query/parser.h"

namespace berth::scheduler::query {
namespace {

// An immutable parsed expression: the text as written, its tree (with
// compiled arguments) and what it reads.
class ParsedExpression final : public Expression {
 public:
  ParsedExpression(std::string text, std::unique_ptr<Node> root)
      : text_(std::move(text)), root_(std::move(root)), dependencies_(DependenciesOf(*root_)) {}

  bool Evaluate(const Subject& subject) const override {
    return query::Evaluate(*root_, subject);
  }
  const Dependencies& dependencies() const override { return dependencies_; }
  std::string_view text() const override { return text_; }

 private:
  const std::string text_;
  const std::unique_ptr<const Node> root_;
  const Dependencies dependencies_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const Expression>> Parse(std::string_view text) {
  absl::StatusOr<std::unique_ptr<Node>> root = ParseTree(text);
  if (!root.ok()) {
    return root.status();
  }
  return std::make_shared<const ParsedExpression>(std::string(text), *std::move(root));
}

absl::StatusOr<std::shared_ptr<const Expression>> ParseCached(std::string_view text) {
  return ExpressionCache::Global().Get(text);
}

}  // namespace berth::scheduler::query
