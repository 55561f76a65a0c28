package alarms

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

const testInterval = 10 * time.Millisecond

// recorder records the calls of onChange.
type recorder struct {
	mu    sync.Mutex
	calls [][]Key
}

func (r *recorder) onChange(keys []Key) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, keys)
}

func (r *recorder) get() [][]Key {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// waitCalls waits for n calls of onChange and returns them.
func (r *recorder) waitCalls(t *testing.T, n int) [][]Key {
	t.Helper()
	eventually(t, func() bool { return len(r.get()) >= n }, "%d calls of onChange", n)
	return r.get()
}

// syncBuffer is a bytes.Buffer safe for concurrent use, for logs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// quietContext returns a context whose logger discards the logs.
func quietContext() context.Context {
	return ctrl.LoggerInto(context.Background(), zap.New(zap.WriteTo(io.Discard)))
}

// startPoller starts p and returns the context's cancel and a channel closed with Start's
// result when Start returns; the test's cleanup stops it.
func startPoller(t *testing.T, ctx context.Context, p *Poller) (context.CancelFunc, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- p.Start(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		waitStopped(t, done)
	})
	return cancel, done
}

// waitStopped waits, generously, for Start to return, and fails if it returned an error.
func waitStopped(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err, ok := <-done:
		if ok && err != nil {
			t.Errorf("Start returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Start did not return after its context was cancelled")
	}
}

func TestPollerFirstPollNothingFiring(t *testing.T) {
	f := newFakeAlertmanager(t)
	var rec recorder
	p := NewPoller(f.client(t), testInterval, rec.onChange)
	startPoller(t, quietContext(), p)

	// The third request starts after the first two polls, and their onChange, are done.
	f.waitHits(t, 3)
	if calls := rec.get(); len(calls) != 0 {
		t.Errorf("onChange called with %v, want no call when nothing fires", calls)
	}
	if err := p.LastError(); err != nil {
		t.Errorf("LastError = %v", err)
	}
	if p.Current().Len() != 0 {
		t.Errorf("Current = %v, want empty", p.Current().Keys())
	}
}

func TestPollerReportsChanges(t *testing.T) {
	f := newFakeAlertmanager(t)
	f.serve(http.StatusOK, alertsJSON(t, alert("HighErrorRate", "team-a"), alert("NodeDown", "")))
	var rec recorder
	p := NewPoller(f.client(t), testInterval, rec.onChange)
	startPoller(t, quietContext(), p)

	// The first poll reports what fires.
	calls := rec.waitCalls(t, 1)
	first := []Key{{"", "NodeDown"}, {"team-a", "HighErrorRate"}}
	if !slices.Equal(calls[0], first) {
		t.Fatalf("first onChange = %v, want %v", calls[0], first)
	}
	if !p.Current().Equal(NewSet(first...)) {
		t.Errorf("Current = %v, want %v", p.Current().Keys(), first)
	}

	// Unchanged polls report nothing.
	f.waitHits(t, f.hits.Load()+3)
	if calls := rec.get(); len(calls) != 1 {
		t.Fatalf("onChange calls = %v, want only the first one while nothing changes", calls)
	}

	// A change reports only the keys that changed.
	f.serve(http.StatusOK, alertsJSON(t, alert("NodeDown", ""), alert("HighErrorRate", "team-b")))
	calls = rec.waitCalls(t, 2)
	second := []Key{{"team-a", "HighErrorRate"}, {"team-b", "HighErrorRate"}}
	if !slices.Equal(calls[1], second) {
		t.Errorf("second onChange = %v, want %v", calls[1], second)
	}
	cur := p.Current()
	if !cur.InAlarm("team-b", "HighErrorRate") || cur.InAlarm("team-a", "HighErrorRate") || !cur.InAlarm("team-a", "NodeDown") {
		t.Errorf("Current = %v after the change", cur.Keys())
	}

	// Everything resolving reports every key.
	f.serve(http.StatusOK, "[]")
	calls = rec.waitCalls(t, 3)
	third := []Key{{"", "NodeDown"}, {"team-b", "HighErrorRate"}}
	if !slices.Equal(calls[2], third) {
		t.Errorf("third onChange = %v, want %v", calls[2], third)
	}
}

func TestPollerKeepsLastSetOnError(t *testing.T) {
	f := newFakeAlertmanager(t)
	firing := alertsJSON(t, alert("HighErrorRate", "team-a"))
	f.serve(http.StatusOK, firing)
	var rec recorder
	var logs syncBuffer
	ctx := ctrl.LoggerInto(context.Background(), zap.New(zap.WriteTo(&logs)))
	p := NewPoller(f.client(t), testInterval, rec.onChange)
	startPoller(t, ctx, p)
	rec.waitCalls(t, 1)
	want := NewSet(Key{"team-a", "HighErrorRate"})

	const failed = "polling Alertmanager failed"
	const recovered = "polling Alertmanager succeeds again"
	for streak := 1; streak <= 2; streak++ {
		f.serve(http.StatusBadGateway, "bad gateway")
		eventually(t, func() bool { return p.LastError() != nil }, "LastError to be set (streak %d)", streak)
		if err := p.LastError(); !strings.Contains(err.Error(), "502") {
			t.Errorf("LastError = %v, want the 502", err)
		}
		// Let the streak go on for a few polls.
		f.waitHits(t, f.hits.Load()+3)
		if !p.Current().Equal(want) {
			t.Errorf("Current = %v during the errors, want the last known %v", p.Current().Keys(), want.Keys())
		}
		if n := logs.count(failed); n != streak {
			t.Errorf("%q logged %d times after %d streaks, want once per streak:\n%s", failed, n, streak, logs.buf.String())
		}

		f.serve(http.StatusOK, firing)
		eventually(t, func() bool { return p.LastError() == nil }, "LastError to be cleared (streak %d)", streak)
		if n := logs.count(recovered); n != streak {
			t.Errorf("%q logged %d times after %d streaks", recovered, n, streak)
		}
	}
	// Neither the errors nor the recoveries changed the alarms.
	f.waitHits(t, f.hits.Load()+2)
	if calls := rec.get(); len(calls) != 1 {
		t.Errorf("onChange calls = %v, want only the first one", calls)
	}
	if !p.Current().Equal(want) {
		t.Errorf("Current = %v, want %v", p.Current().Keys(), want.Keys())
	}
}

func TestPollerErrorBeforeFirstSuccess(t *testing.T) {
	f := newFakeAlertmanager(t)
	f.serve(http.StatusInternalServerError, "starting")
	var rec recorder
	p := NewPoller(f.client(t), testInterval, rec.onChange)
	startPoller(t, quietContext(), p)

	eventually(t, func() bool { return p.LastError() != nil }, "LastError to be set")
	if p.Current().Len() != 0 {
		t.Errorf("Current = %v, want empty", p.Current().Keys())
	}
	f.serve(http.StatusOK, alertsJSON(t, alert("NodeDown", "")))
	calls := rec.waitCalls(t, 1)
	if want := []Key{{"", "NodeDown"}}; !slices.Equal(calls[0], want) {
		t.Errorf("onChange = %v, want %v", calls[0], want)
	}
	if err := p.LastError(); err != nil {
		t.Errorf("LastError = %v after the recovery", err)
	}
}

func TestPollerStopsOnCancel(t *testing.T) {
	t.Run("between polls", func(t *testing.T) {
		f := newFakeAlertmanager(t)
		p := NewPoller(f.client(t), time.Hour, nil)
		cancel, done := startPoller(t, quietContext(), p)
		f.waitHits(t, 1)
		cancel()
		waitStopped(t, done)
	})
	t.Run("during a poll", func(t *testing.T) {
		f := newFakeAlertmanager(t)
		f.hang()
		p := NewPoller(f.client(t), testInterval, nil)
		cancel, done := startPoller(t, quietContext(), p)
		f.waitHits(t, 1)
		cancel()
		waitStopped(t, done)
		if err := p.LastError(); err != nil {
			t.Errorf("LastError = %v, want the cancellation not recorded as an Alertmanager error", err)
		}
	})
}

func TestPollerStartErrors(t *testing.T) {
	c, err := NewClient("http://alertmanager:9093", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		p       *Poller
		wantErr string
	}{
		{"no client", NewPoller(nil, time.Second, nil), "no Alertmanager client"},
		{"zero interval", NewPoller(c, 0, nil), "must be positive"},
		{"negative interval", NewPoller(c, -time.Second, nil), "must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Start(quietContext())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Start = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}

	t.Run("already started", func(t *testing.T) {
		f := newFakeAlertmanager(t)
		p := NewPoller(f.client(t), time.Hour, nil)
		startPoller(t, quietContext(), p)
		f.waitHits(t, 1)
		if err := p.Start(quietContext()); err == nil || !strings.Contains(err.Error(), "already started") {
			t.Errorf("second Start = %v, want an already started error", err)
		}
	})
}

func TestPollerNeedLeaderElection(t *testing.T) {
	if !NewPoller(nil, time.Second, nil).NeedLeaderElection() {
		t.Error("NeedLeaderElection = false, want true")
	}
}
