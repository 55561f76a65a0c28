package chaos

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// waitConverged waits until every tenant's objects are converged (converged), failing the test
// if that takes past deadline; it returns how long it took from since.
func (e *env) waitConverged(t *testing.T, since, deadline time.Time) time.Duration {
	t.Helper()
	var last error
	halfway := since.Add(deadline.Sub(since) / 2)
	for {
		if last = e.converged(t.Context()); last == nil {
			took := time.Since(since)
			t.Logf("converged %.1fs after %s", took.Seconds(), since.Format(time.TimeOnly))
			return took
		}
		if time.Now().After(deadline) {
			t.Fatalf("not converged %.0fs after %s: %v", deadline.Sub(since).Seconds(), since.Format(time.TimeOnly), last)
		}
		if !halfway.IsZero() && time.Now().After(halfway) {
			t.Logf("still waiting %.0fs after %s: %v", time.Since(since).Seconds(), since.Format(time.TimeOnly), last)
			halfway = time.Time{}
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// converged says what is not yet as it must end up, nil when everything is: every Service
// steady at its desired count with one COMPLETED deployment and exactly one Deployment of its
// own, every Task RUNNING on exactly one Pod, nothing being deleted, and no Deployment or Pod
// that belongs to nothing (orphaned) or to something that has another (duplicated).
func (e *env) converged(ctx context.Context) error {
	var errs []error
	for _, tn := range e.tenants {
		if err := e.namespaceConverged(ctx, tn.namespace); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (e *env) namespaceConverged(ctx context.Context, ns string) error {
	var (
		services    ecsv1.ServiceList
		tasks       ecsv1.TaskList
		deployments appsv1.DeploymentList
		replicaSets appsv1.ReplicaSetList
		pods        corev1.PodList
	)
	for _, list := range []client.ObjectList{&services, &tasks, &deployments, &replicaSets, &pods} {
		if err := e.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
			return err
		}
	}
	var errs []error
	notYet := func(format string, args ...any) { errs = append(errs, fmt.Errorf(ns+": "+format, args...)) }

	desired := map[types.UID]int32{} // by Service
	for _, s := range services.Items {
		if s.DeletionTimestamp != nil {
			notYet("Service %s is still being deleted", s.Name)
			continue
		}
		want := ptr.Deref(s.Spec.DesiredCount, 0)
		desired[s.UID] = want
		st := s.Status
		switch {
		case st.ObservedGeneration != s.Generation:
			notYet("Service %s: observedGeneration %d of %d", s.Name, st.ObservedGeneration, s.Generation)
		case !meta.IsStatusConditionTrue(st.Conditions, ecsv1.ConditionReady):
			notYet("Service %s is not Ready: %s", s.Name, conditionMessage(st.Conditions))
		case st.RunningCount != want || st.PendingCount != 0:
			notYet("Service %s: %d running, %d pending of %d", s.Name, st.RunningCount, st.PendingCount, want)
		case len(st.Deployments) != 1 || st.Deployments[0].RolloutState != ecsv1.RolloutCompleted:
			notYet("Service %s: %d deployments, the primary %s", s.Name, len(st.Deployments), rolloutStates(st.Deployments))
		}
	}

	deploymentOf := map[types.UID]types.UID{} // Deployment → Service
	perService := map[types.UID]int{}
	for _, d := range deployments.Items {
		owner := metav1.GetControllerOf(&d)
		if owner == nil || owner.Kind != "Service" {
			notYet("Deployment %s has no Service controlling it", d.Name)
			continue
		}
		want, ok := desired[owner.UID]
		if !ok {
			notYet("Deployment %s is orphaned: its Service %s is gone", d.Name, owner.Name)
			continue
		}
		deploymentOf[d.UID] = owner.UID
		perService[owner.UID]++
		if ptr.Deref(d.Spec.Replicas, 1) != want || d.Status.ReadyReplicas != want || d.Status.ObservedGeneration != d.Generation {
			notYet("Deployment %s: %d ready of %d, want %d", d.Name, d.Status.ReadyReplicas, ptr.Deref(d.Spec.Replicas, 1), want)
		}
	}
	for _, s := range services.Items {
		if n := perService[s.UID]; s.DeletionTimestamp == nil && n != 1 {
			notYet("Service %s has %d Deployments, want 1", s.Name, n)
		}
	}

	serviceOfRS := map[types.UID]types.UID{}
	for _, rs := range replicaSets.Items {
		if owner := metav1.GetControllerOf(&rs); owner != nil {
			if svc, ok := deploymentOf[owner.UID]; ok {
				serviceOfRS[rs.UID] = svc
			}
		}
	}
	liveTasks := map[types.UID]string{}
	for _, task := range tasks.Items {
		switch {
		case task.DeletionTimestamp != nil:
			notYet("Task %s is still being deleted", task.Name)
		case task.Status.ObservedGeneration != task.Generation || task.Status.LastStatus != ecsv1.TaskRunning:
			notYet("Task %s is %s (observedGeneration %d of %d)", task.Name, task.Status.LastStatus, task.Status.ObservedGeneration, task.Generation)
		default:
			liveTasks[task.UID] = task.Name
		}
	}
	podsOfService, podsOfTask := map[types.UID]int32{}, map[types.UID]int{}
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		owner := metav1.GetControllerOf(&p)
		switch {
		case owner == nil:
			notYet("Pod %s has no controller", p.Name)
		case owner.Kind == "ReplicaSet":
			svc, ok := serviceOfRS[owner.UID]
			if !ok {
				notYet("Pod %s is orphaned: its ReplicaSet %s belongs to no Service", p.Name, owner.Name)
				continue
			}
			podsOfService[svc]++
		case owner.Kind == "Task":
			if _, ok := liveTasks[owner.UID]; !ok {
				notYet("Pod %s is orphaned: its Task %s is gone or not running", p.Name, owner.Name)
				continue
			}
			podsOfTask[owner.UID]++
		default:
			notYet("Pod %s is controlled by a %s", p.Name, owner.Kind)
		}
	}
	for _, s := range services.Items {
		if want, ok := desired[s.UID]; ok && podsOfService[s.UID] != want {
			notYet("Service %s has %d Pods, want %d", s.Name, podsOfService[s.UID], want)
		}
	}
	for uid, name := range liveTasks {
		if n := podsOfTask[uid]; n != 1 {
			notYet("Task %s has %d Pods, want 1", name, n)
		}
	}
	return errors.Join(errs...)
}

func conditionMessage(conds []metav1.Condition) string {
	for _, c := range conds {
		if c.Type == ecsv1.ConditionReady {
			return c.Reason + ": " + c.Message
		}
	}
	return "no Ready condition"
}

func rolloutStates(ds []ecsv1.Deployment) string {
	if len(ds) == 0 {
		return "none"
	}
	return string(ds[0].RolloutState)
}
