package alarms

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

var (
	_ manager.Runnable               = (*Poller)(nil)
	_ manager.LeaderElectionRunnable = (*Poller)(nil)
)

// Poller polls an Alertmanager, keeps the latest Set of firing alarms and reports the keys
// that change. It is a controller-runtime Runnable that runs on the leader only; add it to
// the manager with mgr.Add. Its methods are safe for concurrent use.
type Poller struct {
	client   *Client
	interval time.Duration
	onChange func([]Key)
	started  atomic.Bool

	mu      sync.RWMutex
	current Set
	lastErr error
}

// NewPoller returns a Poller that polls c every interval once started. onChange, if not nil,
// receives the keys that changed after each poll that changed the Set, sorted (see
// [Changed]); the first successful poll reports the alerts that fire, if any. onChange is
// called from the polling goroutine, one call at a time, and should only hand the keys over
// (for example to a channel source of a controller): the next poll waits for it.
func NewPoller(c *Client, interval time.Duration, onChange func([]Key)) *Poller {
	return &Poller{client: c, interval: interval, onChange: onChange}
}

// NeedLeaderElection returns true: only the leader needs the alarms, for it is the one
// deciding on deployments.
func (p *Poller) NeedLeaderElection() bool { return true }

// Current returns the Set of the last successful poll; the empty Set before the first one.
// A failed poll does not change it.
func (p *Poller) Current() Set {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.current
}

// LastError returns the error of the last poll, nil when it succeeded or before the first.
func (p *Poller) LastError() error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.lastErr
}

// Start polls at once, then every interval, until ctx is done; it then returns nil. It
// returns an error without polling when the Poller is misconfigured or already started.
func (p *Poller) Start(ctx context.Context) error {
	switch {
	case p.client == nil:
		return errors.New("alarms poller: no Alertmanager client")
	case p.interval <= 0:
		return fmt.Errorf("alarms poller: poll interval must be positive, got %s", p.interval)
	case !p.started.CompareAndSwap(false, true):
		return errors.New("alarms poller: already started")
	}
	log := ctrl.LoggerFrom(ctx).WithName("alarms").WithValues("url", p.client.String())
	ctx = ctrl.LoggerInto(ctx, log)
	log.Info("polling Alertmanager for firing alarms", "interval", p.interval)

	ticker := time.NewTicker(p.interval)
	defer ticker.Stop()
	for {
		p.poll(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// poll reads the firing alerts once, records the outcome and reports the changed keys.
func (p *Poller) poll(ctx context.Context) {
	log := ctrl.LoggerFrom(ctx)
	set, err := p.client.Firing(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return // stopping: the error is the cancellation, not Alertmanager's
		}
		p.mu.Lock()
		streak := p.lastErr != nil
		p.lastErr = err
		kept := p.current.Len()
		p.mu.Unlock()
		if streak {
			log.V(1).Info("polling Alertmanager still fails; keeping the last known alarms", "error", err.Error(), "alarmsKept", kept)
		} else {
			log.Error(err, "polling Alertmanager failed; keeping the last known alarms until it answers", "alarmsKept", kept)
		}
		return
	}

	p.mu.Lock()
	recovered := p.lastErr != nil
	changed := Changed(p.current, set)
	p.current = set
	p.lastErr = nil
	p.mu.Unlock()

	if recovered {
		log.Info("polling Alertmanager succeeds again", "firing", set.Len())
	}
	if len(changed) > 0 {
		log.V(1).Info("firing alarms changed", "changed", changed, "firing", set.Len())
		if p.onChange != nil {
			p.onChange(changed)
		}
	}
}
