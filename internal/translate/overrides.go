package translate

import (
	"fmt"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// applyOverrides returns a copy of spec with a Task's RunTask overrides applied, as ECS applies
// them: a container override's command replaces the command, its environment is merged by name
// over the definition's (a known name keeps its place, a new one is appended), environment
// files are added, cpu, memory, memoryReservation and resourceRequirements replace the
// definition's; the task's cpu, memory, roles and ephemeral storage replace the task's.
func applyOverrides(def *ecsv1.TaskDefinitionSpec, o *ecsv1.TaskOverride) (*ecsv1.TaskDefinitionSpec, error) {
	spec := def.DeepCopy()
	if o == nil {
		return spec, nil
	}
	byName := map[ecsv1.ContainerName]int{}
	for i, c := range spec.ContainerDefinitions {
		byName[c.Name] = i
	}
	for j := range o.ContainerOverrides {
		co := &o.ContainerOverrides[j]
		i, ok := byName[co.Name]
		if !ok {
			return nil, fmt.Errorf("overrides.containerOverrides[%d].name: the task definition has no container %q", j, co.Name)
		}
		c := &spec.ContainerDefinitions[i]
		if co.Command != nil {
			c.Command = append([]string(nil), co.Command...)
		}
		c.Environment = mergeEnvironment(c.Environment, co.Environment)
		c.EnvironmentFiles = append(c.EnvironmentFiles, co.EnvironmentFiles...)
		if co.CPU != nil {
			c.CPU = co.CPU
		}
		if co.Memory != nil {
			c.Memory = co.Memory
		}
		if co.MemoryReservation != nil {
			c.MemoryReservation = co.MemoryReservation
		}
		if co.ResourceRequirements != nil {
			c.ResourceRequirements = append([]ecsv1.ResourceRequirement(nil), co.ResourceRequirements...)
		}
	}
	if o.CPU != "" {
		spec.CPU = o.CPU
	}
	if o.Memory != "" {
		spec.Memory = o.Memory
	}
	if o.TaskRoleArn != "" {
		spec.TaskRoleArn = o.TaskRoleArn
	}
	if o.ExecutionRoleArn != "" {
		spec.ExecutionRoleArn = o.ExecutionRoleArn
	}
	if o.EphemeralStorage != nil {
		spec.EphemeralStorage = o.EphemeralStorage.DeepCopy()
	}
	return spec, nil
}

// mergeEnvironment replaces variables of base by name with those of over, appending the ones
// base does not have, in over's order.
func mergeEnvironment(base, over []ecsv1.KeyValuePair) []ecsv1.KeyValuePair {
	if len(over) == 0 {
		return base
	}
	out := append([]ecsv1.KeyValuePair(nil), base...)
	at := map[string]int{}
	for i, kv := range out {
		at[kv.Name] = i
	}
	for _, kv := range over {
		if i, ok := at[kv.Name]; ok {
			out[i].Value = kv.Value
			continue
		}
		at[kv.Name] = len(out)
		out = append(out, kv)
	}
	return out
}
