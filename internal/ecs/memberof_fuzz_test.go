package ecs

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzParseExpression checks that the parser never panics, that every error is a *SyntaxError
// pointing inside the input, and that the canonical String of every tree it returns parses
// back into an equal tree and prints the same again. DNF must not panic either.
func FuzzParseExpression(f *testing.F) {
	for _, s := range []string{
		// The examples of the ECS documentation.
		"attribute:ecs.instance-type == t2.small",
		"attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
		"attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d",
		"task:group == service:production",
		"not(task:group == database)",
		"runningTasksCount == 1",
		"agentVersion < 1.14.5",
		"registeredAt < 2018-02-13",
		"ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']",
		"(attribute:a == 1 or attribute:b == 2) and attribute:c == 3",
		// More of the language.
		"attribute:ecs.instance-type =~ g2.*",
		"not(attribute:ecs.instance-type =~ t2.*)",
		"runningTasksCount == 0",
		"attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
		"agentConnected == true",
		"registeredAt < 2016-10-01T00:00:00Z",
		"registeredAt >= 2018-06-18T22:28:28+00:00",
		"attribute:ecs.os-type exists && !(attribute:stack !exists || attribute:x not_in [\"a b\", 'c'])",
		"RunningTasksCount GREATER_THAN 2 AND Attribute:Team NOT_IN [A]",
		"attribute:x=~'^(m5|c5)\\.large$'",
		"attribute:x == 'unterminated",
		"((attribute:x exists)",
		"attribute:x in [a,]",
		"attribute:x ==",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseExpression(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseExpression(%q) error %v is a %T; want a *SyntaxError", s, err, err)
			}
			if se.Pos < 0 || se.Pos > len(s) {
				t.Fatalf("ParseExpression(%q) error at position %d, outside 0..%d", s, se.Pos, len(s))
			}
			return
		}
		if e == nil {
			t.Fatalf("ParseExpression(%q) returned neither a tree nor an error", s)
		}
		canonical := e.String()
		back, err := ParseExpression(canonical)
		if err != nil {
			t.Fatalf("ParseExpression(%q) printed %q, which does not parse: %v", s, canonical, err)
		}
		if !reflect.DeepEqual(back, e) {
			t.Fatalf("ParseExpression(%q) printed %q, which parses to a different tree: %v", s, canonical, back)
		}
		if again := back.String(); again != canonical {
			t.Fatalf("canonical form %q printed again as %q", canonical, again)
		}
		_, _ = DNF(e)
	})
}
