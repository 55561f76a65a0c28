// Package alarms tells the operator which alarms of ECS deployment configurations are in
// ALARM state.
//
// An ECS Service names CloudWatch alarms in deploymentConfiguration.alarms.alarmNames, and a
// deployment fails (and, with rollback, rolls back) while one of them is in ALARM. There is
// no CloudWatch in a Kubernetes cluster; the alarms live in Prometheus alerting rules, and
// their firing alerts in an Alertmanager. This package maps an ECS alarm name to Alertmanager
// alerts:
//
//   - An alert is the alarm alarmName of a Service in namespace ns when its alertname label
//     equals alarmName and it either has no namespace label (a cluster-wide alert, such as
//     one about the nodes) or its namespace label equals ns. The namespace rule is what keeps
//     tenants apart: alert names are not unique across teams, and an alert a tenant's rule
//     raises for its own namespace (Prometheus adds the namespace label of the series it
//     fired on) must not fail another tenant's deployment that happens to use the same alarm
//     name. An empty namespace label is the same as none, as it is in Prometheus.
//   - Only alerts in state "active" count: silenced and inhibited ("suppressed") alerts are
//     what an operator of the cluster switched off, and "unprocessed" alerts have not been
//     through silences and inhibitions yet; the next poll sees them processed.
//
// A [Client] reads the firing alerts from the Alertmanager v2 API, a [Set] answers whether an
// alarm is in ALARM, and a [Poller] (a controller-runtime Runnable, run by the leader only)
// keeps the latest Set and reports the alarms that changed, so that the controllers can
// requeue only the Services concerned.
//
// When a poll fails, the Poller keeps the last Set it read rather than an empty one. An
// Alertmanager that restarts or blips is not evidence that the alarms stopped: treating it so
// would let a failing deployment complete because the monitoring stack was briefly down,
// which is the outcome the alarms exist to prevent. The failure is visible in
// [Poller.LastError] and logged once per streak of failures.
//
// Alarms also reach a Service without an Alertmanager: the annotation
// [AnnotationAlarmsInAlarm] lists alarm names in ALARM, set by a human, a CD system or an
// Alertmanager webhook receiver; [Parse] reads it.
package alarms
