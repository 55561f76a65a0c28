// Package leader is the manager's leader-election lock: a Lease, as controller-runtime's, that
// also rides out an outage of the API server. Without it, a leader that cannot renew for the
// renew deadline (10 s in the chart) loses the election and its process exits, so a 30-second
// API server restart would restart every operator replica that leads.
//
// While the API server cannot be reached, nobody can take the Lease from the leader: taking it
// is a write to the API server. So while the lock's calls fail without an answer from the API
// server (connection refused or reset, timeouts, 503), for at most Tolerance since the last
// answer, the lock reports the leader's renewals as done and every replica's reads as the
// record it last saw. When the API server answers again:
//   - a leader whose Lease still names it carries on: no one else led in between;
//   - a leader whose Lease names another replica (this replica alone was cut off, and the
//     other took over) loses the election as without this lock;
//   - a follower's first read counts as a change of the record, so it waits a full lease
//     duration before trying to take the Lease instead of racing the leader's renewal.
//
// From the first unanswered call until an answer confirms that this replica may go on (Gate),
// the manager's requests wait instead of failing: a leader cut off alone writes nothing between
// reconnecting and learning it lost the Lease, and the caches' watches, rather than failing
// and backing off for up to a minute (client-go's reflectors), resume as soon as the API
// server answers.
package leader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// Lock is a resourcelock.Interface that rides out API server outages of up to Tolerance.
type Lock struct {
	resourcelock.Interface
	// Tolerance is how long after the API server's last answer an outage is ridden out; zero
	// rides out none.
	Tolerance time.Duration
	Log       logr.Logger
	// now is time.Now, replaced in tests.
	now func() time.Time

	mu sync.Mutex
	// last is the record last read or written, lastRaw its bytes as Get returns them.
	last    *resourcelock.LeaderElectionRecord
	lastRaw []byte
	// answered is when the API server last answered a call of the lock.
	answered time.Time
	// outage is set from the first unanswered call to the next answer; wasLeader says whether
	// this replica held the Lease when it began.
	outage    bool
	wasLeader bool
	// outageSince is when the outage began.
	outageSince time.Time
	// confirmed is closed while this replica may send requests; a new, open channel during an outage
	// and after one until an answer confirms it.
	confirmed chan struct{}
	// salt marks the first read after an outage as a change of the record.
	salt bool
}

// New wraps inner.
func New(inner resourcelock.Interface, tolerance time.Duration, log logr.Logger) *Lock {
	open := make(chan struct{})
	close(open)
	return &Lock{Interface: inner, Tolerance: tolerance, Log: log, now: time.Now, confirmed: open}
}

// Get reads the record; during an outage it is the record last seen.
func (l *Lock) Get(ctx context.Context) (*resourcelock.LeaderElectionRecord, []byte, error) {
	rec, raw, err := l.Interface.Get(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		l.remember(rec, raw)
		if l.outage || l.salt {
			confirmed := !l.wasLeader || rec.HolderIdentity == l.Identity()
			l.endOutage(confirmed)
		}
		if l.salt {
			l.salt = false
			// A byte more than the record: the elector sees a change and starts the lease
			// duration again from now.
			raw = append(append([]byte{}, raw...), ' ')
		}
		return rec, raw, nil
	}
	if l.ridesOut(err) {
		rec := *l.last
		return &rec, l.lastRaw, nil
	}
	return nil, nil, err
}

// Create creates the record.
func (l *Lock) Create(ctx context.Context, rec resourcelock.LeaderElectionRecord) error {
	err := l.Interface.Create(ctx, rec)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		l.written(rec)
		return nil
	}
	if l.Tolerance > 0 && unanswered(err) {
		l.beginOutage()
	}
	return err
}

// Update writes the record; during an outage a leader's own renewal counts as done.
func (l *Lock) Update(ctx context.Context, rec resourcelock.LeaderElectionRecord) error {
	err := l.Interface.Update(ctx, rec)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		l.written(rec)
		return nil
	}
	if l.ridesOut(err) && l.wasLeader && rec.HolderIdentity == l.Identity() {
		// Not an answer: the tolerance still counts from the last one.
		r := rec
		l.last, l.lastRaw = &r, marshal(rec)
		return nil
	}
	return err
}

// written records a successful write: whoever wrote the Lease may go on, and has seen the
// record as it is (no salt needed).
func (l *Lock) written(rec resourcelock.LeaderElectionRecord) {
	l.remember(&rec, marshal(rec))
	l.endOutage(true)
	l.salt = false
}

func (l *Lock) remember(rec *resourcelock.LeaderElectionRecord, raw []byte) {
	r := *rec
	l.last, l.lastRaw, l.answered = &r, raw, l.now()
}

// ridesOut says whether err is an outage to ride out, and begins one if so.
func (l *Lock) ridesOut(err error) bool {
	if l.Tolerance <= 0 || l.last == nil || !unanswered(err) {
		return false
	}
	l.beginOutage()
	return l.now().Sub(l.answered) < l.Tolerance
}

func (l *Lock) beginOutage() {
	if l.outage {
		return
	}
	l.outage, l.salt, l.outageSince = true, true, l.now()
	l.wasLeader = l.last != nil && l.last.HolderIdentity == l.Identity()
	l.confirmed = make(chan struct{})
	l.Log.Info("the API server does not answer; requests wait for it", "leader", l.wasLeader, "rideOutFor", l.Tolerance)
}

// endOutage ends an outage; confirmed lets requests through again. A leader that lost the Lease
// keeps them closed: its election is lost and the manager stops.
func (l *Lock) endOutage(confirmed bool) {
	if !l.outage {
		return
	}
	l.outage = false
	if confirmed {
		close(l.confirmed)
		l.Log.Info("the API server answers again; requests resume", "outageFor", l.now().Sub(l.outageSince).Round(time.Second))
		return
	}
	l.Log.Info("the API server answers again and the Lease names another replica; this one stops leading", "holder", l.last.HolderIdentity)
}

// WaitConfirmed returns once this replica may send requests, or with ctx's error.
func (l *Lock) WaitConfirmed(ctx context.Context) error {
	l.mu.Lock()
	ch := l.confirmed
	l.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the API server to confirm this replica's leadership: %w", ctx.Err())
	}
}

// Gate wraps a transport of the manager's clients so that their requests wait for
// WaitConfirmed during an outage. The lock's own client must not be gated.
func (l *Lock) Gate(rt http.RoundTripper) http.RoundTripper {
	return gatedTransport{lock: l, next: rt}
}

type gatedTransport struct {
	lock *Lock
	next http.RoundTripper
}

func (g gatedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := g.lock.WaitConfirmed(req.Context()); err != nil {
		return nil, err
	}
	return g.next.RoundTrip(req)
}

// unanswered says whether err means the API server gave no answer: no status at all (refused,
// reset, timed out), or a 503 or 504 from a server in front of it.
func unanswered(err error) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return !errors.Is(err, context.Canceled)
	}
	return apierrors.IsServiceUnavailable(err) || apierrors.IsTimeout(err)
}

func marshal(rec resourcelock.LeaderElectionRecord) []byte {
	b, _ := json.Marshal(rec)
	return b
}
