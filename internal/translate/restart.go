package translate

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// exitNotIn matches every exit code but the given ones.
func exitNotIn(codes []int32) *corev1.ContainerRestartRuleOnExitCodes {
	vals := append([]int32(nil), codes...)
	sort.Slice(vals, func(a, b int) bool { return vals[a] < vals[b] })
	// The values are a set for the API server; duplicates would be rejected.
	out := vals[:0]
	for i, v := range vals {
		if i == 0 || v != vals[i-1] {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		out = nil
	}
	return &corev1.ContainerRestartRuleOnExitCodes{Operator: corev1.ContainerRestartRuleOnExitCodesOpNotIn, Values: out}
}

// containerRestart encodes essential and ECS's container restartPolicy as Kubernetes
// container restart policies and rules (KEP-5307, on by default since 1.35).
//
// Services (pod restartPolicy Always):
//   - An essential container's exit stops an ECS task and the scheduler starts a new one. The
//     container gets restartPolicy Never, so that it stays stopped, and the Service controller
//     stops the task (deletes the Pod) and its ReplicaSet starts a replacement, anywhere. A
//     kubelet that predates container restart policies restarts the container in place
//     instead; the Service controller sees the restart and stops the task all the same. No
//     RestartAllContainers rule: the scheduler would only place such Pods on nodes whose
//     kubelet declares RestartAllContainersOnContainerExits (v1.35+ with the gate on).
//   - A non-essential container stays stopped and the task goes on: restartPolicy Never.
//   - ECS's restartPolicy (enabled) restarts the container in place unless it exited with an
//     ignored code: a rule {action: Restart, exitCodes: NotIn ignoredExitCodes}. The Service
//     controller reads restartAttemptPeriod from the AnnotationRestartPolicies annotation: an
//     essential container that exits sooner than that after it started stops its task.
//
// Tasks (pod restartPolicy Never): containers keep the Pod's Never (the Task controller stops
// the task when an essential container exits), except those with ECS's restartPolicy enabled,
// which get restartPolicy Never with the Restart rule above.
//
// Sidecars must have restartPolicy Always to be sidecars: the kubelet restarts them in place,
// and the Service controller stops the task when an essential one exited. Init containers that
// run to completion keep the Pod's policy (a Service's Pod reruns a failed one); a Task's gets
// the Restart rule with 0 among the ignored codes, because a clean exit is completion.
func (t *translation) containerRestart(i int, c *ecsv1.ContainerDefinition) (*corev1.ContainerRestartPolicy, []corev1.ContainerRestartRule) {
	service := t.restart == corev1.RestartPolicyAlways
	rp := c.RestartPolicy
	enabled := rp != nil && rp.Enabled
	if enabled && rp.RestartAttemptPeriod != nil && (!service || !essential(c)) {
		t.notes.add(containerField(c, "restartPolicy.restartAttemptPeriod"), "only an essential container of a Service task is held to it (its task is stopped); the kubelet restarts other containers with its exponential back-off")
	}
	restart := func(ignored []int32) corev1.ContainerRestartRule {
		return corev1.ContainerRestartRule{Action: corev1.ContainerRestartRuleActionRestart, ExitCodes: exitNotIn(ignored)}
	}
	var rules []corev1.ContainerRestartRule

	switch t.layout.roles[i] {
	case roleSidecar:
		if enabled && len(rp.IgnoredExitCodes) > 0 && (!service || !essential(c)) {
			t.notes.add(containerField(c, "restartPolicy.ignoredExitCodes"), "the container is a sidecar of the containers that depend on it, and Kubernetes restarts sidecars after every exit")
		}
		return ptr.To(corev1.ContainerRestartPolicyAlways), rules
	case roleInit:
		if service || !enabled {
			return nil, nil
		}
		return ptr.To(corev1.ContainerRestartPolicyNever), []corev1.ContainerRestartRule{restart(append([]int32{0}, rp.IgnoredExitCodes...))}
	}
	if enabled {
		rules = append(rules, restart(rp.IgnoredExitCodes))
	}
	if service || enabled {
		return ptr.To(corev1.ContainerRestartPolicyNever), rules
	}
	return nil, nil
}
