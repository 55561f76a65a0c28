package ecs

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// tokenKind is the kind of a lexical token of the cluster query language.
type tokenKind int

const (
	tokEOF      tokenKind = iota
	tokWord               // a bare word: subject, keyword, operator word or argument
	tokString             // a quoted argument
	tokOp                 // a symbolic operator: == != > >= < <= =~ !~ !in !exists
	tokAnd                // &&
	tokOr                 // ||
	tokBang               // ! before an expression
	tokLParen             // (
	tokRParen             // )
	tokLBracket           // [
	tokRBracket           // ]
	tokComma              // ,
)

// token is one token: its kind, its value (a quoted argument without its quotes, an operator
// lowercased) and where it is in the expression, for errors.
type token struct {
	kind       tokenKind
	val        string
	start, end int
}

// lexer splits an expression into tokens. The language has no lexical specification; these
// are its rules here:
//
//   - Words are runs of printable ASCII other than space and ( ) [ ] , ' " = ! < > & | ~. So a
//     word holds subjects ("attribute:ecs.instance-type", "task:group"), patterns ("t2.*"),
//     timestamps ("2018-06-18T22:28:28+00:00") and versions ("1.14.5"), and stops at an
//     operator written without spaces ("a==b").
//   - An argument with any other character (a space, a parenthesis of a regular expression)
//     is quoted, in single or double quotes, as the documentation quotes instance IDs; there
//     is no escape inside quotes, and no control character.
//   - "!" is "!=", "!~", "!in" or "!exists" when one of those follows it, else the "!" of
//     "not". "&&" and "||" must be doubled; a single "=" is an error.
type lexer struct {
	src  string
	pos  int
	toks []token
}

// lex returns the tokens of src, ending with tokEOF, or the *SyntaxError of the first
// character that cannot start a token.
func lex(src string) ([]token, error) {
	l := &lexer{src: src}
	for {
		l.skipSpace()
		if l.pos >= len(src) {
			l.emit(tokEOF, "", l.pos)
			return l.toks, nil
		}
		if err := l.next(); err != nil {
			return nil, err
		}
	}
}

func (l *lexer) emit(kind tokenKind, val string, start int) {
	l.toks = append(l.toks, token{kind: kind, val: val, start: start, end: l.pos})
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.src) && isSpace(l.src[l.pos]) {
		l.pos++
	}
}

// punctuation are the one-character tokens.
var punctuation = map[byte]tokenKind{'(': tokLParen, ')': tokRParen, '[': tokLBracket, ']': tokRBracket, ',': tokComma}

// next reads one token at l.pos, which is not a space.
func (l *lexer) next() error {
	start := l.pos
	c := l.src[l.pos]
	if kind, ok := punctuation[c]; ok {
		l.pos++
		l.emit(kind, string(c), start)
		return nil
	}
	switch c {
	case '\'', '"':
		return l.quoted(c)
	case '=':
		if l.accept("==") || l.accept("=~") {
			l.emit(tokOp, l.src[start:l.pos], start)
			return nil
		}
		return l.errorf(start, `unexpected "=": compare with "==" (or "=~" to match a pattern)`)
	case '!':
		if l.accept("!=") || l.accept("!~") || l.acceptWord("!in") || l.acceptWord("!exists") {
			l.emit(tokOp, strings.ToLower(l.src[start:l.pos]), start)
			return nil
		}
		l.pos++
		l.emit(tokBang, "!", start)
		return nil
	case '<', '>':
		l.pos++
		l.accept("=")
		l.emit(tokOp, l.src[start:l.pos], start)
		return nil
	case '&':
		if l.accept("&&") {
			l.emit(tokAnd, "&&", start)
			return nil
		}
		return l.errorf(start, `unexpected "&": write "&&" or "and"`)
	case '|':
		if l.accept("||") {
			l.emit(tokOr, "||", start)
			return nil
		}
		return l.errorf(start, `unexpected "|": write "||" or "or" (quote a regular expression that holds "|")`)
	}
	if isWordChar(c) {
		for l.pos < len(l.src) && isWordChar(l.src[l.pos]) {
			l.pos++
		}
		l.emit(tokWord, l.src[start:l.pos], start)
		return nil
	}
	r, _ := utf8.DecodeRuneInString(l.src[start:])
	return l.errorf(start, "unexpected character %s (quote an argument that holds it)", strconv.QuoteRune(r))
}

// quoted reads an argument in quotes q.
func (l *lexer) quoted(q byte) error {
	start := l.pos
	l.pos++
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if c == q {
			l.pos++
			l.emit(tokString, l.src[start+1:l.pos-1], start)
			return nil
		}
		if c < 0x20 || c == 0x7f {
			return l.errorf(l.pos, "control character %q in a quoted argument", c)
		}
		l.pos++
	}
	return l.errorf(start, "the argument opened with %c has no closing %c", q, q)
}

// accept consumes s if the input continues with it.
func (l *lexer) accept(s string) bool {
	if strings.HasPrefix(l.src[l.pos:], s) {
		l.pos += len(s)
		return true
	}
	return false
}

// acceptWord consumes s, in any case, if the input continues with it and no word character
// follows: "!in" but not the "!in" of "!instance".
func (l *lexer) acceptWord(s string) bool {
	end := l.pos + len(s)
	if end > len(l.src) || !strings.EqualFold(l.src[l.pos:end], s) || end < len(l.src) && isWordChar(l.src[end]) {
		return false
	}
	l.pos = end
	return true
}

func (l *lexer) errorf(pos int, format string, args ...any) error {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isWordChar is a character a bare word may hold: printable ASCII but for space and the
// characters that are tokens of their own.
func isWordChar(c byte) bool {
	return c > ' ' && c < 0x7f && !strings.ContainsRune(`()[],'"=!<>&|~`, rune(c))
}

// isWord reports whether s lexes as exactly one word.
func isWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isWordChar(s[i]) {
			return false
		}
	}
	return true
}
