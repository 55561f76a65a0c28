package controllers

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
	"github.com/ecs-operator/ecs-operator/internal/metrics"
)

// +kubebuilder:rbac:groups=ecs.operator.dev,resources=clusters,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=ecs.operator.dev,resources=clusters/status;clusters/finalizers,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecs.operator.dev,resources=cellgroups,verbs=get;list;watch
// +kubebuilder:rbac:groups=ecs.operator.dev,resources=services;tasks,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups="",resources=namespaces;resourcequotas;limitranges,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=networking.k8s.io,resources=networkpolicies,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles;rolebindings,verbs=get;list;watch;create;update;patch;delete
// The tenant Role grants what the operator itself does not hold (the tenant's own Secrets and
// ConfigMaps, Pod logs): escalate and bind on that Role alone, by name, rather than the power to
// grant anything in any namespace.
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles,verbs=bind;escalate,resourceNames=ecs-tenant

// ClusterReconciler gives each ECS Cluster its tenant's namespace — labelled for the tenant
// wall and Pod Security, with a ResourceQuota from its quota, a LimitRange, NetworkPolicies that
// isolate the tenant, and RBAC for the tenant's owners — and keeps DescribeClusters' counts.
// Deleting a Cluster deprovisions it: its Services drain, then the namespace goes.
type ClusterReconciler struct {
	client.Client
	Scheme   *runtime.Scheme
	Recorder events.EventRecorder
	// APIReader finds a namespace of the same name that is not this Cluster's.
	APIReader client.Reader
	Applier   *shared.Applier
}

// Reconcile provisions, counts or deprovisions one Cluster.
func (r *ClusterReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	cluster := &ecsv1.Cluster{}
	if err := r.Get(ctx, req.NamespacedName, cluster); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.ForgetCluster(req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	original := cluster.DeepCopy()
	defer func() {
		if err == nil {
			cluster.Status.ObservedGeneration = cluster.Generation
		}
		shared.FinishStatus(ctx, r.Client, cluster, original, &result, &err)
	}()
	ns := shared.ClusterNamespace(cluster)
	cluster.Status.Namespace = ns

	if !cluster.DeletionTimestamp.IsZero() {
		if err := r.deprovision(ctx, cluster); err != nil || cluster.Status.Status != ecsv1.ClusterInactive {
			return ctrl.Result{}, err
		}
		if _, err := shared.PatchStatus(ctx, r.Client, cluster, original); err != nil {
			return ctrl.Result{}, err
		}
		original = cluster.DeepCopy()
		r.Applier.ForgetOwner(cluster.UID)
		return ctrl.Result{}, shared.RemoveFinalizer(ctx, r.Client, cluster)
	}
	if err := shared.AddFinalizer(ctx, r.Client, cluster); err != nil {
		return ctrl.Result{}, err
	}
	if cluster.Status.Status == "" {
		cluster.Status.Status = ecsv1.ClusterProvisioning
	}

	if err := r.Applier.ApplyCached(ctx, desiredNamespace(cluster), &corev1.Namespace{}); err != nil {
		if problem := shared.OwnershipProblem(err); problem != "" {
			r.fail(cluster, problem)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	owners, err := r.tenantOwners(ctx, cluster)
	if err != nil {
		return ctrl.Result{}, err
	}
	if err := r.applyNamespaced(ctx, cluster, owners); err != nil {
		if problem := shared.OwnershipProblem(err); problem != "" {
			r.fail(cluster, problem)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if err := r.applyNodePools(ctx, cluster); err != nil {
		if problem := shared.OwnershipProblem(err); problem != "" {
			r.fail(cluster, problem)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}

	if cluster.Status.Status != ecsv1.ClusterActive {
		r.Recorder.Eventf(cluster, nil, corev1.EventTypeNormal, "ClusterActive", "Provision", "Cluster %s is ACTIVE in namespace %s", cluster.Name, ns)
	}
	cluster.Status.Status = ecsv1.ClusterActive
	shared.SetReady(&cluster.Status.Conditions, cluster.Generation, "the cluster's namespace, quota, policies and RBAC are in place")
	return ctrl.Result{}, nil
}

// applyNamespaced writes the quota, limit range, network policies and tenant RBAC.
func (r *ClusterReconciler) applyNamespaced(ctx context.Context, cluster *ecsv1.Cluster, owners []rbacv1.Subject) error {
	if q := desiredResourceQuota(cluster); q != nil {
		if err := r.Applier.ApplyCached(ctx, q, &corev1.ResourceQuota{}); err != nil {
			return err
		}
	} else if err := r.deleteOwned(ctx, cluster, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: clusterQuotaName}}); err != nil {
		return err
	}
	if err := r.Applier.ApplyCached(ctx, desiredLimitRange(cluster), &corev1.LimitRange{}); err != nil {
		return err
	}
	for _, np := range desiredNetworkPolicies(cluster) {
		if err := r.Applier.ApplyCached(ctx, np, &networkingv1.NetworkPolicy{}); err != nil {
			return err
		}
	}
	if err := r.Applier.ApplyCached(ctx, desiredTenantRole(cluster), &rbacv1.Role{}); err != nil {
		return err
	}
	if rb := desiredTenantRoleBinding(cluster, owners); rb != nil {
		return r.Applier.ApplyCached(ctx, rb, &rbacv1.RoleBinding{})
	}
	return r.deleteOwned(ctx, cluster, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: clusterTenantRoleBinding}})
}

// deleteOwned deletes one of the Cluster's namespaced objects if it is there and the Cluster's.
func (r *ClusterReconciler) deleteOwned(ctx context.Context, cluster *ecsv1.Cluster, o client.Object) error {
	o.SetNamespace(shared.ClusterNamespace(cluster))
	if err := r.Get(ctx, client.ObjectKeyFromObject(o), o); err != nil {
		return client.IgnoreNotFound(err)
	}
	if owner := metav1.GetControllerOf(o); owner == nil || owner.UID != cluster.UID {
		return nil
	}
	return client.IgnoreNotFound(r.Delete(ctx, o))
}

// tenantOwners are the RBAC subjects of the Cluster's tenant in its CellGroup.
func (r *ClusterReconciler) tenantOwners(ctx context.Context, cluster *ecsv1.Cluster) ([]rbacv1.Subject, error) {
	if cluster.Spec.CellGroup == "" {
		return nil, nil
	}
	cg := &ecsv1.CellGroup{}
	if err := r.Get(ctx, client.ObjectKey{Name: cluster.Spec.CellGroup}, cg); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	for _, t := range cg.Spec.Tenants {
		if t.Name == cluster.Spec.Tenant {
			return t.Owners, nil
		}
	}
	return nil, nil
}

// fail marks the Cluster FAILED for a problem only the user can fix.
func (r *ClusterReconciler) fail(cluster *ecsv1.Cluster, msg string) {
	if cluster.Status.Status != ecsv1.ClusterFailed || shared.ConditionMessage(cluster.Status.Conditions, ecsv1.ConditionStalled) != msg {
		r.Recorder.Eventf(cluster, nil, corev1.EventTypeWarning, "ProvisioningFailed", "Provision", "%s", msg)
	}
	cluster.Status.Status = ecsv1.ClusterFailed
	shared.SetStalled(&cluster.Status.Conditions, cluster.Generation, shared.ReasonInvalidSpec, msg)
}

// deprovision drains a deleted Cluster: its Services and Tasks are deleted (Services drain
// their tasks first), then its namespace; the finalizer goes once the namespace is gone.
func (r *ClusterReconciler) deprovision(ctx context.Context, cluster *ecsv1.Cluster) error {
	if !controllerutil.ContainsFinalizer(cluster, ecsv1.Finalizer) {
		return nil
	}
	if cluster.Status.Status == ecsv1.ClusterInactive {
		return nil // drained; the finalizer goes
	}
	if cluster.Status.Status != ecsv1.ClusterDeprovisioning {
		r.Recorder.Eventf(cluster, nil, corev1.EventTypeNormal, "Deprovisioning", "Delete", "Cluster %s is deprovisioning", cluster.Name)
	}
	cluster.Status.Status = ecsv1.ClusterDeprovisioning
	ns := shared.ClusterNamespace(cluster)
	services := &ecsv1.ServiceList{}
	if err := r.List(ctx, services, client.InNamespace(ns)); err != nil {
		return err
	}
	tasks := &ecsv1.TaskList{}
	if err := r.List(ctx, tasks, client.InNamespace(ns)); err != nil {
		return err
	}
	for i := range services.Items {
		if err := r.Delete(ctx, &services.Items[i]); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting service %s: %w", services.Items[i].Name, err)
		}
	}
	for i := range tasks.Items {
		if err := r.Delete(ctx, &tasks.Items[i]); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting task %s: %w", tasks.Items[i].Name, err)
		}
	}
	if n := len(services.Items) + len(tasks.Items); n > 0 {
		shared.SetReconciling(&cluster.Status.Conditions, cluster.Generation, shared.ReasonDraining,
			fmt.Sprintf("waiting for %d services and %d tasks to stop", len(services.Items), len(tasks.Items)))
		return nil
	}
	// Nothing runs any more: the volumes reserved for the namespace's claims go with it.
	if err := r.deleteVolumes(ctx, ns); err != nil {
		return err
	}
	namespace := &corev1.Namespace{}
	err := r.Get(ctx, client.ObjectKey{Name: ns}, namespace)
	switch {
	case err == nil:
		if owner := metav1.GetControllerOf(namespace); owner != nil && owner.UID == cluster.UID {
			if namespace.DeletionTimestamp.IsZero() {
				if err := r.Delete(ctx, namespace); client.IgnoreNotFound(err) != nil {
					return fmt.Errorf("deleting namespace %s: %w", ns, err)
				}
			}
			shared.SetReconciling(&cluster.Status.Conditions, cluster.Generation, shared.ReasonDraining, "waiting for namespace "+ns+" to be deleted")
			return nil
		}
	case !apierrors.IsNotFound(err):
		return err
	}
	cluster.Status.Status = ecsv1.ClusterInactive
	return nil
}

// deleteVolumes deletes the EFS PersistentVolumes reserved for claims in the Cluster's
// namespace: they are cluster-scoped and have no owner to be collected with. Their file systems
// are not touched (reclaim policy Retain).
func (r *ClusterReconciler) deleteVolumes(ctx context.Context, ns string) error {
	volumes := &corev1.PersistentVolumeList{}
	if err := r.List(ctx, volumes, client.MatchingLabels{shared.LabelClaimNamespace: ns}); err != nil {
		return fmt.Errorf("listing the volumes of namespace %s: %w", ns, err)
	}
	for i := range volumes.Items {
		if err := r.Delete(ctx, &volumes.Items[i]); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting volume %s: %w", volumes.Items[i].Name, err)
		}
	}
	return nil
}

// SetupWithManager watches Clusters, what they own, the deletion of the Services and Tasks a
// deprovisioning Cluster waits for, and the CellGroups that name their tenants' owners. The
// counts are the ClusterCounter's, so a Service's status wakes no Cluster.
func (r *ClusterReconciler) SetupWithManager(mgr ctrl.Manager) error {
	byNamespace := handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		list := &ecsv1.ClusterList{}
		if err := r.List(ctx, list, client.MatchingFields{shared.IndexClusterNamespace: o.GetNamespace()}); err != nil {
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(list.Items))
		for _, c := range list.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&c)})
		}
		return reqs
	})
	ofCellGroup := handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		list := &ecsv1.ClusterList{}
		if err := r.List(ctx, list); err != nil {
			return nil
		}
		var reqs []reconcile.Request
		for _, c := range list.Items {
			if c.Spec.CellGroup == o.GetName() {
				reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&c)})
			}
		}
		return reqs
	})
	return ctrl.NewControllerManagedBy(mgr).
		For(&ecsv1.Cluster{}, builder.WithPredicates(shared.SpecOrMetadataChanged)).
		Owns(&corev1.Namespace{}, builder.WithPredicates(shared.ChildChanged(nil))).
		Owns(&corev1.ResourceQuota{}, builder.WithPredicates(shared.ChildChanged(nil))).
		Owns(&corev1.LimitRange{}, builder.WithPredicates(shared.ChildChanged(nil))).
		Owns(&networkingv1.NetworkPolicy{}, builder.WithPredicates(shared.ChildChanged(nil))).
		Owns(&rbacv1.Role{}, builder.WithPredicates(shared.ChildChanged(nil))).
		Owns(&rbacv1.RoleBinding{}, builder.WithPredicates(shared.ChildChanged(nil))).
		Watches(&ecsv1.Service{}, byNamespace, builder.WithPredicates(shared.DeleteOnly)).
		Watches(&ecsv1.Task{}, byNamespace, builder.WithPredicates(shared.DeleteOnly)).
		Watches(&ecsv1.CellGroup{}, ofCellGroup, builder.WithPredicates(shared.SpecOrMetadataChanged)).
		Named("cluster").
		Complete(r)
}
