package controllers

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/metrics"
)

// +kubebuilder:rbac:groups=ecs.operator.dev,resources=clusters/status,verbs=get;update;patch

// ClusterCountsReconciler keeps a Cluster's activeServicesCount, runningTasksCount and
// pendingTasksCount current from the Services and Tasks in its namespace, as DescribeClusters
// reports them. It writes only those status fields.
type ClusterCountsReconciler struct {
	client.Client
}

// clusterCounts are a Cluster's counts.
type clusterCounts struct {
	ActiveServices, Running, Pending int32
}

// computeClusterCounts counts ACTIVE Services, and the running and pending tasks of Services
// and standalone Tasks.
func computeClusterCounts(services []ecsv1.Service, tasks []ecsv1.Task) clusterCounts {
	var c clusterCounts
	for _, s := range services {
		if s.Status.Status == ecsv1.ServiceActive && s.DeletionTimestamp.IsZero() {
			c.ActiveServices++
		}
		c.Running += s.Status.RunningCount
		c.Pending += s.Status.PendingCount
	}
	for _, t := range tasks {
		switch t.Status.LastStatus {
		case ecsv1.TaskRunning:
			c.Running++
		case ecsv1.TaskProvisioning, ecsv1.TaskPending, ecsv1.TaskActivating:
			c.Pending++
		}
	}
	return c
}

// Reconcile recounts one Cluster.
func (r *ClusterCountsReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cluster := &ecsv1.Cluster{}
	if err := r.Get(ctx, req.NamespacedName, cluster); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.ForgetCluster(req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	ns := clusterNamespace(cluster)
	services := &ecsv1.ServiceList{}
	if err := r.List(ctx, services, client.InNamespace(ns)); err != nil {
		return ctrl.Result{}, fmt.Errorf("listing services: %w", err)
	}
	tasks := &ecsv1.TaskList{}
	if err := r.List(ctx, tasks, client.InNamespace(ns)); err != nil {
		return ctrl.Result{}, fmt.Errorf("listing tasks: %w", err)
	}
	c := computeClusterCounts(services.Items, tasks.Items)
	metrics.RecordCluster(cluster.Name, c.ActiveServices, c.Running, c.Pending)
	st := cluster.Status
	if st.ActiveServicesCount == c.ActiveServices && st.RunningTasksCount == c.Running &&
		st.PendingTasksCount == c.Pending && st.Namespace == ns {
		return ctrl.Result{}, nil
	}
	cluster.Status.ActiveServicesCount, cluster.Status.RunningTasksCount, cluster.Status.PendingTasksCount = c.ActiveServices, c.Running, c.Pending
	cluster.Status.Namespace = ns
	// An update (not a merge patch) writes zero counts too, and its resourceVersion keeps it
	// from overwriting a newer status.
	if err := r.Status().Update(ctx, cluster); err != nil {
		return ctrl.Result{}, fmt.Errorf("updating counts: %w", err)
	}
	return ctrl.Result{}, nil
}

// SetupWithManager recounts a Cluster when a Service or Task of its namespace changes.
func (r *ClusterCountsReconciler) SetupWithManager(mgr ctrl.Manager) error {
	toCluster := handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		list := &ecsv1.ClusterList{}
		if err := r.List(ctx, list, client.MatchingFields{indexClusterNamespace: o.GetNamespace()}); err != nil {
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(list.Items))
		for _, c := range list.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&c)})
		}
		return reqs
	})
	return ctrl.NewControllerManagedBy(mgr).
		For(&ecsv1.Cluster{}).
		Watches(&ecsv1.Service{}, toCluster).
		Watches(&ecsv1.Task{}, toCluster).
		Named("cluster-counts").
		Complete(r)
}
