package translate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func execProbe(cmd []string, period, timeout, failures int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: cmd}},
		PeriodSeconds: period, TimeoutSeconds: timeout, SuccessThreshold: 1, FailureThreshold: failures,
	}
}

func TestPodTemplate_healthCheckCommands(t *testing.T) {
	for _, tc := range []struct {
		name    string
		command []string
		windows bool
		want    []string
	}{
		{"CMD", []string{"CMD", "/bin/check", "--fast"}, false, []string{"/bin/check", "--fast"}},
		{"CMD-SHELL", []string{"CMD-SHELL", "curl -f http://localhost/ || exit 1"}, false, []string{"/bin/sh", "-c", "curl -f http://localhost/ || exit 1"}},
		{"CMD-SHELL on Windows", []string{"CMD-SHELL", "powershell -command exit 0"}, true, []string{"cmd", "/S", "/C", "powershell -command exit 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := spec(ctr("app", healthCheck(tc.command...)))
			if tc.windows {
				s.RuntimePlatform = &ecsv1.RuntimePlatform{OperatingSystemFamily: "WINDOWS_SERVER_2019_CORE"}
			}
			c := container(t, &mustTranslate(t, service(s)).Template.Spec, "app")
			diff(t, "readiness probe", execProbe(tc.want, 30, 5, 3), c.ReadinessProbe)
		})
	}
}

func TestPodTemplate_healthCheckNONE(t *testing.T) {
	c := container(t, &mustTranslate(t, service(spec(ctr("app", healthCheck("NONE"))))).Template.Spec, "app")
	if c.ReadinessProbe != nil || c.LivenessProbe != nil || c.StartupProbe != nil {
		t.Errorf("NONE: want no probes, got %+v %+v %+v", c.ReadinessProbe, c.LivenessProbe, c.StartupProbe)
	}
}

func TestPodTemplate_healthCheckTiming(t *testing.T) {
	cmd := []string{"/bin/sh", "-c", "check"}
	hc := func(interval, timeout, retries, start *int32) func(*ecsv1.ContainerDefinition) {
		return func(c *ecsv1.ContainerDefinition) {
			c.HealthCheck = &ecsv1.HealthCheck{Command: []string{"CMD-SHELL", "check"}, Interval: interval, Timeout: timeout, Retries: retries, StartPeriod: start}
		}
	}
	for _, tc := range []struct {
		name                       string
		in                         func(*ecsv1.TaskDefinitionSpec) Input
		mod                        func(*ecsv1.ContainerDefinition)
		grace                      *int32
		readiness, liveness, start *corev1.Probe
	}{
		{"ECS defaults", service, hc(nil, nil, nil, nil), nil,
			execProbe(cmd, 30, 5, 3), execProbe(cmd, 30, 5, 3), nil},
		{"interval timeout retries", service, hc(ptr.To[int32](10), ptr.To[int32](2), ptr.To[int32](5), nil), nil,
			execProbe(cmd, 10, 2, 5), execProbe(cmd, 10, 2, 5), nil},
		// startPeriod 40 at interval 30: ceil(40/30)=2 checks of grace, then 3 retries.
		{"startPeriod is a startup probe", service, hc(nil, nil, nil, ptr.To[int32](40)), nil,
			execProbe(cmd, 30, 5, 3), execProbe(cmd, 30, 5, 3), execProbe(cmd, 30, 5, 5)},
		{"the longer grace period wins", service, hc(ptr.To[int32](10), nil, ptr.To[int32](2), ptr.To[int32](20)), ptr.To[int32](120),
			execProbe(cmd, 10, 5, 2), execProbe(cmd, 10, 5, 2), execProbe(cmd, 10, 5, 14)},
		{"the longer startPeriod wins", service, hc(ptr.To[int32](10), nil, ptr.To[int32](2), ptr.To[int32](95)), ptr.To[int32](60),
			execProbe(cmd, 10, 5, 2), execProbe(cmd, 10, 5, 2), execProbe(cmd, 10, 5, 12)},
		{"a Task is not restarted for its health", task, hc(nil, nil, nil, nil), nil,
			execProbe(cmd, 30, 5, 3), nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in(spec(ctr("app", tc.mod)))
			in.HealthCheckGracePeriodSeconds = tc.grace
			c := container(t, &mustTranslate(t, in).Template.Spec, "app")
			diff(t, "readiness", tc.readiness, c.ReadinessProbe)
			diff(t, "liveness", tc.liveness, c.LivenessProbe)
			diff(t, "startup", tc.start, c.StartupProbe)
		})
	}
}

func TestPodTemplate_nonEssentialHealthCheckNotProbed(t *testing.T) {
	out := mustTranslate(t, service(spec(ctr("app"), ctr("agent", nonEssential, healthCheck("CMD", "true")))))
	c := container(t, &out.Template.Spec, "agent")
	if c.ReadinessProbe != nil || c.LivenessProbe != nil || c.StartupProbe != nil {
		t.Errorf("a non-essential container must not count toward readiness: %+v", c)
	}
	if !hasNote(out.Unsupported, "containerDefinitions[agent].healthCheck", "non-essential") {
		t.Errorf("not noted: %q", out.Unsupported)
	}
}
