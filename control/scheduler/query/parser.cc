#include "control/scheduler/query/parser.h"

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "control/scheduler/query/lexer.h"
#include "io/absl_compat.h"

namespace berth::scheduler::query {
namespace {

constexpr std::string_view kAttributePrefix = "attribute:";
constexpr std::string_view kOperandExpected = "expected a subject, 'not' or '('";
constexpr std::string_view kSubjectList =
    "agentConnected, agentVersion, attribute:<name>, ec2InstanceId, "
    "registeredAt, runningTasksCount or task:group";
constexpr std::array<std::pair<std::string_view, SubjectKind>, 6> kSubjects = {{
    {"agentConnected", SubjectKind::kAgentConnected},
    {"agentVersion", SubjectKind::kAgentVersion},
    {"ec2InstanceId", SubjectKind::kEc2InstanceId},
    {"registeredAt", SubjectKind::kRegisteredAt},
    {"runningTasksCount", SubjectKind::kRunningTasksCount},
    {"task:group", SubjectKind::kTaskGroup},
}};

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

class Parser {
 public:
  Parser(std::string_view text, int max_nesting) : lexer_(text), max_nesting_(max_nesting) {}

  absl::StatusOr<std::unique_ptr<Node>> Run() {
    absl::StatusOr<std::unique_ptr<Node>> root = ParseOr(0);
    if (!root.ok()) {
      return root;
    }
    Token t = lexer_.Connective();
    if (t.kind == Token::Kind::kEnd) {
      return root;
    }
    if (t.kind == Token::Kind::kRParen) {
      return Error(t.offset, "unexpected ')' without a matching '('");
    }
    return Error(t.offset, absl::StrCat("expected 'and', 'or' or end of input", After()));
  }

 private:
  absl::Status Error(size_t offset, std::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat("invalid expression at position ",
                                                   CharPosition(lexer_.text(), offset),
                                                   ": ", Absl(message)));
  }

  // " after '<last token>'", or "" at the start of the input.
  std::string After() const {
    return last_.empty() ? "" : absl::StrCat(" after ", QuoteForMessage(last_));
  }

  absl::StatusOr<std::unique_ptr<Node>> ParseOr(int depth) {
    return ParseJunction(Node::Kind::kOr, depth);
  }

  // or := and (OR and)*, and := unary (AND unary)*.
  absl::StatusOr<std::unique_ptr<Node>> ParseJunction(Node::Kind kind, int depth) {
    std::vector<std::unique_ptr<Node>> children;
    Token::Kind separator = kind == Node::Kind::kOr ? Token::Kind::kOr : Token::Kind::kAnd;
    while (true) {
      absl::StatusOr<std::unique_ptr<Node>> child =
          kind == Node::Kind::kOr ? ParseJunction(Node::Kind::kAnd, depth) : ParseUnary(depth);
      if (!child.ok()) {
        return child.status();
      }
      children.push_back(*std::move(child));
      size_t saved = lexer_.offset();
      Token t = lexer_.Connective();
      if (t.kind != separator) {
        lexer_.Rewind(saved);
        break;
      }
      last_ = t.raw;
    }
    if (children.size() == 1) {
      return std::move(children[0]);
    }
    return MakeJunction(kind, std::move(children));
  }

  absl::StatusOr<std::unique_ptr<Node>> ParseUnary(int depth) {
    Token t = lexer_.Operand();
    if ((t.kind == Token::Kind::kNot || t.kind == Token::Kind::kLParen) &&
        depth >= max_nesting_) {
      return Error(t.offset, absl::StrCat("parentheses and 'not' nest deeper than ",
                                          max_nesting_, " levels"));
    }
    switch (t.kind) {
      case Token::Kind::kNot: {
        last_ = t.raw;
        absl::StatusOr<std::unique_ptr<Node>> child = ParseUnary(depth + 1);
        if (!child.ok()) {
          return child.status();
        }
        return MakeNot(*std::move(child));
      }
      case Token::Kind::kLParen: {
        last_ = t.raw;
        absl::StatusOr<std::unique_ptr<Node>> inner = ParseOr(depth + 1);
        if (!inner.ok()) {
          return inner.status();
        }
        Token close = lexer_.Connective();
        if (close.kind == Token::Kind::kRParen) {
          last_ = close.raw;
          return inner;
        }
        if (close.kind == Token::Kind::kEnd) {
          return Error(close.offset,
                       absl::StrCat("expected ')' to close the '(' at position ",
                                    CharPosition(lexer_.text(), t.offset)));
        }
        return Error(close.offset, absl::StrCat("expected 'and', 'or' or ')'", After()));
      }
      case Token::Kind::kWord:
        return ParsePredicate(t);
      default:
        return Error(t.offset, absl::StrCat(Absl(kOperandExpected), After()));
    }
  }

  absl::StatusOr<std::unique_ptr<Node>> ParsePredicate(const Token& word) {
    SubjectKind subject = SubjectKind::kAttribute;
    std::string attribute;
    if (word.raw.substr(0, kAttributePrefix.size()) == kAttributePrefix) {
      std::string_view name = word.raw.substr(kAttributePrefix.size());
      size_t name_offset = word.offset + kAttributePrefix.size();
      if (name.empty()) {
        return Error(name_offset, "expected an attribute name after 'attribute:'");
      }
      if (name.size() > kMaxAttributeNameLength) {
        return Error(name_offset, absl::StrCat("attribute names are at most ",
                                               kMaxAttributeNameLength, " characters"));
      }
      if (size_t colon = name.find(':'); colon != std::string_view::npos) {
        return Error(name_offset + colon, "attribute names cannot contain ':'");
      }
      attribute = std::string(name);
    } else {
      bool known = false;
      for (const auto& [name, kind] : kSubjects) {
        if (word.raw == name) {
          subject = kind;
          known = true;
        }
      }
      if (!known) {
        return Error(word.offset, absl::StrCat("unknown subject ", QuoteForMessage(word.raw),
                                               "; expected ", Absl(kSubjectList)));
      }
    }
    last_ = word.raw;

    Token op = lexer_.Operator();
    if (op.kind != Token::Kind::kOperator) {
      return Error(op.offset, absl::StrCat("expected an operator", After()));
    }
    if (!OperatorAllowed(subject, op.op)) {
      return Error(op.offset, absl::StrCat("operator ", QuoteForMessage(op.raw),
                                           " is not valid for ",
                                           Absl(SubjectName(subject)), " (valid: ",
                                           AllowedOperators(subject), ")"));
    }
    last_ = op.raw;

    std::vector<std::string> values;
    size_t values_offset = lexer_.offset();
    switch (OpArity(op.op)) {
      case Arity::kNone:
        break;
      case Arity::kOne: {
        Token v = lexer_.Value();
        values_offset = v.offset;
        if (v.kind == Token::Kind::kLBracket) {
          return Error(v.offset, absl::StrCat("expected a single value", After(),
                                              " (lists go with in and !in)"));
        }
        if (absl::Status s = CheckValue(subject, op, v, ""); !s.ok()) {
          return s;
        }
        values.emplace_back(v.value);
        break;
      }
      case Arity::kList: {
        Token open = lexer_.Value();
        values_offset = open.offset;
        if (open.kind != Token::Kind::kLBracket) {
          return Error(open.offset, absl::StrCat("expected '['", After()));
        }
        last_ = open.raw;
        while (true) {
          Token v = lexer_.Value();
          if (absl::Status s = CheckValue(subject, op, v, " in the list"); !s.ok()) {
            return s;
          }
          values.emplace_back(v.value);
          Token sep = lexer_.ListSeparator();
          if (sep.kind == Token::Kind::kRBracket) {
            last_ = sep.raw;
            break;
          }
          if (sep.kind != Token::Kind::kComma) {
            return Error(sep.offset, absl::StrCat("expected ',' or ']'", After()));
          }
          last_ = sep.raw;
        }
        break;
      }
    }
    absl::StatusOr<Predicate> p =
        MakePredicate(subject, std::move(attribute), op.op, std::move(values));
    if (!p.ok()) {
      return Error(values_offset, Std(p.status().message()));
    }
    return MakeLeaf(*std::move(p));
  }

  // Checks that `v` is a value the subject accepts; `where` says where it
  // stands (" in the list").
  absl::Status CheckValue(SubjectKind subject, const Token& op, const Token& v,
                          std::string_view where) {
    if (v.kind == Token::Kind::kUnterminated) {
      return Error(v.offset, absl::StrCat("unterminated quoted value: no closing ",
                                          Absl(lexer_.text().substr(v.offset, 1))));
    }
    if (v.kind != Token::Kind::kValue) {
      return Error(v.offset, absl::StrCat("expected a value", Absl(where), After()));
    }
    std::string_view expected = ValueExpectation(subject, op.op, v.value);
    if (!expected.empty()) {
      return Error(v.offset,
                   absl::StrCat("expected ", Absl(expected), " after ",
                                QuoteForMessage(op.raw), ", found ", QuoteForMessage(v.raw)));
    }
    last_ = v.raw;
    return absl::OkStatus();
  }

  Lexer lexer_;
  int max_nesting_;
  std::string_view last_;  // the last token consumed, as written
};

}  // namespace

size_t CharPosition(std::string_view text, size_t offset) {
  size_t position = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (!IsContinuationByte(text[i])) {
      ++position;
    }
  }
  return position;
}

absl::StatusOr<std::unique_ptr<Node>> ParseTree(std::string_view text,
                                                const ParseLimits& limits) {
  size_t length = CharPosition(text, text.size()) - 1;
  if (length > limits.max_length) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid expression: ", length, " characters long, the limit is ",
                     limits.max_length));
  }
  size_t first = 0;
  while (first < text.size() && IsSpace(text[first])) {
    ++first;
  }
  if (first == text.size()) {
    return absl::InvalidArgumentError("invalid expression at position 1: it is empty");
  }
  return Parser(text, limits.max_nesting).Run();
}

}  // namespace berth::scheduler::query
