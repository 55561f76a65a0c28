package leader

import (
	"context"
	"errors"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// fakeLease is the Lease in the API server, reachable or not.
type fakeLease struct {
	identity string
	rec      *resourcelock.LeaderElectionRecord
	down     bool
}

var errRefused = &netError{syscall.ECONNREFUSED}

type netError struct{ errno syscall.Errno }

func (e *netError) Error() string { return "dial tcp 10.0.0.1:6443: " + e.errno.Error() }
func (e *netError) Unwrap() error { return e.errno }

func (f *fakeLease) Get(context.Context) (*resourcelock.LeaderElectionRecord, []byte, error) {
	if f.down {
		return nil, nil, errRefused
	}
	if f.rec == nil {
		return nil, nil, apierrors.NewNotFound(schema.GroupResource{Resource: "leases"}, "lease")
	}
	r := *f.rec
	return &r, marshal(r), nil
}

func (f *fakeLease) Create(_ context.Context, r resourcelock.LeaderElectionRecord) error {
	if f.down {
		return errRefused
	}
	f.rec = &r
	return nil
}

func (f *fakeLease) Update(_ context.Context, r resourcelock.LeaderElectionRecord) error {
	if f.down {
		return errRefused
	}
	f.rec = &r
	return nil
}

func (f *fakeLease) RecordEvent(string) {}
func (f *fakeLease) Identity() string   { return f.identity }
func (f *fakeLease) Describe() string   { return "test/lease" }
func (f *fakeLease) holder(id string) resourcelock.LeaderElectionRecord {
	return resourcelock.LeaderElectionRecord{HolderIdentity: id, LeaseDurationSeconds: 15, RenewTime: metav1.Now()}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newLock(identity string, tolerance time.Duration) (*Lock, *fakeLease, *clock) {
	f := &fakeLease{identity: identity}
	c := &clock{t: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)}
	l := New(f, tolerance, logr.Discard())
	l.now = c.now
	return l, f, c
}

func writable(l *Lock) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	return l.WaitConfirmed(ctx) == nil
}

func TestLock_ALeaderRidesOutAnOutageWithinTheTolerance(t *testing.T) {
	g := NewWithT(t)
	l, f, c := newLock("a", time.Minute)
	ctx := context.Background()
	g.Expect(l.Create(ctx, f.holder("a"))).To(Succeed())
	g.Expect(writable(l)).To(BeTrue())

	f.down = true
	c.t = c.t.Add(5 * time.Second)
	g.Expect(l.Update(ctx, f.holder("a"))).To(Succeed(), "a renewal during the outage counts as done")
	g.Expect(writable(l)).To(BeFalse(), "writes wait during the outage")
	rec, _, err := l.Get(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rec.HolderIdentity).To(Equal("a"))

	c.t = c.t.Add(50 * time.Second)
	g.Expect(l.Update(ctx, f.holder("a"))).To(Succeed())
	c.t = c.t.Add(11 * time.Second)
	g.Expect(l.Update(ctx, f.holder("a"))).To(MatchError(errRefused), "beyond the tolerance the renewal fails")

	f.down = false
	g.Expect(l.Update(ctx, f.holder("a"))).To(Succeed())
	g.Expect(writable(l)).To(BeTrue(), "the first renewal after the outage confirms the leader")
}

func TestLock_ALeaderCutOffAloneNeverWritesAfterAnotherTookTheLease(t *testing.T) {
	g := NewWithT(t)
	l, f, c := newLock("a", time.Minute)
	ctx := context.Background()
	g.Expect(l.Create(ctx, f.holder("a"))).To(Succeed())
	f.down = true
	c.t = c.t.Add(20 * time.Second)
	g.Expect(l.Update(ctx, f.holder("a"))).To(Succeed())
	// Meanwhile replica b, which still reached the API server, took the Lease.
	f.down, f.rec = false, &resourcelock.LeaderElectionRecord{HolderIdentity: "b", LeaseDurationSeconds: 15}
	rec, _, err := l.Get(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rec.HolderIdentity).To(Equal("b"))
	g.Expect(writable(l)).To(BeFalse(), "the old leader's writes stay held until its election is lost")
}

func TestLock_AFollowerWaitsAFullLeaseAfterAnOutageAndNeverTakesTheLeaseDuringIt(t *testing.T) {
	g := NewWithT(t)
	l, f, c := newLock("b", time.Minute)
	ctx := context.Background()
	f.rec = &resourcelock.LeaderElectionRecord{HolderIdentity: "a", LeaseDurationSeconds: 15}
	_, before, err := l.Get(ctx)
	g.Expect(err).NotTo(HaveOccurred())

	f.down = true
	c.t = c.t.Add(30 * time.Second)
	rec, raw, err := l.Get(ctx)
	g.Expect(err).NotTo(HaveOccurred(), "reads during the outage are the record last seen")
	g.Expect(rec.HolderIdentity).To(Equal("a"))
	g.Expect(raw).To(Equal(before), "unchanged, so the lease's expiry is not reset by the outage itself")
	g.Expect(l.Update(ctx, f.holder("b"))).To(MatchError(errRefused), "a follower's takeover is never pretended")

	f.down = false
	_, after, err := l.Get(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(after).NotTo(Equal(before), "the first read after the outage is a change: the follower waits a lease duration again")
	g.Expect(writable(l)).To(BeTrue())
	_, again, err := l.Get(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again).To(Equal(before))
}

func TestLock_AnswersOfTheAPIServerAreNeverRiddenOut(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		ride bool
	}{
		{"connection refused", errRefused, true},
		{"503 from a proxy in front", apierrors.NewServiceUnavailable("down"), true},
		{"504 gateway timeout", apierrors.NewTimeoutError("slow", 1), true},
		{"conflict", apierrors.NewConflict(schema.GroupResource{Resource: "leases"}, "lease", errors.New("changed")), false},
		{"forbidden", apierrors.NewForbidden(schema.GroupResource{Resource: "leases"}, "lease", errors.New("rbac")), false},
		{"canceled", context.Canceled, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(unanswered(tc.err)).To(Equal(tc.ride))
		})
	}
}

func TestLock_WithoutToleranceNothingIsRiddenOut(t *testing.T) {
	g := NewWithT(t)
	l, f, _ := newLock("a", 0)
	ctx := context.Background()
	g.Expect(l.Create(ctx, f.holder("a"))).To(Succeed())
	f.down = true
	g.Expect(l.Update(ctx, f.holder("a"))).To(MatchError(errRefused))
	_, _, err := l.Get(ctx)
	g.Expect(err).To(MatchError(errRefused))
	g.Expect(writable(l)).To(BeTrue())
}

func TestGate_RequestsWaitDuringAnOutageInsteadOfFailing(t *testing.T) {
	g := NewWithT(t)
	l, f, _ := newLock("a", time.Minute)
	ctx := context.Background()
	g.Expect(l.Create(ctx, f.holder("a"))).To(Succeed())
	var sent []string
	rt := l.Gate(roundTripper(func(r *http.Request) (*http.Response, error) {
		sent = append(sent, r.Method)
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
	}))
	get, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://api/x", nil)
	g.Expect(roundTrip(rt, get)).To(Succeed(), "no outage: requests pass")

	f.down = true
	g.Expect(l.Update(ctx, f.holder("a"))).To(Succeed())
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	for _, method := range []string{http.MethodGet, http.MethodPatch} {
		req, _ := http.NewRequestWithContext(short, method, "https://api/x", nil)
		g.Expect(roundTrip(rt, req)).To(MatchError(context.DeadlineExceeded), "%s during the outage", method)
	}
	g.Expect(sent).To(Equal([]string{http.MethodGet}))

	f.down = false
	g.Expect(l.Update(ctx, f.holder("a"))).To(Succeed())
	patch, _ := http.NewRequestWithContext(ctx, http.MethodPatch, "https://api/x", nil)
	g.Expect(roundTrip(rt, patch)).To(Succeed())
	g.Expect(sent).To(Equal([]string{http.MethodGet, http.MethodPatch}))
}

// roundTrip sends req through rt and closes the answer's body.
func roundTrip(rt http.RoundTripper, req *http.Request) error {
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
