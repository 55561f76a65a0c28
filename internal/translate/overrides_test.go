package translate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func TestPodTemplate_containerOverrides(t *testing.T) {
	s := spec(ctr("App", func(c *ecsv1.ContainerDefinition) {
		c.EntryPoint = []string{"/entry"}
		c.Command = []string{"serve"}
		c.Environment = []ecsv1.KeyValuePair{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}}
		c.CPU = ptr.To[int32](256)
		c.Memory = ptr.To[int32](512)
	}), ctr("other"))
	in := task(s)
	in.Overrides = &ecsv1.TaskOverride{ContainerOverrides: []ecsv1.ContainerOverride{{
		Name:              "App",
		Command:           []string{"migrate", "--up"},
		Environment:       []ecsv1.KeyValuePair{{Name: "C", Value: "3"}, {Name: "A", Value: "one"}},
		CPU:               ptr.To[int32](1024),
		MemoryReservation: ptr.To[int32](128),
	}}}
	c := container(t, &mustTranslate(t, in).Template.Spec, ContainerName("App"))
	diff(t, "overridden container", []any{
		[]string{"/entry"}, []string{"migrate", "--up"},
		[]corev1.EnvVar{{Name: "A", Value: "one"}, {Name: "B", Value: "2"}, {Name: "C", Value: "3"}},
		corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: q("1"), corev1.ResourceMemory: q("128Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: q("512Mi")},
		},
	}, []any{c.Command, c.Args, c.Env, c.Resources})
	if s.ContainerDefinitions[0].Command[0] != "serve" || len(s.ContainerDefinitions[0].Environment) != 2 {
		t.Error("overrides changed the task definition")
	}
}

func TestPodTemplate_taskOverrides(t *testing.T) {
	s := spec(ctr("app"))
	s.CPU, s.Memory = "256", "512"
	s.TaskRoleArn = "arn:aws:iam::123456789012:role/base"
	s.ExecutionRoleArn = "arn:aws:iam::123456789012:role/exec"
	in := task(s)
	in.Overrides = &ecsv1.TaskOverride{
		CPU: "1 vCPU", Memory: "2GB",
		TaskRoleArn:      "arn:aws:iam::123456789012:role/override",
		ExecutionRoleArn: "arn:aws:iam::123456789012:role/exec2",
		EphemeralStorage: &ecsv1.EphemeralStorage{SizeInGiB: 30},
	}
	out := mustTranslate(t, in)
	want := corev1.ResourceList{corev1.ResourceCPU: q("1"), corev1.ResourceMemory: q("2Gi")}
	diff(t, "pod resources", &corev1.ResourceRequirements{Requests: want, Limits: want}, out.Template.Spec.Resources)
	sa, _ := ServiceAccountName(in.Overrides.TaskRoleArn)
	diff(t, "overridden roles and storage",
		[]string{sa, "arn:aws:iam::123456789012:role/exec2", "30Gi"},
		[]string{out.Template.Spec.ServiceAccountName, out.Template.Annotations[AnnotationExecutionRoleArn], out.Template.Annotations[AnnotationEphemeralStorage]})
}

func TestPodTemplate_overrideOfUnknownContainer(t *testing.T) {
	in := task(spec(ctr("app")))
	in.Overrides = &ecsv1.TaskOverride{ContainerOverrides: []ecsv1.ContainerOverride{{Name: "ghost"}}}
	wantError(t, in, "overrides.containerOverrides[0].name", `"ghost"`)
}
