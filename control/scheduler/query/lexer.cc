#include "control/scheduler/query/lexer.h"

#include <array>
#include <utility>

namespace berth::scheduler::query {
namespace {

constexpr std::array<std::pair<std::string_view, Op>, 12> kWordOperators = {{
    {"equals", Op::kEq},
    {"not_equals", Op::kNe},
    {"greater_than", Op::kGt},
    {"greater_than_equal", Op::kGe},
    {"less_than", Op::kLt},
    {"less_than_equal", Op::kLe},
    {"exists", Op::kExists},
    {"not_exists", Op::kNotExists},
    {"in", Op::kIn},
    {"not_in", Op::kNotIn},
    {"matches", Op::kMatches},
    {"not_matches", Op::kNotMatches},
}};

// Two-character symbols first, so ">=" is not read as ">".
constexpr std::array<std::pair<std::string_view, Op>, 8> kSymbolOperators = {{
    {"==", Op::kEq},
    {"!=", Op::kNe},
    {">=", Op::kGe},
    {"<=", Op::kLe},
    {"=~", Op::kMatches},
    {"!~", Op::kNotMatches},
    {">", Op::kGt},
    {"<", Op::kLt},
}};

bool IsBareTerminator(std::string_view text, size_t pos) {
  char c = text[pos];
  if (IsSpace(c)) {
    return true;
  }
  switch (c) {
    case '(':
    case ')':
    case '[':
    case ']':
    case ',':
    case '\'':
    case '"':
      return true;
    case '&':
    case '|':
      return pos + 1 < text.size() && text[pos + 1] == c;
    default:
      return false;
  }
}

}  // namespace

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_' || c == '.' || c == ':' || c == '/' || c == '\\';
}

bool CanBeBare(std::string_view value) {
  if (value.empty()) {
    return false;
  }
  for (size_t i = 0; i < value.size(); ++i) {
    if (IsBareTerminator(value, i)) {
      return false;
    }
  }
  return true;
}

void Lexer::SkipSpace() {
  while (pos_ < text_.size() && IsSpace(text_[pos_])) {
    ++pos_;
  }
}

std::string_view Lexer::PeekWord() const {
  size_t end = pos_;
  while (end < text_.size() && IsWordChar(text_[end])) {
    ++end;
  }
  return text_.substr(pos_, end - pos_);
}

Token Lexer::Make(Token::Kind kind, size_t length) {
  Token t;
  t.kind = kind;
  t.offset = pos_;
  t.raw = text_.substr(pos_, length);
  pos_ += length;
  return t;
}

Token Lexer::Operand() {
  SkipSpace();
  if (pos_ == text_.size()) {
    return Make(Token::Kind::kEnd, 0);
  }
  char c = text_[pos_];
  if (c == '(') {
    return Make(Token::Kind::kLParen, 1);
  }
  if (c == '!') {
    return Make(Token::Kind::kNot, 1);
  }
  std::string_view word = PeekWord();
  if (word.empty()) {
    return Make(Token::Kind::kInvalid, 0);
  }
  return Make(word == "not" ? Token::Kind::kNot : Token::Kind::kWord, word.size());
}

Token Lexer::Operator() {
  SkipSpace();
  if (pos_ == text_.size()) {
    return Make(Token::Kind::kEnd, 0);
  }
  std::string_view rest = text_.substr(pos_);
  for (const auto& [symbol, op] : kSymbolOperators) {
    if (rest.substr(0, symbol.size()) == symbol) {
      Token t = Make(Token::Kind::kOperator, symbol.size());
      t.op = op;
      return t;
    }
  }
  // "!exists" and "!in": '!' directly followed by the word.
  size_t word_start = rest[0] == '!' ? 1 : 0;
  size_t saved = pos_;
  pos_ += word_start;
  std::string_view word = PeekWord();
  pos_ = saved;
  for (const auto& [name, op] : kWordOperators) {
    if (word != name) {
      continue;
    }
    if (word_start == 0) {
      Token t = Make(Token::Kind::kOperator, word.size());
      t.op = op;
      return t;
    }
    if (op == Op::kExists || op == Op::kIn) {
      Token t = Make(Token::Kind::kOperator, word.size() + 1);
      t.op = op == Op::kExists ? Op::kNotExists : Op::kNotIn;
      return t;
    }
  }
  return Make(Token::Kind::kInvalid, 0);
}

Token Lexer::Value() {
  SkipSpace();
  if (pos_ == text_.size()) {
    return Make(Token::Kind::kEnd, 0);
  }
  char c = text_[pos_];
  if (c == '[') {
    return Make(Token::Kind::kLBracket, 1);
  }
  if (c == '\'' || c == '"') {
    size_t close = text_.find(c, pos_ + 1);
    if (close == std::string_view::npos) {
      return Make(Token::Kind::kUnterminated, 0);
    }
    Token t = Make(Token::Kind::kValue, close + 1 - pos_);
    t.value = t.raw.substr(1, t.raw.size() - 2);
    return t;
  }
  size_t end = pos_;
  while (end < text_.size() && !IsBareTerminator(text_, end)) {
    ++end;
  }
  if (end == pos_) {
    return Make(Token::Kind::kInvalid, 0);
  }
  Token t = Make(Token::Kind::kValue, end - pos_);
  t.value = t.raw;
  return t;
}

Token Lexer::ListSeparator() {
  SkipSpace();
  if (pos_ == text_.size()) {
    return Make(Token::Kind::kEnd, 0);
  }
  switch (text_[pos_]) {
    case ',':
      return Make(Token::Kind::kComma, 1);
    case ']':
      return Make(Token::Kind::kRBracket, 1);
    default:
      return Make(Token::Kind::kInvalid, 0);
  }
}

Token Lexer::Connective() {
  SkipSpace();
  if (pos_ == text_.size()) {
    return Make(Token::Kind::kEnd, 0);
  }
  std::string_view rest = text_.substr(pos_);
  if (rest[0] == ')') {
    return Make(Token::Kind::kRParen, 1);
  }
  if (rest.substr(0, 2) == "&&") {
    return Make(Token::Kind::kAnd, 2);
  }
  if (rest.substr(0, 2) == "||") {
    return Make(Token::Kind::kOr, 2);
  }
  std::string_view word = PeekWord();
  if (word == "and") {
    return Make(Token::Kind::kAnd, 3);
  }
  if (word == "or") {
    return Make(Token::Kind::kOr, 2);
  }
  return Make(Token::Kind::kInvalid, 0);
}

}  // namespace berth::scheduler::query
