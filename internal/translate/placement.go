package translate

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
)

// Node labels that ECS placement subjects without a well-known Kubernetes label map to. The
// cluster's nodes carry them when they are to take part in memberOf placement.
const (
	// LabelInstanceID is a node's EC2 instance ID, for ec2InstanceId.
	LabelInstanceID = "ecs.operator.dev/instance-id"
	// AttributeLabelPrefix + name is the node label of a custom or ecs.* attribute that has no
	// well-known Kubernetes label.
	AttributeLabelPrefix = "attribute.ecs.operator.dev/"
)

// maxAffinityTerms bounds the alternatives memberOf constraints expand to: ANDing constraints
// multiplies their alternatives, and a node affinity with thousands of terms would be slow to
// schedule and hard to read.
const maxAffinityTerms = 64

// placement maps memberOf constraints to required node affinity (on placement labels for what
// node affinity cannot say, see placement_labels.go), distinctInstance to required
// pod anti-affinity per node, and spread strategies to topology spread constraints. binpack
// and random are the scheduler's business: binpack is what its MostAllocated scoring does,
// random is close to its default spreading.
func (t *translation) placement() error {
	type expression struct{ field, text string }
	var exprs []expression
	for i, c := range t.spec.PlacementConstraints {
		exprs = append(exprs, expression{fmt.Sprintf("taskDefinition.placementConstraints[%d].expression", i), c.Expression})
	}
	var antiAffinity []corev1.PodAffinityTerm
	for i, c := range t.in.PlacementConstraints {
		field := fmt.Sprintf("placementConstraints[%d]", i)
		switch c.Type {
		case ecsv1.PlacementConstraintMemberOf:
			exprs = append(exprs, expression{field + ".expression", c.Expression})
		case ecsv1.PlacementConstraintDistinctInstance:
			sel, err := t.selector(field)
			if err != nil {
				return err
			}
			if len(antiAffinity) == 0 {
				antiAffinity = append(antiAffinity, corev1.PodAffinityTerm{LabelSelector: sel, TopologyKey: corev1.LabelHostname})
			}
		}
	}

	// The constraints are ANDed: each term of the result takes one alternative of every
	// constraint. A constraint that every node satisfies adds nothing.
	terms := [][]corev1.NodeSelectorRequirement{nil}
	used := map[string]PlacementLabel{}
	for _, e := range exprs {
		x, err := expandMemberOf(e.field, e.text)
		if err != nil {
			return err
		}
		if x.always {
			continue
		}
		for _, l := range x.labels {
			used[l.Key] = l
		}
		var next [][]corev1.NodeSelectorRequirement
		for _, a := range terms {
			for _, b := range x.alts {
				next = append(next, append(append([]corev1.NodeSelectorRequirement(nil), a...), b...))
			}
		}
		if len(next) > maxAffinityTerms {
			return fmt.Errorf("%s: together the memberOf constraints allow %d alternative sets of nodes, more than the %d a node affinity may hold; simplify them", e.field, len(next), maxAffinityTerms)
		}
		terms = next
	}
	t.out.PlacementLabels = sortedPlacementLabels(used)
	affinity := &corev1.Affinity{}
	if len(terms) > 1 || len(terms[0]) > 0 {
		sel := &corev1.NodeSelector{}
		for _, reqs := range terms {
			sel.NodeSelectorTerms = append(sel.NodeSelectorTerms, corev1.NodeSelectorTerm{MatchExpressions: reqs})
		}
		affinity.NodeAffinity = &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: sel}
	}
	if len(antiAffinity) > 0 {
		affinity.PodAntiAffinity = &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: antiAffinity}
	}
	if affinity.NodeAffinity != nil || affinity.PodAntiAffinity != nil {
		t.pod.Affinity = affinity
	}
	return t.spread()
}

// spread maps spread strategies to soft topology spread constraints, in strategy order, one
// per topology key. ECS spreads as evenly as it can but places a task anyway, which is
// maxSkew 1 with ScheduleAnyway.
func (t *translation) spread() error {
	seen := map[string]bool{}
	for i, s := range t.in.PlacementStrategy {
		if s.Type != "spread" {
			continue
		}
		field := fmt.Sprintf("placementStrategy[%d].field", i)
		var key string
		switch {
		case s.Field == "instanceId" || s.Field == "host":
			key = corev1.LabelHostname
		case strings.HasPrefix(s.Field, "attribute:"):
			var err error
			if key, err = attributeLabel(strings.TrimPrefix(s.Field, "attribute:")); err != nil {
				return fmt.Errorf("%s: %w", field, err)
			}
		default:
			return fmt.Errorf("%s: cannot spread over %q; spread over instanceId, host or attribute:<name>", field, s.Field)
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		sel, err := t.selector(field)
		if err != nil {
			return err
		}
		t.pod.TopologySpreadConstraints = append(t.pod.TopologySpreadConstraints, corev1.TopologySpreadConstraint{
			MaxSkew:           1,
			TopologyKey:       key,
			WhenUnsatisfiable: corev1.ScheduleAnyway,
			LabelSelector:     sel,
		})
	}
	if t.in.ZoneRebalancing && !seen[corev1.LabelTopologyZone] {
		// availabilityZoneRebalancing: ECS keeps a Service's tasks balanced over the zones,
		// placing each new task in the zone with the fewest, yet anywhere when it must.
		sel, err := t.selector("availabilityZoneRebalancing")
		if err != nil {
			return err
		}
		t.pod.TopologySpreadConstraints = append(t.pod.TopologySpreadConstraints, corev1.TopologySpreadConstraint{
			MaxSkew:           1,
			TopologyKey:       corev1.LabelTopologyZone,
			WhenUnsatisfiable: corev1.ScheduleAnyway,
			LabelSelector:     sel,
		})
	}
	return nil
}

// selector selects the pods of this Service or Task.
func (t *translation) selector(field string) (*metav1.LabelSelector, error) {
	if len(t.in.SelectorLabels) == 0 {
		return nil, fmt.Errorf("%s: needs the labels that select the tasks' pods, and there are none", field)
	}
	m := make(map[string]string, len(t.in.SelectorLabels))
	for k, v := range t.in.SelectorLabels {
		m[k] = v
	}
	return &metav1.LabelSelector{MatchLabels: m}, nil
}

// expansion is one memberOf expression as node affinity.
type expansion struct {
	// alts are alternatives (ORed) of requirements (ANDed).
	alts [][]corev1.NodeSelectorRequirement
	// always reports an expression that every node satisfies; alts is then empty.
	always bool
	// labels are the placement labels that alts select.
	labels []PlacementLabel
}

// expandMemberOf expands one expression. Alternatives that no node label can satisfy are
// dropped; when none is left, no node can run the task, which is an error. It reads nothing
// but the expression, so that the same expression always gives the same template.
func expandMemberOf(field, text string) (expansion, error) {
	e, err := ecs.ParseExpression(text)
	if err != nil {
		return expansion{}, fmt.Errorf("%s: %w", field, err)
	}
	dnf, err := ecs.DNF(e)
	if err != nil {
		return expansion{}, fmt.Errorf("%s: %w", field, err)
	}
	var x expansion
	seen := map[string]bool{}
	for _, conj := range dnf {
		var reqs []corev1.NodeSelectorRequirement
		var labels []PlacementLabel
		possible := true
		for _, p := range conj {
			req, label, ok, err := requirement(p)
			if err != nil {
				return expansion{}, fmt.Errorf("%s: %w", field, err)
			}
			if !ok {
				possible = false
				break
			}
			if req != nil {
				reqs = append(reqs, *req)
			}
			if label != nil {
				labels = append(labels, *label)
			}
		}
		if !possible {
			continue
		}
		if len(reqs) == 0 {
			return expansion{always: true}, nil
		}
		key := fmt.Sprint(reqs)
		if !seen[key] {
			seen[key] = true
			x.alts = append(x.alts, reqs)
			x.labels = append(x.labels, labels...)
		}
	}
	if len(x.alts) == 0 {
		return expansion{}, fmt.Errorf("%s: no node can match %q", field, text)
	}
	return x, nil
}

// requirement maps one predicate. A nil requirement with ok true is one every node satisfies;
// ok false is one no node can satisfy. label is set when the requirement selects a placement
// label, for the predicates node affinity cannot say.
func requirement(p *ecs.Predicate) (req *corev1.NodeSelectorRequirement, label *PlacementLabel, ok bool, err error) {
	key, err := subjectLabel(p.Subject)
	if err != nil {
		return nil, nil, false, err
	}
	in := func(op corev1.NodeSelectorOperator, vals []string) *corev1.NodeSelectorRequirement {
		return &corev1.NodeSelectorRequirement{Key: key, Operator: op, Values: vals}
	}
	switch p.Op {
	case ecs.OpEquals, ecs.OpIn:
		vals := labelValues(key, p.Args)
		if len(vals) == 0 {
			return nil, nil, false, nil // no node label can hold any of the values
		}
		return in(corev1.NodeSelectorOpIn, vals), nil, true, nil
	case ecs.OpNotEquals, ecs.OpNotIn:
		vals := labelValues(key, p.Args)
		if len(vals) == 0 {
			return nil, nil, true, nil // no node label holds any of the values
		}
		return in(corev1.NodeSelectorOpNotIn, vals), nil, true, nil
	case ecs.OpExists:
		return in(corev1.NodeSelectorOpExists, nil), nil, true, nil
	case ecs.OpNotExists:
		return in(corev1.NodeSelectorOpDoesNotExist, nil), nil, true, nil
	case ecs.OpGreater, ecs.OpGreaterEqual, ecs.OpLess, ecs.OpLessEqual:
		if len(p.Args) != 1 {
			return nil, nil, false, fmt.Errorf("a comparison of %s takes one value", key)
		}
		n, err := strconv.ParseInt(p.Args[0], 10, 64)
		if err != nil {
			return nil, nil, false, fmt.Errorf("%s is compared with %q, but Kubernetes compares node labels only as integers", key, p.Args[0])
		}
		// Kubernetes has only > and <; on integers, >= n is > n-1 and <= n is < n+1.
		op, v := corev1.NodeSelectorOpGt, n
		switch p.Op {
		case ecs.OpGreaterEqual:
			v = n - 1
		case ecs.OpLess:
			op = corev1.NodeSelectorOpLt
		case ecs.OpLessEqual:
			op, v = corev1.NodeSelectorOpLt, n+1
		}
		return in(op, []string{strconv.FormatInt(v, 10)}), nil, true, nil
	case ecs.OpMatches, ecs.OpNotMatches:
		l, err := newPlacementLabel(key, p.Op == ecs.OpNotMatches, p.Args)
		if err != nil {
			return nil, nil, false, err
		}
		return &corev1.NodeSelectorRequirement{Key: l.Key, Operator: corev1.NodeSelectorOpIn, Values: []string{PlacementLabelValue}}, &l, true, nil
	}
	return nil, nil, false, fmt.Errorf("the operator %s has no node affinity equivalent", p.Op)
}

// subjectLabel is the node label a placement subject is read from.
func subjectLabel(s ecs.Subject) (string, error) {
	switch s.Kind {
	case ecs.SubjectAttribute:
		return attributeLabel(s.Attribute)
	case ecs.SubjectEC2InstanceID:
		return LabelInstanceID, nil
	}
	return "", fmt.Errorf("%s has no equivalent on Kubernetes nodes; only attributes and ec2InstanceId can be expressed", s.Kind)
}

// attributeLabel is the node label of an ECS attribute: a well-known Kubernetes label for the
// attributes ECS sets itself that have one, else AttributeLabelPrefix + the name.
func attributeLabel(name string) (string, error) {
	switch name {
	case "ecs.instance-type":
		return corev1.LabelInstanceTypeStable, nil
	case "ecs.availability-zone":
		return corev1.LabelTopologyZone, nil
	case "ecs.os-type":
		return corev1.LabelOSStable, nil
	case "ecs.cpu-architecture":
		return corev1.LabelArchStable, nil
	}
	label := AttributeLabelPrefix + name
	if errs := validation.IsQualifiedName(label); len(errs) > 0 {
		return "", fmt.Errorf("attribute %q cannot be a node label (%s)", name, strings.Join(errs, "; "))
	}
	return label, nil
}

// labelValues maps ECS values to the label's values, dropping those no label can hold, sorted
// and without duplicates.
func labelValues(label string, vals []string) []string {
	set := map[string]bool{}
	for _, v := range vals {
		v = k8sValue(label, v)
		if len(validation.IsValidLabelValue(v)) == 0 {
			set[v] = true
		}
	}
	out := sortedKeys(set)
	sort.Strings(out)
	return out
}

// k8sValue writes an ECS attribute value the way the Kubernetes label has it.
func k8sValue(label, v string) string {
	switch label {
	case corev1.LabelOSStable:
		return strings.ToLower(v)
	case corev1.LabelArchStable:
		switch v = strings.ToLower(v); v {
		case "x86_64":
			return "amd64"
		case "aarch64":
			return "arm64"
		}
	}
	return v
}

// ecsValue writes a Kubernetes label value the way ECS has the attribute.
func ecsValue(label, v string) string {
	if label == corev1.LabelArchStable && v == "amd64" {
		return "x86_64"
	}
	return v
}
