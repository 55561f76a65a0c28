package service

import (
	"fmt"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

// taskChanges reports the tasks started and stopped since the last reconcile, and the
// essential containers whose exit restarted a task in place, as ECS reports stopped tasks.
//
// It returns the messages and a function that remembers the tasks seen, to call once the
// messages are recorded.
func (r *Reconciler) taskChanges(svc *ecsv1.Service, pods []corev1.Pod) ([]message, func()) {
	key := client.ObjectKeyFromObject(svc)
	current := map[string]int32{}
	byName := map[string]*corev1.Pod{}
	for i := range pods {
		p := &pods[i]
		if p.DeletionTimestamp.IsZero() && p.Status.Phase != corev1.PodFailed && p.Status.Phase != corev1.PodSucceeded {
			current[p.Name] = podRestarts(p)
			byName[p.Name] = p
		}
	}
	r.mu.Lock()
	before, known := r.seen[key]
	r.mu.Unlock()
	commit := func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.seen == nil {
			r.seen = map[types.NamespacedName]map[string]int32{}
		}
		r.seen[key] = current
	}
	var started, stopped, exits []string
	if !known {
		for name, p := range byName {
			if p.CreationTimestamp.After(r.started) {
				started = append(started, name)
			}
		}
		sort.Strings(started)
		if len(started) == 0 {
			return nil, commit
		}
		return []message{startedMessage(svc, started)}, commit
	}
	for name, restarts := range current {
		prev, ok := before[name]
		switch {
		case !ok:
			started = append(started, name)
		case restarts > prev:
			if msg := essentialExit(byName[name]); msg != "" {
				exits = append(exits, fmt.Sprintf("(service %s) (task %s) %s; the task was restarted in place.", svc.Name, name, msg))
			}
		}
	}
	for name := range before {
		if _, ok := current[name]; !ok {
			stopped = append(stopped, name)
		}
	}
	sort.Strings(started)
	sort.Strings(stopped)
	sort.Strings(exits)
	var msgs []message
	if len(stopped) > 0 {
		msgs = append(msgs, newMessage(kindTasksStopped, "(service %s) has stopped %d running tasks: %s.", svc.Name, len(stopped), taskList(stopped)))
	}
	// Tasks crash-looping side by side restart together; a few of their messages say it all.
	for _, e := range exits[:min(len(exits), maxTasksPerMessage)] {
		msgs = append(msgs, newMessage(kindTaskRestarted, "%s", e))
	}
	if len(started) > 0 {
		msgs = append(msgs, startedMessage(svc, started))
	}
	return msgs, commit
}

func startedMessage(svc *ecsv1.Service, started []string) message {
	return newMessage(kindTasksStarted, "(service %s) has started %d tasks: %s.", svc.Name, len(started), taskList(started))
}

// podRestarts is the restart count of a task: its most restarted container.
func podRestarts(pod *corev1.Pod) int32 {
	var n int32
	for _, cs := range slices.Concat(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses) {
		n = max(n, cs.RestartCount)
	}
	return n
}

// essentialExit describes the essential container whose exit restarted a Service task.
func essentialExit(pod *corev1.Pod) string {
	essential := shared.EssentialContainers(pod)
	names := shared.ECSContainerNames(pod)
	for _, cs := range slices.Concat(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses) {
		if t := cs.LastTerminationState.Terminated; t != nil && essential[cs.Name] && cs.RestartCount > 0 {
			return fmt.Sprintf("Essential container in task exited: %s exited with code %d", shared.ECSName(names, cs.Name), t.ExitCode)
		}
	}
	return ""
}

func (r *Reconciler) forget(key types.NamespacedName) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.seen, key)
}
