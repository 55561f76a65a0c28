package main

import (
	"context"
	"fmt"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/ecs-operator/ecs-operator/controllers"
	"github.com/ecs-operator/ecs-operator/internal/webhook/cluster"
	"github.com/ecs-operator/ecs-operator/internal/webhook/namespace"
	"github.com/ecs-operator/ecs-operator/internal/webhook/pod"
	"github.com/ecs-operator/ecs-operator/internal/webhook/workload"
)

// setupControllers registers the field indexes and every reconciler of package controllers,
// whose files also hold their RBAC markers.
func setupControllers(ctx context.Context, mgr ctrl.Manager, opts controllers.Options) error {
	if err := controllers.SetupAll(ctx, mgr, clock.RealClock{}, opts); err != nil {
		return fmt.Errorf("setting up the controllers: %w", err)
	}
	return nil
}

// setupWebhooks registers the admission webhooks on the manager's webhook server; it is called
// only when webhooks are enabled.
func setupWebhooks(ctx context.Context, mgr ctrl.Manager) error {
	if err := workload.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the workload webhooks: %w", err)
	}
	if err := workload.SetupDefaultersWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the workload defaulting webhooks: %w", err)
	}
	if err := cluster.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the cluster webhook: %w", err)
	}
	if err := pod.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the pod webhooks: %w", err)
	}
	if err := namespace.SetupWithManager(ctx, mgr); err != nil {
		return fmt.Errorf("setting up the namespace webhook: %w", err)
	}
	return nil
}
