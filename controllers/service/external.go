package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

// reconcileExternal runs a Service whose deployments an external controller runs through
// TaskSets (deploymentController EXTERNAL): the task sets run the tasks (TaskSetReconciler);
// the Service sends production traffic to its primaryTaskSet's tasks (to all its tasks while
// none is primary), keeps its autoscaling and disruption budget, stops failed tasks as ECS does
// and reports its task sets. It runs no Deployment of its own.
func (r *Reconciler) reconcileExternal(ctx context.Context, svc *ecsv1.Service, pods []corev1.Pod, after *[]func()) (time.Duration, error) {
	taskSets, err := r.taskSetsOf(ctx, svc)
	if err != nil {
		return 0, err
	}
	var res appliedChildren
	exposed := svc.DeepCopy()
	selector := serviceSelector(svc)
	td := &ecsv1.TaskDefinitionSpec{}
	var primaryTD string
	if primary := findTaskSet(taskSets, svc.Spec.PrimaryTaskSet); primary != nil {
		selector = taskSetSelector(svc, primary)
		exposed.Spec.LoadBalancers = append(exposed.Spec.LoadBalancers, primary.Spec.LoadBalancers...)
		exposed.Spec.ServiceRegistries = append(exposed.Spec.ServiceRegistries, primary.Spec.ServiceRegistries...)
		primaryTD = primary.Status.TaskDefinition
		if primaryTD != "" {
			// The primary's port mappings name the production Services' ports.
			resolved, err := shared.ResolveTaskDefinition(ctx, r, svc.Namespace, shared.PinnedReference(string(primary.Spec.TaskDefinition), primaryTD))
			var refErr *shared.ReferenceError
			switch {
			case err == nil:
				td = resolved.Spec
			case !errors.As(err, &refErr) && !errors.Is(err, shared.ErrRevisionPending):
				return 0, err
			}
		}
	} else if svc.Spec.PrimaryTaskSet != "" {
		res.problems = append(res.problems, fmt.Sprintf("primaryTaskSet: task set %s of service %s not found", svc.Spec.PrimaryTaskSet, svc.Name))
	}
	connect, connectProblems := desiredServiceConnectServices(exposed, td, selector)
	res.unsupported = append(res.unsupported, connectProblems...)
	if err := r.applyTrafficServices(ctx, svc, append(desiredPortServices(exposed, td, trafficSelectors{production: selector}), connect...), &res); err != nil {
		return 0, err
	}
	// A Service switched to EXTERNAL gives up the workloads it ran itself.
	if err := r.deleteStale(ctx, svc, &appsv1.DeploymentList{}, nil); err != nil {
		return 0, err
	}
	if err := r.deleteStale(ctx, svc, &appsv1.DaemonSetList{}, nil); err != nil {
		return 0, err
	}
	if err := r.applyAutoScaling(ctx, svc, &res); err != nil {
		return 0, err
	}
	desired := ptr.Deref(svc.Spec.DesiredCount, 0)
	_, minimumHealthy := percentages(svc)
	if err := r.applyPodDisruptionBudget(ctx, svc, desired, minimumHealthy, &res); err != nil {
		return 0, err
	}
	recheck, err := r.stopFailedTasks(ctx, pods)
	if err != nil {
		return 0, err
	}
	if err := r.applyExecRBAC(ctx, svc, pods); err != nil {
		return 0, err
	}

	r.setUnsupported(svc, append(slices.Clone(res.unsupported), shared.ServiceSettingNotes(&svc.Spec)...), after)
	changes := r.taskChanges(svc, pods)
	*after = append(*after, changes.commit)
	status, messages := computeExternalStatus(svc, svc.Status, taskSets, pods, res.problems, r.Clock.Now())
	status.Selector = labels.SelectorFromSet(serviceSelector(svc)).String()
	status.TaskDefinition = primaryTD
	messages = append(messages, changes.messages...)
	status.Events = addServiceEvents(svc.Status.Events, messages, r.Clock.Now())
	if eventType, reason, note := eventFor(messages); reason != "" {
		*after = append(*after, func() { r.Recorder.Eventf(svc, nil, eventType, reason, "Reconcile", "%s", note) })
	}
	svc.Status = status
	wait := recheck
	if res.ownershipConflict {
		wait = earliest(wait, conflictRetry(svc, r.Clock.Now()))
	}
	return wait, nil
}

// taskSetsOf lists a Service's task sets, the primary first, then by name.
func (r *Reconciler) taskSetsOf(ctx context.Context, svc *ecsv1.Service) ([]ecsv1.TaskSet, error) {
	list := &ecsv1.TaskSetList{}
	if err := r.List(ctx, list, client.InNamespace(svc.Namespace), client.MatchingFields{shared.IndexTaskSetService: svc.Name}); err != nil {
		return nil, fmt.Errorf("listing task sets: %w", err)
	}
	items := list.Items
	slices.SortFunc(items, func(a, b ecsv1.TaskSet) int {
		ap, bp := a.Name == svc.Spec.PrimaryTaskSet, b.Name == svc.Spec.PrimaryTaskSet
		switch {
		case ap && !bp:
			return -1
		case bp && !ap:
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return items, nil
}

func findTaskSet(taskSets []ecsv1.TaskSet, name string) *ecsv1.TaskSet {
	for i := range taskSets {
		if name != "" && taskSets[i].Name == name && taskSets[i].DeletionTimestamp.IsZero() {
			return &taskSets[i]
		}
	}
	return nil
}

// computeExternalStatus is DescribeServices of an EXTERNAL Service: its counts over every task,
// its task sets, and a steady state once every task set runs its computed desired count.
func computeExternalStatus(svc *ecsv1.Service, prev ecsv1.ServiceStatus, taskSets []ecsv1.TaskSet, pods []corev1.Pod, problems []string, now time.Time) (ecsv1.ServiceStatus, []message) {
	status := prev
	status.Status = ecsv1.ServiceActive
	status.DesiredCount = ptr.Deref(svc.Spec.DesiredCount, 0)
	status.Deployments = nil
	status.RunningCount, status.PendingCount = 0, 0
	for _, c := range countTasks(pods) {
		status.RunningCount += c.Running
		status.PendingCount += c.Pending
	}
	status.TaskSets = nil
	stable := 0
	for _, ts := range taskSets {
		st := ts.Status.Status
		if !ts.DeletionTimestamp.IsZero() {
			st = ecsv1.TaskSetDraining
		}
		status.TaskSets = append(status.TaskSets, ecsv1.ServiceTaskSet{
			Name: ts.Name, ID: ts.Status.ID, Status: st, TaskDefinition: ts.Status.TaskDefinition,
			ComputedDesiredCount: ts.Status.ComputedDesiredCount, RunningCount: ts.Status.RunningCount,
			PendingCount: ts.Status.PendingCount, StabilityStatus: ts.Status.StabilityStatus,
		})
		if ts.Status.ObservedGeneration == ts.Generation && ts.Status.StabilityStatus == ecsv1.StabilitySteady &&
			ts.Status.ComputedDesiredCount == computedDesiredCount(status.DesiredCount, ts.Spec.Scale) {
			stable++
		}
	}
	if len(status.TaskSets) > 20 {
		status.TaskSets = status.TaskSets[:20]
	}
	var events []message
	steady := len(problems) == 0 && stable == len(taskSets)
	switch {
	case len(problems) > 0:
		shared.SetStalled(&status.Conditions, svc.Generation, shared.ReasonInvalidSpec, boundMessage(strings.Join(problems, "; ")))
	case steady:
		steadyMessage := newMessage(kindSteadyState, "(service %s) has reached a steady state.", svc.Name)
		if !shared.IsReady(prev.Conditions) || !reportedWithin(prev.Events, steadyMessage.text, now) {
			events = append(events, steadyMessage)
		}
		shared.SetReady(&status.Conditions, svc.Generation, steadyMessage.text)
	default:
		shared.SetReconciling(&status.Conditions, svc.Generation, shared.ReasonProgressing,
			fmt.Sprintf("%d of %d task sets in STEADY_STATE", stable, len(taskSets)))
	}
	return status, events
}
