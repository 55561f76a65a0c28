package workload

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// validateDependsOnCycles rejects containers that wait for each other, which ECS refuses and no
// start order can satisfy. (A container naming itself is caught by CEL already.)
func validateDependsOnCycles(spec *ecsv1.TaskDefinitionSpec, path *field.Path) field.ErrorList {
	deps := map[string][]string{}
	index := map[string]int{}
	for i, c := range spec.ContainerDefinitions {
		index[string(c.Name)] = i
		for _, d := range c.DependsOn {
			deps[string(c.Name)] = append(deps[string(c.Name)], string(d.ContainerName))
		}
	}
	const (
		unvisited = iota
		onPath
		done
	)
	state := map[string]int{}
	var stack []string
	var cycle []string
	var visit func(n string) bool
	visit = func(n string) bool {
		state[n] = onPath
		stack = append(stack, n)
		for _, m := range deps[n] {
			switch state[m] {
			case onPath:
				for i, s := range stack {
					if s == m {
						cycle = append(append([]string{}, stack[i:]...), m)
					}
				}
				return true
			case unvisited:
				if visit(m) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		return false
	}
	for _, c := range spec.ContainerDefinitions {
		if state[string(c.Name)] == unvisited && visit(string(c.Name)) {
			return field.ErrorList{field.Invalid(path.Child("containerDefinitions").Index(index[cycle[0]]).Child("dependsOn"),
				strings.Join(cycle, " -> "), "dependsOn forms a cycle: "+strings.Join(cycle, " -> "))}
		}
	}
	return nil
}
