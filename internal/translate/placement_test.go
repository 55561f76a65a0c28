package translate

import (
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

// nodeLabels are the label values the cluster's nodes have, for =~ and !~.
var nodeLabels = map[string][]string{
	corev1.LabelInstanceTypeStable: {"t2.micro", "t2.small", "t3.large", "m5.xlarge"},
	corev1.LabelArchStable:         {"amd64", "arm64"},
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
		expr string
		want []corev1.NodeSelectorTerm
	}{
		{"attribute:ecs.instance-type == t2.small", []corev1.NodeSelectorTerm{term(req(typ, corev1.NodeSelectorOpIn, "t2.small"))}},
		{"attribute:ecs.availability-zone in [us-east-1b, us-east-1a]", []corev1.NodeSelectorTerm{term(req(zone, corev1.NodeSelectorOpIn, "us-east-1a", "us-east-1b"))}},
		{"attribute:ecs.availability-zone not_in [us-east-1d]", []corev1.NodeSelectorTerm{term(req(zone, corev1.NodeSelectorOpNotIn, "us-east-1d"))}},
		{"attribute:ecs.instance-type != t2.micro", []corev1.NodeSelectorTerm{term(req(typ, corev1.NodeSelectorOpNotIn, "t2.micro"))}},
		{"attribute:ecs.os-type == LINUX", []corev1.NodeSelectorTerm{term(req(os, corev1.NodeSelectorOpIn, "linux"))}},
		{"attribute:ecs.cpu-architecture in [x86_64, aarch64]", []corev1.NodeSelectorTerm{term(req(arch, corev1.NodeSelectorOpIn, "amd64", "arm64"))}},
		{"attribute:stack exists", []corev1.NodeSelectorTerm{term(req("attribute.ecs.operator.dev/stack", corev1.NodeSelectorOpExists))}},
		{"not(attribute:stack exists)", []corev1.NodeSelectorTerm{term(req("attribute.ecs.operator.dev/stack", corev1.NodeSelectorOpDoesNotExist))}},
		{"attribute:ecs.ami-id == ami-123", []corev1.NodeSelectorTerm{term(req("attribute.ecs.operator.dev/ecs.ami-id", corev1.NodeSelectorOpIn, "ami-123"))}},
		{"ec2InstanceId in ['i-1', 'i-2']", []corev1.NodeSelectorTerm{term(req(LabelInstanceID, corev1.NodeSelectorOpIn, "i-1", "i-2"))}},
		{"attribute:gpus > 2", []corev1.NodeSelectorTerm{term(req("attribute.ecs.operator.dev/gpus", corev1.NodeSelectorOpGt, "2"))}},
		{"attribute:gpus >= 2", []corev1.NodeSelectorTerm{term(req("attribute.ecs.operator.dev/gpus", corev1.NodeSelectorOpGt, "1"))}},
		{"attribute:gpus < 4", []corev1.NodeSelectorTerm{term(req("attribute.ecs.operator.dev/gpus", corev1.NodeSelectorOpLt, "4"))}},
		{"attribute:gpus <= 4", []corev1.NodeSelectorTerm{term(req("attribute.ecs.operator.dev/gpus", corev1.NodeSelectorOpLt, "5"))}},
		{"attribute:ecs.instance-type =~ t2.*", []corev1.NodeSelectorTerm{term(req(typ, corev1.NodeSelectorOpIn, "t2.micro", "t2.small"))}},
		{"attribute:ecs.instance-type !~ t2.*", []corev1.NodeSelectorTerm{term(req(typ, corev1.NodeSelectorOpNotIn, "t2.micro", "t2.small"))}},
		{"attribute:ecs.cpu-architecture =~ x86.*", []corev1.NodeSelectorTerm{term(req(arch, corev1.NodeSelectorOpIn, "amd64"))}},
		{"attribute:ecs.instance-type =~ t2.small or attribute:ecs.availability-zone == us-east-1a and attribute:stack == prod", []corev1.NodeSelectorTerm{
			term(req(typ, corev1.NodeSelectorOpIn, "t2.small")),
			term(req(zone, corev1.NodeSelectorOpIn, "us-east-1a"), req("attribute.ecs.operator.dev/stack", corev1.NodeSelectorOpIn, "prod")),
		}},
		// The term no node can match (no c5 instances) is dropped.
		{"attribute:ecs.instance-type =~ c5.* or attribute:ecs.availability-zone == us-east-1a", []corev1.NodeSelectorTerm{term(req(zone, corev1.NodeSelectorOpIn, "us-east-1a"))}},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			in := service(spec(ctr("app")))
			in.PlacementConstraints = []ecsv1.PlacementConstraint{memberOf(tc.expr)}
			in.NodeLabelValues = func(label string) []string { return nodeLabels[label] }
			aff := mustTranslate(t, in).Template.Spec.Affinity
			diff(t, "node affinity", &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: tc.want},
			}}, aff)
		})
	}
}

func TestPodTemplate_memberOfAlwaysTrue(t *testing.T) {
	// !~ that matches no node's value, or != a value no label can hold, holds everywhere.
	for _, expr := range []string{"attribute:ecs.instance-type !~ z9.*", "attribute:stack != 'not a label value'", "attribute:ecs.instance-type =~ t2.* or attribute:stack !~ x"} {
		in := service(spec(ctr("app")))
		in.PlacementConstraints = []ecsv1.PlacementConstraint{memberOf(expr)}
		in.NodeLabelValues = func(label string) []string { return nodeLabels[label] }
		if aff := mustTranslate(t, in).Template.Spec.Affinity; aff != nil {
			t.Errorf("%s: want no affinity, got %+v", expr, aff)
		}
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
		values    bool
		fragments []string
	}{
		{"syntax", "attribute:ecs.instance-type ==", true, []string{"placementConstraints[0].expression"}},
		{"no node equivalent", "runningTasksCount > 2", true, []string{"placementConstraints[0].expression", "runningTasksCount", "no equivalent"}},
		{"task group", "task:group == web", true, []string{"task:group"}},
		{"agent version", "agentVersion >= 1.2.0", true, []string{"agentVersion"}},
		{"no node can match", "attribute:ecs.instance-type =~ c5.*", true, []string{"no node can match"}},
		{"a value no label can hold", "attribute:stack == 'two words'", true, []string{"no node can match"}},
		{"not an integer", "attribute:size > big", true, []string{"integers"}},
		{"regexp without node values", "attribute:ecs.instance-type =~ t2.*", false, []string{"=~", "not known"}},
		{"bad regexp", "attribute:ecs.instance-type =~ 't2.(*'", true, []string{"regular expression"}},
		{"attribute that is no label", "attribute:" + "x.y/z == 1", true, []string{"cannot be a node label"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := service(spec(ctr("app")))
			in.PlacementConstraints = []ecsv1.PlacementConstraint{memberOf(tc.expr)}
			if tc.values {
				in.NodeLabelValues = func(label string) []string { return nodeLabels[label] }
			}
			wantError(t, in, tc.fragments...)
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
