// Evaluation of a parsed expression against one container instance. The
// semantics per subject are documented in docs/query-language.md.

#include <string_view>

#include "control/scheduler/query/ast.h"
#include "control/scheduler/query/values.h"
#include "re2/re2.h"

namespace berth::scheduler::query {
namespace {

// Applies a comparison operator to a three-way result.
bool Ordered(int c, Op op) {
  switch (op) {
    case Op::kEq: return c == 0;
    case Op::kNe: return c != 0;
    case Op::kGt: return c > 0;
    case Op::kGe: return c >= 0;
    case Op::kLt: return c < 0;
    case Op::kLe: return c <= 0;
    default: return false;
  }
}

bool FullMatch(const RE2& regex, std::string_view text) {
  return RE2::FullMatch(re2::StringPiece(text.data(), text.size()), regex);
}

bool InList(const Predicate& p, std::string_view value) {
  for (const std::string& v : p.values) {
    if (v == value) {
      return true;
    }
  }
  return false;
}

// A present string value (attribute, ec2InstanceId, agentConnected).
bool EvaluateString(const Predicate& p, std::string_view value) {
  switch (p.op) {
    case Op::kEq: return value == p.values[0];
    case Op::kNe: return value != p.values[0];
    case Op::kGt:
    case Op::kGe:
    case Op::kLt:
    case Op::kLe: {
      // Numbers compare as numbers ("10" > "9"), anything else byte-wise.
      const std::string& arg = p.values[0];
      int c = IsDecimal(value) && IsDecimal(arg) ? CompareDecimals(value, arg)
                                                 : value.compare(arg);
      return Ordered(c < 0 ? -1 : (c > 0 ? 1 : 0), p.op);
    }
    case Op::kExists: return true;
    case Op::kNotExists: return false;
    case Op::kIn: return InList(p, value);
    case Op::kNotIn: return !InList(p, value);
    case Op::kMatches: return FullMatch(*p.regex, value);
    case Op::kNotMatches: return !FullMatch(*p.regex, value);
  }
  return false;
}

bool EvaluateTime(const Predicate& p, absl::Time t) {
  // The argument is an interval (a day or a second): "==" means inside it.
  switch (p.op) {
    case Op::kEq: return p.time.begin <= t && t < p.time.end;
    case Op::kNe: return t < p.time.begin || t >= p.time.end;
    case Op::kLt: return t < p.time.begin;
    case Op::kLe: return t < p.time.end;
    case Op::kGt: return t >= p.time.end;
    case Op::kGe: return t >= p.time.begin;
    default: return false;
  }
}

// task:group: the positive operators hold when some task's group matches;
// each negative one is the negation of its positive twin, so "!=" means no
// task of that group (like the documented "not(task:group == X)").
bool EvaluateTaskGroup(const Predicate& p, const Subject& subject) {
  bool negate = p.op == Op::kNe || p.op == Op::kNotIn || p.op == Op::kNotMatches ||
                p.op == Op::kNotExists;
  bool any = false;
  subject.ForEachTaskGroup([&](std::string_view group) {
    switch (p.op) {
      case Op::kEq:
      case Op::kNe:
        any = group == p.values[0];
        break;
      case Op::kIn:
      case Op::kNotIn:
        any = InList(p, group);
        break;
      case Op::kMatches:
      case Op::kNotMatches:
        any = FullMatch(*p.regex, group);
        break;
      default:  // exists, !exists: any task at all
        any = true;
        break;
    }
    return !any;  // stop at the first match
  });
  return negate ? !any : any;
}

}  // namespace

bool EvaluatePredicate(const Predicate& p, const Subject& subject) {
  switch (p.subject) {
    case SubjectKind::kAttribute: {
      std::optional<std::string_view> value = subject.Attribute(p.attribute);
      // A missing attribute satisfies only !exists: "attribute:stack != prod"
      // lists instances that have a stack attribute other than prod.
      return value ? EvaluateString(p, *value) : p.op == Op::kNotExists;
    }
    case SubjectKind::kEc2InstanceId: {
      std::string_view id = subject.Ec2InstanceId();
      // External (non-EC2) instances have no id: like a missing attribute.
      return !id.empty() && EvaluateString(p, id);
    }
    case SubjectKind::kAgentConnected:
      return EvaluateString(p, subject.AgentConnected() ? "true" : "false");
    case SubjectKind::kAgentVersion: {
      std::string_view version = VersionPrefix(subject.AgentVersion());
      // An agent without a readable version matches no comparison.
      return !version.empty() && Ordered(CompareVersions(version, p.values[0]), p.op);
    }
    case SubjectKind::kRegisteredAt:
      return EvaluateTime(p, subject.RegisteredAt());
    case SubjectKind::kRunningTasksCount: {
      int64_t n = subject.RunningTasksCount();
      return Ordered(n < p.number ? -1 : (n > p.number ? 1 : 0), p.op);
    }
    case SubjectKind::kTaskGroup:
      return EvaluateTaskGroup(p, subject);
  }
  return false;
}

bool Evaluate(const Node& node, const Subject& subject) {
  switch (node.kind) {
    case Node::Kind::kPredicate:
      return EvaluatePredicate(node.predicate, subject);
    case Node::Kind::kNot:
      return !Evaluate(*node.children[0], subject);
    case Node::Kind::kAnd:
      for (const auto& child : node.children) {
        if (!Evaluate(*child, subject)) {
          return false;
        }
      }
      return true;
    case Node::Kind::kOr:
      for (const auto& child : node.children) {
        if (Evaluate(*child, subject)) {
          return true;
        }
      }
      return false;
  }
  return false;
}

}  // namespace berth::scheduler::query
