package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

// +kubebuilder:rbac:groups=ecs.operator.dev,resources=cellgroups,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=ecs.operator.dev,resources=cellgroups/status;cellgroups/finalizers,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecs.operator.dev,resources=clusters,verbs=get;list;watch;create;update;patch;delete

// CellGroupReconciler gives each tenant of a CellGroup its Cluster,
// tier-<tier>-cell-<cell>-ig-<infraGroup>-<tenant>, from the group's clusterTemplate, and keeps
// the group's counts against its caps. A removed tenant's Cluster is deleted only with
// tenantDeletionPolicy Delete; with Retain (the default) it is let go, as are all the group's
// Clusters when a Retain group is deleted.
type CellGroupReconciler struct {
	client.Client
	Scheme   *runtime.Scheme
	Recorder events.EventRecorder
	Applier  *shared.Applier
}

// Reconcile makes one CellGroup's Clusters match its tenants.
func (r *CellGroupReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	cg := &ecsv1.CellGroup{}
	if err := r.Get(ctx, req.NamespacedName, cg); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	original := cg.DeepCopy()
	defer func() {
		if err == nil {
			cg.Status.ObservedGeneration = cg.Generation
		}
		shared.FinishStatus(ctx, r.Client, cg, original, &result, &err)
	}()

	owned, all, err := r.clusters(ctx, cg)
	if err != nil {
		return ctrl.Result{}, err
	}
	if !cg.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.release(ctx, cg, owned)
	}
	// The finalizer lets a Retain group let its Clusters go before garbage collection would
	// delete them with it.
	if err := shared.AddFinalizer(ctx, r.Client, cg); err != nil {
		return ctrl.Result{}, err
	}

	var problems []string
	wanted := map[string]bool{}
	for _, t := range cg.Spec.Tenants {
		desired := desiredTenantCluster(cg, t.Name)
		wanted[desired.Name] = true
		current := all[desired.Name]
		if current == nil {
			if n, max := tenantClusterCount(all, t.Name), cg.Spec.MaxClustersPerTenant; max > 0 && n >= max {
				problems = append(problems, fmt.Sprintf("tenant %s already has %d clusters, the most maxClustersPerTenant (%d) allows", t.Name, n, max))
				continue
			}
		} else if !r.mayManage(cg, current) {
			problems = append(problems, fmt.Sprintf("Cluster %s exists and belongs to another CellGroup or tenant", desired.Name))
			continue
		}
		var cur client.Object
		if current != nil {
			cur = current
		}
		if err := r.Applier.Apply(ctx, desired, cur); err != nil {
			return ctrl.Result{}, err
		}
	}
	for name, c := range owned {
		if wanted[name] {
			continue
		}
		if err := r.removeTenant(ctx, cg, c); err != nil {
			return ctrl.Result{}, err
		}
	}

	managed := map[string]*ecsv1.Cluster{}
	for name := range wanted {
		if c := all[name]; c != nil && r.mayManage(cg, c) {
			managed[name] = c
		}
	}
	if err := r.applyIngresses(ctx, cg, managed); err != nil {
		return ctrl.Result{}, err
	}

	cg.Status.Clusters = nil
	for _, t := range cg.Spec.Tenants {
		name := tenantClusterName(cg, t.Name)
		entry := ecsv1.CellGroupCluster{Name: name, Tenant: t.Name}
		if c := all[name]; c != nil {
			entry.Status = c.Status.Status
		}
		cg.Status.Clusters = append(cg.Status.Clusters, entry)
	}
	cg.Status.TenantCount = int32(len(cg.Spec.Tenants))
	cg.Status.ClusterCount = int32(len(owned))
	for name := range wanted {
		if _, ok := owned[name]; !ok && all[name] != nil && r.mayManage(cg, all[name]) {
			cg.Status.ClusterCount++
		}
	}
	switch {
	case len(problems) > 0:
		msg := strings.Join(problems, "; ")
		if shared.ConditionMessage(cg.Status.Conditions, ecsv1.ConditionStalled) != msg {
			r.Recorder.Eventf(cg, nil, corev1.EventTypeWarning, "ClusterNotCreated", "Reconcile", "%s", msg)
		}
		shared.SetStalled(&cg.Status.Conditions, cg.Generation, shared.ReasonInvalidSpec, msg)
	case slices.ContainsFunc(cg.Status.Clusters, func(c ecsv1.CellGroupCluster) bool { return c.Status != ecsv1.ClusterActive }):
		shared.SetReconciling(&cg.Status.Conditions, cg.Generation, shared.ReasonProgressing, "waiting for the tenants' clusters to become ACTIVE")
	default:
		shared.SetReady(&cg.Status.Conditions, cg.Generation, fmt.Sprintf("%d of at most %d clusters are ACTIVE", len(cg.Status.Clusters), cg.Spec.MaxClusters))
	}
	return ctrl.Result{}, nil
}

// clusters returns the group's Clusters by name, and every Cluster by name.
func (r *CellGroupReconciler) clusters(ctx context.Context, cg *ecsv1.CellGroup) (map[string]*ecsv1.Cluster, map[string]*ecsv1.Cluster, error) {
	list := &ecsv1.ClusterList{}
	if err := r.List(ctx, list); err != nil {
		return nil, nil, fmt.Errorf("listing clusters: %w", err)
	}
	owned, all := map[string]*ecsv1.Cluster{}, map[string]*ecsv1.Cluster{}
	for i := range list.Items {
		c := &list.Items[i]
		all[c.Name] = c
		if ref := metav1.GetControllerOf(c); ref != nil && ref.UID == cg.UID {
			owned[c.Name] = c
		}
	}
	return owned, all, nil
}

// mayManage says whether the group may write this existing Cluster: its own, or one written
// by hand that names this group and the tenant its name says (adopted).
func (r *CellGroupReconciler) mayManage(cg *ecsv1.CellGroup, c *ecsv1.Cluster) bool {
	if ref := metav1.GetControllerOf(c); ref != nil {
		return ref.UID == cg.UID
	}
	return c.Spec.CellGroup == cg.Name && tenantClusterName(cg, c.Spec.Tenant) == c.Name
}

func tenantClusterCount(all map[string]*ecsv1.Cluster, tenant ecsv1.TenantName) int32 {
	var n int32
	for _, c := range all {
		if c.Spec.Tenant == tenant && c.DeletionTimestamp.IsZero() {
			n++
		}
	}
	return n
}

// removeTenant deletes a removed tenant's Cluster with tenantDeletionPolicy Delete, or lets it
// go (drops the owner reference) with Retain.
func (r *CellGroupReconciler) removeTenant(ctx context.Context, cg *ecsv1.CellGroup, c *ecsv1.Cluster) error {
	if cg.Spec.TenantDeletionPolicy == ecsv1.TenantDeletionDelete {
		r.Recorder.Eventf(cg, c, corev1.EventTypeNormal, "ClusterDeleted", "RemoveTenant", "Deleting cluster %s of removed tenant %s", c.Name, c.Spec.Tenant)
		return client.IgnoreNotFound(r.Delete(ctx, c))
	}
	r.Recorder.Eventf(cg, c, corev1.EventTypeNormal, "ClusterRetained", "RemoveTenant", "Retaining cluster %s of removed tenant %s", c.Name, c.Spec.Tenant)
	return r.orphan(ctx, cg, c)
}

// orphan drops the group's owner reference from a Cluster so that garbage collection leaves it.
func (r *CellGroupReconciler) orphan(ctx context.Context, cg *ecsv1.CellGroup, c *ecsv1.Cluster) error {
	patch := client.MergeFrom(c.DeepCopy())
	c.OwnerReferences = slices.DeleteFunc(c.OwnerReferences, func(ref metav1.OwnerReference) bool { return ref.UID == cg.UID })
	return client.IgnoreNotFound(r.Patch(ctx, c, patch))
}

// release runs when the group is deleted: with Retain its Clusters are let go first, with
// Delete garbage collection deletes them (and they deprovision).
func (r *CellGroupReconciler) release(ctx context.Context, cg *ecsv1.CellGroup, owned map[string]*ecsv1.Cluster) error {
	if !controllerutil.ContainsFinalizer(cg, ecsv1.Finalizer) {
		return nil
	}
	if cg.Spec.TenantDeletionPolicy != ecsv1.TenantDeletionDelete {
		for _, c := range owned {
			if err := r.orphan(ctx, cg, c); err != nil {
				return err
			}
		}
	}
	r.Applier.ForgetOwner(cg.UID)
	return shared.RemoveFinalizer(ctx, r.Client, cg)
}

// SetupWithManager watches CellGroups and their Clusters.
func (r *CellGroupReconciler) SetupWithManager(mgr ctrl.Manager) error {
	// A Service that declares a load balancer changes its group's Ingress.
	groupOfService := handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		cluster, err := shared.ClusterForNamespace(ctx, r.Client, o.GetNamespace())
		if err != nil || cluster == nil || cluster.Spec.CellGroup == "" {
			return nil
		}
		return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: cluster.Spec.CellGroup}}}
	})
	return ctrl.NewControllerManagedBy(mgr).
		For(&ecsv1.CellGroup{}, builder.WithPredicates(shared.SpecOrMetadataChanged)).
		Owns(&ecsv1.Cluster{}, builder.WithPredicates(shared.ChildChanged(clusterStateChanged))).
		Owns(&networkingv1.Ingress{}, builder.WithPredicates(shared.ChildChanged(nil))).
		Watches(&ecsv1.Service{}, groupOfService, builder.WithPredicates(predicate.Or(shared.SpecOrMetadataChanged, trafficSplitChanged))).
		Named("cellgroup").
		Complete(r)
}

// trafficSplitChanged: a Service's LINEAR or CANARY traffic split is in the group's HTTPRoutes.
var trafficSplitChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		ow, oOK := shared.ProductionTrafficSplit(e.ObjectOld.(*ecsv1.Service))
		nw, nOK := shared.ProductionTrafficSplit(e.ObjectNew.(*ecsv1.Service))
		return ow != nw || oOK != nOK
	},
	CreateFunc: func(event.CreateEvent) bool { return false },
	DeleteFunc: func(event.DeleteEvent) bool { return false },
}

// clusterStateChanged: a member Cluster's state (ACTIVE, FAILED, …) is in the group's status;
// its counts are not, so writing them wakes no CellGroup.
func clusterStateChanged(old, new client.Object) bool {
	return old.(*ecsv1.Cluster).Status.Status != new.(*ecsv1.Cluster).Status.Status
}
