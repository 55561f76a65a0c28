// Package service runs ECS Services: a Deployment per capacity provider share (REPLICA) or a
// DaemonSet (DAEMON) of the task definition revision, with ECS's rollout bounds, circuit breaker
// and rollback, a PodDisruptionBudget, Kubernetes Services for load balancers, registries and
// Service Connect, and DescribeServices-style status and events.
//
// A reconcile has two paths. The spec path resolves the revision, translates it and applies
// the children; it makes no request unless an input changed or a child drifted from what was
// applied (shared.Applier). The observe path computes the status from the Service's task Pods
// and its workloads' conditions and writes it once, only when it changed.
package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
	"github.com/ecs-operator/ecs-operator/internal/metrics"
)

// +kubebuilder:rbac:groups=ecs.operator.dev,resources=services,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=ecs.operator.dev,resources=services/status;services/finalizers,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecs.operator.dev,resources=clusters;cellgroups,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=deployments;daemonsets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=policy,resources=poddisruptionbudgets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=autoscaling,resources=horizontalpodautoscalers,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=services;serviceaccounts;persistentvolumeclaims,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;patch;delete
// +kubebuilder:rbac:groups="",resources=nodes,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=pods/exec,verbs=create;get
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles;rolebindings,verbs=get;list;watch;create;update;patch;delete

// Reconciler runs ECS Services.
type Reconciler struct {
	client.Client
	Scheme   *runtime.Scheme
	Recorder events.EventRecorder
	Clock    clock.PassiveClock
	Applier  *shared.Applier

	// Alarms reports the deployment alarms an Alertmanager fires; nil when none is polled.
	Alarms AlarmSource
	// AlarmEvents wakes the Services whose alarms changed in Alarms (AlarmWaker).
	AlarmEvents <-chan event.TypedGenericEvent[*ecsv1.Service]

	// UncheckedTaskWait is how long a task without an essential container health check runs
	// before it counts toward minimumHealthyPercent; nil means ECS's 40 s.
	UncheckedTaskWait *time.Duration

	// TaskStartTimeout is how long a task may wait for a container that cannot start before
	// it is stopped and replaced (DefaultTaskStartTimeout when zero).
	TaskStartTimeout time.Duration

	// BakeTimeUnit is how long a minute of the strategies' bake times lasts (a minute when zero).
	BakeTimeUnit time.Duration

	// HookClient calls lifecycle hooks' urls (http.DefaultClient when nil).
	HookClient *http.Client
	hooks      hookCalls

	// seen remembers each Service's task Pods between reconciles, to report the tasks it
	// started and stopped as ECS does and to count each failed task once.
	mu   sync.Mutex
	seen map[types.NamespacedName]map[string]taskRecord
	// started is when the reconciler was set up: a Service seen for the first time reports the
	// tasks created since then as started, and not, after a restart, every task it already had.
	started time.Time
}

// Reconcile drives one Service towards its spec and reports where it is.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	svc := &ecsv1.Service{}
	if err := r.Get(ctx, req.NamespacedName, svc); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.NamespacedName)
			metrics.ForgetService(req.Namespace, req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	original := svc.DeepCopy()
	var after []func()
	observed := true // false while the generation could not be acted on yet
	defer func() { r.finish(ctx, svc, original, after, observed, &result, &err) }()

	if !svc.DeletionTimestamp.IsZero() {
		done, err := r.drain(ctx, svc)
		if err != nil || !done {
			return ctrl.Result{}, err
		}
		if _, err := shared.PatchStatus(ctx, r.Client, svc, original); err != nil {
			return ctrl.Result{}, err
		}
		original = svc.DeepCopy()
		r.Applier.ForgetOwner(svc.UID)
		r.forgetHooks(string(svc.UID))
		return ctrl.Result{}, shared.RemoveFinalizer(ctx, r.Client, svc)
	}
	// The finalizer lets a deleted Service drain (DRAINING) before its children go.
	if err := shared.AddFinalizer(ctx, r.Client, svc); err != nil {
		return ctrl.Result{}, err
	}

	pods, err := r.servicePods(ctx, svc)
	if err != nil {
		return ctrl.Result{}, err
	}
	if externallyDeployed(svc) {
		wait, err := r.reconcileExternal(ctx, svc, pods, &after)
		if err != nil {
			return ctrl.Result{}, err
		}
		return ctrl.Result{RequeueAfter: earliest(wait, nextSteadyReport(svc.Status, svc.Name, r.Clock.Now()))}, nil
	}
	spec, err := r.reconcileSpec(ctx, svc, pods)
	if err != nil || spec.waiting {
		observed = false
		return ctrl.Result{}, err
	}
	if spec.plan != nil {
		recheck, err := r.stopFailedTasks(ctx, pods)
		if err != nil {
			return ctrl.Result{}, err
		}
		if err := r.applyExecRBAC(ctx, svc, pods); err != nil {
			return ctrl.Result{}, err
		}
		spec.retryAfter = earliest(spec.retryAfter, recheck)
	}
	if replan := r.observe(svc, spec, pods, &after); replan {
		// The circuit breaker just failed the deployment: the plan, which reads that from the
		// status, rolls back or stops it once the status is written (our own status writes
		// wake nothing).
		return ctrl.Result{RequeueAfter: shared.RequeueOnConflict}, nil
	}
	return ctrl.Result{RequeueAfter: earliest(spec.retryAfter, nextSteadyReport(svc.Status, svc.Name, r.Clock.Now()))}, nil
}

// specResult is what the spec path did and found.
type specResult struct {
	plan    *deploymentPlan // nil when the task definition could not be resolved
	applied appliedChildren
	// problems keep the Service from its spec until the user acts (Stalled), with the reason.
	problems      []string
	problemReason string
	// waiting is true while the revision is not registered yet; its creation wakes the Service.
	waiting bool
	// retryAfter is set while an object of someone else's holds a child's name: nothing
	// watches that object, so the Service looks again, less often the longer it waits; or
	// while a task that cannot start waits out its start timeout.
	retryAfter time.Duration
}

// earliest is the sooner of two waits, zero meaning none.
func earliest(a, b time.Duration) time.Duration {
	if a == 0 || (b > 0 && b < a) {
		return b
	}
	return a
}

func (s *specResult) stall(reason, msg string) {
	s.problems, s.problemReason = append(s.problems, msg), reason
}

// reconcileSpec is the spec path: resolve, plan and apply.
func (r *Reconciler) reconcileSpec(ctx context.Context, svc *ecsv1.Service, pods []corev1.Pod) (specResult, error) {
	var res specResult
	resolved, err := shared.ResolveTaskDefinition(ctx, r, svc.Namespace, reference(svc))
	var refErr *shared.ReferenceError
	switch {
	case errors.As(err, &refErr):
		res.stall(shared.ReasonTaskDefinitionMiss, refErr.Error())
		return res, nil
	case errors.Is(err, shared.ErrRevisionPending):
		res.waiting = true
		// A new Service waits silently (the TaskDefinition controller registers the revision in
		// the pass that sees it), so that reaching its steady state is its only status write.
		if len(svc.Status.Conditions) > 0 {
			shared.SetReconciling(&svc.Status.Conditions, svc.Generation, shared.ReasonProgressing,
				"waiting for task definition "+string(svc.Spec.TaskDefinition)+" to be registered")
		}
		return res, nil
	case err != nil:
		return res, err
	}

	plan, err := r.planDeployment(ctx, svc, resolved, pods)
	if err != nil {
		return res, err
	}
	res.plan = plan
	if plan.stalled != "" {
		res.stall(plan.stallReason, plan.stalled)
		return res, nil
	}
	res.applied, err = r.applyChildren(ctx, svc, plan)
	if err != nil {
		return res, err
	}
	if res.applied.stalled != "" {
		res.stall(res.applied.stallReason, res.applied.stalled)
	}
	for _, p := range res.applied.problems {
		res.stall(shared.ReasonDeploymentBlocked, p)
	}
	if res.applied.ownershipConflict {
		res.retryAfter = conflictRetry(svc, r.Clock.Now())
	}
	if l := res.applied.lifecycle; l != nil {
		res.retryAfter = earliest(res.retryAfter, l.RetryAfter)
	}
	return res, nil
}

// reference is what the Service's taskDefinition resolves from: with revisionPolicy Pinned, a
// family stays on the revision it resolved to when the spec last changed (the PRIMARY's, which
// after a rollback is the revision rolled back to, as in ECS); a new spec resolves it again.
func reference(svc *ecsv1.Service) string {
	ref := string(svc.Spec.TaskDefinition)
	if svc.Spec.RevisionPolicy != ecsv1.RevisionPolicyPinned || svc.Status.TaskDefinition == "" ||
		svc.Status.ObservedGeneration != svc.Generation {
		return ref
	}
	if parsed, err := ecs.ParseReference(ref); err != nil || parsed.Revision != 0 {
		return ref
	}
	return shared.PinnedReference(ref, svc.Status.TaskDefinition)
}

// conflictRetry backs off from 5 s to 5 min with the time the Service has been Stalled.
func conflictRetry(svc *ecsv1.Service, now time.Time) time.Duration {
	wait := 5 * time.Second
	if c := meta.FindStatusCondition(svc.Status.Conditions, ecsv1.ConditionStalled); c != nil && c.Status == metav1.ConditionTrue {
		wait = max(wait, now.Sub(c.LastTransitionTime.Time))
	}
	return min(wait, 5*time.Minute)
}

// observe is the observe path: the status from the task Pods and what the spec path found.
// A Stalled Service still reports its tasks, deployments and events. It reports replan when the
// new status changes the plan: the circuit breaker failed the deployment.
func (r *Reconciler) observe(svc *ecsv1.Service, spec specResult, pods []corev1.Pod, after *[]func()) (replan bool) {
	now := r.Clock.Now()
	obs := serviceObservation{
		Now:            now,
		Pods:           pods,
		CircuitBreaker: circuitBreaker(svc),
		AlarmsInAlarm:  alarmsInAlarm(svc, r.Alarms),
		Problems:       spec.problems,
		ProblemReason:  spec.problemReason,
	}
	if spec.plan == nil {
		// Nothing to deploy (the task definition is missing): the tasks left are still counted.
		r.observeUnresolved(svc, spec, pods)
		return false
	}
	obs.Primary, obs.Wanted, obs.RollbackOf = spec.plan.primary, spec.plan.wanted, spec.plan.rollbackOf
	if spec.applied.desiredKnown {
		obs.Desired, obs.DesiredKnown, obs.LaunchFailures = spec.applied.desired, true, spec.applied.launchFailures
		obs.Unsettled = spec.applied.unsettled
		obs.Lifecycle, obs.Blue = spec.applied.lifecycle, spec.applied.blue
	} else if svc.Spec.SchedulingStrategy != ecsv1.SchedulingDaemon {
		obs.Desired, obs.DesiredKnown = ptr.Deref(svc.Spec.DesiredCount, 0), true
	} else {
		obs.Desired = svc.Status.DesiredCount
	}
	r.setUnsupported(svc, append(slices.Clone(spec.applied.unsupported), shared.ServiceSettingNotes(&svc.Spec)...), after)

	changes := r.taskChanges(svc, pods)
	obs.Failures, obs.Healthy = changes.failures, changes.healthy
	status, messages := computeServiceStatus(svc, svc.Status, obs)
	status.Selector = labels.SelectorFromSet(serviceSelector(svc)).String()
	messages = append(messages, changes.messages...)
	// Remembered only once the status holding these messages is written: a reconcile that
	// loses a write conflict reports and counts the same changes again on its retry.
	*after = append(*after, changes.commit)
	if plan := spec.plan; plan != nil && plan.rollbackFrom != "" {
		messages = append(messages, newMessage(kindRollingBack, "(service %s) rolling back to deployment %s.", svc.Name, rollbackDeploymentID(svc, plan.primary, plan.rollbackOf)))
		*after = append(*after, func() { metrics.RolledBack(svc.Namespace, svc.Name) })
	}
	if primaryFailed(status) && !primaryFailed(svc.Status) {
		*after = append(*after, func() { metrics.CircuitBreakerTripped(svc.Namespace, svc.Name) })
		replan = true
	}
	status.Events = addServiceEvents(svc.Status.Events, messages, now)
	if eventType, reason, note := eventFor(messages); reason != "" {
		*after = append(*after, func() { r.Recorder.Eventf(svc, nil, eventType, reason, "Reconcile", "%s", note) })
	}
	if wasStalled, isStalled := stalledReason(svc.Status.Conditions), stalledReason(status.Conditions); isStalled != "" && isStalled != wasStalled {
		msg := shared.ConditionMessage(status.Conditions, ecsv1.ConditionStalled)
		*after = append(*after, func() { r.Recorder.Eventf(svc, nil, corev1.EventTypeWarning, isStalled, "Reconcile", "%s", msg) })
	}
	svc.Status = status
	return replan
}

// observeUnresolved reports a Service whose task definition cannot be resolved: Stalled, with
// the counts of the tasks it still has, and its deployments as they were.
func (r *Reconciler) observeUnresolved(svc *ecsv1.Service, spec specResult, pods []corev1.Pod) {
	was := stalledReason(svc.Status.Conditions)
	svc.Status.RunningCount, svc.Status.PendingCount = 0, 0
	for _, c := range countTasks(pods) {
		svc.Status.RunningCount += c.Running
		svc.Status.PendingCount += c.Pending
	}
	msg := boundMessage(strings.Join(spec.problems, "; "))
	if was != spec.problemReason || shared.ConditionMessage(svc.Status.Conditions, ecsv1.ConditionStalled) != msg {
		r.Recorder.Eventf(svc, nil, corev1.EventTypeWarning, spec.problemReason, "Reconcile", "%s", msg)
	}
	shared.SetStalled(&svc.Status.Conditions, svc.Generation, spec.problemReason, msg)
}

// stalledReason is the reason of a True Stalled condition, else empty.
func stalledReason(conds []metav1.Condition) string {
	if c := meta.FindStatusCondition(conds, ecsv1.ConditionStalled); c != nil && c.Status == metav1.ConditionTrue {
		return c.Reason
	}
	return ""
}

// finish writes the status on the way out; observedGeneration moves only when the reconcile
// acted on the generation. Events and metrics follow a status that was
// written, so a retried reconcile does not repeat them. A status the API server rejects is a
// bug in what was computed: it is reported as Stalled, once, instead of retried forever.
func (r *Reconciler) finish(ctx context.Context, svc, original *ecsv1.Service, after []func(), observed bool, result *ctrl.Result, err *error) {
	if shared.ConflictIsRequeue(result, err) {
		return
	}
	if *err == nil && observed {
		svc.Status.ObservedGeneration = svc.Generation
	}
	conflict, werr := shared.PatchStatus(ctx, r.Client, svc, original)
	switch {
	case errors.Is(werr, shared.ErrStatusRejected):
		ctrl.LoggerFrom(ctx).Error(werr, "status rejected; reporting it as Stalled")
		r.reportRejectedStatus(ctx, original, werr)
		*result = ctrl.Result{}
		return
	case *err != nil:
		return
	case conflict:
		*result = ctrl.Result{RequeueAfter: shared.RequeueOnConflict}
		return
	case werr != nil:
		*err, *result = werr, ctrl.Result{}
		return
	}
	for _, f := range after {
		f()
	}
	if d := svc.Status.Deployments; len(d) > 0 {
		metrics.RecordService(svc.Namespace, svc.Name, svc.Status.DesiredCount, svc.Status.RunningCount, svc.Status.PendingCount, string(d[0].RolloutState))
	} else if externallyDeployed(svc) {
		metrics.RecordServiceCounts(svc.Namespace, svc.Name, svc.Status.DesiredCount, svc.Status.RunningCount, svc.Status.PendingCount)
	}
}

// reasonStatusRejected marks a Service whose computed status the API server refused.
const reasonStatusRejected = "StatusRejected"

func (r *Reconciler) reportRejectedStatus(ctx context.Context, original *ecsv1.Service, werr error) {
	if stalledReason(original.Status.Conditions) == reasonStatusRejected {
		return
	}
	svc := original.DeepCopy()
	msg := boundMessage("ecs-operator computed a status the API server refused (a bug, please report it): " + werr.Error())
	shared.SetStalled(&svc.Status.Conditions, svc.Generation, reasonStatusRejected, msg)
	if _, err := shared.PatchStatus(ctx, r.Client, svc, original); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "reporting the rejected status")
		return
	}
	r.Recorder.Eventf(svc, nil, corev1.EventTypeWarning, reasonStatusRejected, "Reconcile", "%s", msg)
}

// servicePods lists the Service's task Pods from the cache.
func (r *Reconciler) servicePods(ctx context.Context, svc *ecsv1.Service) ([]corev1.Pod, error) {
	list := &corev1.PodList{}
	if err := r.List(ctx, list, client.InNamespace(svc.Namespace), client.MatchingLabels(serviceSelector(svc))); err != nil {
		return nil, fmt.Errorf("listing tasks: %w", err)
	}
	return list.Items, nil
}

// setUnsupported keeps the UnsupportedSettings condition listing the ECS settings Kubernetes
// cannot honour, and tells the user with an event when that list changes.
func (r *Reconciler) setUnsupported(svc *ecsv1.Service, notes []string, after *[]func()) {
	if len(notes) == 0 {
		meta.RemoveStatusCondition(&svc.Status.Conditions, shared.ConditionUnsupported)
		return
	}
	sort.Strings(notes)
	msg := boundMessage(strings.Join(slices.Compact(notes), "; "))
	if shared.ConditionMessage(svc.Status.Conditions, shared.ConditionUnsupported) != msg {
		*after = append(*after, func() {
			r.Recorder.Eventf(svc, nil, corev1.EventTypeWarning, "UnsupportedSettings", "Translate", "%s", msg)
		})
	}
	shared.SetCondition(&svc.Status.Conditions, svc.Generation, shared.ConditionUnsupported, metav1.ConditionTrue, "NotExpressible", msg)
}
