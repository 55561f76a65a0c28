package translate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func q(s string) resource.Quantity { return resource.MustParse(s) }

func TestPodTemplate_containerResources(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*ecsv1.ContainerDefinition)
		want corev1.ResourceRequirements
	}{
		{"none", func(*ecsv1.ContainerDefinition) {}, corev1.ResourceRequirements{}},
		{"cpu units are a request, never a limit", func(c *ecsv1.ContainerDefinition) { c.CPU = ptr.To[int32](256) },
			corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q("250m")}}},
		{"cpu rounds up to whole millicores", func(c *ecsv1.ContainerDefinition) { c.CPU = ptr.To[int32](10) },
			corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q("10m")}}}, // 9.77m
		{"cpu 0 reserves nothing", func(c *ecsv1.ContainerDefinition) { c.CPU = ptr.To[int32](0) }, corev1.ResourceRequirements{}},
		{"memory is limit and request", func(c *ecsv1.ContainerDefinition) { c.Memory = ptr.To[int32](512) },
			corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: q("512Mi")}, Limits: corev1.ResourceList{corev1.ResourceMemory: q("512Mi")}}},
		{"reservation is the request", func(c *ecsv1.ContainerDefinition) {
			c.Memory = ptr.To[int32](1024)
			c.MemoryReservation = ptr.To[int32](256)
		}, corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: q("256Mi")}, Limits: corev1.ResourceList{corev1.ResourceMemory: q("1Gi")}}},
		{"reservation alone has no limit", func(c *ecsv1.ContainerDefinition) { c.MemoryReservation = ptr.To[int32](128) },
			corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: q("128Mi")}}},
		{"GPUs", func(c *ecsv1.ContainerDefinition) {
			c.ResourceRequirements = []ecsv1.ResourceRequirement{{Type: "GPU", Value: "2"}}
		}, corev1.ResourceRequirements{Limits: corev1.ResourceList{ResourceGPU: q("2")}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := container(t, &mustTranslate(t, service(spec(ctr("app", tc.mod)))).Template.Spec, "app").Resources
			diff(t, "resources", tc.want, got)
		})
	}
}

func TestPodTemplate_badGPUValue(t *testing.T) {
	wantError(t, service(spec(ctr("app", func(c *ecsv1.ContainerDefinition) {
		c.ResourceRequirements = []ecsv1.ResourceRequirement{{Type: "GPU", Value: "all"}}
	}))), "containerDefinitions[app].resourceRequirements", `"all"`)
}

func TestPodTemplate_taskResources(t *testing.T) {
	for _, tc := range []struct {
		cpu    ecsv1.TaskCPU
		memory ecsv1.TaskMemory
		want   corev1.ResourceList
	}{
		{"1024", "2048", corev1.ResourceList{corev1.ResourceCPU: q("1"), corev1.ResourceMemory: q("2Gi")}},
		{"0.25 vCPU", "0.5GB", corev1.ResourceList{corev1.ResourceCPU: q("250m"), corev1.ResourceMemory: q("512Mi")}},
		{"2 vCPU", "4 GB", corev1.ResourceList{corev1.ResourceCPU: q("2"), corev1.ResourceMemory: q("4Gi")}},
		{"256", "", corev1.ResourceList{corev1.ResourceCPU: q("250m")}},
		{"", "512", corev1.ResourceList{corev1.ResourceMemory: q("512Mi")}},
	} {
		t.Run(string(tc.cpu)+"/"+string(tc.memory), func(t *testing.T) {
			s := spec(ctr("app"))
			s.CPU, s.Memory = tc.cpu, tc.memory
			got := mustTranslate(t, service(s)).Template.Spec.Resources
			diff(t, "pod resources", &corev1.ResourceRequirements{Requests: tc.want, Limits: tc.want}, got)
		})
	}
	if got := mustTranslate(t, service(spec(ctr("app")))).Template.Spec.Resources; got != nil {
		t.Errorf("no task size: want no pod resources, got %+v", got)
	}
}

func TestPodTemplate_taskResourcesInvalid(t *testing.T) {
	s := spec(ctr("app"))
	s.CPU = "lots"
	wantError(t, service(s), "cpu")
	s = spec(ctr("app"))
	s.Memory = "${TASK_MEMORY}"
	wantError(t, service(s), "memory")
}

func TestPodTemplate_containersMustFitTheTask(t *testing.T) {
	s := spec(ctr("app", func(c *ecsv1.ContainerDefinition) { c.Memory = ptr.To[int32](2048) }))
	s.Memory = "1024"
	wantError(t, service(s), "containerDefinitions[app].memory", "2048 MiB", "1024 MiB")

	s = spec(ctr("a", func(c *ecsv1.ContainerDefinition) { c.CPU = ptr.To[int32](512) }), ctr("b", func(c *ecsv1.ContainerDefinition) { c.CPU = ptr.To[int32](512) }))
	s.CPU = "512"
	wantError(t, service(s), "cpu", "1024 cpu units", "512")

	s = spec(ctr("a", func(c *ecsv1.ContainerDefinition) { c.MemoryReservation = ptr.To[int32](600) }), ctr("b", func(c *ecsv1.ContainerDefinition) { c.MemoryReservation = ptr.To[int32](600) }))
	s.Memory = "1GB"
	wantError(t, service(s), "memory", "1200 MiB")
}

func TestPodTemplate_taskResourcesCountInitContainersOnce(t *testing.T) {
	// The init container runs before the others: Kubernetes counts the larger of it and the
	// rest, so 768 + 768 fits a 1024-unit task although ECS's sum would be 1536.
	s := spec(
		ctr("migrate", nonEssential, func(c *ecsv1.ContainerDefinition) { c.CPU = ptr.To[int32](768) }),
		ctr("app", dependsOn("migrate", ecsv1.DependencySuccess), func(c *ecsv1.ContainerDefinition) { c.CPU = ptr.To[int32](768) }),
	)
	s.CPU = "1024"
	mustTranslate(t, service(s))
}

func TestPodTemplate_taskCPURoundedUpToContainers(t *testing.T) {
	// 100 + 100 + 56 units fit 256, but rounded up one by one they are 98m+98m+55m = 251m.
	s := spec(
		ctr("a", func(c *ecsv1.ContainerDefinition) { c.CPU = ptr.To[int32](100) }),
		ctr("b", func(c *ecsv1.ContainerDefinition) { c.CPU = ptr.To[int32](100) }),
		ctr("c", func(c *ecsv1.ContainerDefinition) { c.CPU = ptr.To[int32](56) }),
	)
	s.CPU = "256"
	got := mustTranslate(t, service(s)).Template.Spec.Resources
	diff(t, "pod cpu", q("251m"), got.Requests[corev1.ResourceCPU])
}

func TestPodTemplate_overriddenTaskSizeNamesTheOverride(t *testing.T) {
	in := service(spec(ctr("app")))
	in.Overrides = &ecsv1.TaskOverride{CPU: "huge"}
	wantError(t, in, "overrides.cpu")
}

func TestPodTemplate_ephemeralStorage(t *testing.T) {
	s := spec(ctr("init", nonEssential), ctr("side", nonEssential), ctr("app", dependsOn("init", ecsv1.DependencyComplete)))
	s.EphemeralStorage = &ecsv1.EphemeralStorage{SizeInGiB: 25}
	out := mustTranslate(t, service(s))
	diff(t, "annotation", "25Gi", out.Template.Annotations[AnnotationEphemeralStorage])
	want := corev1.ResourceList{corev1.ResourceEphemeralStorage: q("25Gi")}
	app := container(t, &out.Template.Spec, "app")
	diff(t, "the first essential regular container carries it", []corev1.ResourceList{want, want}, []corev1.ResourceList{app.Resources.Requests, app.Resources.Limits})
	for _, other := range []string{"init", "side"} {
		if r := container(t, &out.Template.Spec, other).Resources; r.Limits != nil || r.Requests != nil {
			t.Errorf("%s has resources %+v", other, r)
		}
	}
}
