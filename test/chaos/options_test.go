package chaos

import (
	"os"
	"testing"
	"time"
)

// options are the lengths of the faults: `make test` runs the short defaults, `make chaos` the
// long versions (CHAOS_CHURN=10m and so on, docs/reliability.md).
type options struct {
	// churn is how long the load generator runs while the leader is killed every killEvery.
	churn, killEvery time.Duration
	// apiDown is how long kube-apiserver stays stopped in each outage, etcdStall how long etcd
	// is frozen.
	apiDown, etcdStall time.Duration
	// conflicts is how long the concurrent writers write one Service.
	conflicts time.Duration
	// afterKill and afterOutage bound the convergence after the last kill and after the API
	// server is ready again (the 30 s and 15 s).
	afterKill, afterOutage time.Duration
}

func readOptions(t *testing.T) options {
	t.Helper()
	o := options{
		churn:       durationEnv(t, "CHAOS_CHURN", 75*time.Second),
		killEvery:   durationEnv(t, "CHAOS_KILL_EVERY", 30*time.Second),
		apiDown:     durationEnv(t, "CHAOS_API_DOWN", 30*time.Second),
		etcdStall:   durationEnv(t, "CHAOS_ETCD_STALL", 8*time.Second),
		conflicts:   durationEnv(t, "CHAOS_CONFLICTS", 20*time.Second),
		afterKill:   durationEnv(t, "CHAOS_CONVERGE_AFTER_KILL", 30*time.Second),
		afterOutage: durationEnv(t, "CHAOS_CONVERGE_AFTER_OUTAGE", 15*time.Second),
	}
	t.Logf("chaos: churn %s killing the leader every %s, API server down %s, etcd stalled %s, conflicts %s", o.churn, o.killEvery, o.apiDown, o.etcdStall, o.conflicts)
	return o
}

func durationEnv(t *testing.T, name string, def time.Duration) time.Duration {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: want a positive duration such as 10m", name, v)
	}
	return d
}
