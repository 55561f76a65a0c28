package translate

import (
	"errors"
	"fmt"
	"testing"
	"time"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func TestRollingUpdateFor_ecsRounding(t *testing.T) {
	type pct struct{ max, min int32 }
	pairs := []pct{{200, 100}, {100, 0}, {150, 50}, {100, 100}, {200, 0}, {125, 75}}
	// want[desired][pair] is {maxSurge, maxUnavailable}; blocked marks ErrDeploymentBlocked.
	type want struct {
		surge, unavailable int32
		blocked            bool
	}
	table := map[int32][]want{
		0: {{0, 1, false}, {0, 1, false}, {0, 1, false}, {0, 1, false}, {0, 1, false}, {0, 1, false}},
		// 1 task: 150% → floor(1.5)=1 → no surge; 50% → ceil(0.5)=1 → none may go: blocked.
		1: {{1, 0, false}, {0, 1, false}, {0, 0, true}, {0, 0, true}, {1, 1, false}, {0, 0, true}},
		// 2 tasks: 125% → floor(2.5)=2; 75% → ceil(1.5)=2.
		2: {{2, 0, false}, {0, 2, false}, {1, 1, false}, {0, 0, true}, {2, 2, false}, {0, 0, true}},
		// 3 tasks: 150% → floor(4.5)=4; 50% → ceil(1.5)=2; 125% → floor(3.75)=3; 75% → ceil(2.25)=3.
		3:    {{3, 0, false}, {0, 3, false}, {1, 1, false}, {0, 0, true}, {3, 3, false}, {0, 0, true}},
		10:   {{10, 0, false}, {0, 10, false}, {5, 5, false}, {0, 0, true}, {10, 10, false}, {2, 2, false}},
		5000: {{5000, 0, false}, {0, 5000, false}, {2500, 2500, false}, {0, 0, true}, {5000, 5000, false}, {1250, 1250, false}},
	}
	for _, desired := range []int32{0, 1, 2, 3, 10, 5000} {
		for i, p := range pairs {
			w := table[desired][i]
			t.Run(fmt.Sprintf("desired=%d/max=%d/min=%d", desired, p.max, p.min), func(t *testing.T) {
				got, err := RollingUpdateFor(desired, p.max, p.min)
				if w.blocked != errors.Is(err, ErrDeploymentBlocked) {
					t.Fatalf("err = %v, want blocked=%v", err, w.blocked)
				}
				if !w.blocked && err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				diff(t, "rolling update", RollingUpdate{MaxSurge: w.surge, MaxUnavailable: w.unavailable}, got)
				if !w.blocked && got.MaxSurge == 0 && got.MaxUnavailable == 0 {
					t.Errorf("a Deployment forbids maxSurge and maxUnavailable both 0")
				}
			})
		}
	}
}

func TestRollingUpdateFor_neverNegative(t *testing.T) {
	// maximumPercent below 100 would give a negative surge.
	got, err := RollingUpdateFor(4, 50, 50)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "rolling update", RollingUpdate{MaxSurge: 0, MaxUnavailable: 2}, got)
}

func TestErrDeploymentBlocked_ecsMessage(t *testing.T) {
	const ecs = "unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again."
	if ErrDeploymentBlocked.Error() != ecs {
		t.Errorf("message %q, want ECS's %q", ErrDeploymentBlocked, ecs)
	}
}

func TestMinAvailable_roundsUp(t *testing.T) {
	for _, tc := range []struct{ desired, min, want int32 }{
		{0, 100, 0}, {1, 50, 1}, {3, 50, 2}, {10, 75, 8}, {5000, 100, 5000}, {5, 0, 0}, {3, 100, 3}, {7, 33, 3},
	} {
		if got := MinAvailable(tc.desired, tc.min); got != tc.want {
			t.Errorf("MinAvailable(%d, %d) = %d, want %d", tc.desired, tc.min, got, tc.want)
		}
	}
}

func TestCircuitBreakerThreshold_followsTheThresholdConfiguration(t *testing.T) {
	count := func(v int32) *ecsv1.ThresholdConfiguration {
		return &ecsv1.ThresholdConfiguration{Type: ecsv1.ThresholdCount, Value: v}
	}
	bounded := func(v int32) *ecsv1.ThresholdConfiguration {
		return &ecsv1.ThresholdConfiguration{Type: ecsv1.ThresholdBoundedPercent, Value: v}
	}
	unbounded := func(v int32) *ecsv1.ThresholdConfiguration {
		return &ecsv1.ThresholdConfiguration{Type: ecsv1.ThresholdUnboundedPercent, Value: v}
	}
	for _, tc := range []struct {
		name    string
		desired int32
		cfg     *ecsv1.ThresholdConfiguration
		want    int32
	}{
		{"default: at least 3", 0, nil, 3},
		{"default: 1 task", 1, nil, 3},
		{"default: 6 tasks", 6, nil, 3},
		{"default: half of 7 rounded up", 7, nil, 4},
		{"default: half of 10", 10, nil, 5},
		{"default: at most 200", 399, nil, 200},
		{"default: 5000 tasks", 5000, nil, 200},
		{"BOUNDED_PERCENT 50 is the default", 10, bounded(50), 5},
		{"BOUNDED_PERCENT 100 of 400 is capped", 400, bounded(100), 200},
		{"BOUNDED_PERCENT 10 of 10 is at least 3", 10, bounded(10), 3},
		{"COUNT is the value", 1000, count(7), 7},
		{"COUNT 1 fails on the first failure", 1, count(1), 1},
		{"UNBOUNDED_PERCENT 100 of 400", 400, unbounded(100), 400},
		{"UNBOUNDED_PERCENT 10 of 1 is 1", 1, unbounded(10), 1},
		{"UNBOUNDED_PERCENT of 0 tasks is 1", 0, unbounded(50), 1},
		{"UNBOUNDED_PERCENT 250 of 3", 3, unbounded(250), 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CircuitBreakerThreshold(tc.desired, tc.cfg); got != tc.want {
				t.Errorf("CircuitBreakerThreshold(%d, %+v) = %d, want %d", tc.desired, tc.cfg, got, tc.want)
			}
		})
	}
}

func TestDaemonUpdateFor_roundsTheWayECSDoesAndNeverSurges(t *testing.T) {
	for _, tc := range []struct {
		nodes, minimumHealthy int32
		known                 bool
		want                  string
		blocked               bool
	}{
		{nodes: 3, minimumHealthy: 0, known: true, want: "3"},
		{nodes: 3, minimumHealthy: 50, known: true, want: "1"},  // ceil(1.5) = 2 stay
		{nodes: 10, minimumHealthy: 75, known: true, want: "2"}, // ceil(7.5) = 8 stay; a percentage would let 3 go
		{nodes: 3, minimumHealthy: 90, known: true, want: "1", blocked: true},
		{nodes: 3, minimumHealthy: 100, known: true, want: "1", blocked: true},
		{nodes: 0, minimumHealthy: 100, known: true, want: "1"},
		{nodes: 0, minimumHealthy: 50, known: false, want: "50%"},
		{nodes: 0, minimumHealthy: 100, known: false, want: "1", blocked: true},
	} {
		got := DaemonUpdateFor(tc.nodes, tc.known, tc.minimumHealthy)
		if got.MaxUnavailable.String() != tc.want || got.Blocked != tc.blocked {
			t.Errorf("%d nodes (known %v) at %d%%: maxUnavailable %s blocked %v, want %s %v",
				tc.nodes, tc.known, tc.minimumHealthy, got.MaxUnavailable.String(), got.Blocked, tc.want, tc.blocked)
		}
	}
}

func TestSplitRollingUpdate_boundsTheWholeServiceNotEachShare(t *testing.T) {
	// A share without tasks can take none down, whatever its bound says.
	sum := func(rs []RollingUpdate, shares []int32) (surge, unavailable int32) {
		for i, r := range rs {
			if shares[i] > 0 {
				surge, unavailable = surge+r.MaxSurge, unavailable+r.MaxUnavailable
			}
		}
		return surge, unavailable
	}
	for _, tc := range []struct {
		name                    string
		shares                  []int32
		maximum, minimumHealthy int32
		blocked                 bool
	}{
		{"3 tasks over two providers at 150/50 can move", []int32{2, 1}, 150, 50, false},
		{"the same at 100/100 cannot", []int32{2, 1}, 100, 100, true},
		{"ECS defaults 200/100 over three providers", []int32{5, 3, 2}, 200, 100, false},
		{"a share without tasks", []int32{4, 0}, 200, 50, false},
		{"more shares than budget", []int32{1, 1, 1, 1}, 125, 100, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SplitRollingUpdate(tc.shares, tc.maximum, tc.minimumHealthy)
			if tc.blocked {
				if err == nil {
					t.Fatalf("not blocked: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var total int32
			for _, n := range tc.shares {
				total += n
			}
			whole, _ := RollingUpdateFor(total, tc.maximum, tc.minimumHealthy)
			surge, unavailable := sum(got, tc.shares)
			if unavailable > whole.MaxUnavailable {
				t.Fatalf("the shares may take %d tasks down, the Service only %d: %+v", unavailable, whole.MaxUnavailable, got)
			}
			shares := 0
			for i, r := range got {
				if r.MaxSurge == 0 && r.MaxUnavailable == 0 {
					t.Fatalf("share %d can never move: %+v", i, got)
				}
				if r.MaxUnavailable > max(tc.shares[i], 1) {
					t.Fatalf("share %d may lose more tasks than it has: %+v", i, got)
				}
				if tc.shares[i] > 0 {
					shares++
				}
			}
			// Over budget only by the surge of 1 a share gets when the budget runs out.
			if extra := surge - whole.MaxSurge; extra > 0 && int(extra) > shares-int(whole.MaxSurge+whole.MaxUnavailable) {
				t.Fatalf("surge %d over the Service's %d by more than the shares left without budget: %+v", surge, whole.MaxSurge, got)
			}
		})
	}
}

func TestMinReadySeconds_FortySecondsUnlessAnEssentialContainerHasAHealthCheck(t *testing.T) {
	check := func(c *ecsv1.ContainerDefinition) {
		c.HealthCheck = &ecsv1.HealthCheck{Command: []string{"CMD-SHELL", "true"}}
	}
	for _, tc := range []struct {
		name string
		spec *ecsv1.TaskDefinitionSpec
		want int32
	}{
		{"no health check: ECS's 40 s", spec(ctr("app")), 40},
		{"an essential container's health check: counted once healthy", spec(ctr("app", check)), 0},
		{"only a non-essential container's health check: 40 s", spec(ctr("app"), ctr("side", nonEssential, check)), 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := MinReadySeconds(tc.spec, UncheckedTaskWait); got != tc.want {
				t.Fatalf("MinReadySeconds = %d, want %d", got, tc.want)
			}
		})
	}
	if got := MinReadySeconds(spec(ctr("app")), 2*time.Second); got != 2 {
		t.Fatalf("a shortened wait: %d, want 2", got)
	}
}
