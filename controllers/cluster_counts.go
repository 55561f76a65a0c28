package controllers

import (
	"context"
	"fmt"
	"sync"
	"time"

	toolscache "k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
	"github.com/ecs-operator/ecs-operator/internal/metrics"
)

// DefaultCountInterval is how often at most a Cluster's counts are written: often enough for
// DescribeClusters-style numbers, seldom enough that thousands of Services starting cost each
// Cluster one write per interval.
const DefaultCountInterval = 5 * time.Second

// ClusterCounter keeps DescribeClusters' counts (active services, running and pending tasks)
// on each Cluster's status. It is not a reconciler: a change of a Service or Task marks its
// namespace, and every Interval the marked Clusters are counted from the cache and written
// when their counts changed. So a thousand Services starting cost a Cluster one write per
// interval, and a count written wakes no Service and no CellGroup.
type ClusterCounter struct {
	Client   client.Client
	Cache    cache.Cache
	Interval time.Duration

	mu    sync.Mutex
	dirty map[string]bool // namespaces whose Cluster may have new counts
}

// NeedLeaderElection makes only the leader write counts.
func (c *ClusterCounter) NeedLeaderElection() bool { return true }

// Start counts until ctx ends.
func (c *ClusterCounter) Start(ctx context.Context) error {
	interval := c.Interval
	if interval <= 0 {
		interval = DefaultCountInterval
	}
	for _, obj := range []client.Object{&ecsv1.Service{}, &ecsv1.Task{}, &ecsv1.Cluster{}} {
		informer, err := c.Cache.GetInformer(ctx, obj)
		if err != nil {
			return fmt.Errorf("watching %T for cluster counts: %w", obj, err)
		}
		if _, err := informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    c.mark,
			UpdateFunc: func(_, n any) { c.mark(n) },
			DeleteFunc: c.mark,
		}); err != nil {
			return fmt.Errorf("watching %T for cluster counts: %w", obj, err)
		}
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			c.countMarked(ctx)
		}
	}
}

// mark notes the namespace of a changed Service or Task, or of a Cluster's workloads.
func (c *ClusterCounter) mark(obj any) {
	if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	var ns string
	switch o := obj.(type) {
	case *ecsv1.Cluster:
		ns = shared.ClusterNamespace(o)
	case client.Object:
		ns = o.GetNamespace()
	default:
		return
	}
	c.markNamespace(ns)
}

func (c *ClusterCounter) markNamespace(ns string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dirty == nil {
		c.dirty = map[string]bool{}
	}
	c.dirty[ns] = true
}

func (c *ClusterCounter) countMarked(ctx context.Context) {
	c.mu.Lock()
	marked := c.dirty
	c.dirty = nil
	c.mu.Unlock()
	for ns := range marked {
		if err := c.count(ctx, ns); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "counting the cluster's services and tasks", "namespace", ns)
			c.markNamespace(ns) // counted again at the next tick
		}
	}
}

// count writes the counts of the Cluster of one namespace when they changed.
func (c *ClusterCounter) count(ctx context.Context, ns string) error {
	cluster, err := shared.ClusterForNamespace(ctx, c.Client, ns)
	if err != nil || cluster == nil || !cluster.DeletionTimestamp.IsZero() {
		return err
	}
	services := &ecsv1.ServiceList{}
	if err := c.Client.List(ctx, services, client.InNamespace(ns)); err != nil {
		return fmt.Errorf("listing services: %w", err)
	}
	tasks := &ecsv1.TaskList{}
	if err := c.Client.List(ctx, tasks, client.InNamespace(ns)); err != nil {
		return fmt.Errorf("listing tasks: %w", err)
	}
	counts := computeClusterCounts(services.Items, tasks.Items)
	metrics.RecordCluster(cluster.Name, counts.ActiveServices, counts.Running, counts.Pending)
	original := cluster.DeepCopy()
	cluster.Status.ActiveServicesCount, cluster.Status.RunningTasksCount, cluster.Status.PendingTasksCount = counts.ActiveServices, counts.Running, counts.Pending
	conflict, err := shared.PatchStatus(ctx, c.Client, cluster, original)
	if conflict {
		return fmt.Errorf("cluster %s changed while it was counted", cluster.Name)
	}
	return err
}
