package translate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// A template that listed the node label values a pattern matches would change whenever a node
// joined or left, rolling every Service that uses the pattern. Instead the template selects a
// placement label, named for the predicate alone, and a node labeller puts it on the nodes
// that match: the template depends only on the expression, and nodes are judged as they come.

const (
	// PlacementLabelPrefix is the prefix of every placement label; the node labeller owns the
	// node labels under it and no others.
	PlacementLabelPrefix = "placement.ecs.operator.dev/"
	// PlacementLabelValue is the value of a placement label on the nodes that match.
	PlacementLabelValue = "true"
)

// PlacementLabel is a memberOf predicate that node affinity cannot say (=~ or !~), evaluated
// by the node labeller rather than by the scheduler.
type PlacementLabel struct {
	// Key is the node label that marks the matching nodes: PlacementLabelPrefix and a hash of
	// Label, Negated and Patterns, so that the same predicate, wherever it is written, shares
	// one label.
	Key string
	// Label is the node label the predicate reads.
	Label string
	// Patterns are the regular expressions (Go syntax, anchored), sorted; one matching is
	// enough.
	Patterns []string
	// Negated is set for !~.
	Negated bool
}

// newPlacementLabel checks the patterns here, so that a pattern that does not compile is an
// error of the template rather than a label that silently matches nothing.
func newPlacementLabel(label string, negated bool, patterns []string) (PlacementLabel, error) {
	set := map[string]bool{}
	for _, p := range patterns {
		if _, err := compilePattern(p); err != nil {
			return PlacementLabel{}, err
		}
		set[p] = true
	}
	l := PlacementLabel{Label: label, Patterns: sortedKeys(set), Negated: negated}
	l.Key = PlacementLabelPrefix + l.hash()
	return l, nil
}

// hash is 16 hex digits of the SHA-256 of the predicate's canonical form: the same predicate
// gives the same key in every release and process, so that labels on nodes stay valid.
func (l PlacementLabel) hash() string {
	op := "=~"
	if l.Negated {
		op = "!~"
	}
	quoted := make([]string, len(l.Patterns))
	for i, p := range l.Patterns {
		quoted[i] = strconv.Quote(p)
	}
	sum := sha256.Sum256([]byte(l.Label + " " + op + " [" + strings.Join(quoted, ", ") + "]"))
	return hex.EncodeToString(sum[:])[:16]
}

// Matches reports whether a node with these labels gets the placement label. A pattern
// matches the whole value, written the Kubernetes way or the ECS way (amd64 or x86_64). Like
// NotIn, !~ holds on a node without the label. A pattern that does not compile matches
// nothing, so that no node is wrongly chosen.
func (l PlacementLabel) Matches(nodeLabels map[string]string) bool {
	v, ok := nodeLabels[l.Label]
	if !ok {
		return l.Negated
	}
	matched := false
	for _, p := range l.Patterns {
		re, err := compilePattern(p)
		if err != nil {
			return false
		}
		if re.MatchString(v) || re.MatchString(ecsValue(l.Label, v)) {
			matched = true
		}
	}
	return matched != l.Negated
}

// PlacementLabelsOf returns the placement labels a memberOf expression needs, sorted by key:
// those its template would select. An expression that cannot be translated is an error and
// needs none.
func PlacementLabelsOf(expression string) ([]PlacementLabel, error) {
	x, err := expandMemberOf("memberOf expression", expression)
	if err != nil {
		return nil, err
	}
	set := map[string]PlacementLabel{}
	for _, l := range x.labels {
		set[l.Key] = l
	}
	return sortedPlacementLabels(set), nil
}

func sortedPlacementLabels(set map[string]PlacementLabel) []PlacementLabel {
	if len(set) == 0 {
		return nil
	}
	out := make([]PlacementLabel, 0, len(set))
	for _, l := range set {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// compilePattern anchors the pattern: ECS matches the whole value.
func compilePattern(p string) (*regexp.Regexp, error) {
	re, err := regexp.Compile("^(?:" + p + ")$")
	if err != nil {
		return nil, fmt.Errorf("%q is not a regular expression: %w", p, err)
	}
	return re, nil
}
