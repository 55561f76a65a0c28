package service

import (
	"context"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	appsv1 "k8s.io/api/apps/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

// SetupWithManager watches Services, their children, their task Pods, the task definition
// revisions they run and their Cluster, each only for the changes the Service reads: a status
// write — the Service's own, or a child's by its controller — wakes nothing.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	r.started = r.Clock.Now()
	b := ctrl.NewControllerManagedBy(mgr)
	if r.AlarmEvents != nil {
		b = b.WatchesRawSource(source.Channel(r.AlarmEvents, &handler.TypedEnqueueRequestForObject[*ecsv1.Service]{}))
	}
	return b.
		For(&ecsv1.Service{}, builder.WithPredicates(shared.SpecOrMetadataChanged)).
		Owns(&appsv1.Deployment{}, builder.WithPredicates(shared.ChildChanged(launchFailureChanged))).
		Owns(&appsv1.DaemonSet{}, builder.WithPredicates(shared.ChildChanged(daemonCountChanged))).
		Owns(&policyv1.PodDisruptionBudget{}, builder.WithPredicates(shared.ChildChanged(nil))).
		Owns(&corev1.Service{}, builder.WithPredicates(shared.ChildChanged(nil))).
		Owns(&autoscalingv2.HorizontalPodAutoscaler{}, builder.WithPredicates(shared.ChildChanged(nil))).
		Owns(&rbacv1.Role{}, builder.WithPredicates(shared.ChildChanged(nil))).
		Owns(&rbacv1.RoleBinding{}, builder.WithPredicates(shared.ChildChanged(nil))).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(serviceOfPod)).
		Watches(&ecsv1.TaskDefinition{}, handler.EnqueueRequestsFromMapFunc(r.servicesOfTaskDefinition), builder.WithPredicates(shared.CreateOrDelete)).
		Watches(&appsv1.ControllerRevision{}, handler.EnqueueRequestsFromMapFunc(r.servicesOfRevision), builder.WithPredicates(shared.CreateOrDelete)).
		Watches(&ecsv1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.servicesOfCluster), builder.WithPredicates(translatedClusterFieldsChanged)).
		Watches(&ecsv1.TaskSet{}, handler.EnqueueRequestsFromMapFunc(serviceOfTaskSet)).
		Named("service").
		Complete(r)
}

// launchFailureChanged: a Deployment's ReplicaFailure condition is the Service's "failed to
// launch a task" event, and its settling ends the Service's deployment.
func launchFailureChanged(old, new client.Object) bool {
	o, n := old.(*appsv1.Deployment), new.(*appsv1.Deployment)
	return !equality.Semantic.DeepEqual(replicaFailure(o), replicaFailure(n)) ||
		deploymentSettled(o) != deploymentSettled(n) // and a rollout's end completes the deployment
}

// daemonCountChanged: a DaemonSet's node count is a DAEMON Service's desired count.
func daemonCountChanged(old, new client.Object) bool {
	o, n := old.(*appsv1.DaemonSet), new.(*appsv1.DaemonSet)
	return o.Status.DesiredNumberScheduled != n.Status.DesiredNumberScheduled || o.Status.ObservedGeneration != n.Status.ObservedGeneration
}

// translatedClusterFieldsChanged lets through Cluster changes to what a Service's tasks are
// translated from; the Cluster's counts and conditions are none of them.
var translatedClusterFieldsChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, n := e.ObjectOld.(*ecsv1.Cluster), e.ObjectNew.(*ecsv1.Cluster)
		return !equality.Semantic.DeepEqual(o.Spec.CapacityProviders, n.Spec.CapacityProviders) ||
			!equality.Semantic.DeepEqual(o.Spec.DefaultCapacityProviderStrategy, n.Spec.DefaultCapacityProviderStrategy) ||
			o.Spec.Tenant != n.Spec.Tenant || o.Spec.PodSecurity != n.Spec.PodSecurity ||
			shared.ClusterNamespace(o) != shared.ClusterNamespace(n)
	},
}

// serviceOfTaskSet maps a TaskSet to its Service, which reports its task sets.
func serviceOfTaskSet(_ context.Context, o client.Object) []reconcile.Request {
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: o.(*ecsv1.TaskSet).Spec.Service}}}
}

// serviceOfPod maps a task Pod to its Service.
func serviceOfPod(_ context.Context, o client.Object) []reconcile.Request {
	name, ok := o.GetAnnotations()[annotationServiceName]
	if !ok {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: name}}}
}

func (r *Reconciler) servicesOfTaskDefinition(ctx context.Context, o client.Object) []reconcile.Request {
	td := o.(*ecsv1.TaskDefinition)
	list := &ecsv1.ServiceList{}
	if err := r.List(ctx, list, client.MatchingFields{shared.IndexTaskDefinitionRef: td.Namespace + "/" + shared.EffectiveFamily(td)}); err != nil {
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
func (r *Reconciler) servicesOfRevision(ctx context.Context, o client.Object) []reconcile.Request {
	family, ok := o.GetLabels()[ecsv1.LabelFamily]
	if !ok {
		return nil
	}
	return r.servicesWithRef(ctx, o.GetNamespace()+"/"+family)
}

func (r *Reconciler) servicesWithRef(ctx context.Context, key string) []reconcile.Request {
	list := &ecsv1.ServiceList{}
	if err := r.List(ctx, list, client.MatchingFields{shared.IndexTaskDefinitionRef: key}); err != nil {
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, s := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&s)})
	}
	return reqs
}

func (r *Reconciler) servicesOfCluster(ctx context.Context, o client.Object) []reconcile.Request {
	list := &ecsv1.ServiceList{}
	if err := r.List(ctx, list, client.InNamespace(shared.ClusterNamespace(o.(*ecsv1.Cluster)))); err != nil {
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, s := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&s)})
	}
	return reqs
}
