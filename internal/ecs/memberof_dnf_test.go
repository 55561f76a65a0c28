package ecs

import (
	"strings"
	"testing"
)

// formatDNF prints terms as "p and q | r".
func formatDNF(terms [][]*Predicate) string {
	var out []string
	for _, term := range terms {
		var ps []string
		for _, p := range term {
			ps = append(ps, p.String())
		}
		out = append(out, strings.Join(ps, " and "))
	}
	return strings.Join(out, " | ")
}

func TestDNFDistributesAndOverOrAndPushesNotToThePredicates(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"attribute:a == 1", "attribute:a == 1"},
		{"attribute:a == 1 and attribute:b == 2", "attribute:a == 1 and attribute:b == 2"},
		{"attribute:a == 1 or attribute:b == 2", "attribute:a == 1 | attribute:b == 2"},
		{"(attribute:a == 1 or attribute:b == 2) and attribute:c == 3",
			"attribute:a == 1 and attribute:c == 3 | attribute:b == 2 and attribute:c == 3"},
		{"(attribute:a == 1 or attribute:b == 2) and (attribute:c == 3 or attribute:d == 4)",
			"attribute:a == 1 and attribute:c == 3 | attribute:a == 1 and attribute:d == 4 | attribute:b == 2 and attribute:c == 3 | attribute:b == 2 and attribute:d == 4"},
		{"not(task:group == database)", "task:group != database"},
		{"not(attribute:a == 1 or attribute:b in [x, y])", "attribute:a != 1 and attribute:b not_in [x, y]"},
		{"not(attribute:a exists and attribute:b =~ t2.*)", "attribute:a not_exists | attribute:b !~ t2.*"},
		{"not(runningTasksCount > 2 or runningTasksCount < 1)", "runningTasksCount <= 2 and runningTasksCount >= 1"},
		{"not not attribute:a != 1", "attribute:a != 1"},
		{"not(attribute:a !~ x and not(attribute:b not_in [y]))", "attribute:a =~ x | attribute:b not_in [y]"},
		{"not(runningTasksCount >= 2) and not(runningTasksCount <= 0)", "runningTasksCount < 2 and runningTasksCount > 0"},
		{"not(attribute:a not_exists or (attribute:b == 1 and attribute:c == 2))",
			"attribute:a exists and attribute:b != 1 | attribute:a exists and attribute:c != 2"},
	} {
		e, err := ParseExpression(tc.in)
		if err != nil {
			t.Fatalf("ParseExpression(%q): %v", tc.in, err)
		}
		terms, err := DNF(e)
		if err != nil {
			t.Errorf("DNF(%q): %v", tc.in, err)
			continue
		}
		if got := formatDNF(terms); got != tc.want {
			t.Errorf("DNF(%q) =\n  %s\nwant\n  %s", tc.in, got, tc.want)
		}
	}
}

func TestDNFRefusesMoreThan64Terms(t *testing.T) {
	// Six two-way alternatives ANDed make 2^6 = 64 terms; a seventh makes 128.
	or := "(attribute:a%d == 1 or attribute:b%d == 2)"
	var parts []string
	for i := range 7 {
		parts = append(parts, strings.NewReplacer("%d", string(rune('0'+i))).Replace(or))
	}
	e, err := ParseExpression(strings.Join(parts[:6], " and "))
	if err != nil {
		t.Fatal(err)
	}
	if terms, err := DNF(e); err != nil || len(terms) != 64 {
		t.Errorf("64 terms: got %d, %v; want 64 terms", len(terms), err)
	}
	e, err = ParseExpression(strings.Join(parts, " and "))
	if err != nil {
		t.Fatal(err)
	}
	_, err = DNF(e)
	if err == nil || !strings.Contains(err.Error(), "more than the 64 allowed") || !strings.Contains(err.Error(), "attribute:a0 == 1") {
		t.Errorf("128 terms: error %v; want one that quotes the expression and names the limit of 64", err)
	}
	// not(a and b) is an or: 65 negated conjunctions ORed are 65 terms.
	var ands []string
	for i := range 65 {
		ands = append(ands, "attribute:x == "+strings.Repeat("v", i+1))
	}
	e, err = ParseExpression("not(" + strings.Join(ands, " and ") + ")")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DNF(e); err == nil {
		t.Errorf("DNF of a negated 65-way and succeeded; want an error")
	}
}

func TestDNFCopiesPredicatesSoCallersCannotChangeTheTreeOrOtherTerms(t *testing.T) {
	e, err := ParseExpression("(attribute:a in [1] or attribute:b == 2) and attribute:c in [3]")
	if err != nil {
		t.Fatal(err)
	}
	before := e.String()
	terms, err := DNF(e)
	if err != nil {
		t.Fatal(err)
	}
	terms[0][1].Args[0] = "changed"
	terms[0][0].Op = OpNotIn
	if got := e.String(); got != before {
		t.Errorf("changing the DNF changed the expression to %q", got)
	}
	if got := terms[1][1].Args[0]; got != "3" {
		t.Errorf("changing one term changed another: %q", got)
	}
}

func TestDNFRejectsATreeWithAHole(t *testing.T) {
	if _, err := DNF(&And{Left: attr("a", OpExists)}); err == nil {
		t.Errorf("DNF of an And without a right side succeeded; want an error")
	}
}
