package ecs

import (
	"fmt"
	"strings"
)

// This file holds the syntax tree of the ECS cluster query language, the language of memberOf
// placement constraints, and its canonical printing. The lexer and the parser are in
// memberof_lexer.go and memberof_parser.go, the disjunctive normal form in memberof_dnf.go.
//
// An expression is a predicate, "subject operator [argument]", or predicates combined with
// "and" (or "&&"), "or" (or "||"), "not" (or "!") and parentheses:
//
//	attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d
//	not(task:group == database)
//	ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']

// Expr is a memberOf expression: *And, *Or, *Not or *Predicate. String prints it in the
// canonical form, which ParseExpression reads back into an equal tree.
type Expr interface{ String() string }

// And is true when both sides are.
type And struct{ Left, Right Expr }

// Or is true when either side is.
type Or struct{ Left, Right Expr }

// Not is true when X is false.
type Not struct{ X Expr }

// Predicate compares a subject of a container instance with its arguments. Args is empty for
// exists and not_exists, holds the list of in and not_in, and one argument otherwise. Quoted
// arguments are held without their quotes.
type Predicate struct {
	Subject Subject
	Op      Operator
	Args    []string
}

// SubjectKind is what a predicate looks at.
type SubjectKind string

// The subjects of the cluster query language. The values are the names the language uses,
// except for SubjectAttribute, which is written "attribute:<name>".
const (
	SubjectAttribute         SubjectKind = "attribute"
	SubjectAgentConnected    SubjectKind = "agentConnected"
	SubjectAgentVersion      SubjectKind = "agentVersion"
	SubjectEC2InstanceID     SubjectKind = "ec2InstanceId"
	SubjectRegisteredAt      SubjectKind = "registeredAt"
	SubjectRunningTasksCount SubjectKind = "runningTasksCount"
	SubjectTaskGroup         SubjectKind = "task:group"
)

// Subject is a predicate's subject; Attribute is the attribute's name for SubjectAttribute
// ("ecs.instance-type" in "attribute:ecs.instance-type") and empty otherwise.
type Subject struct {
	Kind      SubjectKind
	Attribute string
}

// String is the subject as the language writes it.
func (s Subject) String() string {
	if s.Kind == SubjectAttribute {
		return "attribute:" + s.Attribute
	}
	return string(s.Kind)
}

// Operator is a predicate's operator, in its canonical spelling. The language has a word and
// most have a symbol too ("==" and "equals"); the canonical spelling is the symbol where the
// documentation's examples use one, else the word.
type Operator string

const (
	OpEquals       Operator = "=="         // also "equals"
	OpNotEquals    Operator = "!="         // also "not_equals"
	OpGreater      Operator = ">"          // also "greater_than"
	OpGreaterEqual Operator = ">="         // also "greater_than_equal"
	OpLess         Operator = "<"          // also "less_than"
	OpLessEqual    Operator = "<="         // also "less_than_equal"
	OpExists       Operator = "exists"     // no argument
	OpNotExists    Operator = "not_exists" // also "!exists"; no argument
	OpIn           Operator = "in"         // takes a list
	OpNotIn        Operator = "not_in"     // also "!in"; takes a list
	OpMatches      Operator = "=~"         // also "matches"; a Java regular expression
	OpNotMatches   Operator = "!~"         // also "not_matches"
)

// operatorSpellings maps every spelling of an operator, lowercased, to the operator.
var operatorSpellings = map[string]Operator{
	"==": OpEquals, "equals": OpEquals,
	"!=": OpNotEquals, "not_equals": OpNotEquals,
	">": OpGreater, "greater_than": OpGreater,
	">=": OpGreaterEqual, "greater_than_equal": OpGreaterEqual,
	"<": OpLess, "less_than": OpLess,
	"<=": OpLessEqual, "less_than_equal": OpLessEqual,
	"exists":  OpExists,
	"!exists": OpNotExists, "not_exists": OpNotExists,
	"in":  OpIn,
	"!in": OpNotIn, "not_in": OpNotIn,
	"=~": OpMatches, "matches": OpMatches,
	"!~": OpNotMatches, "not_matches": OpNotMatches,
}

// Negate is the operator that is true exactly where o is false, for the values o compares:
// == and !=, in and not_in, exists and not_exists, =~ and !~, > and <=, < and >=. (On an
// instance that lacks the subject altogether, "not(a > 1)" holds while "a <= 1" does not;
// ECS documents no such case and the node affinity this feeds behaves the same way.) Negate
// returns o itself for an operator it does not know.
func (o Operator) Negate() Operator {
	switch o {
	case OpEquals:
		return OpNotEquals
	case OpNotEquals:
		return OpEquals
	case OpGreater:
		return OpLessEqual
	case OpLessEqual:
		return OpGreater
	case OpLess:
		return OpGreaterEqual
	case OpGreaterEqual:
		return OpLess
	case OpExists:
		return OpNotExists
	case OpNotExists:
		return OpExists
	case OpIn:
		return OpNotIn
	case OpNotIn:
		return OpIn
	case OpMatches:
		return OpNotMatches
	case OpNotMatches:
		return OpMatches
	}
	return o
}

// arity is how many arguments an operator takes.
type arity int

const (
	arityNone arity = iota // exists, not_exists
	arityOne               // the comparisons and matches
	arityList              // in, not_in: a bracketed list
)

func (o Operator) arity() arity {
	switch o {
	case OpExists, OpNotExists:
		return arityNone
	case OpIn, OpNotIn:
		return arityList
	}
	return arityOne
}

// SyntaxError is a memberOf expression that cannot be parsed. Pos is the byte offset in the
// expression where the problem is, from 0 to len(expression) (the end, for an expression that
// stops too early).
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("memberOf expression: at position %d: %s", e.Pos, e.Msg)
}

// Precedences, for printing only as many parentheses as the tree needs.
const (
	precOr = iota + 1
	precAnd
	precUnary
)

func precedence(e Expr) int {
	switch e.(type) {
	case *Or:
		return precOr
	case *And:
		return precAnd
	case *Not, *Predicate:
		return precUnary
	}
	return 0
}

// operand prints a child of an And or Or, in parentheses when it binds more loosely than its
// parent, or as tightly but on the right: "a and (b and c)" must not re-parse as
// "(a and b) and c", which is a different tree.
func operand(e Expr, parent int, right bool) string {
	if e == nil {
		return "<nil>"
	}
	if p := precedence(e); p < parent || right && p == parent {
		return "(" + e.String() + ")"
	}
	return e.String()
}

// String prints "left and right".
func (e *And) String() string {
	return operand(e.Left, precAnd, false) + " and " + operand(e.Right, precAnd, true)
}

// String prints "left or right".
func (e *Or) String() string {
	return operand(e.Left, precOr, false) + " or " + operand(e.Right, precOr, true)
}

// String prints "not(x)", the form of the documentation's example.
func (e *Not) String() string {
	if e.X == nil {
		return "not(<nil>)"
	}
	return "not(" + e.X.String() + ")"
}

// String prints "subject operator argument", with a list in brackets ("[a, b]") and each
// argument bare when the lexer would read it back as one word, else quoted. An argument
// holding both kinds of quote, or a control character, cannot come out of ParseExpression and
// does not print in a form it reads back.
func (e *Predicate) String() string {
	var b strings.Builder
	b.WriteString(e.Subject.String())
	b.WriteByte(' ')
	b.WriteString(string(e.Op))
	switch {
	case e.Op.arity() == arityList:
		b.WriteString(" [")
		for i, a := range e.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(formatArgument(a))
		}
		b.WriteByte(']')
	case len(e.Args) > 0:
		b.WriteByte(' ')
		b.WriteString(formatArgument(e.Args[0]))
	}
	return b.String()
}

// formatArgument prints an argument bare if it is one word, else in single quotes, or double
// quotes if it contains a single quote.
func formatArgument(a string) string {
	if isWord(a) {
		return a
	}
	if !strings.Contains(a, "'") {
		return "'" + a + "'"
	}
	return `"` + a + `"`
}
