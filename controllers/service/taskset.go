package service

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
	"github.com/ecs-operator/ecs-operator/internal/taskview"
	"github.com/ecs-operator/ecs-operator/internal/translate"
)

// +kubebuilder:rbac:groups=ecs.operator.dev,resources=tasksets,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups=ecs.operator.dev,resources=tasksets/status,verbs=get;update;patch

// labelTaskSet on a task, and in the selector of a task set's Deployment and Services, names
// the TaskSet the task belongs to.
const labelTaskSet = "ecs.operator.dev/task-set"

// TaskSetReconciler runs the task sets of Services whose deployments an external controller
// runs (deploymentController EXTERNAL): a Deployment of ceil(desiredCount × scale / 100) tasks
// of the task set's revision per capacity provider share, and a Kubernetes Service per port of
// its loadBalancers and serviceRegistries (its own target group).
type TaskSetReconciler struct {
	client.Client
	Scheme   *runtime.Scheme
	Recorder events.EventRecorder
	Clock    clock.PassiveClock
	Applier  *shared.Applier

	// UncheckedTaskWait is as the Service reconciler's: nil means ECS's 40 s.
	UncheckedTaskWait *time.Duration
}

// taskSetWorkloadName names a task set's Deployment (before any capacity provider suffix):
// prefixed, so that no task set name collides with a Service's own Deployments.
func taskSetWorkloadName(ts *ecsv1.TaskSet) string {
	return "taskset-" + ts.Name
}

// taskSetSelector selects a task set's tasks.
func taskSetSelector(svc *ecsv1.Service, ts *ecsv1.TaskSet) map[string]string {
	sel := serviceSelector(svc)
	sel[labelTaskSet] = shared.LabelValue(ts.Name)
	return sel
}

// taskSetID is a stable ECS-style task set ID.
func taskSetID(ts *ecsv1.TaskSet) string {
	h := fnv.New64a()
	_, _ = fmt.Fprintf(h, "taskset/%s", ts.UID)
	return fmt.Sprintf("ecs-svc/%019d", h.Sum64()%10_000_000_000_000_000_000)
}

// computedDesiredCount is ECS's ceil(desiredCount × scale / 100).
func computedDesiredCount(desired int32, scale *ecsv1.Scale) int32 {
	percent := 100.0
	if scale != nil && scale.Value != nil && (scale.Unit == "" || scale.Unit == ecsv1.ScaleUnitPercent) {
		percent = *scale.Value
	}
	return int32(math.Ceil(float64(desired) * percent / 100))
}

// Reconcile runs one task set.
func (r *TaskSetReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	ts := &ecsv1.TaskSet{}
	if err := r.Get(ctx, req.NamespacedName, ts); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !ts.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil // garbage collection removes its Deployment and Services
	}
	original := ts.DeepCopy()
	observed := true
	defer func() {
		if shared.ConflictIsRequeue(&result, &err) {
			return
		}
		if err == nil && observed {
			ts.Status.ObservedGeneration = ts.Generation
		}
		conflict, werr := shared.PatchStatus(ctx, r.Client, ts, original)
		switch {
		case err != nil:
		case conflict:
			result = ctrl.Result{RequeueAfter: shared.RequeueOnConflict}
		case werr != nil:
			err, result = werr, ctrl.Result{}
		}
	}()
	if ts.Status.ID == "" {
		ts.Status.ID = taskSetID(ts)
	}

	svc := &ecsv1.Service{}
	switch err := r.Get(ctx, types.NamespacedName{Namespace: ts.Namespace, Name: ts.Spec.Service}, svc); {
	case apierrors.IsNotFound(err):
		r.stall(ts, shared.ReasonInvalidSpec, fmt.Sprintf("service: %s not found in namespace %s", ts.Spec.Service, ts.Namespace))
		return ctrl.Result{}, nil
	case err != nil:
		return ctrl.Result{}, err
	}
	if !externallyDeployed(svc) {
		r.stall(ts, shared.ReasonInvalidSpec, fmt.Sprintf("service: %s does not use the EXTERNAL deployment controller; its task sets are not run", svc.Name))
		return ctrl.Result{}, nil
	}
	if !svc.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil // the Service drains and deletes its task sets
	}
	ts.Status.Status = ecsv1.TaskSetActive
	if svc.Spec.PrimaryTaskSet == ts.Name {
		ts.Status.Status = ecsv1.TaskSetPrimary
	}

	ref := string(ts.Spec.TaskDefinition)
	if ts.Status.TaskDefinition != "" {
		// ECS resolves a family to its latest revision when the task set is created.
		ref = shared.PinnedReference(ref, ts.Status.TaskDefinition)
	}
	resolved, err := shared.ResolveTaskDefinition(ctx, r, ts.Namespace, ref)
	var refErr *shared.ReferenceError
	switch {
	case errors.As(err, &refErr):
		r.stall(ts, shared.ReasonTaskDefinitionMiss, refErr.Error())
		return ctrl.Result{}, nil
	case errors.Is(err, shared.ErrRevisionPending):
		observed = false
		shared.SetReconciling(&ts.Status.Conditions, ts.Generation, shared.ReasonProgressing, "waiting for task definition "+ref+" to be registered")
		return ctrl.Result{}, nil
	case err != nil:
		return ctrl.Result{}, err
	}
	ts.Status.TaskDefinition = resolved.String()

	desired := computedDesiredCount(ptr.Deref(svc.Spec.DesiredCount, 0), ts.Spec.Scale)
	ts.Status.ComputedDesiredCount = desired
	problem, err := r.applyTaskSet(ctx, svc, ts, resolved, desired)
	if err != nil {
		return ctrl.Result{}, err
	}
	pods := &corev1.PodList{}
	if err := r.List(ctx, pods, client.InNamespace(ts.Namespace), client.MatchingLabels(taskSetSelector(svc, ts))); err != nil {
		return ctrl.Result{}, fmt.Errorf("listing tasks: %w", err)
	}
	r.observeTaskSet(ts, pods.Items, problem)
	r.setUnsupported(ts)
	return ctrl.Result{}, nil
}

func externallyDeployed(svc *ecsv1.Service) bool {
	return svc.Spec.DeploymentController != nil && svc.Spec.DeploymentController.Type == ecsv1.DeploymentControllerExternal
}

// applyTaskSet writes the task set's Deployments and Services. A problem the user must fix
// (an unknown capacity provider, an untranslatable task definition, a name someone else holds)
// is returned as text.
func (r *TaskSetReconciler) applyTaskSet(ctx context.Context, svc *ecsv1.Service, ts *ecsv1.TaskSet, resolved *shared.ResolvedRevision, desired int32) (string, error) {
	cluster, err := shared.ClusterForNamespace(ctx, r.Client, ts.Namespace)
	if err != nil {
		return "", err
	}
	// The capacity split is a Service's: a stand-in Service named after the task set's
	// Deployment names the shares' Deployments after it.
	standIn := &ecsv1.Service{ObjectMeta: metav1.ObjectMeta{Name: taskSetWorkloadName(ts), Namespace: ts.Namespace},
		Spec: ecsv1.ServiceSpec{LaunchType: ts.Spec.LaunchType, CapacityProviderStrategy: ts.Spec.CapacityProviderStrategy, DesiredCount: ptr.To(desired)}}
	shares, err := capacityShares(standIn, cluster)
	if err != nil {
		return err.Error(), nil
	}
	owner := *metav1.NewControllerRef(ts, ecsv1.GroupVersion.WithKind("TaskSet"))
	selector := taskSetSelector(svc, ts)
	keep := map[string]bool{}
	spec := resolved.Spec
	for _, share := range shares {
		out, err := translate.PodTemplate(translate.Input{
			Family: resolved.Family, Revision: resolved.Number, TaskDefinition: spec,
			CapacityProvider:              shared.WithTenantNodes(share.provider, cluster),
			PlacementConstraints:          svc.Spec.PlacementConstraints,
			PlacementStrategy:             svc.Spec.PlacementStrategy,
			SelectorLabels:                selector,
			Namespace:                     ts.Namespace,
			RestartPolicy:                 corev1.RestartPolicyAlways,
			HealthCheckGracePeriodSeconds: svc.Spec.HealthCheckGracePeriodSeconds,
			PodSecurity:                   shared.PodSecurity(cluster),
			ZoneRebalancing:               zoneRebalancing(svc),
		})
		if err != nil {
			return err.Error(), nil
		}
		out.Template.Annotations = shared.MergeLabels(out.Template.Annotations, map[string]string{
			ecsv1.AnnotationTaskDefinition: resolved.String(),
			taskview.AnnotationEssential:   taskview.EssentialAnnotation(spec),
		})
		if err := r.Applier.ApplyTaskSupport(ctx, ts.Namespace, out); err != nil {
			return "", err
		}
		d := desiredDeployment(svc, serviceWorkload{Name: share.name, CapacityProvider: share.label, Replicas: share.count(desired), Template: out.Template},
			translate.RollingUpdate{MaxSurge: 1})
		d.Spec.Selector.MatchLabels[labelTaskSet] = selector[labelTaskSet]
		d.Spec.Template.Labels[labelTaskSet] = selector[labelTaskSet]
		d.Labels[labelTaskSet] = selector[labelTaskSet]
		d.OwnerReferences = []metav1.OwnerReference{owner}
		d.Spec.MinReadySeconds = translate.MinReadySeconds(spec, r.uncheckedTaskWait())
		current := &appsv1.Deployment{}
		if err := r.Applier.ApplyCached(ctx, d, current); err != nil {
			if problem := shared.OwnershipProblem(err); problem != "" {
				return problem, nil
			}
			return "", err
		}
		keep[d.Name] = true
	}
	if err := r.deleteOwned(ctx, ts, &appsv1.DeploymentList{}, keep); err != nil {
		return "", err
	}

	// Its own target groups: a Kubernetes Service per port, selecting this task set's tasks.
	standIn.Spec.LoadBalancers, standIn.Spec.ServiceRegistries = ts.Spec.LoadBalancers, ts.Spec.ServiceRegistries
	keepServices := map[string]bool{}
	for _, s := range desiredPortServices(standIn, spec, trafficSelectors{production: selector}) {
		s.Labels = shared.MergeLabels(serviceSelector(svc), map[string]string{labelTaskSet: selector[labelTaskSet]})
		s.OwnerReferences = []metav1.OwnerReference{owner}
		if err := r.Applier.ApplyCached(ctx, s, &corev1.Service{}); err != nil {
			if problem := shared.OwnershipProblem(err); problem != "" {
				return problem, nil
			}
			return "", err
		}
		keepServices[s.Name] = true
	}
	return "", r.deleteOwned(ctx, ts, &corev1.ServiceList{}, keepServices)
}

// deleteOwned deletes the task set's children of one kind that are not in keep.
func (r *TaskSetReconciler) deleteOwned(ctx context.Context, ts *ecsv1.TaskSet, list client.ObjectList, keep map[string]bool) error {
	if err := r.List(ctx, list, client.InNamespace(ts.Namespace), client.MatchingLabels{labelTaskSet: shared.LabelValue(ts.Name)}); err != nil {
		return err
	}
	items, err := shared.MetaItems(list)
	if err != nil {
		return err
	}
	for _, o := range items {
		if owner := metav1.GetControllerOf(o); keep[o.GetName()] || owner == nil || owner.UID != ts.UID {
			continue
		}
		if err := r.Delete(ctx, o, client.PropagationPolicy(metav1.DeletePropagationBackground)); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting %s: %w", o.GetName(), err)
		}
	}
	return nil
}

// observeTaskSet counts the task set's tasks and says whether it is stable.
func (r *TaskSetReconciler) observeTaskSet(ts *ecsv1.TaskSet, pods []corev1.Pod, problem string) {
	counts := countTasks(pods)
	ts.Status.RunningCount, ts.Status.PendingCount = 0, 0
	for _, c := range counts {
		ts.Status.RunningCount += c.Running
		ts.Status.PendingCount += c.Pending
	}
	stability := ecsv1.StabilityStabilizing
	if ts.Status.RunningCount == ts.Status.ComputedDesiredCount && ts.Status.PendingCount == 0 {
		stability = ecsv1.StabilitySteady
	}
	if ts.Status.StabilityStatus != stability || ts.Status.StabilityStatusAt == nil {
		ts.Status.StabilityStatus, ts.Status.StabilityStatusAt = stability, &metav1.Time{Time: r.Clock.Now()}
	}
	switch {
	case problem != "":
		r.stall(ts, shared.ReasonInvalidSpec, problem)
	case stability == ecsv1.StabilitySteady:
		shared.SetReady(&ts.Status.Conditions, ts.Generation, fmt.Sprintf("%d of %d tasks running (STEADY_STATE)", ts.Status.RunningCount, ts.Status.ComputedDesiredCount))
	default:
		shared.SetReconciling(&ts.Status.Conditions, ts.Generation, shared.ReasonProgressing,
			fmt.Sprintf("%d of %d tasks running (%d pending) on %s", ts.Status.RunningCount, ts.Status.ComputedDesiredCount, ts.Status.PendingCount, ts.Status.TaskDefinition))
	}
}

// setUnsupported keeps the UnsupportedSettings condition naming the settings only AWS acts on.
func (r *TaskSetReconciler) setUnsupported(ts *ecsv1.TaskSet) {
	notes := shared.TaskSetSettingNotes(&ts.Spec)
	if len(notes) == 0 {
		meta.RemoveStatusCondition(&ts.Status.Conditions, shared.ConditionUnsupported)
		return
	}
	msg := boundMessage(strings.Join(notes, "; "))
	if shared.ConditionMessage(ts.Status.Conditions, shared.ConditionUnsupported) != msg {
		r.Recorder.Eventf(ts, nil, corev1.EventTypeWarning, "UnsupportedSettings", "Translate", "%s", msg)
	}
	shared.SetCondition(&ts.Status.Conditions, ts.Generation, shared.ConditionUnsupported, metav1.ConditionTrue, "NotExpressible", msg)
}

// stall reports a problem the user must fix, with an event when it is new.
func (r *TaskSetReconciler) stall(ts *ecsv1.TaskSet, reason, msg string) {
	msg = boundMessage(msg)
	if stalledReason(ts.Status.Conditions) != reason || shared.ConditionMessage(ts.Status.Conditions, ecsv1.ConditionStalled) != msg {
		r.Recorder.Eventf(ts, nil, corev1.EventTypeWarning, reason, "Reconcile", "%s", msg)
	}
	shared.SetStalled(&ts.Status.Conditions, ts.Generation, reason, msg)
}

func (r *TaskSetReconciler) uncheckedTaskWait() time.Duration {
	if r.UncheckedTaskWait != nil {
		return *r.UncheckedTaskWait
	}
	return translate.UncheckedTaskWait
}

// SetupWithManager watches TaskSets, their Deployments, Services and task Pods, the Services
// they belong to (desiredCount, primaryTaskSet) and the task definitions they wait for.
func (r *TaskSetReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&ecsv1.TaskSet{}, builder.WithPredicates(shared.SpecOrMetadataChanged)).
		Owns(&appsv1.Deployment{}, builder.WithPredicates(shared.ChildChanged(nil))).
		Owns(&corev1.Service{}, builder.WithPredicates(shared.ChildChanged(nil))).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(r.taskSetOfPod)).
		Watches(&ecsv1.Service{}, handler.EnqueueRequestsFromMapFunc(r.taskSetsOfService), builder.WithPredicates(shared.SpecOrMetadataChanged)).
		Watches(&appsv1.ControllerRevision{}, handler.EnqueueRequestsFromMapFunc(r.taskSetsOfRevision), builder.WithPredicates(shared.CreateOrDelete)).
		Named("taskset").
		Complete(r)
}

// taskSetOfPod maps a task Pod to its TaskSet: the label holds the name, or its hash when the
// name is no label value, so the TaskSets of the Pod's Service are matched against it.
func (r *TaskSetReconciler) taskSetOfPod(ctx context.Context, o client.Object) []reconcile.Request {
	value, ok := o.GetLabels()[labelTaskSet]
	if !ok {
		return nil
	}
	list := &ecsv1.TaskSetList{}
	if err := r.List(ctx, list, client.InNamespace(o.GetNamespace()), client.MatchingFields{shared.IndexTaskSetService: o.GetAnnotations()[annotationServiceName]}); err != nil {
		return nil
	}
	for _, ts := range list.Items {
		if shared.LabelValue(ts.Name) == value {
			return []reconcile.Request{{NamespacedName: client.ObjectKeyFromObject(&ts)}}
		}
	}
	return nil
}

func (r *TaskSetReconciler) taskSetsOfService(ctx context.Context, o client.Object) []reconcile.Request {
	list := &ecsv1.TaskSetList{}
	if err := r.List(ctx, list, client.InNamespace(o.GetNamespace()), client.MatchingFields{shared.IndexTaskSetService: o.GetName()}); err != nil {
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, ts := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&ts)})
	}
	return reqs
}

// taskSetsOfRevision wakes the task sets of a family when a revision is registered.
func (r *TaskSetReconciler) taskSetsOfRevision(ctx context.Context, o client.Object) []reconcile.Request {
	family, ok := o.GetLabels()[ecsv1.LabelFamily]
	if !ok {
		return nil
	}
	list := &ecsv1.TaskSetList{}
	if err := r.List(ctx, list, client.MatchingFields{shared.IndexTaskDefinitionRef: o.GetNamespace() + "/" + family}); err != nil {
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, ts := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&ts)})
	}
	return reqs
}
