package translate

import (
	"fmt"
	"strings"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// role is where a container goes in the Pod.
type role int

const (
	// roleRegular is a regular container: nothing depends on it.
	roleRegular role = iota
	// roleSidecar is a native sidecar (init container with restartPolicy Always): others
	// depend on it with START or HEALTHY, so it must be running before they start.
	roleSidecar
	// roleInit is an init container that runs to completion: others depend on it with
	// COMPLETE or SUCCESS.
	roleInit
)

// layout is the Pod's shape that dependsOn asks for.
type layout struct {
	roles   []role // by container index
	healthy []bool // depended on with HEALTHY: a sidecar gated by a startup probe
	init    []int  // container indexes of the init containers, in start order
}

// planLayout turns dependsOn into init containers. Kubernetes starts init containers one after
// another, a sidecar counting as started once it runs (and its startup probe, if any, has
// passed), a run-to-completion init container once it exited 0; regular containers start
// after all of them. So every container that others depend on becomes an init container:
// run to completion when anyone waits for it with COMPLETE or SUCCESS, else a sidecar. The
// init containers are ordered so that each comes after its own dependencies, and otherwise in
// ECS order.
func planLayout(defs []ecsv1.ContainerDefinition, n *notes) (layout, error) {
	index := make(map[ecsv1.ContainerName]int, len(defs))
	for i, c := range defs {
		index[c.Name] = i
	}
	l := layout{roles: make([]role, len(defs)), healthy: make([]bool, len(defs))}
	deps := make([][]int, len(defs))
	for i := range defs {
		c := &defs[i]
		for j, d := range c.DependsOn {
			field := containerField(c, fmt.Sprintf("dependsOn[%d]", j))
			target, ok := index[d.ContainerName]
			switch {
			case !ok:
				return layout{}, fmt.Errorf("%s: there is no container %q in the task definition", field, d.ContainerName)
			case target == i:
				return layout{}, fmt.Errorf("%s: a container cannot depend on itself", field)
			}
			deps[i] = append(deps[i], target)
			dep := &defs[target]
			switch d.Condition {
			case ecsv1.DependencyComplete, ecsv1.DependencySuccess:
				if essential(dep) {
					return layout{}, fmt.Errorf("%s: condition %s cannot be set on essential container %q (ECS allows COMPLETE and SUCCESS only on non-essential containers)", field, d.Condition, dep.Name)
				}
				l.roles[target] = roleInit
			case ecsv1.DependencyHealthy:
				if hc := dep.HealthCheck; hc == nil || len(hc.Command) == 0 || hc.Command[0] == "NONE" {
					return layout{}, fmt.Errorf("%s: condition HEALTHY needs a healthCheck on container %q", field, dep.Name)
				}
				l.healthy[target] = true
				fallthrough
			default: // START
				if l.roles[target] == roleRegular {
					l.roles[target] = roleSidecar
				}
			}
		}
	}
	if cycle := findCycle(defs, deps); cycle != "" {
		return layout{}, fmt.Errorf("dependsOn: the containers depend on each other in a cycle: %s", cycle)
	}
	for i, h := range l.healthy {
		if h && l.roles[i] == roleInit {
			// Someone waits for it to complete, so it cannot also stay up to be healthy; the
			// HEALTHY dependents start after it has exited.
			n.add(containerField(&defs[i], ""), "others wait for it both to complete and to be HEALTHY; it runs to completion and the HEALTHY dependents start after it exited")
			l.healthy[i] = false
		}
	}
	l.init = initOrder(l.roles, deps)
	return l, nil
}

// findCycle returns a dependsOn cycle as "a → b → a", or "" when there is none. It searches
// in ECS order, so the cycle reported is always the same one.
func findCycle(defs []ecsv1.ContainerDefinition, deps [][]int) string {
	const (
		unvisited = iota
		onStack
		done
	)
	state := make([]int, len(defs))
	var stack []int
	var found []int
	var visit func(i int) bool
	visit = func(i int) bool {
		state[i] = onStack
		stack = append(stack, i)
		for _, d := range deps[i] {
			switch state[d] {
			case onStack:
				for k, s := range stack {
					if s == d {
						found = append(append([]int(nil), stack[k:]...), d)
						return true
					}
				}
			case unvisited:
				if visit(d) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = done
		return false
	}
	for i := range defs {
		if state[i] == unvisited && visit(i) {
			names := make([]string, len(found))
			for k, f := range found {
				names[k] = string(defs[f].Name)
			}
			return strings.Join(names, " → ")
		}
	}
	return ""
}

// initOrder orders the init containers topologically: a container comes after those it
// depends on, and among those that are free to go, the first in ECS order goes first.
func initOrder(roles []role, deps [][]int) []int {
	placed := make([]bool, len(roles))
	var order []int
	for {
		progress := false
		for i, r := range roles {
			if r == roleRegular || placed[i] {
				continue
			}
			ready := true
			for _, d := range deps[i] {
				if !placed[d] {
					ready = false
					break
				}
			}
			if ready {
				placed[i] = true
				order = append(order, i)
				progress = true
				break // restart from the first container, to keep ECS order among the free ones
			}
		}
		if !progress {
			return order
		}
	}
}
