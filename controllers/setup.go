package controllers

import (
	"context"
	"fmt"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
)

// SetupAll registers the field indexes and every reconciler of this package with mgr.
func SetupAll(ctx context.Context, mgr ctrl.Manager, clk clock.PassiveClock) error {
	if err := SetupIndexes(ctx, mgr); err != nil {
		return err
	}
	setups := []struct {
		kind  string
		setup func() error
	}{
		{"TaskDefinition", func() error {
			return (&TaskDefinitionReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(),
				Recorder: mgr.GetEventRecorder("ecs-operator-taskdefinition"), APIReader: mgr.GetAPIReader()}).SetupWithManager(mgr)
		}},
		{"Service", func() error {
			return (&ServiceReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(),
				Recorder: mgr.GetEventRecorder("ecs-operator-service"), Clock: clk, APIReader: mgr.GetAPIReader()}).SetupWithManager(mgr)
		}},
		{"Task", func() error {
			return (&TaskReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(),
				Recorder: mgr.GetEventRecorder("ecs-operator-task"), Clock: clk, APIReader: mgr.GetAPIReader()}).SetupWithManager(mgr)
		}},
		{"CellGroup", func() error {
			return (&CellGroupReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(),
				Recorder: mgr.GetEventRecorder("ecs-operator-cellgroup")}).SetupWithManager(mgr)
		}},
		{"Cluster", func() error {
			return (&ClusterReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(),
				Recorder: mgr.GetEventRecorder("ecs-operator-cluster"), APIReader: mgr.GetAPIReader()}).SetupWithManager(mgr)
		}},
	}
	for _, s := range setups {
		if err := s.setup(); err != nil {
			return fmt.Errorf("setting up the %s controller: %w", s.kind, err)
		}
	}
	return nil
}
