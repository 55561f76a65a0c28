package ecs

import "fmt"

// MaxDNFTerms is the most terms DNF returns. Each term becomes a node selector term of a node
// affinity; an expression that expands to more (every "and" of "or"s multiplies) is better
// rewritten than turned into an affinity thousands of terms long.
const MaxDNFTerms = 64

// DNF rewrites an expression into disjunctive normal form: a list of terms, ORed, each a list
// of predicates, ANDed. That is the shape of a Kubernetes node affinity, whose node selector
// terms are ORed and whose requirements within a term are ANDed. "not" is pushed down to the
// predicates by De Morgan's laws and by negating their operators (see Operator.Negate), so no
// Not is left. Terms keep the order of the expression, left to right; nothing is simplified
// or deduplicated. The predicates are copies: changing them does not change e.
//
// It is an error when the form would have more than MaxDNFTerms terms.
func DNF(e Expr) ([][]*Predicate, error) {
	d := dnfBuilder{root: e}
	return d.build(e, false)
}

// dnfBuilder remembers the whole expression, for the error.
type dnfBuilder struct{ root Expr }

// build returns the DNF of e, or of not(e) when negate is set.
func (d dnfBuilder) build(e Expr, negate bool) ([][]*Predicate, error) {
	switch x := e.(type) {
	case *Predicate:
		p := clonePredicate(x)
		if negate {
			p.Op = p.Op.Negate()
		}
		return [][]*Predicate{{p}}, nil
	case *Not:
		return d.build(x.X, !negate)
	case *And:
		if negate { // not(a and b) = not(a) or not(b)
			return d.or(x.Left, x.Right, true)
		}
		return d.and(x.Left, x.Right, false)
	case *Or:
		if negate { // not(a or b) = not(a) and not(b)
			return d.and(x.Left, x.Right, true)
		}
		return d.or(x.Left, x.Right, false)
	}
	return nil, fmt.Errorf("memberOf expression: cannot normalize %T %v", e, e)
}

// or concatenates the terms of both sides.
func (d dnfBuilder) or(l, r Expr, negate bool) ([][]*Predicate, error) {
	lt, err := d.build(l, negate)
	if err != nil {
		return nil, err
	}
	rt, err := d.build(r, negate)
	if err != nil {
		return nil, err
	}
	if len(lt)+len(rt) > MaxDNFTerms {
		return nil, d.tooLarge(len(lt) + len(rt))
	}
	return append(lt, rt...), nil
}

// and pairs every term of one side with every term of the other.
func (d dnfBuilder) and(l, r Expr, negate bool) ([][]*Predicate, error) {
	lt, err := d.build(l, negate)
	if err != nil {
		return nil, err
	}
	rt, err := d.build(r, negate)
	if err != nil {
		return nil, err
	}
	if len(lt)*len(rt) > MaxDNFTerms {
		return nil, d.tooLarge(len(lt) * len(rt))
	}
	out := make([][]*Predicate, 0, len(lt)*len(rt))
	for _, a := range lt {
		for _, b := range rt {
			// Every term of one side joins several terms of the result; each gets its own
			// predicates, so that a caller changing one changes no other.
			term := make([]*Predicate, 0, len(a)+len(b))
			for _, p := range a {
				term = append(term, clonePredicate(p))
			}
			for _, p := range b {
				term = append(term, clonePredicate(p))
			}
			out = append(out, term)
		}
	}
	return out, nil
}

func (d dnfBuilder) tooLarge(n int) error {
	return fmt.Errorf("memberOf expression %q expands to at least %d alternatives (an OR of ANDs, the shape of a node affinity), more than the %d allowed; write it with fewer \"or\"s inside \"and\"s", d.root, n, MaxDNFTerms)
}

// clonePredicate copies p and its arguments.
func clonePredicate(p *Predicate) *Predicate {
	return &Predicate{Subject: p.Subject, Op: p.Op, Args: append([]string(nil), p.Args...)}
}
