package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
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
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/metrics"
	"github.com/ecs-operator/ecs-operator/internal/translate"
)

// +kubebuilder:rbac:groups=ecs.operator.dev,resources=services,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=ecs.operator.dev,resources=services/status;services/finalizers,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecs.operator.dev,resources=clusters,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=deployments;daemonsets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=policy,resources=poddisruptionbudgets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=autoscaling,resources=horizontalpodautoscalers,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=services;serviceaccounts;persistentvolumeclaims,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=pods;nodes,verbs=get;list;watch

// ServiceReconciler runs an ECS Service as a Deployment (REPLICA) or DaemonSet (DAEMON) of its
// task definition revision, with ECS's rollout bounds, circuit breaker and rollback, a
// PodDisruptionBudget for its minimum healthy tasks, Kubernetes Services for its load balancers,
// registries and Service Connect names, and DescribeServices-style status and events.
type ServiceReconciler struct {
	client.Client
	Scheme   *runtime.Scheme
	Recorder events.EventRecorder
	Clock    clock.PassiveClock
	// APIReader reads past the cache, which holds only ecs-operator's own objects, to find
	// objects of the same name that belong to someone else.
	APIReader client.Reader

	// seen remembers each Service's task Pods between reconciles, to report the tasks it
	// started and stopped as ECS does. It starts empty after a restart, when nothing is
	// reported for the tasks already running.
	mu   sync.Mutex
	seen map[types.NamespacedName]map[string]int32
	// started is when the reconciler was set up: a Service seen for the first time reports the
	// tasks created since then as started, and not, after a restart, every task it already had.
	started time.Time
}

// Reconcile drives one Service towards its spec.
func (r *ServiceReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
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
	defer func() {
		if err == nil {
			svc.Status.ObservedGeneration = svc.Generation
		}
		if !equality.Semantic.DeepEqual(original.Status, svc.Status) {
			// A full status update carries the resourceVersion, so a reconcile that read a stale
			// Service retries instead of overwriting newer deployments and events; and it writes
			// zero counts too, which kubectl shows as 0 rather than blank.
			if uerr := r.Status().Update(ctx, svc); uerr != nil {
				if err == nil && apierrors.IsConflict(uerr) {
					// Read a Service older than the one stored: compute again from the new one.
					result = ctrl.Result{RequeueAfter: 100 * time.Millisecond}
					return
				}
				if err == nil && !apierrors.IsNotFound(uerr) {
					err = fmt.Errorf("updating status: %w", uerr)
					result = ctrl.Result{}
				}
				return
			}
		}
		// Events and metrics follow a status that was written, so a retried reconcile does
		// not repeat them.
		for _, f := range after {
			f()
		}
		if d := svc.Status.Deployments; len(d) > 0 {
			metrics.RecordService(svc.Namespace, svc.Name, svc.Status.DesiredCount, svc.Status.RunningCount, svc.Status.PendingCount, string(d[0].RolloutState))
		}
	}()

	if !svc.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.drain(ctx, svc)
	}
	// The finalizer lets a deleted Service drain (DRAINING) before its children go.
	if err := addFinalizer(ctx, r.Client, svc); err != nil {
		return ctrl.Result{}, err
	}

	resolved, err := resolveTaskDefinition(ctx, r, svc.Namespace, string(svc.Spec.TaskDefinition))
	var refErr *referenceError
	switch {
	case errors.As(err, &refErr):
		r.stall(svc, ReasonTaskDefinitionMiss, refErr.Error())
		return ctrl.Result{}, nil
	case errors.Is(err, errRevisionPending):
		setReconciling(&svc.Status.Conditions, svc.Generation, ReasonProgressing, "waiting for task definition "+string(svc.Spec.TaskDefinition)+" to be registered")
		// The TaskDefinition and revision watches bring the Service back; this is a safety net.
		return ctrl.Result{RequeueAfter: 10 * time.Second}, nil
	case err != nil:
		return ctrl.Result{}, err
	}

	pods, err := r.servicePods(ctx, svc)
	if err != nil {
		return ctrl.Result{}, err
	}
	plan, err := r.planDeployment(ctx, svc, resolved, pods)
	if err != nil {
		return ctrl.Result{}, err
	}
	if plan.stalled != "" {
		r.stall(svc, plan.stallReason, plan.stalled)
		return ctrl.Result{}, nil
	}

	applied, err := r.applyChildren(ctx, svc, plan)
	if err != nil {
		return ctrl.Result{}, err
	}
	if applied.stalled != "" {
		r.stall(svc, applied.stallReason, applied.stalled)
		return ctrl.Result{}, nil
	}
	r.setUnsupported(svc, applied.unsupported, &after)

	now := r.Clock.Now()
	status, messages := computeServiceStatus(svc, svc.Status, serviceObservation{
		Now:            now,
		Desired:        applied.desired,
		DesiredKnown:   applied.desiredKnown,
		Primary:        plan.primary,
		Wanted:         plan.wanted,
		Pods:           pods,
		CircuitBreaker: circuitBreaker(svc),
		Problems:       applied.problems,
		LaunchFailures: applied.launchFailures,
	})
	status.Selector = labels.SelectorFromSet(serviceSelector(svc)).String()
	changes, commitTasks := r.taskChanges(svc, pods)
	messages = append(messages, changes...)
	// Remembered only once the status holding these messages is written: a reconcile that
	// loses a write conflict reports the same changes again on its retry.
	after = append(after, commitTasks)
	if plan.rollbackFrom != "" {
		messages = append(messages, fmt.Sprintf("(service %s) rolling back to deployment %s.", svc.Name, deploymentID(svc, plan.primary)))
		after = append(after, func() { metrics.RolledBack(svc.Namespace, svc.Name) })
	}
	if primaryFailed(status) && !primaryFailed(svc.Status) {
		after = append(after, func() { metrics.CircuitBreakerTripped(svc.Namespace, svc.Name) })
	}
	status.Events = addServiceEvents(svc.Status.Events, messages, now)
	for _, msg := range messages {
		after = append(after, func() { r.Recorder.Eventf(svc, nil, eventType(msg), eventReason(msg), "Reconcile", "%s", msg) })
	}
	svc.Status = status
	return ctrl.Result{}, nil
}

// deploymentPlan is what the Service should run.
type deploymentPlan struct {
	primary      deploymentKey
	wanted       deploymentKey
	spec         *ecsv1.TaskDefinitionSpec
	family       string
	revision     int64
	rollbackFrom string
	paused       bool
	stalled      string
	stallReason  string
	cluster      *ecsv1.Cluster
	// namespace is where the task definition lives (it may be another namespace of the tenant).
	namespace string
}

// planDeployment decides the revision the PRIMARY deployment runs: the one the spec names,
// unless the circuit breaker failed it — then, with rollback, the last completed one.
func (r *ServiceReconciler) planDeployment(ctx context.Context, svc *ecsv1.Service, resolved *resolvedRevision, pods []corev1.Pod) (*deploymentPlan, error) {
	token := svc.Annotations[ecsv1.AnnotationForceNewDeployment]
	wanted := deploymentKey{TaskDefinition: resolved.String(), Token: token}
	plan := &deploymentPlan{primary: wanted, wanted: wanted, spec: resolved.Spec, family: resolved.Family,
		revision: resolved.Number, namespace: resolved.TaskDefinition.Namespace}

	cluster, err := r.clusterFor(ctx, svc.Namespace)
	if err != nil {
		return nil, err
	}
	plan.cluster = cluster

	failed := failedDeployment(svc, wanted)
	if failed == nil {
		return plan, nil
	}
	cb := circuitBreaker(svc)
	if cb == nil || !cb.Rollback {
		// ECS stops a failed deployment; pausing the Deployment does the same.
		plan.paused = true
		return plan, nil
	}
	target := rollbackTarget(svc, wanted)
	if target == "" {
		plan.paused = true
		return plan, nil
	}
	key := deploymentKey{TaskDefinition: target, Token: token}
	for i := range pods {
		if k := podDeploymentKey(&pods[i]); k.TaskDefinition == target {
			key = k
			break
		}
	}
	rolledBack, err := resolveTaskDefinition(ctx, r, svc.Namespace, plan.namespace+"/"+target)
	var refErr *referenceError
	switch {
	case errors.As(err, &refErr), errors.Is(err, errRevisionPending):
		plan.paused = true
		plan.stalled = fmt.Sprintf("the circuit breaker failed %s and cannot roll back to %s: %v", wanted.TaskDefinition, target, err)
		plan.stallReason = ReasonDeploymentFailed
		return plan, nil
	case err != nil:
		return nil, err
	}
	plan.primary, plan.spec, plan.family, plan.revision = key, rolledBack.Spec, rolledBack.Family, rolledBack.Number
	if svc.Status.TaskDefinition != target {
		plan.rollbackFrom = wanted.TaskDefinition
	}
	return plan, nil
}

// failedDeployment finds the status entry of a deployment the circuit breaker failed.
func failedDeployment(svc *ecsv1.Service, key deploymentKey) *ecsv1.Deployment {
	id := deploymentID(svc, key)
	for i, d := range svc.Status.Deployments {
		if d.ID == id && d.RolloutState == ecsv1.RolloutFailed {
			return &svc.Status.Deployments[i]
		}
	}
	return nil
}

// rollbackTarget is the task definition of the newest deployment that completed and did not
// fail: the current PRIMARY when it is already the rollback, else a completed ACTIVE one.
func rollbackTarget(svc *ecsv1.Service, failed deploymentKey) string {
	for _, d := range svc.Status.Deployments {
		if d.TaskDefinition == failed.TaskDefinition || d.RolloutState == ecsv1.RolloutFailed {
			continue
		}
		if d.Status == ecsv1.DeploymentPrimary || d.RolloutState == ecsv1.RolloutCompleted {
			return d.TaskDefinition
		}
	}
	return ""
}

func primaryFailed(status ecsv1.ServiceStatus) bool {
	return len(status.Deployments) > 0 && status.Deployments[0].RolloutState == ecsv1.RolloutFailed
}

func circuitBreaker(svc *ecsv1.Service) *ecsv1.DeploymentCircuitBreaker {
	if dc := svc.Spec.DeploymentConfiguration; dc != nil && dc.DeploymentCircuitBreaker != nil && dc.DeploymentCircuitBreaker.Enable {
		return dc.DeploymentCircuitBreaker
	}
	return nil
}

// percentages are ECS's deployment bounds with ECS's defaults by scheduling strategy.
func percentages(svc *ecsv1.Service) (maximum, minimumHealthy int32) {
	maximum, minimumHealthy = 200, 100
	if svc.Spec.SchedulingStrategy == ecsv1.SchedulingDaemon {
		maximum, minimumHealthy = 100, 0
	}
	if dc := svc.Spec.DeploymentConfiguration; dc != nil {
		maximum = ptr.Deref(dc.MaximumPercent, maximum)
		minimumHealthy = ptr.Deref(dc.MinimumHealthyPercent, minimumHealthy)
	}
	return maximum, minimumHealthy
}

// appliedChildren is what applyChildren did and found.
type appliedChildren struct {
	desired      int32
	desiredKnown bool
	// launchFailures are why the workload controllers could not create tasks (quota, Pod
	// Security, admission), as their ReplicaFailure conditions say.
	launchFailures []string
	// problems hold a rollout back (Stalled, the Service keeps running).
	problems []string
	// unsupported are ECS settings Kubernetes cannot express (reported, not blocking).
	unsupported []string
	// stalled is a spec error that keeps the children from being written at all.
	stalled, stallReason string
}

// annotationTemplateHash on a Deployment or DaemonSet is the hash of the task template it was
// given, so that a rollout ECS would refuse can be recognised and held.
const annotationTemplateHash = "ecs.operator.dev/template-hash"

// applyChildren writes the Service's workloads and companions and removes the ones it no
// longer needs.
func (r *ServiceReconciler) applyChildren(ctx context.Context, svc *ecsv1.Service, plan *deploymentPlan) (appliedChildren, error) {
	var res appliedChildren
	providers, err := capacityShares(svc, plan.cluster)
	if err != nil {
		res.stalled, res.stallReason = err.Error(), ReasonInvalidSpec
		return res, nil
	}
	maximum, minimumHealthy := percentages(svc)
	nodeValues, err := r.nodeLabelValues(ctx)
	if err != nil {
		return res, err
	}

	templates := map[string]translate.Output{}
	for _, share := range providers {
		in := r.translateInput(svc, plan, share.provider)
		in.NodeLabelValues = nodeValues
		out, err := translate.PodTemplate(in)
		if err != nil {
			res.stalled, res.stallReason = err.Error(), ReasonInvalidSpec
			return res, nil
		}
		out.Template.Annotations = mergeLabels(out.Template.Annotations, map[string]string{
			ecsv1.AnnotationTaskDefinition:     plan.primary.TaskDefinition,
			ecsv1.AnnotationForceNewDeployment: plan.primary.Token,
			annotationEssential:                essentialAnnotation(plan.spec),
		})
		templates[share.name] = out
		res.unsupported = append(res.unsupported, out.Unsupported...)
		if err := applyTaskSupport(ctx, r.Client, r.APIReader, r.Scheme, svc.Namespace, out); err != nil {
			return res, err
		}
	}

	if svc.Spec.SchedulingStrategy == ecsv1.SchedulingDaemon {
		if err := r.applyDaemonSet(ctx, svc, templates[providers[0].name].Template, maximum, minimumHealthy, &res); err != nil {
			return res, err
		}
	} else if err := r.applyDeployments(ctx, svc, plan, providers, templates, maximum, minimumHealthy, &res); err != nil {
		return res, err
	}
	if res.stalled != "" {
		return res, nil
	}

	services := desiredPortServices(svc, plan.spec)
	connect, connectProblems := desiredServiceConnectServices(svc, plan.spec)
	res.unsupported = append(res.unsupported, connectProblems...)
	keepServices := map[string]bool{}
	for _, s := range append(services, connect...) {
		if keepServices[s.Name] {
			continue
		}
		if err := r.applyChild(ctx, s, &corev1.Service{}); err != nil {
			if problem := ownershipProblem(err); problem != "" {
				res.problems = append(res.problems, problem)
				continue
			}
			return res, err
		}
		keepServices[s.Name] = true
	}
	if err := r.deleteStale(ctx, svc, &corev1.ServiceList{}, keepServices); err != nil {
		return res, err
	}

	if hpa := desiredHorizontalPodAutoscaler(svc); hpa != nil {
		if err := r.applyChild(ctx, hpa, &autoscalingv2.HorizontalPodAutoscaler{}); err != nil {
			if problem := ownershipProblem(err); problem == "" {
				return res, err
			} else {
				res.problems = append(res.problems, problem)
			}
		}
	} else if err := r.deleteStale(ctx, svc, &autoscalingv2.HorizontalPodAutoscalerList{}, nil); err != nil {
		return res, err
	}
	return res, nil
}

// applyDeployments writes a REPLICA service's Deployment (one per capacity provider share),
// with ECS's rollout bounds for each share, and its PodDisruptionBudget.
func (r *ServiceReconciler) applyDeployments(ctx context.Context, svc *ecsv1.Service, plan *deploymentPlan, providers []providerShare,
	templates map[string]translate.Output, maximum, minimumHealthy int32, res *appliedChildren) error {
	res.desired = ptr.Deref(svc.Spec.DesiredCount, 0)
	res.desiredKnown = true
	keep := map[string]bool{}
	for _, share := range providers {
		w := serviceWorkload{Name: share.name, CapacityProvider: share.label, Replicas: share.count(res.desired), Template: templates[share.name].Template}
		rollout, blocked := translate.RollingUpdateFor(w.Replicas, maximum, minimumHealthy)
		current := &appsv1.Deployment{}
		var cur client.Object
		switch err := r.Get(ctx, client.ObjectKey{Namespace: svc.Namespace, Name: w.Name}, current); {
		case err == nil:
			cur = current
			if c := deploymentCondition(current, appsv1.DeploymentReplicaFailure); c != nil && c.Status == corev1.ConditionTrue {
				res.launchFailures = append(res.launchFailures, c.Message)
			}
		case !apierrors.IsNotFound(err):
			return err
		}
		hash, err := contentHash(w.Template)
		if err != nil {
			return err
		}
		if blocked != nil {
			// ECS refuses to deploy: keep the running template and only scale.
			if cur != nil && current.Annotations[annotationTemplateHash] != hash {
				w.Template, hash = current.Spec.Template, current.Annotations[annotationTemplateHash]
				res.problems = append(res.problems, fmt.Sprintf("(service %s) %s", svc.Name, blocked.Error()))
			}
			rollout = translate.RollingUpdate{MaxSurge: 1}
		}
		d := desiredDeployment(svc, w, rollout)
		d.Annotations = map[string]string{annotationTemplateHash: hash}
		d.Spec.Paused = plan.paused
		if err := r.applyOwned(ctx, d, cur); err != nil {
			if problem := ownershipProblem(err); problem != "" {
				res.stalled, res.stallReason = problem, ReasonInvalidSpec
				return nil
			}
			return err
		}
		keep[w.Name] = true
	}
	if err := r.deleteStale(ctx, svc, &appsv1.DeploymentList{}, keep); err != nil {
		return err
	}
	if err := r.deleteStale(ctx, svc, &appsv1.DaemonSetList{}, nil); err != nil {
		return err
	}
	pdb := desiredPodDisruptionBudget(svc, res.desired, minimumHealthy)
	keepPDB := map[string]bool{}
	if pdb != nil {
		if err := r.applyChild(ctx, pdb, &policyv1.PodDisruptionBudget{}); err != nil {
			if problem := ownershipProblem(err); problem == "" {
				return err
			} else {
				res.problems = append(res.problems, problem)
			}
		}
		keepPDB[pdb.Name] = true
	}
	return r.deleteStale(ctx, svc, &policyv1.PodDisruptionBudgetList{}, keepPDB)
}

func deploymentCondition(d *appsv1.Deployment, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range d.Status.Conditions {
		if d.Status.Conditions[i].Type == t {
			return &d.Status.Conditions[i]
		}
	}
	return nil
}

// applyDaemonSet writes a DAEMON service's DaemonSet. The number of tasks is the DaemonSet's
// count of nodes to run on, known once its controller has observed it.
func (r *ServiceReconciler) applyDaemonSet(ctx context.Context, svc *ecsv1.Service, template corev1.PodTemplateSpec,
	maximum, minimumHealthy int32, res *appliedChildren) error {
	ds := desiredDaemonSet(svc, template, maximum, minimumHealthy)
	current := &appsv1.DaemonSet{}
	var cur client.Object
	switch err := r.Get(ctx, client.ObjectKeyFromObject(ds), current); {
	case err == nil:
		cur = current
		res.desired = current.Status.DesiredNumberScheduled
		res.desiredKnown = current.Status.ObservedGeneration >= current.Generation && current.Generation > 0
	case !apierrors.IsNotFound(err):
		return err
	}
	hash, err := contentHash(ds.Spec.Template)
	if err != nil {
		return err
	}
	if maximum <= 100 && minimumHealthy >= 100 && cur != nil && current.Annotations[annotationTemplateHash] != hash {
		ds.Spec.Template = current.Spec.Template
		hash = current.Annotations[annotationTemplateHash]
		res.problems = append(res.problems, fmt.Sprintf("(service %s) %s", svc.Name, translate.ErrDeploymentBlocked.Error()))
	}
	ds.Annotations = map[string]string{annotationTemplateHash: hash}
	if err := r.applyOwned(ctx, ds, cur); err != nil {
		if problem := ownershipProblem(err); problem != "" {
			res.stalled, res.stallReason = problem, ReasonInvalidSpec
			return nil
		}
		return err
	}
	if err := r.deleteStale(ctx, svc, &appsv1.DeploymentList{}, nil); err != nil {
		return err
	}
	return r.deleteStale(ctx, svc, &policyv1.PodDisruptionBudgetList{}, nil)
}

// applyChild applies an owned companion object (Service, PodDisruptionBudget, HPA), reading the
// current one from the cache first so that an unchanged object costs no request.
func (r *ServiceReconciler) applyChild(ctx context.Context, desired, current client.Object) error {
	err := r.Get(ctx, client.ObjectKeyFromObject(desired), current)
	switch {
	case apierrors.IsNotFound(err):
		return r.applyOwned(ctx, desired, nil)
	case err != nil:
		return err
	}
	return r.applyOwned(ctx, desired, current)
}

func (r *ServiceReconciler) applyOwned(ctx context.Context, desired, current client.Object) error {
	return applyOwned(ctx, r.Client, r.APIReader, r.Scheme, desired, current)
}

// deleteStale deletes the Service's children of one kind that are not in keep.
func (r *ServiceReconciler) deleteStale(ctx context.Context, svc *ecsv1.Service, list client.ObjectList, keep map[string]bool) error {
	if err := r.List(ctx, list, client.InNamespace(svc.Namespace), client.MatchingLabels(serviceSelector(svc))); err != nil {
		return err
	}
	items, err := metaItems(list)
	if err != nil {
		return err
	}
	for _, o := range items {
		if keep[o.GetName()] {
			continue
		}
		if owner := metav1.GetControllerOf(o); owner == nil || owner.UID != svc.UID {
			continue
		}
		if err := r.Delete(ctx, o, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting %s: %w", o.GetName(), err)
		}
	}
	return nil
}

func (r *ServiceReconciler) translateInput(svc *ecsv1.Service, plan *deploymentPlan, provider *ecsv1.CapacityProvider) translate.Input {
	return translate.Input{
		Family:                        plan.family,
		Revision:                      plan.revision,
		TaskDefinition:                plan.spec,
		CapacityProvider:              withTenantNodes(provider, plan.cluster),
		PlacementConstraints:          svc.Spec.PlacementConstraints,
		PlacementStrategy:             svc.Spec.PlacementStrategy,
		SelectorLabels:                serviceSelector(svc),
		Namespace:                     svc.Namespace,
		RestartPolicy:                 corev1.RestartPolicyAlways,
		HealthCheckGracePeriodSeconds: svc.Spec.HealthCheckGracePeriodSeconds,
	}
}

// providerShare is one Deployment's capacity provider.
type providerShare struct {
	name     string // the Deployment's name
	label    string // the capacity provider, empty when the Service is not split
	provider *ecsv1.CapacityProvider
	count    func(desired int32) int32
}

// capacityShares picks the capacity providers of a Service: its launch type's provider, its
// strategy or the Cluster's default strategy. Several providers split the tasks by base and
// weight, one Deployment each. A strategy or launch type the Cluster cannot serve is an error
// for the user to fix.
func capacityShares(svc *ecsv1.Service, cluster *ecsv1.Cluster) ([]providerShare, error) {
	all := func(desired int32) int32 { return desired }
	if cluster == nil || len(cluster.Spec.CapacityProviders) == 0 {
		return []providerShare{{name: svc.Name, count: all}}, nil
	}
	byName := map[string]*ecsv1.CapacityProvider{}
	for i := range cluster.Spec.CapacityProviders {
		byName[cluster.Spec.CapacityProviders[i].Name] = &cluster.Spec.CapacityProviders[i]
	}
	if lt := svc.Spec.LaunchType; lt != "" {
		for i := range cluster.Spec.CapacityProviders {
			p := &cluster.Spec.CapacityProviders[i]
			if string(p.Type) == string(lt) || (lt == ecsv1.LaunchTypeExternal && p.Type == ecsv1.CapacityProviderEC2) {
				return []providerShare{{name: svc.Name, provider: p, count: all}}, nil
			}
		}
		return nil, fmt.Errorf("launchType %s: cluster %s has no capacity provider of type %s", lt, cluster.Name, lt)
	}
	strategy := svc.Spec.CapacityProviderStrategy
	source := "capacityProviderStrategy"
	if len(strategy) == 0 {
		strategy, source = cluster.Spec.DefaultCapacityProviderStrategy, "the cluster's defaultCapacityProviderStrategy"
	}
	if len(strategy) == 0 {
		return []providerShare{{name: svc.Name, count: all}}, nil
	}
	for _, item := range strategy {
		if byName[item.CapacityProvider] == nil {
			return nil, fmt.Errorf("%s: capacity provider %q is not one of cluster %s's capacity providers", source, item.CapacityProvider, cluster.Name)
		}
	}
	if len(strategy) == 1 || svc.Spec.SchedulingStrategy == ecsv1.SchedulingDaemon {
		return []providerShare{{name: svc.Name, provider: byName[strategy[0].CapacityProvider], count: all}}, nil
	}
	if _, err := translate.SplitTasks(strategy, ptr.Deref(svc.Spec.DesiredCount, 0)); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	var shares []providerShare
	for _, item := range strategy {
		name := item.CapacityProvider
		shares = append(shares, providerShare{
			name: workloadName(svc, name), label: name, provider: byName[name],
			count: func(desired int32) int32 {
				split, err := translate.SplitTasks(strategy, desired)
				if err != nil {
					return 0
				}
				for _, s := range split {
					if s.CapacityProvider == name {
						return s.Count
					}
				}
				return 0
			},
		})
	}
	return shares, nil
}

// clusterFor finds the Cluster whose namespace this is; nil when there is none.
func (r *ServiceReconciler) clusterFor(ctx context.Context, namespace string) (*ecsv1.Cluster, error) {
	return clusterForNamespace(ctx, r.Client, namespace)
}

func clusterForNamespace(ctx context.Context, c client.Reader, namespace string) (*ecsv1.Cluster, error) {
	list := &ecsv1.ClusterList{}
	if err := c.List(ctx, list, client.MatchingFields{indexClusterNamespace: namespace}); err != nil {
		return nil, fmt.Errorf("finding the cluster of namespace %s: %w", namespace, err)
	}
	var cluster *ecsv1.Cluster
	for i := range list.Items {
		if cluster == nil || olderThan(&list.Items[i], cluster) {
			cluster = &list.Items[i]
		}
	}
	return cluster, nil
}

// servicePods lists the Service's task Pods from the cache.
func (r *ServiceReconciler) servicePods(ctx context.Context, svc *ecsv1.Service) ([]corev1.Pod, error) {
	list := &corev1.PodList{}
	if err := r.List(ctx, list, client.InNamespace(svc.Namespace), client.MatchingLabels(serviceSelector(svc))); err != nil {
		return nil, fmt.Errorf("listing tasks: %w", err)
	}
	return list.Items, nil
}

// drain handles a deleted Service: DRAINING while its tasks stop, then the finalizer goes and
// garbage collection removes the children.
func (r *ServiceReconciler) drain(ctx context.Context, svc *ecsv1.Service) error {
	if !controllerutil.ContainsFinalizer(svc, ecsv1.Finalizer) {
		return nil
	}
	if svc.Status.Status != ecsv1.ServiceDraining {
		r.Recorder.Eventf(svc, nil, corev1.EventTypeNormal, ReasonDraining, "Delete", "(service %s) is draining.", svc.Name)
	}
	svc.Status.Status = ecsv1.ServiceDraining
	setReconciling(&svc.Status.Conditions, svc.Generation, ReasonDraining, "stopping the service's tasks")
	deployments := &appsv1.DeploymentList{}
	if err := r.List(ctx, deployments, client.InNamespace(svc.Namespace), client.MatchingLabels(serviceSelector(svc))); err != nil {
		return err
	}
	for i := range deployments.Items {
		d := &deployments.Items[i]
		if ptr.Deref(d.Spec.Replicas, 1) == 0 {
			continue
		}
		patch := client.MergeFrom(d.DeepCopy())
		d.Spec.Replicas = ptr.To[int32](0)
		if err := r.Patch(ctx, d, patch); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("scaling %s to 0: %w", d.Name, err)
		}
	}
	if err := r.deleteStale(ctx, svc, &appsv1.DaemonSetList{}, nil); err != nil {
		return err
	}
	pods, err := r.servicePods(ctx, svc)
	if err != nil {
		return err
	}
	running := slices.ContainsFunc(pods, func(p corev1.Pod) bool {
		return p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed
	})
	svc.Status.RunningCount, svc.Status.PendingCount = 0, 0
	for i := range pods {
		if podReady(&pods[i]) {
			svc.Status.RunningCount++
		} else {
			svc.Status.PendingCount++
		}
	}
	if running {
		return nil // the Pod watch brings the Service back as tasks stop
	}
	svc.Status.Status = ecsv1.ServiceInactive
	if err := r.Status().Update(ctx, svc); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return removeFinalizer(ctx, r.Client, svc)
}

// stall reports a problem only the user can fix, once, as a Stalled condition and an event.
func (r *ServiceReconciler) stall(svc *ecsv1.Service, reason, msg string) {
	if !isStalledWith(svc.Status.Conditions, reason) || conditionMessage(svc.Status.Conditions, ecsv1.ConditionStalled) != msg {
		r.Recorder.Eventf(svc, nil, corev1.EventTypeWarning, reason, "Reconcile", "%s", msg)
	}
	setStalled(&svc.Status.Conditions, svc.Generation, reason, msg)
}

// setUnsupported keeps the UnsupportedSettings condition listing the ECS settings Kubernetes
// cannot honour, and tells the user with an event when that list changes.
func (r *ServiceReconciler) setUnsupported(svc *ecsv1.Service, notes []string, after *[]func()) {
	if len(notes) == 0 {
		meta.RemoveStatusCondition(&svc.Status.Conditions, conditionUnsupported)
		return
	}
	sort.Strings(notes)
	msg := strings.Join(slices.Compact(notes), "; ")
	if conditionMessage(svc.Status.Conditions, conditionUnsupported) != msg {
		*after = append(*after, func() {
			r.Recorder.Eventf(svc, nil, corev1.EventTypeWarning, "UnsupportedSettings", "Translate", "%s", msg)
		})
	}
	setCondition(&svc.Status.Conditions, svc.Generation, conditionUnsupported, metav1.ConditionTrue, "NotExpressible", msg)
}

// nodeLabelValues returns, for the translation's memberOf regular expressions, the values a
// node label has across the cluster's nodes.
func (r *ServiceReconciler) nodeLabelValues(ctx context.Context) (func(string) []string, error) {
	return nodeLabelValues(ctx, r.Client)
}

// taskChanges reports the tasks started and stopped since the last reconcile, and the
// essential containers whose exit restarted a task in place, as ECS reports stopped tasks.
//
// It returns the messages and a function that remembers the tasks seen, to call once the
// messages are recorded.
func (r *ServiceReconciler) taskChanges(svc *ecsv1.Service, pods []corev1.Pod) ([]string, func()) {
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
				started = append(started, "(task "+name+")")
			}
		}
		sort.Strings(started)
		if len(started) == 0 {
			return nil, commit
		}
		return []string{fmt.Sprintf("(service %s) has started %d tasks: %s.", svc.Name, len(started), strings.Join(started, " "))}, commit
	}
	for name, restarts := range current {
		prev, ok := before[name]
		switch {
		case !ok:
			started = append(started, "(task "+name+")")
		case restarts > prev:
			if msg := essentialExit(byName[name]); msg != "" {
				exits = append(exits, fmt.Sprintf("(service %s) (task %s) %s; the task was restarted in place.", svc.Name, name, msg))
			}
		}
	}
	for name := range before {
		if _, ok := current[name]; !ok {
			stopped = append(stopped, "(task "+name+")")
		}
	}
	sort.Strings(started)
	sort.Strings(stopped)
	sort.Strings(exits)
	var msgs []string
	if len(stopped) > 0 {
		msgs = append(msgs, fmt.Sprintf("(service %s) has stopped %d running tasks: %s.", svc.Name, len(stopped), strings.Join(stopped, " ")))
	}
	msgs = append(msgs, exits...)
	if len(started) > 0 {
		msgs = append(msgs, fmt.Sprintf("(service %s) has started %d tasks: %s.", svc.Name, len(started), strings.Join(started, " ")))
	}
	return msgs, commit
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
	essential := essentialContainers(pod)
	names := ecsContainerNames(pod)
	for _, cs := range slices.Concat(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses) {
		if t := cs.LastTerminationState.Terminated; t != nil && essential[cs.Name] && cs.RestartCount > 0 {
			return fmt.Sprintf("Essential container in task exited: %s exited with code %d", ecsName(names, cs.Name), t.ExitCode)
		}
	}
	return ""
}

func (r *ServiceReconciler) forget(key types.NamespacedName) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.seen, key)
}

// eventReasons name the kinds of ECS service messages, most specific first. Each kind gets its
// own Kubernetes Event reason: the events library merges Events of one object with the same
// reason and action into a series that keeps the first note, so one reason for all would
// show "deployment completed" and hide the "steady state" that follows it.
var eventReasons = []struct{ substr, reason string }{
	{"has reached a steady state", "SteadyState"},
	{"deployment completed", "DeploymentCompleted"},
	{"deployment failed", "DeploymentFailed"},
	{"rolling back to deployment", "RollingBack"},
	{"has started", "TasksStarted"},
	{"has stopped", "TasksStopped"},
	{"was unable to place a task", "UnableToPlaceTask"},
	{"failed to launch a task", "FailedToLaunchTask"},
	{"is unable to consistently start tasks", "UnableToStartTasks"},
	{"the task was restarted in place", "TaskRestarted"},
}

func eventReason(msg string) string {
	for _, r := range eventReasons {
		if strings.Contains(msg, r.substr) {
			return r.reason
		}
	}
	return "ServiceEvent"
}

func eventType(msg string) string {
	if strings.Contains(msg, "unable") || strings.Contains(msg, "failed") {
		return corev1.EventTypeWarning
	}
	return corev1.EventTypeNormal
}

// SetupWithManager watches Services, their children, their Pods, the TaskDefinitions they run
// (a new latest revision rolls out every Service that follows the family) and their Cluster.
func (r *ServiceReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	r.started = r.Clock.Now()
	return ctrl.NewControllerManagedBy(mgr).
		For(&ecsv1.Service{}).
		Owns(&appsv1.Deployment{}).
		Owns(&appsv1.DaemonSet{}).
		Owns(&policyv1.PodDisruptionBudget{}).
		Owns(&corev1.Service{}).
		Owns(&autoscalingv2.HorizontalPodAutoscaler{}).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(serviceOfPod)).
		Watches(&ecsv1.TaskDefinition{}, handler.EnqueueRequestsFromMapFunc(r.servicesOfTaskDefinition)).
		Watches(&appsv1.ControllerRevision{}, handler.EnqueueRequestsFromMapFunc(r.servicesOfRevision)).
		Watches(&corev1.Node{}, handler.EnqueueRequestsFromMapFunc(r.stalledServices), builder.WithPredicates(nodeLabelsChanged)).
		Watches(&ecsv1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.servicesOfCluster)).
		Named("service").
		Complete(r)
}

// serviceOfPod maps a task Pod to its Service.
func serviceOfPod(_ context.Context, o client.Object) []reconcile.Request {
	name, ok := o.GetAnnotations()[annotationServiceName]
	if !ok {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: name}}}
}

func (r *ServiceReconciler) servicesOfTaskDefinition(ctx context.Context, o client.Object) []reconcile.Request {
	td := o.(*ecsv1.TaskDefinition)
	list := &ecsv1.ServiceList{}
	if err := r.List(ctx, list, client.MatchingFields{indexTaskDefinitionRef: td.Namespace + "/" + effectiveFamily(td)}); err != nil {
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, s := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&s)})
	}
	return reqs
}

// servicesOfRevision maps a newly registered revision to the Services of its family: the
// TaskDefinition's status may reach the cache before the revision does.
func (r *ServiceReconciler) servicesOfRevision(ctx context.Context, o client.Object) []reconcile.Request {
	family, ok := o.GetLabels()[ecsv1.LabelFamily]
	if !ok {
		return nil
	}
	return r.servicesWithRef(ctx, o.GetNamespace()+"/"+family)
}

func (r *ServiceReconciler) servicesWithRef(ctx context.Context, key string) []reconcile.Request {
	list := &ecsv1.ServiceList{}
	if err := r.List(ctx, list, client.MatchingFields{indexTaskDefinitionRef: key}); err != nil {
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, s := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&s)})
	}
	return reqs
}

// stalledServices maps a node change to the Services whose spec could not be placed, so that
// memberOf expressions are expanded again against the new node labels.
func (r *ServiceReconciler) stalledServices(ctx context.Context, _ client.Object) []reconcile.Request {
	list := &ecsv1.ServiceList{}
	if err := r.List(ctx, list); err != nil {
		return nil
	}
	var reqs []reconcile.Request
	for _, s := range list.Items {
		if isStalledWith(s.Status.Conditions, ReasonInvalidSpec) {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&s)})
		}
	}
	return reqs
}

func (r *ServiceReconciler) servicesOfCluster(ctx context.Context, o client.Object) []reconcile.Request {
	list := &ecsv1.ServiceList{}
	if err := r.List(ctx, list, client.InNamespace(clusterNamespace(o.(*ecsv1.Cluster)))); err != nil {
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, s := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&s)})
	}
	return reqs
}
