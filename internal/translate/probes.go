package translate

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// ECS's health check defaults.
const (
	defaultHealthInterval = 30
	defaultHealthTimeout  = 5
	defaultHealthRetries  = 3
)

// probes turns a container's healthCheck into probes.
//
// ECS's task health is the health of its essential containers, so essential containers get a
// readiness probe (the task is healthy when they are), and for Services a liveness probe too:
// ECS replaces a Service's unhealthy tasks, while a standalone task that turns unhealthy keeps
// running, so Tasks get no liveness probe. The start period (or a Service's health check grace
// period, whichever is longer) becomes a startup probe that allows ceil(start/interval) +
// retries checks, rather than initialDelaySeconds: like ECS's start period, failures during
// it do not count, and a healthy check ends it early.
//
// A container others depend on with HEALTHY is a sidecar with a startup probe from its health
// check, so that they start once it is healthy. Kubernetes counts every container's readiness
// toward the Pod's, so a non-essential container gets no readiness probe: its health, which
// ECS only reports, is noted as unsupported. Init containers that run to completion cannot
// have probes at all.
func (t *translation) probes(i int, c *ecsv1.ContainerDefinition, k *corev1.Container) {
	hc := c.HealthCheck
	if hc == nil || len(hc.Command) == 0 || hc.Command[0] == "NONE" {
		return
	}
	field := containerField(c, "healthCheck")
	role, ess := t.layout.roles[i], essential(c)
	switch {
	case role == roleInit:
		t.notes.add(field, "a container that others wait for to complete runs as an init container, which Kubernetes does not probe; its health is not checked")
		return
	case !ess && !t.layout.healthy[i]:
		t.notes.add(field, "the health of a non-essential container is not reported: Kubernetes would count its readiness toward the task's, which ECS does only for essential containers")
		return
	}
	handler := t.healthHandler(hc)
	// The schema keeps these within ECS's ranges; a revision made before a range was checked
	// gets ECS's defaults rather than a division by zero.
	period := positiveOr(ptr.Deref(hc.Interval, defaultHealthInterval), defaultHealthInterval)
	timeout := positiveOr(ptr.Deref(hc.Timeout, defaultHealthTimeout), defaultHealthTimeout)
	retries := positiveOr(ptr.Deref(hc.Retries, defaultHealthRetries), defaultHealthRetries)
	probe := func(failures int32) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler:     handler,
			PeriodSeconds:    period,
			TimeoutSeconds:   timeout,
			SuccessThreshold: 1,
			FailureThreshold: failures,
		}
	}
	start := ptr.Deref(hc.StartPeriod, 0)
	if g := t.in.HealthCheckGracePeriodSeconds; ess && g != nil && *g > start {
		start = *g
	}
	if start > 0 || t.layout.healthy[i] {
		k.StartupProbe = probe((start+period-1)/period + retries)
	}
	if ess {
		k.ReadinessProbe = probe(retries)
		if t.restart == corev1.RestartPolicyAlways {
			k.LivenessProbe = probe(retries)
		}
	}
}

// healthHandler runs the health check command as Docker does: CMD executes its arguments,
// CMD-SHELL runs its command with the container's shell (/bin/sh -c, or cmd /S /C on Windows).
func (t *translation) healthHandler(hc *ecsv1.HealthCheck) corev1.ProbeHandler {
	var cmd []string
	switch hc.Command[0] {
	case "CMD":
		cmd = append(cmd, hc.Command[1:]...)
	default: // CMD-SHELL
		script := strings.Join(hc.Command[1:], " ")
		if t.windows() {
			cmd = []string{"cmd", "/S", "/C", script}
		} else {
			cmd = []string{"/bin/sh", "-c", script}
		}
	}
	return corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: cmd}}
}

// positiveOr is v when it is positive, else def.
func positiveOr(v, def int32) int32 {
	if v > 0 {
		return v
	}
	return def
}
