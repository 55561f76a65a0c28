// Package metrics holds the Prometheus metrics an ECS user puts on a dashboard, registered on
// controller-runtime's registry (served on the manager's metrics endpoint), and the recorders
// the reconcilers call. Series of deleted objects are removed.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

var (
	serviceDesired = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ecs_service_desired_tasks", Help: "Tasks an ECS Service wants (desiredCount).",
	}, []string{"namespace", "service"})
	serviceRunning = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ecs_service_running_tasks", Help: "Running and available tasks of an ECS Service.",
	}, []string{"namespace", "service"})
	servicePending = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ecs_service_pending_tasks", Help: "Tasks of an ECS Service not yet running.",
	}, []string{"namespace", "service"})
	serviceRollout = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ecs_service_primary_rollout_state",
		Help: "1 for the rollout state (IN_PROGRESS, COMPLETED, FAILED) of an ECS Service's PRIMARY deployment; the other states have no series.",
	}, []string{"namespace", "service", "state"})
	circuitBreakerTrips = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ecs_service_circuit_breaker_trips_total", Help: "Deployments the circuit breaker failed.",
	}, []string{"namespace", "service"})
	rollbacks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ecs_service_rollbacks_total", Help: "Rollbacks to the last completed deployment.",
	}, []string{"namespace", "service"})

	clusterServices = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ecs_cluster_active_services", Help: "ACTIVE Services of an ECS Cluster.",
	}, []string{"cluster"})
	clusterRunning = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ecs_cluster_running_tasks", Help: "RUNNING tasks of an ECS Cluster.",
	}, []string{"cluster"})
	clusterPending = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ecs_cluster_pending_tasks", Help: "PENDING tasks of an ECS Cluster.",
	}, []string{"cluster"})
)

// RolloutStates are the values of the rollout state label.
var RolloutStates = []string{"IN_PROGRESS", "COMPLETED", "FAILED"}

func init() {
	ctrlmetrics.Registry.MustRegister(serviceDesired, serviceRunning, servicePending, serviceRollout,
		circuitBreakerTrips, rollbacks, clusterServices, clusterRunning, clusterPending)
}

// RecordService sets a Service's task gauges and its PRIMARY deployment's rollout state.
func RecordService(namespace, name string, desired, running, pending int32, rolloutState string) {
	RecordServiceCounts(namespace, name, desired, running, pending)
	// One series per Service, not one per state: with thousands of Services the zeros would be
	// most of the operator's memory for metrics.
	for _, s := range RolloutStates {
		if s != rolloutState {
			serviceRollout.DeleteLabelValues(namespace, name, s)
		}
	}
	serviceRollout.WithLabelValues(namespace, name, rolloutState).Set(1)
}

// RecordServiceCounts sets a Service's task counts, without a rollout state: an EXTERNAL
// Service's task sets have none.
func RecordServiceCounts(namespace, name string, desired, running, pending int32) {
	serviceDesired.WithLabelValues(namespace, name).Set(float64(desired))
	serviceRunning.WithLabelValues(namespace, name).Set(float64(running))
	servicePending.WithLabelValues(namespace, name).Set(float64(pending))
}

// CircuitBreakerTripped counts a deployment the circuit breaker failed.
func CircuitBreakerTripped(namespace, name string) {
	circuitBreakerTrips.WithLabelValues(namespace, name).Inc()
}

// RolledBack counts a rollback.
func RolledBack(namespace, name string) {
	rollbacks.WithLabelValues(namespace, name).Inc()
}

// ForgetService removes every series of a deleted Service.
func ForgetService(namespace, name string) {
	labels := prometheus.Labels{"namespace": namespace, "service": name}
	for _, v := range []*prometheus.GaugeVec{serviceDesired, serviceRunning, servicePending, serviceRollout} {
		v.DeletePartialMatch(labels)
	}
	circuitBreakerTrips.DeletePartialMatch(labels)
	rollbacks.DeletePartialMatch(labels)
}

// RecordCluster sets a Cluster's counts.
func RecordCluster(name string, activeServices, running, pending int32) {
	clusterServices.WithLabelValues(name).Set(float64(activeServices))
	clusterRunning.WithLabelValues(name).Set(float64(running))
	clusterPending.WithLabelValues(name).Set(float64(pending))
}

// ForgetCluster removes every series of a deleted Cluster.
func ForgetCluster(name string) {
	for _, v := range []*prometheus.GaugeVec{clusterServices, clusterRunning, clusterPending} {
		v.DeleteLabelValues(name)
	}
}
