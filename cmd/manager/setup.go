package main

import (
	"context"
	"fmt"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/ecs-operator/ecs-operator/controllers"
)

// setupControllers registers the field indexes and every reconciler of package controllers,
// whose files also hold their RBAC markers.
func setupControllers(ctx context.Context, mgr ctrl.Manager) error {
	if err := controllers.SetupAll(ctx, mgr, clock.RealClock{}); err != nil {
		return fmt.Errorf("setting up the controllers: %w", err)
	}
	return nil
}

// setupWebhooks registers the admission webhooks on the manager's webhook server; it is called
// only when webhooks are enabled. Getting the server adds it to the manager's runnables, so it
// listens (and /readyz waits for it) even while no webhook is registered on it yet.
func setupWebhooks(mgr ctrl.Manager) error {
	_ = mgr.GetWebhookServer()
	setupLog.Info("webhook server enabled; no webhooks are registered on it yet")
	return nil
}
