package translate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func TestPodTemplate_dependsOnLayout(t *testing.T) {
	for _, tc := range []struct {
		name       string
		containers []ecsv1.ContainerDefinition
		init       []string
		sidecars   []string // init containers with restartPolicy Always
		regular    []string
	}{
		{"no dependencies", []ecsv1.ContainerDefinition{ctr("a"), ctr("b")}, nil, nil, []string{"a", "b"}},
		{"COMPLETE runs to completion first",
			[]ecsv1.ContainerDefinition{ctr("app", dependsOn("setup", ecsv1.DependencyComplete)), ctr("setup", nonEssential)},
			[]string{"setup"}, nil, []string{"app"}},
		{"SUCCESS runs to completion first",
			[]ecsv1.ContainerDefinition{ctr("setup", nonEssential), ctr("app", dependsOn("setup", ecsv1.DependencySuccess))},
			[]string{"setup"}, nil, []string{"app"}},
		{"START makes a sidecar",
			[]ecsv1.ContainerDefinition{ctr("app", dependsOn("envoy", ecsv1.DependencyStart)), ctr("envoy")},
			[]string{"envoy"}, []string{"envoy"}, []string{"app"}},
		{"HEALTHY makes a sidecar",
			[]ecsv1.ContainerDefinition{ctr("db", healthCheck("CMD", "pg_isready")), ctr("app", dependsOn("db", ecsv1.DependencyHealthy))},
			[]string{"db"}, []string{"db"}, []string{"app"}},
		{"COMPLETE by anyone wins over START",
			[]ecsv1.ContainerDefinition{ctr("x", nonEssential), ctr("a", dependsOn("x", ecsv1.DependencyStart)), ctr("b", dependsOn("x", ecsv1.DependencyComplete))},
			[]string{"x"}, nil, []string{"a", "b"}},
		{"chains are ordered by dependency, then ECS order",
			[]ecsv1.ContainerDefinition{
				ctr("app", dependsOn("proxy", ecsv1.DependencyStart), dependsOn("migrate", ecsv1.DependencySuccess)),
				ctr("proxy", dependsOn("config", ecsv1.DependencyComplete)),
				ctr("migrate", nonEssential, dependsOn("proxy", ecsv1.DependencyStart)),
				ctr("config", nonEssential),
				ctr("log", nonEssential),
			},
			[]string{"config", "proxy", "migrate"}, []string{"proxy"}, []string{"app", "log"}},
		{"a container that becomes free goes before later free ones",
			[]ecsv1.ContainerDefinition{
				ctr("app", dependsOn("x", ecsv1.DependencyStart), dependsOn("y", ecsv1.DependencyStart)),
				ctr("x", dependsOn("z", ecsv1.DependencyStart)), ctr("z"), ctr("y"),
			},
			[]string{"z", "x", "y"}, []string{"z", "x", "y"}, []string{"app"}},
		{"independent init containers in ECS order",
			[]ecsv1.ContainerDefinition{
				ctr("app", dependsOn("b", ecsv1.DependencyComplete), dependsOn("a", ecsv1.DependencyStart)),
				ctr("b", nonEssential), ctr("a"),
			},
			[]string{"b", "a"}, []string{"a"}, []string{"app"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := mustTranslate(t, service(spec(tc.containers...))).Template.Spec
			diff(t, "init containers", tc.init, names(pod.InitContainers))
			diff(t, "containers", tc.regular, names(pod.Containers))
			var sidecars []string
			for _, c := range pod.InitContainers {
				if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
					sidecars = append(sidecars, c.Name)
				}
			}
			diff(t, "sidecars", tc.sidecars, sidecars)
		})
	}
}

func TestPodTemplate_healthyDependencyGetsStartupProbe(t *testing.T) {
	s := spec(
		ctr("db", nonEssential, healthCheck("CMD-SHELL", "pg_isready")),
		ctr("app", dependsOn("db", ecsv1.DependencyHealthy)),
	)
	db := container(t, &mustTranslate(t, service(s)).Template.Spec, "db")
	// Non-essential: no readiness or liveness, but dependents wait for a healthy check.
	diff(t, "startup probe", execProbe([]string{"/bin/sh", "-c", "pg_isready"}, 30, 5, 3), db.StartupProbe)
	if db.ReadinessProbe != nil || db.LivenessProbe != nil {
		t.Errorf("a non-essential sidecar has readiness/liveness probes")
	}
	// An essential sidecar keeps its probes.
	s.ContainerDefinitions[0].Essential = nil
	db = container(t, &mustTranslate(t, service(s)).Template.Spec, "db")
	if db.StartupProbe == nil || db.ReadinessProbe == nil || db.LivenessProbe == nil {
		t.Errorf("an essential sidecar keeps startup, readiness and liveness probes: %+v", db)
	}
}

func TestPodTemplate_dependsOnErrors(t *testing.T) {
	for _, tc := range []struct {
		name       string
		containers []ecsv1.ContainerDefinition
		fragments  []string
	}{
		{"cycle", []ecsv1.ContainerDefinition{
			ctr("a", dependsOn("b", ecsv1.DependencyStart)),
			ctr("b", dependsOn("c", ecsv1.DependencyStart)),
			ctr("c", dependsOn("a", ecsv1.DependencyStart)),
		}, []string{"dependsOn", "cycle", "a → b → c → a"}},
		{"cycle below the first container", []ecsv1.ContainerDefinition{
			ctr("app", dependsOn("x", ecsv1.DependencyStart)),
			ctr("x", dependsOn("y", ecsv1.DependencyStart)),
			ctr("y", dependsOn("x", ecsv1.DependencyStart)),
		}, []string{"cycle", "x → y → x"}},
		{"HEALTHY without healthCheck", []ecsv1.ContainerDefinition{
			ctr("db"), ctr("app", dependsOn("db", ecsv1.DependencyHealthy)),
		}, []string{"containerDefinitions[app].dependsOn[0]", "HEALTHY", `"db"`}},
		{"HEALTHY on healthCheck NONE", []ecsv1.ContainerDefinition{
			ctr("db", healthCheck("NONE")), ctr("app", dependsOn("db", ecsv1.DependencyHealthy)),
		}, []string{"HEALTHY", "healthCheck"}},
		{"COMPLETE on an essential container", []ecsv1.ContainerDefinition{
			ctr("setup"), ctr("app", dependsOn("setup", ecsv1.DependencyComplete)),
		}, []string{"containerDefinitions[app].dependsOn[0]", "COMPLETE", "essential"}},
		{"unknown container", []ecsv1.ContainerDefinition{
			ctr("app", dependsOn("ghost", ecsv1.DependencyStart)),
		}, []string{"containerDefinitions[app].dependsOn[0]", `"ghost"`}},
	} {
		t.Run(tc.name, func(t *testing.T) { wantError(t, service(spec(tc.containers...)), tc.fragments...) })
	}
}

func TestPodTemplate_healthyAndCompleteOnOneContainer(t *testing.T) {
	out := mustTranslate(t, service(spec(
		ctr("x", nonEssential, healthCheck("CMD", "true")),
		ctr("a", dependsOn("x", ecsv1.DependencyHealthy)),
		ctr("b", dependsOn("x", ecsv1.DependencySuccess)),
	)))
	diff(t, "init containers", []string{"x"}, names(out.Template.Spec.InitContainers))
	if !hasNote(out.Unsupported, "containerDefinitions[x]", "HEALTHY") {
		t.Errorf("not noted: %q", out.Unsupported)
	}
}
