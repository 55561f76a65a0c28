package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// runResult is one convergence run: N objects created by concurrency clients, and when each
// reached its goal.
type runResult struct {
	Objects   int `json:"objects"`
	Converged int `json:"converged"`
	// CreatesSeconds is when the last create returned; Seconds when the last object
	// converged (null when some never did within -converge-timeout). LagSeconds is the time
	// between the two: how long the user waits after the last create returned, the part of
	// the run that is the operator's work alone and not the clients' (null with Seconds).
	CreatesSeconds number       `json:"createsSeconds"`
	Seconds        number       `json:"seconds"`
	LagSeconds     number       `json:"lagSeconds"`
	Curve          []curvePoint `json:"curve"`
}

// curvePoint is the number of objects converged by a time.
type curvePoint struct {
	Seconds   float64 `json:"seconds"`
	Converged int     `json:"converged"`
}

func resultOf(c *convergence, n int, creates time.Duration, all bool) runResult {
	times := c.times()
	r := runResult{Objects: n, Converged: len(times), CreatesSeconds: number(creates.Seconds()), Seconds: nan(), LagSeconds: nan()}
	if all && len(times) > 0 {
		r.Seconds = number(times[len(times)-1].Seconds())
		// Both are measured from the run's start (begin, then the creates at once). A watch can
		// see the last object converge before the response to its create arrives: no lag then.
		r.LagSeconds = max(0, r.Seconds-r.CreatesSeconds)
	}
	r.Curve = curve(times)
	return r
}

// curvePoints is about the most points a curve keeps: enough for a smooth line.
const curvePoints = 400

// curve samples ascending convergence times into about curvePoints points.
func curve(times []time.Duration) []curvePoint {
	out := []curvePoint{{Seconds: 0, Converged: 0}}
	step := max(1, len(times)/curvePoints)
	for i := step - 1; i < len(times); i += step {
		out = append(out, curvePoint{Seconds: times[i].Seconds(), Converged: i + 1})
	}
	if n := len(times); n > 0 && out[len(out)-1].Converged != n {
		out = append(out, curvePoint{Seconds: times[n-1].Seconds(), Converged: n})
	}
	return out
}

// runFloor is the floor: a bare client creating the same N Deployments the operator makes
// (template is one of them), with the same concurrency, into plain namespaces that neither the
// operator nor its webhooks look at. A Deployment has converged when the watch shows it (and,
// with -desired-count, its replicas ready). The namespaces are removed afterwards, so that
// the operator's run finds an API server holding as much as the floor's did.
func runFloor(ctx context.Context, e *env, template *appsv1.Deployment) (runResult, error) {
	o, c := e.opts, e.cluster.Client
	for t := range o.tenants {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: floorNamespace(t)}}
		if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
			return runResult{}, fmt.Errorf("creating namespace %s: %w", ns.Name, err)
		}
	}
	for t := range o.tenants {
		if err := waitDefaultServiceAccount(ctx, c, floorNamespace(t)); err != nil {
			return runResult{}, err
		}
	}
	desired := int32(o.desiredCount)
	conv := newConvergence(o.services)
	w, err := watch(ctx, e.cluster.Config, c.Scheme(), cache.Options{ByObject: map[client.Object]cache.ByObject{
		&appsv1.Deployment{}: {Label: labels.SelectorFromSet(labels.Set{labelFloor: "true"})},
	}}, func(obj client.Object) {
		d, ok := obj.(*appsv1.Deployment)
		if ok && (desired == 0 || (d.Status.ObservedGeneration >= d.Generation && d.Status.ReadyReplicas >= desired)) {
			conv.mark(d.Namespace + "/" + d.Name)
		}
	}, &appsv1.Deployment{})
	if err != nil {
		return runResult{}, err
	}
	defer w.stop()

	logf("floor: creating %d Deployments with %d clients", o.services, o.concurrency)
	conv.begin()
	start := time.Now()
	if err := forEach(ctx, o.services, o.concurrency, func(ctx context.Context, i int) error {
		d := plainDeployment(template, floorNamespace(tenantOf(i, o.tenants)), serviceName(i), desired, true)
		return c.Create(ctx, d)
	}); err != nil {
		return runResult{}, fmt.Errorf("floor: %w", err)
	}
	creates := time.Since(start)
	all := conv.wait(ctx, o.convergeTimeout)
	res := resultOf(conv, o.services, creates, all)
	logf("floor: %d of %d Deployments in %.1fs (creates done at %.1fs)", res.Converged, o.services, float64(res.Seconds), creates.Seconds())
	w.stop()
	return res, deleteFloor(ctx, c, o.tenants)
}

// deleteFloor removes the floor's namespaces and waits until they are gone.
func deleteFloor(ctx context.Context, c client.Client, tenants int) error {
	logf("floor: deleting its namespaces")
	for t := range tenants {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: floorNamespace(t)}}
		if err := c.Delete(ctx, ns); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting namespace %s: %w", ns.Name, err)
		}
	}
	err := wait.PollUntilContextTimeout(ctx, time.Second, 10*time.Minute, true, func(ctx context.Context) (bool, error) {
		list := &corev1.NamespaceList{}
		if err := c.List(ctx, list); err != nil {
			return false, err
		}
		for _, ns := range list.Items {
			if strings.HasPrefix(ns.Name, "bench-floor-") {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the floor's namespaces to go: %w", err)
	}
	return nil
}

// operatorRun is the convergence run through the operator, with the writes it cost.
type operatorRun struct {
	runResult
	// Writes are the operator's writes from the first create until it went quiet;
	// WritesAtConvergence until the last Service converged.
	Writes              operatorRequests `json:"writes"`
	WritesAtConvergence operatorRequests `json:"writesAtConvergence"`
	QuietSeconds        number           `json:"quietSeconds"`
	// Controllers is what each of the operator's controllers did from the first create until
	// quiet.
	Controllers []controllerWork `json:"controllers"`
	// Events are the Events in the tenants' namespaces afterwards, by reason.
	Events []eventCount `json:"events"`
}

// runOperator creates N TaskDefinitions and Services with the same concurrency as the floor,
// and waits until every Service's status is current and Ready and its Deployment is right.
func runOperator(ctx context.Context, e *env) (operatorRun, error) {
	o, c := e.opts, e.cluster.Client
	desired := int32(o.desiredCount)
	conv := newConvergence(o.services)
	// A Service has converged once both its status and its Deployment are right.
	svcOK, depOK := map[string]bool{}, map[string]bool{}
	var mu sync.Mutex
	onChange := func(obj client.Object) {
		if !strings.HasPrefix(obj.GetName(), "bench-") {
			return
		}
		key := obj.GetNamespace() + "/" + obj.GetName()
		mu.Lock()
		defer mu.Unlock()
		switch x := obj.(type) {
		case *ecsv1.Service:
			svcOK[key] = serviceConverged(x)
		case *appsv1.Deployment:
			depOK[key] = deploymentRight(x, desired)
		}
		if svcOK[key] && depOK[key] {
			conv.mark(key)
		}
	}
	w, err := watch(ctx, e.cluster.Config, c.Scheme(), cache.Options{ByObject: map[client.Object]cache.ByObject{
		&appsv1.Deployment{}: {Label: labels.SelectorFromSet(labels.Set{ecsv1.LabelManagedBy: ecsv1.ManagedByValue})},
	}}, onChange, &ecsv1.Service{}, &appsv1.Deployment{})
	if err != nil {
		return operatorRun{}, err
	}
	defer w.stop()

	before, err := e.operatorRequests(ctx)
	if err != nil {
		return operatorRun{}, err
	}
	opBefore, err := e.operatorMetrics(ctx)
	if err != nil {
		return operatorRun{}, err
	}
	logf("operator: creating %d TaskDefinitions and Services with %d clients", o.services, o.concurrency)
	conv.begin()
	start := time.Now()
	if err := forEach(ctx, o.services, o.concurrency, func(ctx context.Context, i int) error {
		return createService(ctx, c, namespaceOf(i, o.tenants), serviceName(i), desired)
	}); err != nil {
		return operatorRun{}, fmt.Errorf("operator run: %w", err)
	}
	creates := time.Since(start)
	all := conv.wait(ctx, o.convergeTimeout)
	res := operatorRun{runResult: resultOf(conv, o.services, creates, all)}
	atConvergence, err := e.operatorRequests(ctx)
	if err != nil {
		return res, err
	}
	res.WritesAtConvergence = atConvergence.since(before)
	logf("operator: %d of %d Services converged in %.1fs (creates done at %.1fs, lag %.1fs); %.0f writes so far",
		res.Converged, o.services, float64(res.Seconds), creates.Seconds(), float64(res.LagSeconds), res.WritesAtConvergence.total())
	quiet, after, err := waitQuiet(ctx, e)
	if err != nil {
		return res, err
	}
	res.QuietSeconds = number(time.Since(start).Seconds())
	if !quiet {
		logf("operator: still writing %s after convergence", quietLimit)
		res.QuietSeconds = nan()
	}
	res.Writes = after.since(before)
	logf("operator: %.0f writes until quiet (%s)", res.Writes.total(), res.Writes)
	opAfter, err := e.operatorMetrics(ctx)
	if err != nil {
		return res, err
	}
	res.Controllers = controllerWorkBetween(opBefore, opAfter)
	if res.Events, err = countEvents(ctx, c); err != nil {
		return res, err
	}
	for _, ev := range res.Events {
		logf("operator: %d %s Events on %s by %s (%d occurrences): %.80s", ev.Events, ev.Reason, ev.Kind, ev.Controller, ev.Occurrences, ev.Note)
	}
	for _, w := range res.Controllers {
		logf("operator: controller %s: %.0f reconciles (%.0f errors, %.0f requeues), busy %.1fs with %.0f worker(s)",
			w.Controller, w.Reconciles, w.Errors, w.Requeues, w.BusySeconds, w.Workers)
	}
	return res, nil
}

// After convergence the operator still writes what lags behind (Events, Cluster counts); it is
// quiet once it has written nothing for quietFor, and waited for at most quietLimit.
const (
	quietFor   = 5 * time.Second
	quietLimit = 2 * time.Minute
)

// waitQuiet waits until the operator is quiet and returns its request counts then.
func waitQuiet(ctx context.Context, e *env) (bool, operatorRequests, error) {
	last, err := e.operatorRequests(ctx)
	if err != nil {
		return false, last, err
	}
	lastChange := time.Now()
	deadline := time.Now().Add(quietLimit)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return false, last, ctx.Err()
		case <-time.After(time.Second):
		}
		cur, err := e.operatorRequests(ctx)
		if err != nil {
			return false, last, err
		}
		if cur.total() != last.total() {
			last, lastChange = cur, time.Now()
		} else if time.Since(lastChange) >= quietFor {
			return true, cur, nil
		}
	}
	return false, last, nil
}
