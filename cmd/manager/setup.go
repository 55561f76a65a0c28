package main

import (
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"
)

// controllerSetup registers one reconciler with the manager.
type controllerSetup struct {
	// kind names the reconciler in errors and logs.
	kind  string
	setup func(ctrl.Manager) error
}

// controllerSetups are the reconcilers the manager runs, one entry per reconciler, for example
//
//	{"Service", func(mgr ctrl.Manager) error {
//		return (&controllers.ServiceReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr)
//	}},
//
// The reconcilers and their RBAC markers live in package controllers.
var controllerSetups = []controllerSetup{}

// setupControllers registers every reconciler of controllerSetups with mgr.
func setupControllers(mgr ctrl.Manager) error {
	for _, c := range controllerSetups {
		if err := c.setup(mgr); err != nil {
			return fmt.Errorf("setting up the %s controller: %w", c.kind, err)
		}
		setupLog.Info("controller registered", "kind", c.kind)
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
