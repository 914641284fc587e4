#ifndef BERTH_CONTROL_SCHEDULER_QUERY_LEXER_H_
#define BERTH_CONTROL_SCHEDULER_QUERY_LEXER_H_

// Splits an expression into tokens. The parser asks for the kind of token
// the grammar expects at each point (an operand, an operator, a value, a
// connective), because the same characters read differently by position:
// "!" is `not` before an operand but starts "!=", "!in", "!exists" after a
// subject, and "and" is a connective after a value but a value after "==".
//
// Lexing rules (docs/query-language.md has the full list):
//  - whitespace (space, tab, CR, LF, FF, VT) separates tokens and is
//    otherwise ignored;
//  - a word (subject, keyword, word operator) is a run of letters, digits
//    and - _ . : / \ characters;
//  - a bare value is a run of any characters except whitespace, ( ) [ ] ,
//    ' " and the two-character sequences && and ||; a quoted value runs
//    from ' or " to the next identical quote, with no escapes.

#include <cstddef>
#include <string_view>

#include "control/scheduler/query/ast.h"

namespace berth::scheduler::query {

struct Token {
  enum class Kind {
    kEnd,           // end of input
    kInvalid,       // nothing the grammar allows here
    kUnterminated,  // a quote without its closing quote
    kLParen,
    kRParen,
    kLBracket,
    kRBracket,
    kComma,
    kNot,       // not, !
    kAnd,       // and, &&
    kOr,        // or, ||
    kWord,      // a subject
    kOperator,  // op is set
    kValue,     // value is set
  };
  Kind kind = Kind::kInvalid;
  size_t offset = 0;       // byte offset of the first character
  std::string_view raw;    // as written, quotes included
  std::string_view value;  // kValue: the text without quotes
  Op op = Op::kEq;         // kOperator
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  // Each skips whitespace, then reads one token the way the grammar reads
  // it at that point. A kInvalid token consumes nothing.
  Token Operand();      // '(', not/!, a subject word
  Token Operator();     // == != > >= < <= exists !exists in !in =~ !~, words
  Token Value();        // a quoted or bare value, or '['
  Token ListSeparator();  // ',' or ']'
  Token Connective();   // and/&&, or/||, ')'

  size_t offset() const { return pos_; }
  void Rewind(size_t offset) { pos_ = offset; }
  std::string_view text() const { return text_; }

 private:
  void SkipSpace();
  // The word starting at pos_ (possibly empty); does not consume it.
  std::string_view PeekWord() const;
  Token Make(Token::Kind kind, size_t length);

  std::string_view text_;
  size_t pos_ = 0;
};

bool IsSpace(char c);
// A character of subjects, keywords and word operators.
bool IsWordChar(char c);
// True when `value` written without quotes reads back as exactly `value`.
bool CanBeBare(std::string_view value);

}  // namespace berth::scheduler::query

#endif  // BERTH_CONTROL_SCHEDULER_QUERY_LEXER_H_
