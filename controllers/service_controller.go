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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
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

	// seen remembers each Service's task Pods between reconciles, to report the tasks it
	// started and stopped as ECS does. It starts empty after a restart, when nothing is
	// reported for the tasks already running.
	mu   sync.Mutex
	seen map[types.NamespacedName]map[string]bool
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
	defer func() {
		if err == nil {
			svc.Status.ObservedGeneration = svc.Generation
		}
		if equality.Semantic.DeepEqual(original.Status, svc.Status) {
			return
		}
		if perr := r.Status().Patch(ctx, svc, client.MergeFrom(original)); perr != nil && err == nil {
			err = fmt.Errorf("patching status: %w", perr)
		}
		if d := svc.Status.Deployments; len(d) > 0 {
			metrics.RecordService(svc.Namespace, svc.Name, svc.Status.DesiredCount, svc.Status.RunningCount, svc.Status.PendingCount, string(d[0].RolloutState))
		}
	}()

	if !svc.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.drain(ctx, svc)
	}
	if !controllerutil.ContainsFinalizer(svc, ecsv1.Finalizer) {
		// The finalizer lets a deleted Service drain (DRAINING) before its children go.
		patch := client.MergeFrom(svc.DeepCopy())
		controllerutil.AddFinalizer(svc, ecsv1.Finalizer)
		if err := r.Patch(ctx, svc, patch); err != nil {
			return ctrl.Result{}, fmt.Errorf("adding finalizer: %w", err)
		}
	}

	resolved, err := resolveTaskDefinition(ctx, r, svc.Namespace, string(svc.Spec.TaskDefinition))
	var refErr *referenceError
	switch {
	case errors.As(err, &refErr):
		r.stall(svc, ReasonTaskDefinitionMiss, refErr.Error())
		return ctrl.Result{}, nil
	case errors.Is(err, errRevisionPending):
		setReconciling(&svc.Status.Conditions, svc.Generation, ReasonProgressing, "waiting for task definition "+string(svc.Spec.TaskDefinition)+" to be registered")
		return ctrl.Result{}, nil
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
		r.stall(svc, ReasonInvalidSpec, plan.stalled)
		return ctrl.Result{}, nil
	}

	desired, problems, err := r.applyChildren(ctx, svc, plan)
	if err != nil {
		return ctrl.Result{}, err
	}

	status, messages := computeServiceStatus(svc, svc.Status, serviceObservation{
		Now:            r.Clock.Now(),
		Desired:        desired,
		Primary:        plan.primary,
		Pods:           pods,
		CircuitBreaker: circuitBreaker(svc),
		Problems:       problems,
	})
	status.Selector = labels.SelectorFromSet(serviceSelector(svc)).String()
	messages = append(messages, r.taskChanges(svc, pods)...)
	status.Events = addServiceEvents(svc.Status.Events, messages, r.Clock.Now())
	for _, msg := range messages {
		r.Recorder.Eventf(svc, nil, eventType(msg), "ServiceEvent", "Reconcile", "%s", msg)
	}
	if status.Deployments[0].RolloutState == ecsv1.RolloutFailed && !primaryFailed(svc.Status) {
		metrics.CircuitBreakerTripped(svc.Namespace, svc.Name)
	}
	if plan.rollbackFrom != "" {
		metrics.RolledBack(svc.Namespace, svc.Name)
		msg := fmt.Sprintf("(service %s) rolling back to deployment %s.", svc.Name, deploymentID(svc, plan.primary))
		status.Events = addServiceEvents(status.Events, []string{msg}, r.Clock.Now())
		r.Recorder.Eventf(svc, nil, corev1.EventTypeWarning, "ServiceEvent", "Rollback", "%s", msg)
	}
	svc.Status = status
	// A circuit breaker that just tripped with rollback enabled rolls back right away.
	if needsRollback(svc) {
		return ctrl.Result{RequeueAfter: time.Millisecond}, nil
	}
	return ctrl.Result{}, nil
}

// deploymentPlan is what the Service should run.
type deploymentPlan struct {
	primary      deploymentKey
	spec         *ecsv1.TaskDefinitionSpec
	family       string
	revision     int64
	rollbackFrom string
	paused       bool
	stalled      string
	cluster      *ecsv1.Cluster
}

// planDeployment decides the revision the PRIMARY deployment runs: the one the spec names,
// unless the circuit breaker failed it — then, with rollback, the last completed one.
func (r *ServiceReconciler) planDeployment(ctx context.Context, svc *ecsv1.Service, resolved *resolvedRevision, pods []corev1.Pod) (*deploymentPlan, error) {
	token := svc.Annotations[ecsv1.AnnotationForceNewDeployment]
	wanted := deploymentKey{TaskDefinition: resolved.String(), Token: token}
	plan := &deploymentPlan{primary: wanted, spec: resolved.Spec, family: resolved.Family, revision: resolved.Number}

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
	rolledBack, err := resolveTaskDefinition(ctx, r, svc.Namespace, target)
	if err != nil {
		var refErr *referenceError
		if errors.As(err, &refErr) {
			plan.paused = true
			return plan, nil
		}
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

// needsRollback is true when the PRIMARY deployment has just failed with rollback enabled.
func needsRollback(svc *ecsv1.Service) bool {
	cb := circuitBreaker(svc)
	if cb == nil || !cb.Rollback || len(svc.Status.Deployments) == 0 {
		return false
	}
	primary := svc.Status.Deployments[0]
	return primary.RolloutState == ecsv1.RolloutFailed && rollbackTarget(svc, deploymentKey{TaskDefinition: primary.TaskDefinition}) != ""
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

// applyChildren writes the Service's workloads and companions and removes the ones it no
// longer needs. It returns the number of tasks the Service wants and the problems to report.
func (r *ServiceReconciler) applyChildren(ctx context.Context, svc *ecsv1.Service, plan *deploymentPlan) (int32, []string, error) {
	var problems []string
	providers, err := capacityShares(svc, plan.cluster)
	if err != nil {
		return 0, nil, err
	}
	maximum, minimumHealthy := percentages(svc)

	templates := map[string]translate.Output{}
	for _, share := range providers {
		out, err := translate.PodTemplate(r.translateInput(svc, plan, share.provider))
		if err != nil {
			return 0, []string{err.Error()}, nil
		}
		out.Template.Annotations = mergeLabels(out.Template.Annotations, map[string]string{
			ecsv1.AnnotationTaskDefinition:     plan.primary.TaskDefinition,
			ecsv1.AnnotationForceNewDeployment: plan.primary.Token,
		})
		templates[share.name] = out
		problems = append(problems, out.Unsupported...)
		out.Template.Annotations[annotationEssential] = essentialAnnotation(plan.spec)
		if err := applyTaskSupport(ctx, r.Client, r.Scheme, svc.Namespace, out); err != nil {
			return 0, nil, err
		}
	}
	// Unsupported settings are reported as events, not as a reason to stop.
	if len(problems) > 0 {
		r.reportUnsupported(svc, problems)
		problems = nil
	}

	var desired int32
	if svc.Spec.SchedulingStrategy == ecsv1.SchedulingDaemon {
		ds := desiredDaemonSet(svc, templates[providers[0].name].Template, maximum, minimumHealthy)
		current := &appsv1.DaemonSet{}
		var cur client.Object
		switch err := r.Get(ctx, client.ObjectKeyFromObject(ds), current); {
		case err == nil:
			cur = current
			desired = current.Status.DesiredNumberScheduled
		case !apierrors.IsNotFound(err):
			return 0, nil, err
		}
		if err := apply(ctx, r.Client, r.Scheme, ds, cur); err != nil {
			return 0, nil, err
		}
		if err := r.deleteStale(ctx, svc, &appsv1.DeploymentList{}, nil); err != nil {
			return 0, nil, err
		}
		if err := r.deleteStale(ctx, svc, &policyv1.PodDisruptionBudgetList{}, nil); err != nil {
			return 0, nil, err
		}
	} else {
		desired = ptr.Deref(svc.Spec.DesiredCount, 0)
		rollout, rerr := translate.RollingUpdateFor(desired, maximum, minimumHealthy)
		keep := map[string]bool{}
		for _, share := range providers {
			w := serviceWorkload{Name: share.name, CapacityProvider: share.label, Replicas: share.count(desired), Template: templates[share.name].Template}
			current := &appsv1.Deployment{}
			err := r.Get(ctx, client.ObjectKey{Namespace: svc.Namespace, Name: w.Name}, current)
			if err != nil && !apierrors.IsNotFound(err) {
				return 0, nil, err
			}
			exists := err == nil
			if rerr != nil {
				// ECS refuses to deploy; keep the running revision and scale only.
				if exists && current.Spec.Template.Annotations[ecsv1.AnnotationTaskDefinition] != plan.primary.TaskDefinition {
					w.Template = current.Spec.Template
					problems = append(problems, fmt.Sprintf("(service %s) %s", svc.Name, rerr.Error()))
				}
				rollout = translate.RollingUpdate{MaxSurge: 1}
			}
			d := desiredDeployment(svc, w, rollout)
			d.Spec.Paused = plan.paused
			var cur client.Object
			if exists {
				cur = current
			}
			if err := apply(ctx, r.Client, r.Scheme, d, cur); err != nil {
				return 0, nil, err
			}
			keep[w.Name] = true
		}
		if err := r.deleteStale(ctx, svc, &appsv1.DeploymentList{}, keep); err != nil {
			return 0, nil, err
		}
		if err := r.deleteStale(ctx, svc, &appsv1.DaemonSetList{}, nil); err != nil {
			return 0, nil, err
		}
		if pdb := desiredPodDisruptionBudget(svc, desired, minimumHealthy); pdb != nil {
			if err := r.applyChild(ctx, pdb, &policyv1.PodDisruptionBudget{}); err != nil {
				return 0, nil, err
			}
			if err := r.deleteStale(ctx, svc, &policyv1.PodDisruptionBudgetList{}, map[string]bool{pdb.Name: true}); err != nil {
				return 0, nil, err
			}
		} else if err := r.deleteStale(ctx, svc, &policyv1.PodDisruptionBudgetList{}, nil); err != nil {
			return 0, nil, err
		}
	}

	services := desiredPortServices(svc, plan.spec)
	connect, connectProblems := desiredServiceConnectServices(svc, plan.spec)
	if len(connectProblems) > 0 {
		r.reportUnsupported(svc, connectProblems)
	}
	keepServices := map[string]bool{}
	for _, s := range append(services, connect...) {
		if keepServices[s.Name] {
			continue
		}
		if err := r.applyChild(ctx, s, &corev1.Service{}); err != nil {
			return 0, nil, err
		}
		keepServices[s.Name] = true
	}
	if err := r.deleteStale(ctx, svc, &corev1.ServiceList{}, keepServices); err != nil {
		return 0, nil, err
	}

	if hpa := desiredHorizontalPodAutoscaler(svc); hpa != nil {
		if err := r.applyChild(ctx, hpa, &autoscalingv2.HorizontalPodAutoscaler{}); err != nil {
			return 0, nil, err
		}
	} else if err := r.deleteStale(ctx, svc, &autoscalingv2.HorizontalPodAutoscalerList{}, nil); err != nil {
		return 0, nil, err
	}
	return desired, problems, nil
}

// applyChild applies desired, reading the current object first so an unchanged one is skipped.
// It refuses to take over an object that another owner controls.
func (r *ServiceReconciler) applyChild(ctx context.Context, desired, current client.Object) error {
	err := r.Get(ctx, client.ObjectKeyFromObject(desired), current)
	switch {
	case apierrors.IsNotFound(err):
		return apply(ctx, r.Client, r.Scheme, desired, nil)
	case err != nil:
		return err
	}
	if owner := metav1.GetControllerOf(current); owner != nil && len(desired.GetOwnerReferences()) > 0 && owner.UID != desired.GetOwnerReferences()[0].UID {
		return nil
	}
	return apply(ctx, r.Client, r.Scheme, desired, current)
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
		CapacityProvider:              provider,
		PlacementConstraints:          svc.Spec.PlacementConstraints,
		PlacementStrategy:             svc.Spec.PlacementStrategy,
		SelectorLabels:                serviceSelector(svc),
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
// weight, one Deployment each.
func capacityShares(svc *ecsv1.Service, cluster *ecsv1.Cluster) ([]providerShare, error) {
	all := func(int32) int32 { return ptr.Deref(svc.Spec.DesiredCount, 0) }
	if cluster == nil {
		return []providerShare{{name: svc.Name, count: all}}, nil
	}
	byName := map[string]*ecsv1.CapacityProvider{}
	for i := range cluster.Spec.CapacityProviders {
		byName[cluster.Spec.CapacityProviders[i].Name] = &cluster.Spec.CapacityProviders[i]
	}
	if lt := svc.Spec.LaunchType; lt != "" {
		for i := range cluster.Spec.CapacityProviders {
			p := &cluster.Spec.CapacityProviders[i]
			if string(p.Type) == string(lt) {
				return []providerShare{{name: svc.Name, provider: p, count: all}}, nil
			}
		}
		return []providerShare{{name: svc.Name, count: all}}, nil
	}
	strategy := svc.Spec.CapacityProviderStrategy
	if len(strategy) == 0 {
		strategy = cluster.Spec.DefaultCapacityProviderStrategy
	}
	if len(strategy) == 0 {
		return []providerShare{{name: svc.Name, count: all}}, nil
	}
	if len(strategy) == 1 || svc.Spec.SchedulingStrategy == ecsv1.SchedulingDaemon {
		return []providerShare{{name: svc.Name, provider: byName[strategy[0].CapacityProvider], count: all}}, nil
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
	if _, err := translate.SplitTasks(strategy, ptr.Deref(svc.Spec.DesiredCount, 0)); err != nil {
		return nil, err
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
	patch := client.MergeFrom(svc.DeepCopy())
	controllerutil.RemoveFinalizer(svc, ecsv1.Finalizer)
	if err := r.Patch(ctx, svc, patch); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("removing finalizer: %w", err)
	}
	return nil
}

// stall reports a problem only the user can fix, once, as a Stalled condition and an event.
func (r *ServiceReconciler) stall(svc *ecsv1.Service, reason, msg string) {
	if !isStalledWith(svc.Status.Conditions, reason) || conditionMessage(svc.Status.Conditions, ecsv1.ConditionStalled) != msg {
		r.Recorder.Eventf(svc, nil, corev1.EventTypeWarning, reason, "Reconcile", "%s", msg)
	}
	setStalled(&svc.Status.Conditions, svc.Generation, reason, msg)
}

// reportUnsupported tells the user, once per distinct set, which ECS settings Kubernetes cannot
// honour.
func (r *ServiceReconciler) reportUnsupported(svc *ecsv1.Service, notes []string) {
	sort.Strings(notes)
	msg := strings.Join(slices.Compact(notes), "; ")
	if conditionMessage(svc.Status.Conditions, conditionUnsupported) == msg {
		return
	}
	r.Recorder.Eventf(svc, nil, corev1.EventTypeWarning, "UnsupportedSettings", "Translate", "%s", msg)
	setCondition(&svc.Status.Conditions, svc.Generation, conditionUnsupported, metav1.ConditionTrue, "NotExpressible", msg)
}

// taskChanges reports the tasks started and stopped since the last reconcile, as ECS does.
func (r *ServiceReconciler) taskChanges(svc *ecsv1.Service, pods []corev1.Pod) []string {
	key := client.ObjectKeyFromObject(svc)
	current := map[string]bool{}
	for _, p := range pods {
		if p.DeletionTimestamp.IsZero() && p.Status.Phase != corev1.PodFailed && p.Status.Phase != corev1.PodSucceeded {
			current[p.Name] = true
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[types.NamespacedName]map[string]bool{}
	}
	before, known := r.seen[key]
	r.seen[key] = current
	if !known {
		return nil
	}
	var started, stopped []string
	for name := range current {
		if !before[name] {
			started = append(started, "(task "+name+")")
		}
	}
	for name := range before {
		if !current[name] {
			stopped = append(stopped, "(task "+name+")")
		}
	}
	sort.Strings(started)
	sort.Strings(stopped)
	var msgs []string
	if len(stopped) > 0 {
		msgs = append(msgs, fmt.Sprintf("(service %s) has stopped %d running tasks: %s.", svc.Name, len(stopped), strings.Join(stopped, " ")))
	}
	if len(started) > 0 {
		msgs = append(msgs, fmt.Sprintf("(service %s) has started %d tasks: %s.", svc.Name, len(started), strings.Join(started, " ")))
	}
	return msgs
}

func (r *ServiceReconciler) forget(key types.NamespacedName) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.seen, key)
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
	return ctrl.NewControllerManagedBy(mgr).
		For(&ecsv1.Service{}).
		Owns(&appsv1.Deployment{}).
		Owns(&appsv1.DaemonSet{}).
		Owns(&policyv1.PodDisruptionBudget{}).
		Owns(&corev1.Service{}).
		Owns(&autoscalingv2.HorizontalPodAutoscaler{}).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(serviceOfPod)).
		Watches(&ecsv1.TaskDefinition{}, handler.EnqueueRequestsFromMapFunc(r.servicesOfTaskDefinition)).
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
