package service

import (
	"context"
	"slices"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/alarms"
)

// AlarmSource is where the states of deployment alarms come from besides the Service's own
// alarms.AnnotationAlarmsInAlarm annotation: an Alertmanager the operator polls.
type AlarmSource interface {
	Current() alarms.Set
}

// alarmConfig is a Service's deploymentConfiguration.alarms when they are on.
func alarmConfig(svc *ecsv1.Service) *ecsv1.DeploymentAlarms {
	if dc := svc.Spec.DeploymentConfiguration; dc != nil && dc.Alarms != nil && dc.Alarms.Enable && len(dc.Alarms.AlarmNames) > 0 {
		return dc.Alarms
	}
	return nil
}

// alarmsInAlarm are the Service's alarms in ALARM state, in the order the Service names them:
// those its annotation lists and those the alarm source reports firing for its namespace.
func alarmsInAlarm(svc *ecsv1.Service, source AlarmSource) []string {
	cfg := alarmConfig(svc)
	if cfg == nil {
		return nil
	}
	annotated := alarms.Parse(svc.Annotations[alarms.AnnotationAlarmsInAlarm])
	var firing alarms.Set
	if source != nil {
		firing = source.Current()
	}
	var out []string
	for _, name := range cfg.AlarmNames {
		if slices.Contains(annotated, name) || firing.InAlarm(svc.Namespace, name) {
			out = append(out, name)
		}
	}
	return out
}

// servicesOfAlarms wakes the Services whose alarms changed state in the alarm source.
func servicesOfAlarms(ctx context.Context, c client.Reader, keys []alarms.Key, wake func(*ecsv1.Service)) error {
	byNamespace := map[string][]string{}
	for _, k := range keys {
		byNamespace[k.Namespace] = append(byNamespace[k.Namespace], k.AlertName)
	}
	for ns, names := range byNamespace {
		list := &ecsv1.ServiceList{}
		// An alert without a namespace label is every namespace's alarm.
		if err := c.List(ctx, list, client.InNamespace(ns)); err != nil {
			return err
		}
		for i := range list.Items {
			svc := &list.Items[i]
			if cfg := alarmConfig(svc); cfg != nil && slices.ContainsFunc(cfg.AlarmNames, func(n string) bool { return slices.Contains(names, n) }) {
				wake(svc)
			}
		}
	}
	return nil
}

// AlarmWaker returns the alarm poller's change callback and the channel of the Services it
// wakes, for SetupWithManager (Reconciler.AlarmEvents).
func AlarmWaker(ctx context.Context, c client.Reader) (func([]alarms.Key), chan event.TypedGenericEvent[*ecsv1.Service]) {
	ch := make(chan event.TypedGenericEvent[*ecsv1.Service], 1024)
	return func(keys []alarms.Key) {
		err := servicesOfAlarms(ctx, c, keys, func(svc *ecsv1.Service) {
			select {
			case ch <- event.TypedGenericEvent[*ecsv1.Service]{Object: svc}:
			case <-ctx.Done():
			}
		})
		if err != nil {
			// Services this missed still read the alarms whenever anything else wakes them.
			ctrl.LoggerFrom(ctx).Error(err, "waking the Services whose alarms changed", "alarms", keys)
		}
	}, ch
}
