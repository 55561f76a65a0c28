package ecs

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The grammar, by recursive descent; "and" binds tighter than "or", "not" tighter than both,
// and "and" and "or" group from the left:
//
//	expression = conjunction { ("or" | "||") conjunction }
//	conjunction = unary { ("and" | "&&") unary }
//	unary      = ("not" | "!") unary | "(" expression ")" | predicate
//	predicate  = subject operator [ argument | "[" argument { "," argument } "]" ]
//	argument   = word | quoted
//
// Keywords, operator words and the names of subjects are read in any case ("AND",
// "NOT_IN", "RunningTasksCount", "Attribute:x"); ECS documents them in lower camel case and
// nothing about case, and reading more than it documents costs nothing here. Attribute names
// and arguments keep their case.

// maxNesting bounds how deeply parentheses and "not" nest, so that no input can exhaust the
// stack of the webhook that parses it.
const maxNesting = 100

// maxAttributeName is the longest attribute name ECS accepts.
const maxAttributeName = 128

// fixedSubjects are the subjects other than attribute:<name>, in the order errors list them.
var fixedSubjects = []SubjectKind{
	SubjectAgentConnected, SubjectAgentVersion, SubjectEC2InstanceID,
	SubjectRegisteredAt, SubjectRunningTasksCount, SubjectTaskGroup,
}

// subjectList is how errors spell the subjects.
const subjectList = "agentConnected, agentVersion, attribute:<name>, ec2InstanceId, registeredAt, runningTasksCount or task:group"

// subjectOperators are the operators the ECS documentation lists as valid for each subject;
// attributes and task:group take them all.
var subjectOperators = map[SubjectKind][]Operator{
	SubjectAgentConnected:    {OpEquals, OpNotEquals, OpIn, OpNotIn, OpMatches, OpNotMatches},
	SubjectEC2InstanceID:     {OpEquals, OpNotEquals, OpIn, OpNotIn, OpMatches, OpNotMatches},
	SubjectAgentVersion:      {OpEquals, OpNotEquals, OpGreater, OpGreaterEqual, OpLess, OpLessEqual},
	SubjectRegisteredAt:      {OpEquals, OpNotEquals, OpGreater, OpGreaterEqual, OpLess, OpLessEqual},
	SubjectRunningTasksCount: {OpEquals, OpNotEquals, OpGreater, OpGreaterEqual, OpLess, OpLessEqual},
}

// registeredAtLayouts are the date formats the documentation gives for registeredAt:
// 2018-06-18T22:28:28+00:00, 2018-06-18T22:28:28Z, 2018-06-18T22:28:28 and 2018-06-18.
var registeredAtLayouts = []string{time.RFC3339, "2006-01-02T15:04:05", time.DateOnly}

// ParseExpression parses a memberOf expression of the ECS cluster query language into its
// syntax tree. Every error is a *SyntaxError that says where the expression went wrong and
// what was expected there. Beyond the grammar it checks what the documentation states: the
// operators each subject takes, that exists and not_exists take no argument, that in and
// not_in take a bracketed list and the others a single argument, that runningTasksCount is
// compared with whole numbers, registeredAt with dates and agentConnected with true or false.
func ParseExpression(s string) (Expr, error) {
	if strings.TrimSpace(s) == "" {
		return nil, &SyntaxError{Pos: 0, Msg: "the expression is empty: want subject operator [argument], such as attribute:ecs.instance-type == t2.small"}
	}
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{src: s, toks: toks}
	e, err := p.expression()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		if t.kind == tokRParen {
			return nil, p.errorf(t.start, `found ")" with no "(" to close`)
		}
		prev := p.toks[p.i-1]
		return nil, p.errorf(t.start, `expected "and", "or" or the end of the expression after %s, found %s`, p.describe(prev), p.describe(t))
	}
	return e, nil
}

// parser reads a token list by recursive descent.
type parser struct {
	src   string
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }

// next returns the current token and moves past it; it stays on tokEOF.
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) expression() (Expr, error) {
	left, err := p.conjunction()
	if err != nil {
		return nil, err
	}
	for p.isKeyword(p.peek(), tokOr, "or") {
		p.next()
		right, err := p.conjunction()
		if err != nil {
			return nil, err
		}
		left = &Or{Left: left, Right: right}
	}
	return left, nil
}

func (p *parser) conjunction() (Expr, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isKeyword(p.peek(), tokAnd, "and") {
		p.next()
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		left = &And{Left: left, Right: right}
	}
	return left, nil
}

func (p *parser) unary() (Expr, error) {
	t := p.peek()
	switch {
	case p.isKeyword(t, tokBang, "not"):
		if err := p.enter(t); err != nil {
			return nil, err
		}
		p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		p.depth--
		return &Not{X: x}, nil
	case t.kind == tokLParen:
		if err := p.enter(t); err != nil {
			return nil, err
		}
		p.next()
		e, err := p.expression()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tokRParen {
			return nil, p.errorf(c.start, `expected ")" to close the "(" at position %d, found %s`, t.start, p.describe(c))
		}
		p.depth--
		return e, nil
	}
	return p.predicate()
}

// enter counts one more level of nesting at t.
func (p *parser) enter(t token) error {
	p.depth++
	if p.depth > maxNesting {
		return p.errorf(t.start, "the expression nests parentheses and \"not\" more than %d deep", maxNesting)
	}
	return nil
}

func (p *parser) predicate() (Expr, error) {
	st := p.next()
	if st.kind != tokWord || p.isKeyword(st, tokAnd, "and") || p.isKeyword(st, tokOr, "or") {
		return nil, p.errorf(st.start, "expected a subject (%s), found %s", subjectList, p.describe(st))
	}
	subject, err := p.subject(st)
	if err != nil {
		return nil, err
	}
	ot := p.next()
	op, ok := p.operator(ot)
	if !ok {
		return nil, p.errorf(ot.start, "expected an operator after %s, found %s", p.describe(st), p.describe(ot))
	}
	if allowed := subjectOperators[subject.Kind]; allowed != nil && !slices.Contains(allowed, op) {
		return nil, p.errorf(ot.start, "%s does not take the operator %s; it takes %s", subject, p.describe(ot), opList(allowed))
	}
	pred := &Predicate{Subject: subject, Op: op}
	var argToks []token
	switch op.arity() {
	case arityNone:
		// A word that is a subject more likely starts the next predicate, after a forgotten
		// "and"; ParseExpression says so.
		if t := p.peek(); t.kind == tokString || t.kind == tokLBracket || t.kind == tokWord && !p.isKeyword(t, tokAnd, "and") && !p.isKeyword(t, tokOr, "or") && !p.isSubject(t) {
			return nil, p.errorf(t.start, "%s takes no argument, found %s", p.describe(ot), p.describe(t))
		}
	case arityList:
		if argToks, err = p.list(ot); err != nil {
			return nil, err
		}
	case arityOne:
		t := p.next()
		switch t.kind {
		case tokWord, tokString:
			argToks = []token{t}
		case tokLBracket:
			hint := ""
			switch op {
			case OpEquals:
				hint = `; use "in" to compare with a list`
			case OpNotEquals:
				hint = `; use "not_in" to compare with a list`
			}
			return nil, p.errorf(t.start, "%s takes one argument, not a list%s", p.describe(ot), hint)
		default:
			return nil, p.errorf(t.start, "expected an argument after %s, found %s", p.describe(ot), p.describe(t))
		}
	}
	for _, t := range argToks {
		if t.val == "" {
			return nil, p.errorf(t.start, "empty argument %s", p.describe(t))
		}
		if err := p.checkArgument(subject, op, t); err != nil {
			return nil, err
		}
		pred.Args = append(pred.Args, t.val)
	}
	return pred, nil
}

// list reads "[a, b, ...]" after the operator token ot.
func (p *parser) list(ot token) ([]token, error) {
	open := p.next()
	if open.kind != tokLBracket {
		return nil, p.errorf(open.start, "%s takes a list of arguments in brackets, such as [a, b]; found %s", p.describe(ot), p.describe(open))
	}
	var args []token
	for {
		t := p.next()
		switch {
		case t.kind == tokWord || t.kind == tokString:
			args = append(args, t)
		case t.kind == tokRBracket && len(args) == 0:
			return nil, p.errorf(t.start, "the argument list of %s is empty; it needs at least one argument", p.describe(ot))
		default:
			return nil, p.errorf(t.start, "expected an argument in the list opened at position %d, found %s", open.start, p.describe(t))
		}
		switch sep := p.next(); sep.kind {
		case tokRBracket:
			return args, nil
		case tokComma:
		default:
			return nil, p.errorf(sep.start, `expected "," or "]" in the list opened at position %d, found %s`, open.start, p.describe(sep))
		}
	}
}

// subject reads a subject from the word t.
func (p *parser) subject(t token) (Subject, error) {
	const attr = "attribute:"
	w := t.val
	if len(w) >= len(attr) && strings.EqualFold(w[:len(attr)], attr) {
		name := w[len(attr):]
		if name == "" {
			return Subject{}, p.errorf(t.start, "%s needs an attribute name, such as attribute:ecs.instance-type", p.describe(t))
		}
		if len(name) > maxAttributeName {
			return Subject{}, p.errorf(t.start+len(attr), "the attribute name %q is longer than %d characters", name, maxAttributeName)
		}
		for i := 0; i < len(name); i++ {
			if c := name[i]; !isAlnum(rune(c)) && !strings.ContainsRune(`._-/\@`, rune(c)) {
				return Subject{}, p.errorf(t.start+len(attr)+i, `the attribute name %q may contain only letters, digits and "._-/\@", not %q`, name, c)
			}
		}
		return Subject{Kind: SubjectAttribute, Attribute: name}, nil
	}
	for _, k := range fixedSubjects {
		if strings.EqualFold(w, string(k)) {
			return Subject{Kind: k}, nil
		}
	}
	return Subject{}, p.errorf(t.start, "unknown subject %s: expected %s", p.describe(t), subjectList)
}

// isSubject reports whether the word t is a valid subject.
func (p *parser) isSubject(t token) bool {
	_, err := p.subject(t)
	return err == nil
}

// operator reads an operator from a symbol or a word.
func (p *parser) operator(t token) (Operator, bool) {
	if t.kind != tokOp && t.kind != tokWord {
		return "", false
	}
	op, ok := operatorSpellings[strings.ToLower(t.val)]
	return op, ok
}

// checkArgument checks the arguments of the subjects whose values have a documented form.
// Patterns (=~, !~) are not checked: they are Java regular expressions, which Go cannot
// judge faithfully.
func (p *parser) checkArgument(s Subject, op Operator, t token) error {
	if op == OpMatches || op == OpNotMatches {
		return nil
	}
	a := t.val
	switch s.Kind {
	case SubjectRunningTasksCount:
		if !isDigits(a) || len(a) > 18 {
			return p.errorf(t.start, "runningTasksCount is a number of tasks; %s is not a whole number", p.describe(t))
		}
	case SubjectRegisteredAt:
		for _, layout := range registeredAtLayouts {
			if _, err := time.Parse(layout, a); err == nil {
				return nil
			}
		}
		return p.errorf(t.start, "registeredAt is a date such as 2018-06-18, 2018-06-18T22:28:28 or 2018-06-18T22:28:28Z; %s is not one", p.describe(t))
	case SubjectAgentConnected:
		if !strings.EqualFold(a, "true") && !strings.EqualFold(a, "false") {
			return p.errorf(t.start, "agentConnected is true or false, not %s", p.describe(t))
		}
	}
	return nil
}

// isKeyword reports whether t is the symbol kind or, in any case, the word.
func (p *parser) isKeyword(t token, kind tokenKind, word string) bool {
	return t.kind == kind || t.kind == tokWord && strings.EqualFold(t.val, word)
}

// describe quotes a token as the expression writes it, for errors.
func (p *parser) describe(t token) string {
	if t.kind == tokEOF {
		return "the end of the expression"
	}
	return strconv.Quote(p.src[t.start:t.end])
}

func (p *parser) errorf(pos int, format string, args ...any) error {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// opList spells operators for errors: "==, !=, in and not_in".
func opList(ops []Operator) string {
	s := make([]string, len(ops))
	for i, o := range ops {
		s[i] = string(o)
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
