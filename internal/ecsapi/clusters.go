package ecsapi

import (
	"context"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
	"github.com/ecs-operator/ecs-operator/internal/ecsops"
)

func listClusters(ctx context.Context, c *call) (any, error) {
	var clusters ecsv1.ClusterList
	if err := c.c.List(ctx, &clusters); err != nil {
		if !apierrors.IsForbidden(err) {
			return nil, err
		}
		// A tenant may not list Clusters: it sees the one its key names.
		if c.id.defaultCluster != "" {
			clusters.Items = []ecsv1.Cluster{{ObjectMeta: metav1.ObjectMeta{Name: c.id.defaultCluster}}}
		}
	}
	arns := make([]any, 0, len(clusters.Items))
	for _, cl := range clusters.Items {
		arns = append(arns, c.s.o.ARNs.Cluster(cl.Name))
	}
	slices.SortFunc(arns, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	page, next, err := c.page(arns, 100)
	if err != nil {
		return nil, err
	}
	return withNext(map[string]any{"clusterArns": page}, next), nil
}

func describeClusters(ctx context.Context, c *call) (any, error) {
	names, err := c.strs("clusters")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		names = []string{orDefault(c.id.defaultCluster, "default")}
	}
	clusters, failures := []any{}, []any{}
	for _, n := range names {
		name := ecsops.ClusterName(n)
		cl := &ecsv1.Cluster{}
		// Read as the operator: a tenant sees its own Cluster's state through its key.
		if err := c.s.o.Operator.Get(ctx, client.ObjectKey{Name: name}, cl); err != nil {
			if apierrors.IsNotFound(err) {
				failures = append(failures, map[string]any{"arn": c.s.o.ARNs.Cluster(name), "reason": "MISSING"})
				continue
			}
			return nil, err
		}
		if !c.mayUseCluster(ctx, cl) {
			failures = append(failures, map[string]any{"arn": c.s.o.ARNs.Cluster(name), "reason": "MISSING"})
			continue
		}
		clusters = append(clusters, ecsjson.DescribeCluster(cl, c.s.o.ARNs))
	}
	return map[string]any{"clusters": clusters, "failures": failures}, nil
}

// mayUseCluster is whether the caller may read the Cluster itself or the Services of its
// namespace: another tenant's Cluster is MISSING to it, as in another account.
func (c *call) mayUseCluster(ctx context.Context, cl *ecsv1.Cluster) bool {
	if err := c.c.Get(ctx, client.ObjectKeyFromObject(cl), &ecsv1.Cluster{}); err == nil {
		return true
	}
	var list ecsv1.ServiceList
	return cl.Status.Namespace != "" && c.c.List(ctx, &list, client.InNamespace(cl.Status.Namespace), client.Limit(1)) == nil
}

// Tags that place a cluster made with CreateCluster: ecs-operator's Clusters belong to a
// tenant of a CellGroup, which ECS's API has no members for.
const (
	tagTenant    = "ecs.operator.dev/tenant"
	tagCellGroup = "ecs.operator.dev/cell-group"
)

func createCluster(ctx context.Context, c *call) (any, error) {
	name := c.str("clusterName")
	if name == "" {
		name = "default"
	}
	var tags []ecsv1.Tag
	if _, err := ecsjson.Fit("tags", c.in["tags"], &tags); err != nil {
		return nil, invalidParameter("%v", err)
	}
	cl := &ecsv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}}
	for _, t := range tags {
		switch t.Key {
		case tagTenant:
			cl.Spec.Tenant = ecsv1.TenantName(t.Value)
		case tagCellGroup:
			cl.Spec.CellGroup = t.Value
		}
	}
	if cl.Spec.Tenant == "" {
		return nil, invalidParameter("tags: a cluster belongs to a tenant: tag it %s=TENANT (and %s=CELLGROUP)", tagTenant, tagCellGroup)
	}
	if err := c.c.Create(ctx, cl); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	// ECS answers CreateCluster at once, PROVISIONING: as ours is until its namespace is made.
	if err := c.c.Get(ctx, client.ObjectKeyFromObject(cl), cl); err != nil {
		return nil, err
	}
	return map[string]any{"cluster": ecsjson.DescribeCluster(cl, c.s.o.ARNs)}, nil
}

func deleteCluster(ctx context.Context, c *call) (any, error) {
	name := ecsops.ClusterName(c.str("cluster"))
	cl := &ecsv1.Cluster{}
	if err := c.c.Get(ctx, client.ObjectKey{Name: name}, cl); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, clusterNotFound()
		}
		return nil, err
	}
	if cl.Status.ActiveServicesCount > 0 {
		return nil, newError("ClusterContainsServicesException", 400, "The Cluster cannot be deleted while Services are active.")
	}
	if cl.Status.RunningTasksCount > 0 || cl.Status.PendingTasksCount > 0 {
		return nil, newError("ClusterContainsTasksException", 400, "The Cluster cannot be deleted while Tasks are active.")
	}
	if err := c.c.Delete(ctx, cl); err != nil && !apierrors.IsNotFound(err) {
		return nil, err
	}
	desc := ecsjson.DescribeCluster(cl, c.s.o.ARNs)
	desc["status"] = "INACTIVE"
	return map[string]any{"cluster": desc}, nil
}
