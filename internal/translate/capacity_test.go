package translate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func item(name string, base, weight int32) ecsv1.CapacityProviderStrategyItem {
	it := ecsv1.CapacityProviderStrategyItem{CapacityProvider: name}
	if base > 0 {
		it.Base = ptr.To(base)
	}
	it.Weight = ptr.To(weight)
	return it
}

func TestSplitTasks_baseThenWeight(t *testing.T) {
	for _, tc := range []struct {
		name     string
		strategy []ecsv1.CapacityProviderStrategyItem
		desired  int32
		want     []int32
	}{
		{"base only covers all", []ecsv1.CapacityProviderStrategyItem{item("a", 2, 1), item("b", 0, 1)}, 2, []int32{2, 0}},
		{"base then even weights", []ecsv1.CapacityProviderStrategyItem{item("a", 2, 1), item("b", 0, 1)}, 6, []int32{4, 2}},
		{"weights 1:3", []ecsv1.CapacityProviderStrategyItem{item("a", 0, 1), item("b", 0, 3)}, 8, []int32{2, 6}},
		{"ties go to the earlier provider", []ecsv1.CapacityProviderStrategyItem{item("a", 0, 1), item("b", 0, 1)}, 3, []int32{2, 1}},
		{"largest remainder wins", []ecsv1.CapacityProviderStrategyItem{item("a", 0, 1), item("b", 0, 2)}, 4, []int32{1, 3}},
		{"weight 0 gets only its base", []ecsv1.CapacityProviderStrategyItem{item("spot", 0, 0), item("od", 1, 0), item("x", 0, 5)}, 4, []int32{0, 1, 3}},
		{"base larger than desired", []ecsv1.CapacityProviderStrategyItem{item("a", 0, 1), item("b", 10, 1)}, 3, []int32{0, 3}},
		{"no tasks", []ecsv1.CapacityProviderStrategyItem{item("a", 1, 0)}, 0, []int32{0}},
		{"three way 1:1:1 of 5000", []ecsv1.CapacityProviderStrategyItem{item("a", 0, 1), item("b", 0, 1), item("c", 0, 1)}, 5000, []int32{1667, 1667, 1666}},
		{"base with the weighted rest, base item weighted too", []ecsv1.CapacityProviderStrategyItem{item("FARGATE", 1, 1), item("FARGATE_SPOT", 0, 4)}, 11, []int32{3, 8}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SplitTasks(tc.strategy, tc.desired)
			if err != nil {
				t.Fatal(err)
			}
			var want []ProviderShare
			for i, it := range tc.strategy {
				want = append(want, ProviderShare{CapacityProvider: it.CapacityProvider, Count: tc.want[i]})
			}
			diff(t, "shares", want, got)
			var sum int32
			for _, s := range got {
				sum += s.Count
			}
			if sum != tc.desired {
				t.Errorf("shares add up to %d, want %d", sum, tc.desired)
			}
		})
	}
}

func TestSplitTasks_errors(t *testing.T) {
	if _, err := SplitTasks([]ecsv1.CapacityProviderStrategyItem{item("a", 1, 0), item("b", 0, 0)}, 3); err == nil {
		t.Error("all weights 0 with tasks left over: want an error")
	}
	if _, err := SplitTasks([]ecsv1.CapacityProviderStrategyItem{item("a", 1, 1), item("b", 2, 1)}, 3); err == nil {
		t.Error("two bases: want an error")
	}
	if _, err := SplitTasks(nil, 3); err == nil {
		t.Error("empty strategy: want an error")
	}
	if _, err := SplitTasks([]ecsv1.CapacityProviderStrategyItem{item("a", 3, 0)}, 3); err != nil {
		t.Errorf("all weights 0 but the base covers every task: %v", err)
	}
}

func TestPodTemplate_capacityProvider(t *testing.T) {
	in := service(spec(ctr("app")))
	in.TaskDefinition.RuntimePlatform = &ecsv1.RuntimePlatform{CPUArchitecture: "ARM64", OperatingSystemFamily: "LINUX"}
	in.CapacityProvider = &ecsv1.CapacityProvider{
		Name: "spot", Type: ecsv1.CapacityProviderEC2,
		NodeSelector:     map[string]string{"pool": "spot", corev1.LabelArchStable: "arm64"},
		Tolerations:      []corev1.Toleration{{Key: "spot", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
		RuntimeClassName: "gvisor",
	}
	pod := mustTranslate(t, in).Template.Spec
	diff(t, "nodeSelector", map[string]string{"pool": "spot", corev1.LabelArchStable: "arm64", corev1.LabelOSStable: "linux"}, pod.NodeSelector)
	diff(t, "tolerations", in.CapacityProvider.Tolerations, pod.Tolerations)
	diff(t, "runtimeClassName", ptr.To("gvisor"), pod.RuntimeClassName)
}

func TestPodTemplate_capacityProviderConflictsWithPlatform(t *testing.T) {
	in := service(spec(ctr("app")))
	in.TaskDefinition.RuntimePlatform = &ecsv1.RuntimePlatform{CPUArchitecture: "ARM64"}
	in.CapacityProvider = &ecsv1.CapacityProvider{Name: "x86", NodeSelector: map[string]string{corev1.LabelArchStable: "amd64"}}
	wantError(t, in, "capacity provider x86", "kubernetes.io/arch=arm64")
}

func TestPodTemplate_noCapacityProvider(t *testing.T) {
	pod := mustTranslate(t, service(spec(ctr("app")))).Template.Spec
	if pod.NodeSelector != nil || pod.Tolerations != nil || pod.RuntimeClassName != nil {
		t.Errorf("no provider: want no node selector, tolerations or runtime class, got %v %v %v", pod.NodeSelector, pod.Tolerations, pod.RuntimeClassName)
	}
}
