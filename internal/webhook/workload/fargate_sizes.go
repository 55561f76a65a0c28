package workload

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
)

// fargateMemory lists, for each Fargate task cpu (units), the memory sizes (MiB) it allows:
// from, to and step.
var fargateMemory = map[int64][]int64{
	256:   {512, 2048, 0}, // 512, 1024, 2048: listed below
	512:   {1024, 4096, 1024},
	1024:  {2048, 8192, 1024},
	2048:  {4096, 16384, 1024},
	4096:  {8192, 30720, 1024},
	8192:  {16384, 61440, 4096},
	16384: {32768, 122880, 8192},
}

// fargateMemoryAllowed reports whether memory (MiB) goes with cpu (units) on Fargate.
func fargateMemoryAllowed(cpu, memory int64) bool {
	r, ok := fargateMemory[cpu]
	if !ok {
		return false
	}
	if cpu == 256 {
		return memory == 512 || memory == 1024 || memory == 2048
	}
	return memory >= r[0] && memory <= r[1] && (memory-r[0])%r[2] == 0
}

// validateFargateSize checks a FARGATE task definition's cpu/memory against the combinations
// Fargate offers.
func validateFargateSize(spec *ecsv1.TaskDefinitionSpec, path *field.Path) field.ErrorList {
	if !requires(spec, "FARGATE") || spec.CPU == "" || spec.Memory == "" {
		return nil
	}
	cpu, err := ecs.ParseTaskCPU(string(spec.CPU))
	if err != nil {
		return field.ErrorList{field.Invalid(path.Child("cpu"), spec.CPU, err.Error())}
	}
	memory, err := ecs.ParseTaskMemory(string(spec.Memory))
	if err != nil {
		return field.ErrorList{field.Invalid(path.Child("memory"), spec.Memory, err.Error())}
	}
	if _, ok := fargateMemory[cpu]; !ok {
		return field.ErrorList{field.NotSupported(path.Child("cpu"), spec.CPU,
			[]string{"256", "512", "1024", "2048", "4096", "8192", "16384"})}
	}
	if !fargateMemoryAllowed(cpu, memory) {
		return field.ErrorList{field.Invalid(path.Child("memory"), spec.Memory,
			fmt.Sprintf("Fargate does not offer %d MiB with %d cpu units (%s)", memory, cpu, fargateRangeText(cpu)))}
	}
	return nil
}

func fargateRangeText(cpu int64) string {
	if cpu == 256 {
		return "allowed: 512, 1024 or 2048 MiB"
	}
	r := fargateMemory[cpu]
	return fmt.Sprintf("allowed: %d to %d MiB in steps of %d MiB", r[0], r[1], r[2])
}

func requires(spec *ecsv1.TaskDefinitionSpec, compatibility string) bool {
	for _, c := range spec.RequiresCompatibilities {
		if string(c) == compatibility {
			return true
		}
	}
	return false
}
