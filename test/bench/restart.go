package main

import (
	"context"
	"fmt"
	"time"
)

// drainLimit bounds the wait for the restarted operator to reconcile everything once.
const drainLimit = 10 * time.Minute

// restartResult is what the operator wrote after a restart, with everything converged: the
// restart lists every object and reconciles each one, which should find nothing to change.
type restartResult struct {
	// ReadySeconds is from the stop until the new process was ready (serving /readyz, its CA
	// in every webhook configuration); the window counted starts then and lasts
	// -resync-window (WindowSeconds, as it took). ResyncSeconds is from the stop until the new
	// process had reconciled every Service once with its work queues empty; ResyncInWindow
	// says whether that happened within the window (if not, the window did not see the whole
	// initial resync, and the phase waited for it afterwards without counting).
	ReadySeconds   float64 `json:"readySeconds"`
	ResyncSeconds  number  `json:"resyncSeconds"`
	ResyncInWindow bool    `json:"resyncInWindow"`
	WindowSeconds  float64 `json:"windowSeconds"`
	// Requests are the operator's requests in the window, which the target is checked on.
	// StartupRequests are those from the stop until ready: the old process's last and the new
	// one's start, shown but not counted.
	Requests        operatorRequests `json:"requests"`
	StartupRequests operatorRequests `json:"startupRequests"`
	// ReconcilerWrites are the writes in the window other than the serving certificate's (its
	// rotator re-injects the CA into every webhook configuration on start, changed or not).
	ReconcilerWrites float64 `json:"reconcilerWrites"`
}

// runRestart restarts the operator and counts its writes for -resync-window from the moment
// the new process is ready: a fixed window, as a user would see it, in which the initial
// resync runs. It also records when that resync was done (every one of the services Services
// reconciled once), and waits for it before returning, so that the phases after this one find
// it done.
func runRestart(ctx context.Context, e *env, services int) (restartResult, error) {
	res := restartResult{ResyncSeconds: nan()}
	window := e.opts.resyncWindow
	before, err := e.operatorRequests(ctx)
	if err != nil {
		return res, err
	}
	logf("restart: restarting the operator, counting its writes for %s from when it is ready", window)
	start := time.Now()
	if err := e.restartOperator(ctx); err != nil {
		return res, err
	}
	ready := time.Now()
	res.ReadySeconds = ready.Sub(start).Seconds()
	atReady, err := e.operatorRequests(ctx)
	if err != nil {
		return res, err
	}
	res.StartupRequests = atReady.since(before)
	end := ready.Add(window)
	drained, err := waitDrained(ctx, e, services, end)
	if err != nil {
		return res, err
	}
	if drained {
		res.ResyncSeconds, res.ResyncInWindow = number(time.Since(start).Seconds()), true
	}
	if err := pause(ctx, time.Until(end)); err != nil {
		return res, err
	}
	after, err := e.operatorRequests(ctx)
	if err != nil {
		return res, err
	}
	res.WindowSeconds, res.Requests = time.Since(ready).Seconds(), after.since(atReady)
	res.ReconcilerWrites = res.Requests.total() - res.Requests.Writes["webhook-certificate"] - res.Requests.Writes["secrets"]
	logf("restart: ready after %.1fs (%.0f writes until then: %s); %.0f writes (%s), %.0f reads in the %.0fs after",
		res.ReadySeconds, res.StartupRequests.total(), res.StartupRequests, res.Requests.total(), res.Requests,
		res.Requests.Reads, res.WindowSeconds)
	if !drained {
		logf("restart: the operator had not reconciled every Service within the window; waiting for it")
		if drained, err = waitDrained(ctx, e, services, start.Add(drainLimit)); err != nil {
			return res, err
		}
		if !drained {
			logf("restart: the operator had not reconciled every Service after %s", drainLimit)
			return res, nil
		}
		res.ResyncSeconds = number(time.Since(start).Seconds())
	}
	logf("restart: resync done %.1fs after the stop", float64(res.ResyncSeconds))
	return res, nil
}

// waitDrained waits until deadline for the operator to have reconciled at least services
// Services with every work queue empty.
func waitDrained(ctx context.Context, e *env, services int, deadline time.Time) (bool, error) {
	for time.Now().Before(deadline) {
		m, err := e.operatorMetrics(ctx)
		if err != nil {
			return false, err
		}
		reconciled := m.sum("controller_runtime_reconcile_total", func(l map[string]string) bool { return l["controller"] == "service" })
		if reconciled >= float64(services) && m.sum("workqueue_depth", nil) == 0 {
			return true, nil
		}
		if err := pause(ctx, min(500*time.Millisecond, time.Until(deadline))); err != nil {
			return false, fmt.Errorf("waiting for the operator's resync: %w", err)
		}
	}
	return false, nil
}
