package workload

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
)

// validateContainerSizes checks that the containers' cpu and memory fit in the task's, as ECS
// requires when the task sets them.
func validateContainerSizes(spec *ecsv1.TaskDefinitionSpec, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if spec.CPU != "" {
		if task, err := ecs.ParseTaskCPU(string(spec.CPU)); err == nil {
			var sum int64
			for _, c := range spec.ContainerDefinitions {
				if c.CPU != nil {
					sum += int64(*c.CPU)
				}
			}
			if sum > task {
				errs = append(errs, field.Invalid(path.Child("containerDefinitions"), sum,
					fmt.Sprintf("the containers' cpu (%d units) exceeds the task's cpu %q (%d units)", sum, spec.CPU, task)))
			}
		}
	}
	if spec.Memory != "" {
		if task, err := ecs.ParseTaskMemory(string(spec.Memory)); err == nil {
			var sum int64
			for _, c := range spec.ContainerDefinitions {
				switch {
				case c.MemoryReservation != nil:
					sum += int64(*c.MemoryReservation)
				case c.Memory != nil:
					sum += int64(*c.Memory)
				}
			}
			if sum > task {
				errs = append(errs, field.Invalid(path.Child("containerDefinitions"), sum,
					fmt.Sprintf("the containers' memory reservations (%d MiB) exceed the task's memory %q (%d MiB)", sum, spec.Memory, task)))
			}
			for i, c := range spec.ContainerDefinitions {
				if c.Memory != nil && int64(*c.Memory) > task {
					errs = append(errs, field.Invalid(path.Child("containerDefinitions").Index(i).Child("memory"), *c.Memory,
						fmt.Sprintf("exceeds the task's memory %q (%d MiB)", spec.Memory, task)))
				}
			}
		}
	}
	return errs
}
