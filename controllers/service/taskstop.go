package service

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ecs-operator/ecs-operator/internal/taskview"
	"github.com/ecs-operator/ecs-operator/internal/translate"
)

// DefaultTaskStartTimeout is how long a Service task may wait for a container that cannot start
// (an image that cannot be pulled, a missing Secret key) before it is stopped and replaced.
const DefaultTaskStartTimeout = 20 * time.Second

// taskVerdict is what the Service controller makes of one of its task Pods.
type taskVerdict struct {
	// stop is why the task must be stopped (ECS's stoppedReason); empty while it may run on.
	stop string
	// failed is true when the task counts as a failed task, for failedTasks and the breaker.
	failed bool
	// recheck is when a task that cannot start yet must be looked at again, zero if never.
	recheck time.Duration
}

// judgeTask applies ECS's task semantics to a Service task the kubelet runs:
//   - an essential container that exited stops the task, unless its ECS restart policy restarts
//     it in place (an exit code it does not ignore, after running at least restartAttemptPeriod);
//     a kubelet that restarted it anyway (one that predates container restart policies) does
//     not change that;
//   - a container that cannot start (image pull, configuration) fails the task at once and
//     stops it after startTimeout, as ECS stops a task with CannotPullContainerError;
//   - an init container (a SUCCESS or COMPLETE dependency) that failed stops the task;
//   - a Pod that is Failed or Succeeded is a stopped task.
//
// A Pod being deleted is judged too, so that a failure is counted even when the Pod is stopped
// before a status holding its count could be written.
func judgeTask(pod *corev1.Pod, now time.Time, startTimeout time.Duration) taskVerdict {
	if healthyLooking(pod) {
		return taskVerdict{} // the common case, without reading the Pod's annotations
	}
	if pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded {
		reason := "Task stopped: all containers exited"
		if exit := essentialExitReason(pod); exit != "" {
			reason = exit
		} else if pod.Status.Reason != "" {
			reason = fmt.Sprintf("Task stopped: %s: %s", pod.Status.Reason, pod.Status.Message)
		}
		return taskVerdict{stop: reason, failed: true}
	}
	if reason := taskview.CannotStart(pod); reason != "" {
		started := pod.CreationTimestamp.Time
		if pod.Status.StartTime != nil {
			started = pod.Status.StartTime.Time
		}
		v := taskVerdict{failed: true}
		if waited := now.Sub(started); waited >= startTimeout {
			v.stop = reason
		} else {
			v.recheck = startTimeout - waited
		}
		return v
	}
	if exit := essentialExitReason(pod); exit != "" {
		return taskVerdict{stop: exit, failed: true}
	}
	return taskVerdict{}
}

// essentialExitReason says which exit stopped the task: a failed init container (a SUCCESS or
// COMPLETE dependency), or an essential container's exit its ECS restart policy does not
// restart in place. Empty when there is none.
func essentialExitReason(pod *corev1.Pod) string {
	for _, c := range pod.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			continue // a sidecar: judged as an essential container below
		}
		for _, cs := range pod.Status.InitContainerStatuses {
			if exit := taskview.LastExit(cs); cs.Name == c.Name && exit != nil && exit.ExitCode != 0 {
				return fmt.Sprintf("Dependency container in task exited: %s exited with code %d",
					taskview.ECSName(taskview.ECSContainerNames(pod), cs.Name), exit.ExitCode)
			}
		}
	}
	policies := restartPolicies(pod)
	return taskview.EssentialExit(pod, func(name string, exit *corev1.ContainerStateTerminated) bool {
		return restartedInPlace(policies[name], exit)
	})
}

// restartedInPlace reports whether ECS restarts a container in place after this exit: its
// restart policy is on, the exit code is not ignored, and it ran for restartAttemptPeriod.
func restartedInPlace(policy *translate.RestartPolicy, exit *corev1.ContainerStateTerminated) bool {
	if policy == nil || slices.Contains(policy.IgnoredExitCodes, exit.ExitCode) {
		return false
	}
	ran := exit.FinishedAt.Sub(exit.StartedAt.Time)
	return !exit.StartedAt.IsZero() && ran >= time.Duration(policy.RestartAttemptPeriod)*time.Second
}

// restartPolicies reads the ECS restart policies the translation recorded on the Pod.
func restartPolicies(pod *corev1.Pod) map[string]*translate.RestartPolicy {
	out := map[string]*translate.RestartPolicy{}
	if raw := pod.Annotations[translate.AnnotationRestartPolicies]; raw != "" {
		_ = json.Unmarshal([]byte(raw), &out)
	}
	return out
}

// stopFailedTasks stops the tasks ECS would stop (judgeTask): it deletes their Pods, and their
// ReplicaSet or DaemonSet starts replacements; taskChanges reports them once they are going.
// It returns when a task that cannot start yet must be looked at again.
func (r *Reconciler) stopFailedTasks(ctx context.Context, pods []corev1.Pod) (time.Duration, error) {
	now := r.Clock.Now()
	var recheck time.Duration
	for i := range pods {
		pod := &pods[i]
		if !pod.DeletionTimestamp.IsZero() {
			continue
		}
		v := judgeTask(pod, now, r.startTimeout())
		if v.recheck > 0 && (recheck == 0 || v.recheck < recheck) {
			recheck = v.recheck
		}
		if v.stop == "" {
			continue
		}
		uid := pod.UID
		err := r.Delete(ctx, pod, client.Preconditions{UID: &uid})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return 0, fmt.Errorf("stopping task %s: %w", pod.Name, err)
		}
		// The Pod in hand is the cache's; marking it lets this reconcile report the stop.
		pod.DeletionTimestamp = ptr.To(metav1.NewTime(now))
	}
	return recheck, nil
}

func (r *Reconciler) startTimeout() time.Duration {
	if r.TaskStartTimeout > 0 {
		return r.TaskStartTimeout
	}
	return DefaultTaskStartTimeout
}

// failedHealthCheck reports whether an essential container with a health check was killed by
// it: the kubelet kills a container whose liveness probe fails with SIGKILL (exit 137), which
// is not the kernel's OOM kill.
func failedHealthCheck(pod *corev1.Pod) bool {
	checked := map[string]bool{}
	for _, c := range slices.Concat(pod.Spec.InitContainers, pod.Spec.Containers) {
		checked[c.Name] = c.ReadinessProbe != nil || c.StartupProbe != nil
	}
	essential := taskview.EssentialContainers(pod)
	for _, cs := range slices.Concat(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses) {
		exit := taskview.LastExit(cs)
		if essential[cs.Name] && checked[cs.Name] && exit != nil && exit.ExitCode == 137 && exit.Reason != "OOMKilled" {
			return true
		}
	}
	return false
}

// healthyLooking reports a Pod none of whose containers exited, restarted or waits: nothing
// judgeTask could find.
func healthyLooking(pod *corev1.Pod) bool {
	if pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded {
		return false
	}
	for _, cs := range slices.Concat(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses) {
		if cs.RestartCount > 0 || cs.State.Waiting != nil || (cs.State.Terminated != nil && cs.State.Terminated.ExitCode != 0) {
			return false
		}
		if cs.State.Terminated != nil && !slices.ContainsFunc(pod.Spec.InitContainers, func(c corev1.Container) bool { return c.Name == cs.Name }) {
			return false // an app container that exited 0
		}
	}
	return true
}
