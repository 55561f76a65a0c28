package ecs

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func attr(name string, op Operator, args ...string) *Predicate {
	return &Predicate{Subject: Subject{Kind: SubjectAttribute, Attribute: name}, Op: op, Args: args}
}

func subj(kind SubjectKind, op Operator, args ...string) *Predicate {
	return &Predicate{Subject: Subject{Kind: kind}, Op: op, Args: args}
}

func TestParseExpressionReadsTheDocumentationExamples(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Expr
	}{
		{"attribute:ecs.instance-type == t2.small", attr("ecs.instance-type", OpEquals, "t2.small")},
		{"attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", attr("ecs.availability-zone", OpIn, "us-east-1a", "us-east-1b")},
		{"attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d",
			&And{attr("ecs.instance-type", OpMatches, "g2.*"), attr("ecs.availability-zone", OpNotEquals, "us-east-1d")}},
		{"task:group == service:production", subj(SubjectTaskGroup, OpEquals, "service:production")},
		{"not(task:group == database)", &Not{subj(SubjectTaskGroup, OpEquals, "database")}},
		{"runningTasksCount == 1", subj(SubjectRunningTasksCount, OpEquals, "1")},
		{"agentVersion < 1.14.5", subj(SubjectAgentVersion, OpLess, "1.14.5")},
		{"registeredAt < 2018-02-13", subj(SubjectRegisteredAt, OpLess, "2018-02-13")},
		{"ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", subj(SubjectEC2InstanceID, OpIn, "i-abcd1234", "i-wxyx7890")},
		{"(attribute:a == 1 or attribute:b == 2) and attribute:c == 3",
			&And{&Or{attr("a", OpEquals, "1"), attr("b", OpEquals, "2")}, attr("c", OpEquals, "3")}},
	} {
		got, err := ParseExpression(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseExpression(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseExpressionReadsEverySubjectAndArgumentForm(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Expr
	}{
		{"agentConnected == true", subj(SubjectAgentConnected, OpEquals, "true")},
		{"agentConnected in [true, FALSE]", subj(SubjectAgentConnected, OpIn, "true", "FALSE")},
		{"registeredAt < 2016-10-01T00:00:00Z", subj(SubjectRegisteredAt, OpLess, "2016-10-01T00:00:00Z")},
		{"registeredAt >= 2018-06-18T22:28:28+00:00", subj(SubjectRegisteredAt, OpGreaterEqual, "2018-06-18T22:28:28+00:00")},
		{"registeredAt != 2018-06-18T22:28:28", subj(SubjectRegisteredAt, OpNotEquals, "2018-06-18T22:28:28")},
		{"ec2InstanceId =~ i-0.*", subj(SubjectEC2InstanceID, OpMatches, "i-0.*")},
		{"attribute:ecs.os-type exists", attr("ecs.os-type", OpExists)},
		{"attribute:stack not_exists", attr("stack", OpNotExists)},
		{"attribute:team/role@x\\y_z.w-v == a", attr("team/role@x\\y_z.w-v", OpEquals, "a")},
		{"attribute:ecs.instance-type==t2.micro", attr("ecs.instance-type", OpEquals, "t2.micro")},
		{"attribute:zone in[a,b,'c d',\"e'f\"]", attr("zone", OpIn, "a", "b", "c d", "e'f")},
		{"attribute:x =~ '^(m5|c5)\\.large$'", attr("x", OpMatches, `^(m5|c5)\.large$`)},
		{"attribute:x == and", attr("x", OpEquals, "and")},
		{"\tattribute:x\n==\r\ny ", attr("x", OpEquals, "y")},
	} {
		got, err := ParseExpression(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseExpression(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseExpressionReadsEverySpellingOfEachOperator(t *testing.T) {
	for spelling, want := range operatorSpellings {
		in := "attribute:x " + spelling
		switch want.arity() {
		case arityOne:
			in += " 1"
		case arityList:
			in += " [1]"
		}
		for _, s := range []string{in, strings.ToUpper(in[:12]) + strings.ToUpper(spelling) + in[12+len(spelling):]} {
			got, err := ParseExpression(s)
			if err != nil {
				t.Errorf("ParseExpression(%q): %v", s, err)
				continue
			}
			if op := got.(*Predicate).Op; op != want {
				t.Errorf("ParseExpression(%q) operator = %q; want %q", s, op, want)
			}
		}
	}
}

func TestParseExpressionBindsNotThenAndThenOrGroupingFromTheLeft(t *testing.T) {
	a, b, c, d := attr("a", OpExists), attr("b", OpExists), attr("c", OpExists), attr("d", OpExists)
	for _, tc := range []struct {
		in   string
		want Expr
	}{
		{"attribute:a exists or attribute:b exists and attribute:c exists", &Or{a, &And{b, c}}},
		{"attribute:a exists and attribute:b exists or attribute:c exists", &Or{&And{a, b}, c}},
		{"attribute:a exists || attribute:b exists && attribute:c exists", &Or{a, &And{b, c}}},
		{"attribute:a exists AND attribute:b exists OR attribute:c exists", &Or{&And{a, b}, c}},
		{"attribute:a exists and attribute:b exists and attribute:c exists", &And{&And{a, b}, c}},
		{"attribute:a exists or attribute:b exists or attribute:c exists", &Or{&Or{a, b}, c}},
		{"attribute:a exists and (attribute:b exists and attribute:c exists)", &And{a, &And{b, c}}},
		{"not attribute:a exists and attribute:b exists", &And{&Not{a}, b}},
		{"!attribute:a exists", &Not{a}},
		{"NOT (attribute:a exists or attribute:b exists)", &Not{&Or{a, b}}},
		{"!(attribute:a exists) || not not attribute:b exists", &Or{&Not{a}, &Not{&Not{b}}}},
		{"((attribute:a exists))", a},
		{"(attribute:a exists or attribute:b exists) and (attribute:c exists or attribute:d exists)", &And{&Or{a, b}, &Or{c, d}}},
	} {
		got, err := ParseExpression(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseExpression(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseExpressionReadsSubjectsAndKeywordsInAnyCase(t *testing.T) {
	got, err := ParseExpression("RunningTasksCount GREATER_THAN 2 AND Attribute:Team NOT_IN [A] Or NOT Task:Group Equals x")
	want := &Or{
		&And{subj(SubjectRunningTasksCount, OpGreater, "2"), attr("Team", OpNotIn, "A")},
		&Not{subj(SubjectTaskGroup, OpEquals, "x")},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
}

func TestExpressionStringIsCanonical(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"attribute:ecs.instance-type equals t2.small", "attribute:ecs.instance-type == t2.small"},
		{"attribute:x !in [ a ,b ]", "attribute:x not_in [a, b]"},
		{"attribute:x !exists", "attribute:x not_exists"},
		{"attribute:x matches 'g2.*'", "attribute:x =~ g2.*"},
		{"ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", "ec2InstanceId in [i-abcd1234, i-wxyx7890]"},
		{"attribute:x == 'a b'", "attribute:x == 'a b'"},
		{`attribute:x == "it's"`, `attribute:x == "it's"`},
		{"attribute:x =~ 'a|b'", "attribute:x =~ 'a|b'"},
		{"AgentConnected == true", "agentConnected == true"},
		{"!(task:group == db)", "not(task:group == db)"},
		{"not not task:group == db", "not(not(task:group == db))"},
		{"(attribute:a exists && attribute:b exists) || attribute:c exists", "attribute:a exists and attribute:b exists or attribute:c exists"},
		{"attribute:a exists and (attribute:b exists or attribute:c exists)", "attribute:a exists and (attribute:b exists or attribute:c exists)"},
		{"attribute:a exists or (attribute:b exists or attribute:c exists)", "attribute:a exists or (attribute:b exists or attribute:c exists)"},
		{"not(attribute:a exists and attribute:b exists)", "not(attribute:a exists and attribute:b exists)"},
	} {
		e, err := ParseExpression(tc.in)
		if err != nil {
			t.Errorf("ParseExpression(%q): %v", tc.in, err)
			continue
		}
		if got := e.String(); got != tc.want {
			t.Errorf("ParseExpression(%q).String() = %q; want %q", tc.in, got, tc.want)
		}
		back, err := ParseExpression(e.String())
		if err != nil || !reflect.DeepEqual(back, e) {
			t.Errorf("ParseExpression(%q) = %v, %v; want the tree of %q", e.String(), back, err, tc.in)
		}
	}
}

func TestParseExpressionSaysWhereAndWhatWentWrong(t *testing.T) {
	for _, tc := range []struct {
		in  string
		pos int
		msg string
	}{
		{"", 0, "the expression is empty"},
		{"  ", 0, "the expression is empty"},
		{"attribute:ecs.instance-type t2.micro", 28, `expected an operator after "attribute:ecs.instance-type", found "t2.micro"`},
		{"attribute:x", 11, `expected an operator after "attribute:x", found the end of the expression`},
		{"instanceType == t2.micro", 0, `unknown subject "instanceType": expected agentConnected`},
		{"attribute: == x", 0, `"attribute:" needs an attribute name`},
		{"attribute:a*b == x", 11, `may contain only letters, digits and "._-/\@", not '*'`},
		{"attribute:" + strings.Repeat("a", 129) + " exists", 10, "longer than 128 characters"},
		{"== x", 0, `expected a subject (agentConnected, agentVersion, attribute:<name>, ec2InstanceId, registeredAt, runningTasksCount or task:group), found "=="`},
		{"attribute:x = y", 12, `unexpected "=": compare with "=="`},
		{"attribute:x == y & attribute:z exists", 17, `unexpected "&"`},
		{"attribute:x == y | attribute:z exists", 17, `unexpected "|"`},
		{"attribute:x == y ~", 17, `unexpected character '~'`},
		{"attribute:x == ÿ", 15, `unexpected character 'ÿ'`},
		{"attribute:x == 'y", 15, "has no closing '"},
		{"attribute:x == 'a\tb'", 17, "control character"},
		{"attribute:x == ''", 15, `empty argument "''"`},
		{"attribute:x ==", 14, `expected an argument after "==", found the end of the expression`},
		{"attribute:x == [a]", 15, `"==" takes one argument, not a list; use "in" to compare with a list`},
		{"attribute:x != [a]", 15, `use "not_in"`},
		{"attribute:x in a", 15, `"in" takes a list of arguments in brackets, such as [a, b]; found "a"`},
		{"attribute:x in []", 16, "is empty; it needs at least one argument"},
		{"attribute:x in [a b]", 18, `expected "," or "]" in the list opened at position 15, found "b"`},
		{"attribute:x in [a,]", 18, `expected an argument in the list opened at position 15, found "]"`},
		{"attribute:x in [a", 17, `expected "," or "]"`},
		{"attribute:x exists y", 19, `"exists" takes no argument, found "y"`},
		{"attribute:x !exists [y]", 20, `"!exists" takes no argument`},
		{"runningTasksCount in [1]", 18, `runningTasksCount does not take the operator "in"; it takes ==, !=, >, >=, < and <=`},
		{"agentConnected > true", 15, "agentConnected does not take the operator"},
		{"ec2InstanceId exists", 14, "ec2InstanceId does not take the operator"},
		{"runningTasksCount > many", 20, `runningTasksCount is a number of tasks; "many" is not a whole number`},
		{"runningTasksCount > -1", 20, `"-1" is not a whole number`},
		{"registeredAt < yesterday", 15, `registeredAt is a date such as 2018-06-18`},
		{"registeredAt < 2018-13-01", 15, "is not one"},
		{"agentConnected == yes", 18, `agentConnected is true or false, not "yes"`},
		{"attribute:x exists and", 22, "expected a subject"},
		{"attribute:x exists or or attribute:y exists", 22, `expected a subject (`},
		{"(attribute:x exists", 19, `expected ")" to close the "(" at position 0, found the end of the expression`},
		{"attribute:x exists)", 18, `found ")" with no "(" to close`},
		{"attribute:x exists attribute:y exists", 19, `expected "and", "or" or the end of the expression after "exists", found "attribute:y"`},
		{"not", 3, "expected a subject"},
		{"()", 1, `expected a subject (`},
		{"attribute:x == y and", 20, "found the end of the expression"},
		{strings.Repeat("(", 101) + "attribute:x exists" + strings.Repeat(")", 101), 100, "more than 100 deep"},
		{strings.Repeat("not ", 101) + "attribute:x exists", 400, "more than 100 deep"},
	} {
		_, err := ParseExpression(tc.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("ParseExpression(%q) error = %v; want a *SyntaxError", tc.in, err)
			continue
		}
		if se.Pos != tc.pos || !strings.Contains(se.Msg, tc.msg) {
			t.Errorf("ParseExpression(%q) error = position %d: %s\nwant position %d: ...%s...", tc.in, se.Pos, se.Msg, tc.pos, tc.msg)
		}
	}
}

func TestSyntaxErrorSaysItIsAMemberOfExpressionAndWhere(t *testing.T) {
	err := (&SyntaxError{Pos: 17, Msg: `expected an operator after "attribute:ecs.instance-type", found "t2.micro"`}).Error()
	want := `memberOf expression: at position 17: expected an operator after "attribute:ecs.instance-type", found "t2.micro"`
	if err != want {
		t.Errorf("Error() = %q; want %q", err, want)
	}
}

func TestParseExpressionAllowsExactly100LevelsOfNesting(t *testing.T) {
	in := strings.Repeat("(", 100) + "attribute:x exists" + strings.Repeat(")", 100)
	if _, err := ParseExpression(in); err != nil {
		t.Errorf("100 levels: %v", err)
	}
	in = strings.Repeat("not(", 50) + "attribute:x exists" + strings.Repeat(")", 50)
	if _, err := ParseExpression(in); err != nil {
		t.Errorf("50 nots of parentheses: %v", err)
	}
}

func TestOperatorNegateSwapsComplementsAndUndoesItself(t *testing.T) {
	pairs := map[Operator]Operator{
		OpEquals: OpNotEquals, OpIn: OpNotIn, OpExists: OpNotExists, OpMatches: OpNotMatches,
		OpGreater: OpLessEqual, OpLess: OpGreaterEqual,
	}
	for a, b := range pairs {
		if a.Negate() != b || b.Negate() != a {
			t.Errorf("%q.Negate() = %q and %q.Negate() = %q; want each other", a, a.Negate(), b, b.Negate())
		}
	}
	if got := Operator("~=").Negate(); got != "~=" {
		t.Errorf("an unknown operator negates to %q; want itself", got)
	}
}
