package translate

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

func TestPlacementLabel_Matches(t *testing.T) {
	const (
		typ  = corev1.LabelInstanceTypeStable
		arch = corev1.LabelArchStable
	)
	for _, tc := range []struct {
		name  string
		label PlacementLabel
		node  map[string]string
		want  bool
	}{
		{"=~ matches", placementLabel(t, typ, false, "t2.*"), map[string]string{typ: "t2.micro"}, true},
		{"=~ does not match", placementLabel(t, typ, false, "t2.*"), map[string]string{typ: "m5.large"}, false},
		{"=~ matches the whole value", placementLabel(t, typ, false, "t2"), map[string]string{typ: "t2.micro"}, false},
		{"=~ on a node without the label", placementLabel(t, typ, false, ".*"), map[string]string{arch: "amd64"}, false},
		{"=~ on a node without labels", placementLabel(t, typ, false, ".*"), nil, false},
		{"=~ the ECS way", placementLabel(t, arch, false, "x86_64"), map[string]string{arch: "amd64"}, true},
		{"=~ the Kubernetes way", placementLabel(t, arch, false, "amd64"), map[string]string{arch: "amd64"}, true},
		{"=~ arm", placementLabel(t, arch, false, "x86.*"), map[string]string{arch: "arm64"}, false},
		{"=~ one of several patterns", placementLabel(t, typ, false, "c5.*", "t2.*"), map[string]string{typ: "t2.micro"}, true},
		{"!~ matches", placementLabel(t, typ, true, "t2.*"), map[string]string{typ: "t2.micro"}, false},
		{"!~ does not match", placementLabel(t, typ, true, "t2.*"), map[string]string{typ: "m5.large"}, true},
		{"!~ on a node without the label", placementLabel(t, typ, true, "t2.*"), map[string]string{arch: "amd64"}, true},
		{"!~ the ECS way", placementLabel(t, arch, true, "x86_64"), map[string]string{arch: "amd64"}, false},
		{"a pattern that does not compile", PlacementLabel{Label: typ, Patterns: []string{"t2.(*"}}, map[string]string{typ: "t2.micro"}, false},
		{"a negated pattern that does not compile", PlacementLabel{Label: typ, Patterns: []string{"t2.(*"}, Negated: true}, map[string]string{typ: "m5"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.label.Matches(tc.node); got != tc.want {
				t.Errorf("%+v.Matches(%v) = %v, want %v", tc.label, tc.node, got, tc.want)
			}
		})
	}
}

func TestPlacementLabelsOf_keys(t *testing.T) {
	key := func(expr string) string {
		t.Helper()
		ls, err := PlacementLabelsOf(expr)
		if err != nil {
			t.Fatal(err)
		}
		if len(ls) != 1 {
			t.Fatalf("%s: want one placement label, got %+v", expr, ls)
		}
		if errs := validation.IsQualifiedName(ls[0].Key); len(errs) > 0 || !strings.HasPrefix(ls[0].Key, PlacementLabelPrefix) {
			t.Fatalf("%s: key %q is no placement label: %v", expr, ls[0].Key, errs)
		}
		return ls[0].Key
	}
	// Keys are on nodes: a change of the hash strands every label there. This one is the
	// SHA-256 of `node.kubernetes.io/instance-type =~ ["t2.*"]`.
	if got, want := key("attribute:ecs.instance-type =~ t2.*"), PlacementLabelPrefix+"df3c0ce8c8fbe3be"; got != want {
		t.Errorf("key changed: got %s, want %s", got, want)
	}
	same := [][]string{
		{"attribute:ecs.instance-type =~ t2.*", "attribute:ecs.instance-type matches 't2.*'", "not(attribute:ecs.instance-type !~ t2.*)"},
		{"attribute:ecs.cpu-architecture !~ x86.*", "attribute:ecs.cpu-architecture not_matches \"x86.*\""},
	}
	seen := map[string]string{}
	for _, group := range same {
		k := key(group[0])
		for _, expr := range group[1:] {
			if got := key(expr); got != k {
				t.Errorf("%s and %s: keys %s and %s differ", group[0], expr, k, got)
			}
		}
		seen[k] = group[0]
	}
	for _, expr := range []string{"attribute:ecs.instance-type !~ t2.*", "attribute:stack =~ t2.*", "attribute:ecs.instance-type =~ t3.*"} {
		if other, ok := seen[key(expr)]; ok {
			t.Errorf("%s has the key of %s", expr, other)
		}
	}
}

func TestPlacementLabelsOf_sortedAndDistinct(t *testing.T) {
	ls, err := PlacementLabelsOf("attribute:b =~ x and attribute:a =~ y or attribute:b =~ x and attribute:c == 1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 || ls[0].Key >= ls[1].Key {
		t.Errorf("want two placement labels sorted by key, got %+v", ls)
	}
	if ls, err := PlacementLabelsOf("attribute:a == 1 or attribute:b exists"); err != nil || ls != nil {
		t.Errorf("an expression node affinity can say needs no placement label: %+v, %v", ls, err)
	}
}
