package main

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

const setupTimeout = 5 * time.Minute

// createTenants creates the tenant Clusters directly (cluster-scoped, no CellGroup, so the
// Cluster webhook's default cap of 5 Clusters per tenant applies to one each) and waits until
// every one is ACTIVE and Ready with its namespace.
func createTenants(ctx context.Context, c client.Client, tenants, concurrency int) error {
	if err := forEach(ctx, tenants, concurrency, func(ctx context.Context, t int) error {
		if err := c.Create(ctx, tenantCluster(t)); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating Cluster %s: %w", tenantName(t), err)
		}
		return nil
	}); err != nil {
		return err
	}
	var pending string
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, setupTimeout, true, func(ctx context.Context) (bool, error) {
		list := &ecsv1.ClusterList{}
		if err := c.List(ctx, list); err != nil {
			return false, err
		}
		ready := map[string]bool{}
		for _, cl := range list.Items {
			ready[cl.Name] = cl.Status.Status == ecsv1.ClusterActive && cl.Status.ObservedGeneration == cl.Generation &&
				meta.IsStatusConditionTrue(cl.Status.Conditions, ecsv1.ConditionReady)
		}
		for t := range tenants {
			if !ready[tenantName(t)] {
				pending = tenantName(t)
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the tenant Clusters to be ACTIVE (%s is not): %w", pending, err)
	}
	return nil
}

// createService creates a Service and the TaskDefinition it runs, as a tenant's developer
// would: the task definition first.
func createService(ctx context.Context, c client.Client, namespace, name string, desired int32) error {
	if err := c.Create(ctx, taskDefinition(namespace, name)); err != nil {
		return fmt.Errorf("creating TaskDefinition %s/%s: %w", namespace, name, err)
	}
	if err := c.Create(ctx, service(namespace, name, desired)); err != nil {
		return fmt.Errorf("creating Service %s/%s: %w", namespace, name, err)
	}
	return nil
}

// serviceConverged says whether a Service's status is current and in steady state on the
// first revision of its task definition.
func serviceConverged(svc *ecsv1.Service) bool {
	return svc.Status.ObservedGeneration == svc.Generation &&
		meta.IsStatusConditionTrue(svc.Status.Conditions, ecsv1.ConditionReady) &&
		svc.Status.TaskDefinition == svc.Name+":1"
}

// deploymentRight says whether the operator's Deployment of a Service runs desired tasks of
// the first revision of the Service's task definition, owned by the Service.
func deploymentRight(d *appsv1.Deployment, desired int32) bool {
	owned := false
	for _, ref := range d.OwnerReferences {
		if ref.Kind == "Service" && ref.APIVersion == ecsv1.GroupVersion.String() && ref.Name == d.Name {
			owned = true
		}
	}
	containers := d.Spec.Template.Spec.Containers
	return owned && d.Spec.Replicas != nil && *d.Spec.Replicas == desired &&
		len(containers) == 1 && containers[0].Image == taskImage &&
		d.Spec.Template.Annotations[ecsv1.AnnotationTaskDefinition] == d.Name+":1"
}

// waitService waits (up to setupTimeout) until a Service has converged and returns its
// Deployment.
func waitService(ctx context.Context, c client.Client, namespace, name string, desired int32) (*appsv1.Deployment, error) {
	key := client.ObjectKey{Namespace: namespace, Name: name}
	d := &appsv1.Deployment{}
	svc := &ecsv1.Service{}
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, setupTimeout, true, func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, key, svc); err != nil {
			return false, err
		}
		if !serviceConverged(svc) {
			return false, nil
		}
		if err := c.Get(ctx, key, d); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		return deploymentRight(d, desired), nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for Service %s to converge (status %+v): %w", key, svc.Status.Conditions, err)
	}
	return d, nil
}
