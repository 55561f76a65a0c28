package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestServiceSeriesFollowTheServiceAndGoWithIt(t *testing.T) {
	RecordService("tenant-a", "web", 3, 2, 1, "IN_PROGRESS")
	CircuitBreakerTripped("tenant-a", "web")
	RolledBack("tenant-a", "web")
	if got := testutil.ToFloat64(serviceRunning.WithLabelValues("tenant-a", "web")); got != 2 {
		t.Fatalf("running %v", got)
	}
	if got := testutil.ToFloat64(serviceRollout.WithLabelValues("tenant-a", "web", "IN_PROGRESS")); got != 1 {
		t.Fatalf("IN_PROGRESS %v", got)
	}
	// The state moves: one series per Service, the current state's.
	RecordService("tenant-a", "web", 3, 3, 0, "COMPLETED")
	if n := testutil.CollectAndCount(serviceRollout); n != 1 {
		t.Fatalf("%d rollout state series for one service, want 1", n)
	}
	if got := testutil.ToFloat64(serviceRollout.WithLabelValues("tenant-a", "web", "COMPLETED")); got != 1 {
		t.Fatalf("COMPLETED %v", got)
	}
	RecordService("tenant-b", "web", 1, 1, 0, "COMPLETED")

	ForgetService("tenant-a", "web")
	for name, n := range map[string]int{
		"desired": testutil.CollectAndCount(serviceDesired), "rollout": testutil.CollectAndCount(serviceRollout),
		"trips": testutil.CollectAndCount(circuitBreakerTrips), "rollbacks": testutil.CollectAndCount(rollbacks),
	} {
		want := map[string]int{"desired": 1, "rollout": 1, "trips": 0, "rollbacks": 0}[name]
		if n != want {
			t.Fatalf("%s: %d series left after the service went, want %d (the other service's)", name, n, want)
		}
	}
}

func TestClusterSeriesGoWithTheCluster(t *testing.T) {
	RecordCluster("c1", 2, 5, 1)
	RecordCluster("c2", 1, 1, 0)
	ForgetCluster("c1")
	if n := testutil.CollectAndCount(clusterRunning); n != 1 {
		t.Fatalf("%d series left, want 1", n)
	}
}
