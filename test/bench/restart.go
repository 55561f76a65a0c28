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
	// ReadySeconds is until the new process was ready; ResyncSeconds until it had reconciled
	// every Service once with its work queues empty; WindowSeconds the whole window counted,
	// which ends -resync-window after that.
	ReadySeconds  float64          `json:"readySeconds"`
	ResyncSeconds number           `json:"resyncSeconds"`
	WindowSeconds float64          `json:"windowSeconds"`
	Requests      operatorRequests `json:"requests"`
	// ReconcilerWrites leave out the serving certificate's writes (its rotator re-injects the
	// CA into every webhook configuration on start, changed or not).
	ReconcilerWrites float64 `json:"reconcilerWrites"`
}

// runRestart restarts the operator and counts its writes from the moment it stops until
// -resync-window after it has reconciled each of the services Services once: with many objects
// the initial resync outlasts a fixed window, and its writes are the ones that matter.
func runRestart(ctx context.Context, e *env, services int) (restartResult, error) {
	res := restartResult{ResyncSeconds: nan()}
	before, err := e.operatorRequests(ctx)
	if err != nil {
		return res, err
	}
	logf("restart: restarting the operator, counting its writes until %s after its resync", e.opts.resyncWindow)
	start := time.Now()
	if err := e.restartOperator(ctx); err != nil {
		return res, err
	}
	res.ReadySeconds = time.Since(start).Seconds()
	drained, err := waitDrained(ctx, e, services)
	if err != nil {
		return res, err
	}
	if drained {
		res.ResyncSeconds = number(time.Since(start).Seconds())
	} else {
		logf("restart: the operator had not reconciled every Service after %s", drainLimit)
	}
	select {
	case <-ctx.Done():
		return res, ctx.Err()
	case <-time.After(e.opts.resyncWindow):
	}
	after, err := e.operatorRequests(ctx)
	if err != nil {
		return res, err
	}
	res.WindowSeconds, res.Requests = time.Since(start).Seconds(), after.since(before)
	res.ReconcilerWrites = res.Requests.total() - res.Requests.Writes["webhook-certificate"] - res.Requests.Writes["secrets"]
	logf("restart: resync took %.1fs; %.0f writes (%s), %.0f reads in %.0fs", float64(res.ResyncSeconds),
		res.Requests.total(), res.Requests, res.Requests.Reads, res.WindowSeconds)
	return res, nil
}

// waitDrained waits until the operator has reconciled at least services Services and every
// work queue is empty.
func waitDrained(ctx context.Context, e *env, services int) (bool, error) {
	deadline := time.Now().Add(drainLimit)
	for time.Now().Before(deadline) {
		m, err := e.operatorMetrics(ctx)
		if err != nil {
			return false, err
		}
		reconciled := m.sum("controller_runtime_reconcile_total", func(l map[string]string) bool { return l["controller"] == "service" })
		if reconciled >= float64(services) && m.sum("workqueue_depth", nil) == 0 {
			return true, nil
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("waiting for the operator's resync: %w", ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
	return false, nil
}
