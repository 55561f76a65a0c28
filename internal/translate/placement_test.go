package translate

import (
	"fmt"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func req(key string, op corev1.NodeSelectorOperator, vals ...string) corev1.NodeSelectorRequirement {
	return corev1.NodeSelectorRequirement{Key: key, Operator: op, Values: vals}
}

func term(reqs ...corev1.NodeSelectorRequirement) corev1.NodeSelectorTerm {
	return corev1.NodeSelectorTerm{MatchExpressions: reqs}
}

// placed is the requirement on the placement label of a =~ (negated false) or !~ predicate.
func placed(t *testing.T, label string, negated bool, patterns ...string) corev1.NodeSelectorRequirement {
	t.Helper()
	return req(placementLabel(t, label, negated, patterns...).Key, corev1.NodeSelectorOpIn, PlacementLabelValue)
}

func placementLabel(t *testing.T, label string, negated bool, patterns ...string) PlacementLabel {
	t.Helper()
	l, err := newPlacementLabel(label, negated, patterns)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func memberOf(expr string) ecsv1.PlacementConstraint {
	return ecsv1.PlacementConstraint{Type: ecsv1.PlacementConstraintMemberOf, Expression: expr}
}

func TestPodTemplate_memberOf(t *testing.T) {
	const (
		zone = corev1.LabelTopologyZone
		typ  = corev1.LabelInstanceTypeStable
		os   = corev1.LabelOSStable
		arch = corev1.LabelArchStable
	)
	for _, tc := range []struct {
		expr   string
		want   []corev1.NodeSelectorTerm
		labels []PlacementLabel
	}{
		{"attribute:ecs.instance-type == t2.small", []corev1.NodeSelectorTerm{term(req(typ, corev1.NodeSelectorOpIn, "t2.small"))}, nil},
		{"attribute:ecs.availability-zone in [us-east-1b, us-east-1a]", []corev1.NodeSelectorTerm{term(req(zone, corev1.NodeSelectorOpIn, "us-east-1a", "us-east-1b"))}, nil},
		{"attribute:ecs.availability-zone not_in [us-east-1d]", []corev1.NodeSelectorTerm{term(req(zone, corev1.NodeSelectorOpNotIn, "us-east-1d"))}, nil},
		{"attribute:ecs.instance-type != t2.micro", []corev1.NodeSelectorTerm{term(req(typ, corev1.NodeSelectorOpNotIn, "t2.micro"))}, nil},
		{"attribute:ecs.os-type == LINUX", []corev1.NodeSelectorTerm{term(req(os, corev1.NodeSelectorOpIn, "linux"))}, nil},
		{"attribute:ecs.cpu-architecture in [x86_64, aarch64]", []corev1.NodeSelectorTerm{term(req(arch, corev1.NodeSelectorOpIn, "amd64", "arm64"))}, nil},
		{"attribute:stack exists", []corev1.NodeSelectorTerm{term(req("attribute.ecs.operator.dev/stack", corev1.NodeSelectorOpExists))}, nil},
		{"not(attribute:stack exists)", []corev1.NodeSelectorTerm{term(req("attribute.ecs.operator.dev/stack", corev1.NodeSelectorOpDoesNotExist))}, nil},
		{"attribute:ecs.ami-id == ami-123", []corev1.NodeSelectorTerm{term(req("attribute.ecs.operator.dev/ecs.ami-id", corev1.NodeSelectorOpIn, "ami-123"))}, nil},
		{"ec2InstanceId in ['i-1', 'i-2']", []corev1.NodeSelectorTerm{term(req(LabelInstanceID, corev1.NodeSelectorOpIn, "i-1", "i-2"))}, nil},
		{"attribute:gpus > 2", []corev1.NodeSelectorTerm{term(req("attribute.ecs.operator.dev/gpus", corev1.NodeSelectorOpGt, "2"))}, nil},
		{"attribute:gpus >= 2", []corev1.NodeSelectorTerm{term(req("attribute.ecs.operator.dev/gpus", corev1.NodeSelectorOpGt, "1"))}, nil},
		{"attribute:gpus < 4", []corev1.NodeSelectorTerm{term(req("attribute.ecs.operator.dev/gpus", corev1.NodeSelectorOpLt, "4"))}, nil},
		{"attribute:gpus <= 4", []corev1.NodeSelectorTerm{term(req("attribute.ecs.operator.dev/gpus", corev1.NodeSelectorOpLt, "5"))}, nil},
		{"attribute:ecs.instance-type =~ t2.*", []corev1.NodeSelectorTerm{term(placed(t, typ, false, "t2.*"))}, []PlacementLabel{placementLabel(t, typ, false, "t2.*")}},
		{"attribute:ecs.instance-type !~ t2.*", []corev1.NodeSelectorTerm{term(placed(t, typ, true, "t2.*"))}, []PlacementLabel{placementLabel(t, typ, true, "t2.*")}},
		{"not(attribute:ecs.instance-type =~ t2.*)", []corev1.NodeSelectorTerm{term(placed(t, typ, true, "t2.*"))}, []PlacementLabel{placementLabel(t, typ, true, "t2.*")}},
		{"attribute:ecs.cpu-architecture matches x86.*", []corev1.NodeSelectorTerm{term(placed(t, arch, false, "x86.*"))}, []PlacementLabel{placementLabel(t, arch, false, "x86.*")}},
		{"attribute:ecs.instance-type =~ t2.small or attribute:ecs.availability-zone == us-east-1a and attribute:stack == prod", []corev1.NodeSelectorTerm{
			term(placed(t, typ, false, "t2.small")),
			term(req(zone, corev1.NodeSelectorOpIn, "us-east-1a"), req("attribute.ecs.operator.dev/stack", corev1.NodeSelectorOpIn, "prod")),
		}, []PlacementLabel{placementLabel(t, typ, false, "t2.small")}},
		// Whether any node matches is the labeller's business: the term stays.
		{"attribute:ecs.instance-type =~ c5.* or attribute:ecs.availability-zone == us-east-1a", []corev1.NodeSelectorTerm{
			term(placed(t, typ, false, "c5.*")), term(req(zone, corev1.NodeSelectorOpIn, "us-east-1a")),
		}, []PlacementLabel{placementLabel(t, typ, false, "c5.*")}},
		// The term no label can satisfy is dropped, and its placement label with it.
		{"attribute:ecs.instance-type =~ c5.* and attribute:stack == 'two words' or attribute:stack exists", []corev1.NodeSelectorTerm{
			term(req("attribute.ecs.operator.dev/stack", corev1.NodeSelectorOpExists)),
		}, nil},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			in := service(spec(ctr("app")))
			in.PlacementConstraints = []ecsv1.PlacementConstraint{memberOf(tc.expr)}
			out := mustTranslate(t, in)
			diff(t, "node affinity", &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: tc.want},
			}}, out.Template.Spec.Affinity)
			diff(t, "placement labels", tc.labels, out.PlacementLabels)
			got, err := PlacementLabelsOf(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			diff(t, "PlacementLabelsOf", tc.labels, got)
		})
	}
}

func TestPodTemplate_memberOfAlwaysTrue(t *testing.T) {
	// != a value no label can hold holds everywhere, and so does an expression one of whose
	// alternatives does: the placement label of the other is not needed.
	for _, expr := range []string{"attribute:stack != 'not a label value'", "attribute:ecs.instance-type =~ t2.* or attribute:stack not_in ['a b']"} {
		in := service(spec(ctr("app")))
		in.PlacementConstraints = []ecsv1.PlacementConstraint{memberOf(expr)}
		out := mustTranslate(t, in)
		if aff := out.Template.Spec.Affinity; aff != nil {
			t.Errorf("%s: want no affinity, got %+v", expr, aff)
		}
		if out.PlacementLabels != nil {
			t.Errorf("%s: want no placement labels, got %+v", expr, out.PlacementLabels)
		}
	}
}

// TestPodTemplate_memberOfIgnoresNodes guards the point of placement labels: the template is
// a function of the expressions alone, so nodes joining, leaving or changing labels roll no
// Service. Input has no way to carry nodes, and which nodes match changes nothing.
func TestPodTemplate_memberOfIgnoresNodes(t *testing.T) {
	for i := range reflect.TypeFor[Input]().NumField() {
		if f := reflect.TypeFor[Input]().Field(i); f.Type.Kind() == reflect.Func {
			t.Errorf("Input.%s is a function: the template must depend on its input alone", f.Name)
		}
	}
	build := func() *Output {
		in := service(spec(ctr("app")))
		in.TaskDefinition.PlacementConstraints = []ecsv1.TaskDefinitionPlacementConstraint{{Type: "memberOf", Expression: "attribute:ecs.cpu-architecture =~ x86.*"}}
		in.PlacementConstraints = []ecsv1.PlacementConstraint{memberOf("attribute:ecs.instance-type !~ t2.* or attribute:ecs.availability-zone == a")}
		return mustTranslate(t, in)
	}
	want := build()
	for _, nodes := range [][]map[string]string{
		nil,
		{{corev1.LabelArchStable: "amd64", corev1.LabelInstanceTypeStable: "t2.micro"}},
		{{corev1.LabelArchStable: "arm64"}, {corev1.LabelArchStable: "amd64", corev1.LabelInstanceTypeStable: "m5.large"}},
	} {
		eligible := 0
		for _, n := range nodes {
			if want.PlacementLabels[0].Matches(n) && want.PlacementLabels[1].Matches(n) {
				eligible++
			}
		}
		diff(t, fmt.Sprintf("template with %d nodes, %d eligible", len(nodes), eligible), want, build())
	}
}

func TestPodTemplate_memberOfConstraintsAreANDed(t *testing.T) {
	in := service(spec(ctr("app")))
	in.TaskDefinition.PlacementConstraints = []ecsv1.TaskDefinitionPlacementConstraint{
		{Type: "memberOf", Expression: "attribute:ecs.availability-zone in [a, b] or attribute:zone-any exists"},
	}
	in.PlacementConstraints = []ecsv1.PlacementConstraint{
		memberOf("attribute:ecs.instance-type == t3.large or attribute:ecs.instance-type == m5.xlarge"),
		{Type: ecsv1.PlacementConstraintDistinctInstance},
	}
	aff := mustTranslate(t, in).Template.Spec.Affinity
	zoneIn := req(corev1.LabelTopologyZone, corev1.NodeSelectorOpIn, "a", "b")
	anyZone := req("attribute.ecs.operator.dev/zone-any", corev1.NodeSelectorOpExists)
	t3 := req(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpIn, "t3.large")
	m5 := req(corev1.LabelInstanceTypeStable, corev1.NodeSelectorOpIn, "m5.xlarge")
	diff(t, "affinity", &corev1.Affinity{
		NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{
			term(zoneIn, t3), term(zoneIn, m5), term(anyZone, t3), term(anyZone, m5),
		}}},
		PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
			LabelSelector: &metav1.LabelSelector{MatchLabels: in.SelectorLabels},
			TopologyKey:   corev1.LabelHostname,
		}}},
	}, aff)
}

func TestPodTemplate_memberOfErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		expr      string
		fragments []string
	}{
		{"syntax", "attribute:ecs.instance-type ==", []string{"placementConstraints[0].expression"}},
		{"no node equivalent", "runningTasksCount > 2", []string{"placementConstraints[0].expression", "runningTasksCount", "no equivalent"}},
		{"task group", "task:group == web", []string{"task:group"}},
		{"agent version", "agentVersion >= 1.2.0", []string{"agentVersion"}},
		{"a value no label can hold", "attribute:stack == 'two words'", []string{"no node can match"}},
		{"not an integer", "attribute:size > big", []string{"integers"}},
		{"bad regexp", "attribute:ecs.instance-type =~ 't2.(*'", []string{"regular expression"}},
		{"attribute that is no label", "attribute:" + "x.y/z == 1", []string{"cannot be a node label"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := service(spec(ctr("app")))
			in.PlacementConstraints = []ecsv1.PlacementConstraint{memberOf(tc.expr)}
			wantError(t, in, tc.fragments...)
			if _, err := PlacementLabelsOf(tc.expr); err == nil {
				t.Errorf("PlacementLabelsOf(%q): want an error", tc.expr)
			}
		})
	}
}

func TestPodTemplate_memberOfTooManyAlternatives(t *testing.T) {
	in := service(spec(ctr("app")))
	or8 := "attribute:a == 1 or attribute:a == 2 or attribute:a == 3 or attribute:a == 4 or attribute:a == 5 or attribute:a == 6 or attribute:a == 7 or attribute:a == 8"
	in.TaskDefinition.PlacementConstraints = []ecsv1.TaskDefinitionPlacementConstraint{{Type: "memberOf", Expression: or8}}
	in.PlacementConstraints = []ecsv1.PlacementConstraint{memberOf(or8), memberOf(or8)}
	wantError(t, in, "placementConstraints[1].expression", "more than the 64")
}

func TestPodTemplate_taskDefinitionConstraintNamed(t *testing.T) {
	in := service(spec(ctr("app")))
	in.TaskDefinition.PlacementConstraints = []ecsv1.TaskDefinitionPlacementConstraint{{Type: "memberOf", Expression: "registeredAt > 2020-01-01"}}
	wantError(t, in, "taskDefinition.placementConstraints[0].expression", "registeredAt")
}

func TestPodTemplate_spreadStrategies(t *testing.T) {
	in := service(spec(ctr("app")))
	in.PlacementStrategy = []ecsv1.PlacementStrategy{
		{Type: "spread", Field: "attribute:ecs.availability-zone"},
		{Type: "binpack", Field: "memory"},
		{Type: "spread", Field: "instanceId"},
		{Type: "spread", Field: "host"}, // the same key as instanceId: once
		{Type: "spread", Field: "attribute:rack"},
		{Type: "random"},
	}
	sel := &metav1.LabelSelector{MatchLabels: in.SelectorLabels}
	spread := func(key string) corev1.TopologySpreadConstraint {
		return corev1.TopologySpreadConstraint{MaxSkew: 1, TopologyKey: key, WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: sel}
	}
	pod := mustTranslate(t, in).Template.Spec
	diff(t, "topology spread", []corev1.TopologySpreadConstraint{
		spread(corev1.LabelTopologyZone), spread(corev1.LabelHostname), spread("attribute.ecs.operator.dev/rack"),
	}, pod.TopologySpreadConstraints)
	if pod.Affinity != nil {
		t.Errorf("binpack and random put nothing on the pod: %+v", pod.Affinity)
	}
}

func TestPodTemplate_placementNeedsSelectorLabels(t *testing.T) {
	in := service(spec(ctr("app")))
	in.SelectorLabels = nil
	in.PlacementConstraints = []ecsv1.PlacementConstraint{{Type: ecsv1.PlacementConstraintDistinctInstance}}
	wantError(t, in, "placementConstraints[0]", "labels")
	in.PlacementConstraints = nil
	in.PlacementStrategy = []ecsv1.PlacementStrategy{{Type: "spread", Field: "bogus"}}
	wantError(t, in, "placementStrategy[0].field", `"bogus"`)
}

func TestPodTemplate_zoneRebalancingSpreadsOverZonesOnce(t *testing.T) {
	zoneSpread := func(in Input) []corev1.TopologySpreadConstraint {
		var out []corev1.TopologySpreadConstraint
		for _, c := range mustTranslate(t, in).Template.Spec.TopologySpreadConstraints {
			if c.TopologyKey == corev1.LabelTopologyZone {
				out = append(out, c)
			}
		}
		return out
	}
	in := service(spec(ctr("app")))
	if got := zoneSpread(in); len(got) != 0 {
		t.Fatalf("rebalancing off: %+v", got)
	}
	in.ZoneRebalancing = true
	got := zoneSpread(in)
	if len(got) != 1 || got[0].MaxSkew != 1 || got[0].WhenUnsatisfiable != corev1.ScheduleAnyway || got[0].LabelSelector == nil {
		t.Fatalf("rebalancing on: %+v, want one soft zone spread of maxSkew 1 over the Service's tasks", got)
	}
	in.PlacementStrategy = []ecsv1.PlacementStrategy{{Type: "spread", Field: "attribute:ecs.availability-zone"}}
	if got := zoneSpread(in); len(got) != 1 {
		t.Fatalf("with a zone spread strategy too: %+v, want one constraint (the API server refuses duplicates)", got)
	}
}
