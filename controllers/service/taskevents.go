package service

import (
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/taskview"
)

// taskRecord is what the reconciler remembers of a task Pod between reconciles.
type taskRecord struct {
	deployment deploymentKey
	// live is false once the Pod is being deleted or has stopped.
	live   bool
	failed bool
	ready  bool
	// stopReason is why the task was stopped, once it is going and that was a failure.
	stopReason string
	// unhealthy is true when that failure was a health check's.
	unhealthy bool
}

// taskChangesResult is what changed about a Service's tasks since the last reconcile.
type taskChangesResult struct {
	messages []message
	// failures are the tasks of each deployment that failed since the last reconcile, each
	// counted once.
	failures map[deploymentKey]int32
	// healthy marks the deployments one of whose tasks became healthy since then.
	healthy map[deploymentKey]bool
	// commit remembers the tasks seen; call it once the status holding these changes is
	// written, so that a reconcile that loses a write conflict counts them again on its retry.
	commit func()
}

// taskChanges reports the tasks started and stopped since the last reconcile, as ECS reports
// them, with the reason of those stopped for a failure, and counts the tasks that failed and
// became healthy, per deployment. Pods being deleted are still looked at, so that a task
// stopped right after it failed is counted. A Service seen for the first time (after a
// restart) counts only the tasks created since the reconciler started: the failures of older
// ones are in its status already.
func (r *Reconciler) taskChanges(svc *ecsv1.Service, pods []corev1.Pod) taskChangesResult {
	key := client.ObjectKeyFromObject(svc)
	now := r.Clock.Now()
	current := map[string]taskRecord{}
	for i := range pods {
		p := &pods[i]
		v := judgeTask(p, now, r.startTimeout())
		rec := taskRecord{
			deployment: podDeploymentKey(p),
			live:       p.DeletionTimestamp.IsZero() && p.Status.Phase != corev1.PodFailed && p.Status.Phase != corev1.PodSucceeded,
			failed:     v.failed,
			ready:      taskview.PodReady(p),
		}
		if !rec.live {
			rec.stopReason, rec.unhealthy = v.stop, v.stop != "" && failedHealthCheck(p)
		}
		current[p.Name] = rec
	}
	r.mu.Lock()
	before, known := r.seen[key]
	r.mu.Unlock()
	res := taskChangesResult{failures: map[deploymentKey]int32{}, healthy: map[deploymentKey]bool{}}
	res.commit = func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.seen == nil {
			r.seen = map[types.NamespacedName]map[string]taskRecord{}
		}
		r.seen[key] = current
	}
	if !known {
		before = map[string]taskRecord{}
		for i := range pods {
			if p := &pods[i]; !p.CreationTimestamp.After(r.started) {
				before[p.Name] = current[p.Name] // a task from before the restart: already counted
			}
		}
	}
	var started, stopped, failedStops []string
	for name, rec := range current {
		prev, ok := before[name]
		if !ok && rec.live {
			started = append(started, name)
		}
		if rec.failed && !prev.failed {
			res.failures[rec.deployment]++
		}
		if rec.ready && !prev.ready {
			res.healthy[rec.deployment] = true
		}
		if rec.stopReason != "" && prev.stopReason == "" {
			if rec.unhealthy {
				failedStops = append(failedStops, fmt.Sprintf("(service %s) (task %s) failed container health checks.", svc.Name, name))
			}
			failedStops = append(failedStops, fmt.Sprintf("(service %s) (task %s) was stopped: %s.", svc.Name, name, rec.stopReason))
		}
	}
	if known {
		for name, prev := range before {
			if prev.live && !current[name].live {
				stopped = append(stopped, name)
			}
		}
	}
	sort.Strings(started)
	sort.Strings(stopped)
	sort.Strings(failedStops)
	if len(stopped) > 0 {
		res.messages = append(res.messages, newMessage(kindTasksStopped, "(service %s) has stopped %d running tasks: %s.", svc.Name, len(stopped), taskList(stopped)))
	}
	// Tasks crash-looping side by side stop together; a few of their messages say it all.
	for _, m := range failedStops[:min(len(failedStops), maxTasksPerMessage)] {
		res.messages = append(res.messages, newMessage(kindTaskFailed, "%s", m))
	}
	if len(started) > 0 {
		res.messages = append(res.messages, startedMessage(svc, started))
	}
	return res
}

func startedMessage(svc *ecsv1.Service, started []string) message {
	return newMessage(kindTasksStarted, "(service %s) has started %d tasks: %s.", svc.Name, len(started), taskList(started))
}

func (r *Reconciler) forget(key types.NamespacedName) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.seen, key)
}
