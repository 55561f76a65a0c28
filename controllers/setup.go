package controllers

import (
	"context"
	"fmt"
	"time"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/ecs-operator/ecs-operator/controllers/placement"
	"github.com/ecs-operator/ecs-operator/controllers/service"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
	"github.com/ecs-operator/ecs-operator/internal/alarms"
)

// Options tune the controllers.
type Options struct {
	// ClusterCountInterval is how often at most a Cluster's counts are written; zero means
	// the default.
	ClusterCountInterval time.Duration
	// TaskStartTimeout is how long a Service task may wait for a container that cannot start
	// before it is stopped and replaced; zero means service.DefaultTaskStartTimeout.
	TaskStartTimeout time.Duration
	// UncheckedTaskWait is how long a Service task without an essential container health
	// check runs before it counts as available in a rollout; nil means ECS's 40 s.
	UncheckedTaskWait *time.Duration
	// AlertmanagerURL is the Alertmanager whose active alerts are deployment alarms (the
	// alertname is the alarm name); empty means only the Services' annotation says.
	AlertmanagerURL string
	// AlarmPollInterval is how often the Alertmanager is asked.
	AlarmPollInterval time.Duration
	// BakeTimeUnit is how long one minute of the deployment strategies' bake times lasts;
	// zero means a minute.
	BakeTimeUnit time.Duration
}

// SetupAll registers the field indexes, every reconciler and the Cluster counter with mgr.
func SetupAll(ctx context.Context, mgr ctrl.Manager, clk clock.PassiveClock, opts Options) error {
	if err := shared.SetupIndexes(ctx, mgr); err != nil {
		return err
	}
	// One Applier for every reconciler: one field owner, one memory of what was applied.
	applier := &shared.Applier{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Scheme: mgr.GetScheme()}
	svc := &service.Reconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(),
		Recorder: shared.EscapingRecorder(mgr.GetEventRecorder("ecs-operator-service")), Clock: clk, Applier: applier,
		TaskStartTimeout: opts.TaskStartTimeout, UncheckedTaskWait: opts.UncheckedTaskWait, BakeTimeUnit: opts.BakeTimeUnit}
	if opts.AlertmanagerURL != "" {
		am, err := alarms.NewClient(opts.AlertmanagerURL, nil)
		if err != nil {
			return fmt.Errorf("--alertmanager-url: %w", err)
		}
		onChange, events := service.AlarmWaker(ctx, mgr.GetClient())
		poller := alarms.NewPoller(am, opts.AlarmPollInterval, onChange)
		if err := mgr.Add(poller); err != nil {
			return fmt.Errorf("adding the alarm poller: %w", err)
		}
		svc.Alarms, svc.AlarmEvents = poller, events
	}
	setups := []struct {
		kind  string
		setup func() error
	}{
		{"TaskDefinition", func() error {
			return (&TaskDefinitionReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(),
				Recorder: shared.EscapingRecorder(mgr.GetEventRecorder("ecs-operator-taskdefinition")), APIReader: mgr.GetAPIReader()}).SetupWithManager(mgr)
		}},
		{"Service", func() error { return svc.SetupWithManager(mgr) }},
		{"TaskSet", func() error {
			return (&service.TaskSetReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(),
				Recorder: shared.EscapingRecorder(mgr.GetEventRecorder("ecs-operator-taskset")), Clock: clk, Applier: applier,
				UncheckedTaskWait: opts.UncheckedTaskWait}).SetupWithManager(mgr)
		}},
		{"Task", func() error {
			return (&TaskReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(),
				Recorder: shared.EscapingRecorder(mgr.GetEventRecorder("ecs-operator-task")), Clock: clk, APIReader: mgr.GetAPIReader(), Applier: applier}).SetupWithManager(mgr)
		}},
		{"CellGroup", func() error {
			return (&CellGroupReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(),
				Recorder: shared.EscapingRecorder(mgr.GetEventRecorder("ecs-operator-cellgroup")), Applier: applier}).SetupWithManager(mgr)
		}},
		{"Cluster", func() error {
			return (&ClusterReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(),
				Recorder: shared.EscapingRecorder(mgr.GetEventRecorder("ecs-operator-cluster")), APIReader: mgr.GetAPIReader(), Applier: applier}).SetupWithManager(mgr)
		}},
		{"placement labeller", func() error {
			return (&placement.Labeller{Client: mgr.GetClient()}).SetupWithManager(mgr)
		}},
		{"Cluster counts", func() error {
			return mgr.Add(&ClusterCounter{Client: mgr.GetClient(), Cache: mgr.GetCache(), Interval: opts.ClusterCountInterval})
		}},
	}
	for _, s := range setups {
		if err := s.setup(); err != nil {
			return fmt.Errorf("setting up the %s controller: %w", s.kind, err)
		}
	}
	return nil
}
