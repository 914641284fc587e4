#include "control/scheduler/query/ast.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "control/scheduler/query/lexer.h"
#include "io/absl_compat.h"
#include "io/log.h"

namespace berth::scheduler::query {
namespace {

constexpr Op kAllOps[] = {Op::kEq,     Op::kNe,        Op::kGt,    Op::kGe,
                          Op::kLt,     Op::kLe,        Op::kExists, Op::kNotExists,
                          Op::kIn,     Op::kNotIn,     Op::kMatches, Op::kNotMatches};

// RE2's memory budget per compiled pattern: ample for any sensible pattern
// (a larger program is a parse error, "pattern too large"), and it bounds
// what a cached expression can hold. A matcher that outgrows its DFA cache
// falls back to RE2's NFA, which is still linear in the input.
constexpr int64_t kRegexMaxMem = 1 << 20;
// RE2's messages quote the offending part of the pattern: cut it.
constexpr size_t kMaxRegexErrorEcho = 80;
// Longest echo of a user's token in an error message.
constexpr size_t kMaxQuoted = 40;

bool IsOrdering(Op op) {
  return op == Op::kGt || op == Op::kGe || op == Op::kLt || op == Op::kLe;
}

int Precedence(Node::Kind kind) {
  switch (kind) {
    case Node::Kind::kOr:
      return 1;
    case Node::Kind::kAnd:
      return 2;
    case Node::Kind::kNot:
      return 3;
    case Node::Kind::kPredicate:
      return 4;
  }
  return 4;
}

void PrintTo(const Node& node, std::string& out);

void PrintChild(const Node& child, int parent_precedence, std::string& out) {
  bool parens = Precedence(child.kind) < parent_precedence;
  if (parens) {
    out += '(';
  }
  PrintTo(child, out);
  if (parens) {
    out += ')';
  }
}

void PrintPredicate(const Predicate& p, std::string& out) {
  if (p.subject == SubjectKind::kAttribute) {
    absl::StrAppend(&out, "attribute:", Absl(p.attribute));
  } else {
    out += SubjectName(p.subject);
  }
  absl::StrAppend(&out, " ", Absl(OpSymbol(p.op)));
  switch (OpArity(p.op)) {
    case Arity::kNone:
      break;
    case Arity::kOne:
      absl::StrAppend(&out, " ", PrintValue(p.values.at(0)));
      break;
    case Arity::kList:
      out += " [";
      for (size_t i = 0; i < p.values.size(); ++i) {
        absl::StrAppend(&out, i == 0 ? "" : ", ", PrintValue(p.values[i]));
      }
      out += ']';
      break;
  }
}

void PrintTo(const Node& node, std::string& out) {
  switch (node.kind) {
    case Node::Kind::kPredicate:
      PrintPredicate(node.predicate, out);
      return;
    case Node::Kind::kNot:
      out += "not ";
      PrintChild(*node.children.at(0), Precedence(node.kind), out);
      return;
    case Node::Kind::kAnd:
    case Node::Kind::kOr:
      for (size_t i = 0; i < node.children.size(); ++i) {
        if (i > 0) {
          out += node.kind == Node::Kind::kAnd ? " and " : " or ";
        }
        PrintChild(*node.children[i], Precedence(node.kind), out);
      }
      return;
  }
}

}  // namespace

std::string_view SubjectName(SubjectKind subject) {
  switch (subject) {
    case SubjectKind::kAgentConnected:
      return "agentConnected";
    case SubjectKind::kAgentVersion:
      return "agentVersion";
    case SubjectKind::kAttribute:
      return "attribute:<name>";
    case SubjectKind::kEc2InstanceId:
      return "ec2InstanceId";
    case SubjectKind::kRegisteredAt:
      return "registeredAt";
    case SubjectKind::kRunningTasksCount:
      return "runningTasksCount";
    case SubjectKind::kTaskGroup:
      return "task:group";
  }
  return "?";
}

std::string_view OpSymbol(Op op) {
  switch (op) {
    case Op::kEq: return "==";
    case Op::kNe: return "!=";
    case Op::kGt: return ">";
    case Op::kGe: return ">=";
    case Op::kLt: return "<";
    case Op::kLe: return "<=";
    case Op::kExists: return "exists";
    case Op::kNotExists: return "!exists";
    case Op::kIn: return "in";
    case Op::kNotIn: return "!in";
    case Op::kMatches: return "=~";
    case Op::kNotMatches: return "!~";
  }
  return "?";
}

std::string_view OpWord(Op op) {
  switch (op) {
    case Op::kEq: return "equals";
    case Op::kNe: return "not_equals";
    case Op::kGt: return "greater_than";
    case Op::kGe: return "greater_than_equal";
    case Op::kLt: return "less_than";
    case Op::kLe: return "less_than_equal";
    case Op::kExists: return "exists";
    case Op::kNotExists: return "not_exists";
    case Op::kIn: return "in";
    case Op::kNotIn: return "not_in";
    case Op::kMatches: return "matches";
    case Op::kNotMatches: return "not_matches";
  }
  return "?";
}

Arity OpArity(Op op) {
  switch (op) {
    case Op::kExists:
    case Op::kNotExists:
      return Arity::kNone;
    case Op::kIn:
    case Op::kNotIn:
      return Arity::kList;
    default:
      return Arity::kOne;
  }
}

bool OperatorAllowed(SubjectKind subject, Op op) {
  bool equality = op == Op::kEq || op == Op::kNe;
  bool set_or_regex = op == Op::kIn || op == Op::kNotIn || op == Op::kMatches ||
                      op == Op::kNotMatches;
  switch (subject) {
    case SubjectKind::kAgentConnected:
    case SubjectKind::kEc2InstanceId:
      return equality || set_or_regex;
    case SubjectKind::kAgentVersion:
    case SubjectKind::kRegisteredAt:
    case SubjectKind::kRunningTasksCount:
      return equality || IsOrdering(op);
    case SubjectKind::kAttribute:
      return true;
    case SubjectKind::kTaskGroup:
      return equality || set_or_regex || op == Op::kExists || op == Op::kNotExists;
  }
  return false;
}

std::string AllowedOperators(SubjectKind subject) {
  std::string out;
  for (Op op : kAllOps) {
    if (OperatorAllowed(subject, op)) {
      absl::StrAppend(&out, out.empty() ? "" : ", ", Absl(OpSymbol(op)));
    }
  }
  return out;
}

std::string_view ValueExpectation(SubjectKind subject, Op op, std::string_view value) {
  switch (subject) {
    case SubjectKind::kRunningTasksCount:
      return ParseWholeNumber(value) ? "" : "a whole number";
    case SubjectKind::kAgentVersion:
      return IsVersion(value) ? "" : "a version such as 1.14.5";
    case SubjectKind::kRegisteredAt:
      return ParseDate(value) ? ""
                              : "a date such as 2018-06-18, 2018-06-18T22:28:28, "
                                "2018-06-18T22:28:28Z or 2018-06-18T22:28:28+00:00";
    case SubjectKind::kAgentConnected:
      if (op == Op::kMatches || op == Op::kNotMatches) {
        return "";
      }
      return value == "true" || value == "false" ? "" : "true or false";
    default:
      return "";
  }
}

bool IsValidAttributeName(std::string_view name) {
  if (name.empty() || name.size() > kMaxAttributeNameLength) {
    return false;
  }
  for (char c : name) {
    // IsWordChar less ':' is exactly the ECS attribute-name alphabet.
    if (!IsWordChar(c) || c == ':') {
      return false;
    }
  }
  return true;
}

absl::StatusOr<Predicate> MakePredicate(SubjectKind subject, std::string attribute,
                                        Op op, std::vector<std::string> values) {
  if (subject == SubjectKind::kAttribute && !IsValidAttributeName(attribute)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid attribute name ", QuoteForMessage(attribute)));
  }
  if (!OperatorAllowed(subject, op)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "operator '", Absl(OpSymbol(op)), "' is not valid for ",
        Absl(SubjectName(subject)), " (valid: ", AllowedOperators(subject), ")"));
  }
  Arity arity = OpArity(op);
  if ((arity == Arity::kNone && !values.empty()) ||
      (arity == Arity::kOne && values.size() != 1) ||
      (arity == Arity::kList && values.empty())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "wrong number of arguments for '", Absl(OpSymbol(op)), "'"));
  }
  for (const std::string& v : values) {
    if (v.find('\'') != std::string::npos && v.find('"') != std::string::npos) {
      // No quoting could write it back (the lexer has no escapes).
      return absl::InvalidArgumentError(
          absl::StrCat("a value cannot hold both ' and \": ", QuoteForMessage(v)));
    }
    std::string_view expected = ValueExpectation(subject, op, v);
    if (!expected.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("expected ", Absl(expected), ", found ", QuoteForMessage(v)));
    }
  }
  Predicate p;
  p.subject = subject;
  p.attribute = std::move(attribute);
  p.op = op;
  p.values = std::move(values);
  if (op == Op::kMatches || op == Op::kNotMatches) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(kRegexMaxMem);
    options.set_never_capture(true);
    auto regex = std::make_unique<RE2>(p.values[0], options);
    if (!regex->ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid regular expression ", QuoteForMessage(p.values[0]), ": ",
          Abbreviate(regex->error(), kMaxRegexErrorEcho)));
    }
    p.regex = std::move(regex);
  } else if (subject == SubjectKind::kRunningTasksCount) {
    p.number = *ParseWholeNumber(p.values[0]);
  } else if (subject == SubjectKind::kRegisteredAt) {
    p.time = *ParseDate(p.values[0]);
  }
  return p;
}

std::unique_ptr<Node> MakeLeaf(Predicate predicate) {
  auto node = std::make_unique<Node>();
  node->kind = Node::Kind::kPredicate;
  node->predicate = std::move(predicate);
  return node;
}

std::unique_ptr<Node> MakeNot(std::unique_ptr<Node> child) {
  CHECK(child != nullptr);
  auto node = std::make_unique<Node>();
  node->kind = Node::Kind::kNot;
  node->children.push_back(std::move(child));
  return node;
}

std::unique_ptr<Node> MakeJunction(Node::Kind kind,
                                   std::vector<std::unique_ptr<Node>> children) {
  CHECK(kind == Node::Kind::kAnd || kind == Node::Kind::kOr);
  CHECK_GE(children.size(), 2u);
  auto node = std::make_unique<Node>();
  node->kind = kind;
  for (std::unique_ptr<Node>& child : children) {
    CHECK(child != nullptr);
    if (child->kind == kind) {
      for (std::unique_ptr<Node>& grandchild : child->children) {
        node->children.push_back(std::move(grandchild));
      }
    } else {
      node->children.push_back(std::move(child));
    }
  }
  return node;
}

Dependencies DependenciesOf(const Node& node) {
  Dependencies deps;
  if (node.kind == Node::Kind::kPredicate) {
    switch (node.predicate.subject) {
      case SubjectKind::kAttribute:
        deps.attributes = true;
        break;
      case SubjectKind::kAgentConnected:
      case SubjectKind::kAgentVersion:
        deps.agent = true;
        break;
      case SubjectKind::kEc2InstanceId:
      case SubjectKind::kRegisteredAt:
        deps.identity = true;
        break;
      case SubjectKind::kRunningTasksCount:
      case SubjectKind::kTaskGroup:
        deps.tasks = true;
        break;
    }
    return deps;
  }
  for (const auto& child : node.children) {
    Dependencies d = DependenciesOf(*child);
    deps.attributes |= d.attributes;
    deps.agent |= d.agent;
    deps.identity |= d.identity;
    deps.tasks |= d.tasks;
  }
  return deps;
}

std::string Abbreviate(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) {
    return std::string(text);
  }
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;  // back off to the start of a UTF-8 sequence
  }
  return absl::StrCat(Absl(text.substr(0, cut)), "...");
}

std::string QuoteForMessage(std::string_view text) {
  return absl::StrCat("'", Abbreviate(text, kMaxQuoted), "'");
}

std::string Print(const Node& node) {
  std::string out;
  PrintTo(node, out);
  return out;
}

std::string PrintValue(std::string_view value) {
  if (CanBeBare(value)) {
    return std::string(value);
  }
  // MakePredicate rejects values holding both quote characters.
  const char* quote = value.find('\'') == std::string_view::npos ? "'" : "\"";
  return absl::StrCat(quote, Absl(value), quote);
}

}  // namespace berth::scheduler::query
