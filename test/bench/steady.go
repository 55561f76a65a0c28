package main

import (
	"context"
	"time"
)

// steadyResult is what the operator wrote in -steady-window of steady state: after the
// convergence run, with every Service converged and the operator quiet, and before the
// restart. Nobody changes anything in that window, so each write is one the operator makes on
// its own (a periodic status refresh, a repeated Event, a resync that finds a difference where
// there is none) and costs the API server and etcd for nothing, forever.
type steadyResult struct {
	WindowSeconds float64 `json:"windowSeconds"`
	// Requests are the operator's requests in the window, attributed as in the convergence
	// run (flowschemas.go): its writes by category, that is by resource. They are not split
	// by verb: apiserver_flowcontrol_dispatched_requests_total carries only the FlowSchema and
	// the priority level, and the FlowSchemas take every write verb of their resources.
	Requests operatorRequests `json:"requests"`
	// Controllers are the reconciles in the window, which say who made the writes (none
	// listed when no controller reconciled).
	Controllers []controllerWork `json:"controllers"`
}

// runSteady counts the operator's requests and reconciles over -steady-window, changing
// nothing.
func runSteady(ctx context.Context, e *env) (steadyResult, error) {
	var res steadyResult
	window := e.opts.steadyWindow
	before, err := e.operatorRequests(ctx)
	if err != nil {
		return res, err
	}
	opBefore, err := e.operatorMetrics(ctx)
	if err != nil {
		return res, err
	}
	logf("steady state: counting the operator's writes for %s, changing nothing", window)
	start := time.Now()
	if err := pause(ctx, window); err != nil {
		return res, err
	}
	after, err := e.operatorRequests(ctx)
	if err != nil {
		return res, err
	}
	res.WindowSeconds, res.Requests = time.Since(start).Seconds(), after.since(before)
	opAfter, err := e.operatorMetrics(ctx)
	if err != nil {
		return res, err
	}
	res.Controllers = controllerWorkBetween(opBefore, opAfter)
	logf("steady state: %.0f writes (%s), %.0f reads in %.0fs", res.Requests.total(), res.Requests,
		res.Requests.Reads, res.WindowSeconds)
	for _, w := range res.Controllers {
		logf("steady state: controller %s: %.0f reconciles (%.0f errors, %.0f requeues)", w.Controller, w.Reconciles, w.Errors, w.Requeues)
	}
	return res, nil
}

// pause waits for d, or until ctx ends.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
