package translate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

var (
	never  = ptr.To(corev1.ContainerRestartPolicyNever)
	always = ptr.To(corev1.ContainerRestartPolicyAlways)
)

func restartUnless(codes ...int32) corev1.ContainerRestartRule {
	return corev1.ContainerRestartRule{
		Action:    corev1.ContainerRestartRuleActionRestart,
		ExitCodes: &corev1.ContainerRestartRuleOnExitCodes{Operator: corev1.ContainerRestartRuleOnExitCodesOpNotIn, Values: codes},
	}
}

func ecsRestart(ignored ...int32) func(*ecsv1.ContainerDefinition) {
	return func(c *ecsv1.ContainerDefinition) {
		c.RestartPolicy = &ecsv1.ContainerRestartPolicy{Enabled: true, IgnoredExitCodes: ignored}
	}
}

func TestPodTemplate_essentialAndRestartPolicy(t *testing.T) {
	type want struct {
		policy *corev1.ContainerRestartPolicy
		rules  []corev1.ContainerRestartRule
	}
	for _, tc := range []struct {
		name  string
		in    func(*ecsv1.TaskDefinitionSpec) Input
		other func(*ecsv1.ContainerDefinition)
		want  want
	}{
		{"service essential stays stopped for the controller to stop the task", service, func(*ecsv1.ContainerDefinition) {}, want{never, nil}},
		{"service non-essential stays stopped", service, nonEssential, want{never, nil}},
		{"service essential with ECS restart", service, ecsRestart(0, 143, 0), want{never, []corev1.ContainerRestartRule{restartUnless(0, 143)}}},
		{"service non-essential with ECS restart", service, func(c *ecsv1.ContainerDefinition) { nonEssential(c); ecsRestart()(c) }, want{never, []corev1.ContainerRestartRule{restartUnless()}}},
		{"task essential keeps the pod's Never", task, func(*ecsv1.ContainerDefinition) {}, want{nil, nil}},
		{"task non-essential keeps the pod's Never", task, nonEssential, want{nil, nil}},
		{"task with ECS restart", task, ecsRestart(1), want{never, []corev1.ContainerRestartRule{restartUnless(1)}}},
		{"ECS restart disabled", service, func(c *ecsv1.ContainerDefinition) {
			nonEssential(c)
			c.RestartPolicy = &ecsv1.ContainerRestartPolicy{Enabled: false, IgnoredExitCodes: []int32{1}}
		}, want{never, nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := container(t, &mustTranslate(t, tc.in(spec(ctr("main"), ctr("other", tc.other)))).Template.Spec, "other")
			diff(t, "restart", tc.want, want{c.RestartPolicy, c.RestartPolicyRules})
		})
	}
}

func TestPodTemplate_restartAttemptPeriodHonouredForEssentialServiceContainersOnly(t *testing.T) {
	period := func(c *ecsv1.ContainerDefinition) {
		c.RestartPolicy = &ecsv1.ContainerRestartPolicy{Enabled: true, RestartAttemptPeriod: ptr.To[int32](60), IgnoredExitCodes: []int32{0}}
	}
	out := mustTranslate(t, service(spec(ctr("app", period), ctr("helper", nonEssential, period), ctr("plain", ecsRestart()))))
	if hasNote(out.Unsupported, "containerDefinitions[app].restartPolicy.restartAttemptPeriod") {
		t.Errorf("an essential Service container's period is honoured, yet noted: %q", out.Unsupported)
	}
	if !hasNote(out.Unsupported, "containerDefinitions[helper].restartPolicy.restartAttemptPeriod") {
		t.Errorf("a non-essential container's period is not honoured and must be noted: %q", out.Unsupported)
	}
	want := `{"app":{"ignoredExitCodes":[0],"restartAttemptPeriod":60},"helper":{"ignoredExitCodes":[0],"restartAttemptPeriod":60},"plain":{"restartAttemptPeriod":300}}`
	if got := out.Template.Annotations[AnnotationRestartPolicies]; got != want {
		t.Errorf("restart policies annotation\n got %s\nwant %s", got, want)
	}
	if _, ok := mustTranslate(t, service(spec(ctr("app")))).Template.Annotations[AnnotationRestartPolicies]; ok {
		t.Error("no restart policy, no annotation")
	}
}

func TestPodTemplate_sidecarRestart(t *testing.T) {
	type want struct {
		policy *corev1.ContainerRestartPolicy
		rules  []corev1.ContainerRestartRule
	}
	for _, tc := range []struct {
		name string
		in   func(*ecsv1.TaskDefinitionSpec) Input
		mod  func(*ecsv1.ContainerDefinition)
		want want
	}{
		{"service essential sidecar: the controller stops the task", service, func(*ecsv1.ContainerDefinition) {}, want{always, nil}},
		{"service essential sidecar with ECS restart", service, ecsRestart(2), want{always, nil}},
		{"service non-essential sidecar", service, nonEssential, want{always, nil}},
		{"task essential sidecar", task, func(*ecsv1.ContainerDefinition) {}, want{always, nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := mustTranslate(t, tc.in(spec(ctr("proxy", tc.mod), ctr("app", dependsOn("proxy", ecsv1.DependencyStart))))).Template.Spec
			c := container(t, &pod, "proxy")
			diff(t, "restart", tc.want, want{c.RestartPolicy, c.RestartPolicyRules})
		})
	}
}

func TestPodTemplate_initContainerRestart(t *testing.T) {
	s := spec(ctr("migrate", nonEssential, ecsRestart(3)), ctr("app", dependsOn("migrate", ecsv1.DependencySuccess)))
	svc := container(t, &mustTranslate(t, service(s)).Template.Spec, "migrate")
	if svc.RestartPolicy != nil || svc.RestartPolicyRules != nil {
		t.Errorf("a Service's init container keeps the pod's policy, got %v %v", svc.RestartPolicy, svc.RestartPolicyRules)
	}
	tk := container(t, &mustTranslate(t, task(s)).Template.Spec, "migrate")
	diff(t, "task init container", []any{never, []corev1.ContainerRestartRule{restartUnless(0, 3)}}, []any{tk.RestartPolicy, tk.RestartPolicyRules})
}
