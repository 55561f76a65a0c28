package controllers

import (
	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

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
