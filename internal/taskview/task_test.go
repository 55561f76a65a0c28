package taskview

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func TestTaskHealth_UnhealthyThenUnknownThenHealthyOverCheckedEssentialContainers(t *testing.T) {
	pod := &corev1.Pod{}
	pod.Annotations = map[string]string{AnnotationEssential: "app,db,plain"}
	probe := &corev1.Probe{}
	pod.Spec.Containers = []corev1.Container{{Name: "app", ReadinessProbe: probe}, {Name: "db", ReadinessProbe: probe}, {Name: "side", StartupProbe: probe}, {Name: "plain"}}
	c := func(name string, h ecsv1.HealthStatus) ecsv1.ContainerStatus {
		return ecsv1.ContainerStatus{Name: ecsv1.ContainerName(name), HealthStatus: h}
	}
	const healthy, unhealthy, unknown = ecsv1.HealthHealthy, ecsv1.HealthUnhealthy, ecsv1.HealthUnknown
	tests := []struct {
		name       string
		containers []ecsv1.ContainerStatus
		want       ecsv1.HealthStatus
	}{
		{"all checked essential containers healthy", []ecsv1.ContainerStatus{c("app", healthy), c("db", healthy), c("side", unhealthy), c("plain", unknown)}, healthy},
		{"one being evaluated makes the task UNKNOWN", []ecsv1.ContainerStatus{c("app", healthy), c("db", unknown)}, unknown},
		{"UNHEALTHY wins over UNKNOWN", []ecsv1.ContainerStatus{c("app", unknown), c("db", unhealthy)}, unhealthy},
		{"a non-essential container's health does not count", []ecsv1.ContainerStatus{c("app", healthy), c("db", healthy), c("side", unhealthy)}, healthy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Health(pod, tc.containers); got != tc.want {
				t.Fatalf("health %s, want %s", got, tc.want)
			}
		})
	}
	noChecks := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}}
	noChecks.Annotations = map[string]string{AnnotationEssential: "app"}
	if got := Health(noChecks, []ecsv1.ContainerStatus{c("app", unknown)}); got != unknown {
		t.Fatalf("no health check: %s, want UNKNOWN", got)
	}
}

func TestContainerHealth_UnknownWhileEvaluated(t *testing.T) {
	started := func(b bool) *bool { return &b }
	for _, tc := range []struct {
		name      string
		cs        corev1.ContainerStatus
		essential bool
		want      ecsv1.HealthStatus
	}{
		{"startup probe not passed yet", corev1.ContainerStatus{Started: started(false)}, true, ecsv1.HealthUnknown},
		{"no started report yet", corev1.ContainerStatus{}, true, ecsv1.HealthUnknown},
		{"passing", corev1.ContainerStatus{Started: started(true), Ready: true}, true, ecsv1.HealthHealthy},
		{"failing after it started", corev1.ContainerStatus{Started: started(true)}, true, ecsv1.HealthUnhealthy},
		{"a non-essential container that started passed its only check", corev1.ContainerStatus{Started: started(true)}, false, ecsv1.HealthHealthy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ContainerHealth(tc.cs, tc.essential); got != tc.want {
				t.Fatalf("health %s, want %s", got, tc.want)
			}
		})
	}
}
