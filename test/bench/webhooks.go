package main

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

const (
	// apiserverAdmission is the API server's latency of each admission webhook call, with
	// classic buckets from 5 ms up: it bounds a fast webhook's quantiles only coarsely.
	apiserverAdmission = "apiserver_admission_webhook_admission_duration_seconds"
	// handlerLatency is controller-runtime's latency of each admission request in the
	// operator's handler, from decoding the review to writing the answer. It is a native
	// histogram (buckets about 9% wide) besides its decade-wide classic buckets.
	handlerLatency = "controller_runtime_webhook_latency_seconds"
)

// webhookLatency is one webhook's latency under the load.
type webhookLatency struct {
	Name string `json:"name"`
	Path string `json:"path"`
	// APIServer is the call as the API server times it (network, TLS, handler).
	APIServerCalls float64  `json:"apiserverCalls"`
	APIServerP50   quantile `json:"apiserverP50"`
	APIServerP99   quantile `json:"apiserverP99"`
	// Handler is the operator's own time.
	HandlerCalls  float64  `json:"handlerCalls"`
	HandlerP50    quantile `json:"handlerP50"`
	HandlerP99    quantile `json:"handlerP99"`
	HandlerNative bool     `json:"handlerNative"`
}

// webhookResult is the webhook phase: a fixed rate of dry-run creates.
type webhookResult struct {
	Rate      int              `json:"ratePerSecond"`
	Seconds   float64          `json:"seconds"`
	Requests  int              `json:"requests"`
	Errors    int              `json:"errors"`
	FirstErr  string           `json:"firstError,omitempty"`
	ClientP50 number           `json:"clientP50Seconds"`
	ClientP99 number           `json:"clientP99Seconds"`
	Webhooks  []webhookLatency `json:"webhooks"`
}

// runWebhooks sends -webhook-rate dry-run creates a second for -webhook-duration, alternating
// TaskDefinitions and Services of the converged tenants, so that every request goes through
// the operator's mutating and validating webhooks (dry-run calls webhooks without side
// effects) and nothing is stored for the controllers to act on. The latency quantiles are
// those of the requests of this phase alone: the difference of the histograms before and after.
func runWebhooks(ctx context.Context, e *env) (webhookResult, error) {
	o, c := e.opts, e.cluster.Client
	paths, err := webhookPaths(ctx, c)
	if err != nil {
		return webhookResult{}, err
	}
	apiBefore, err := e.apiserverMetrics(ctx)
	if err != nil {
		return webhookResult{}, err
	}
	opBefore, err := e.operatorMetrics(ctx)
	if err != nil {
		return webhookResult{}, err
	}

	total := int(float64(o.webhookRate) * o.webhookDuration.Seconds())
	logf("webhooks: %d dry-run creates at %d/s", total, o.webhookRate)
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errCount  atomic.Int64
		firstErr  atomic.Value
		wg        sync.WaitGroup
	)
	tick := time.NewTicker(time.Second / time.Duration(o.webhookRate))
	defer tick.Stop()
	start := time.Now()
	for k := range total {
		select {
		case <-ctx.Done():
			return webhookResult{}, ctx.Err()
		case <-tick.C:
		}
		wg.Go(func() {
			i := k % o.services
			ns := namespaceOf(i, o.tenants)
			var obj client.Object
			if k%2 == 0 {
				obj = taskDefinition(ns, fmt.Sprintf("dryrun-%06d", k))
			} else {
				svc := service(ns, fmt.Sprintf("dryrun-%06d", k), int32(o.desiredCount))
				svc.Spec.TaskDefinition = ecsv1.TaskDefinitionReference(serviceName(i))
				obj = svc
			}
			t0 := time.Now()
			err := c.Create(ctx, obj, client.DryRunAll)
			d := time.Since(t0)
			if err != nil {
				errCount.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
				return
			}
			mu.Lock()
			latencies = append(latencies, d)
			mu.Unlock()
		})
	}
	wg.Wait()
	res := webhookResult{Rate: o.webhookRate, Seconds: time.Since(start).Seconds(), Requests: total, Errors: int(errCount.Load())}
	if v, ok := firstErr.Load().(string); ok {
		res.FirstErr = v
	}
	res.ClientP50, res.ClientP99 = durationQuantile(latencies, 0.5), durationQuantile(latencies, 0.99)

	// The API server observes a call when it returns; give the last ones a moment.
	time.Sleep(2 * time.Second)
	apiAfter, err := e.apiserverMetrics(ctx)
	if err != nil {
		return res, err
	}
	opAfter, err := e.operatorMetrics(ctx)
	if err != nil {
		return res, err
	}
	names := make([]string, 0, len(paths))
	for n := range paths {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		path := paths[name]
		byName := func(l map[string]string) bool { return l["name"] == name }
		byPath := func(l map[string]string) bool { return l["webhook"] == path }
		api := apiAfter.histogram(apiserverAdmission, byName).since(apiBefore.histogram(apiserverAdmission, byName))
		handler := opAfter.histogram(handlerLatency, byPath).since(opBefore.histogram(handlerLatency, byPath))
		if api.Count == 0 && handler.Count == 0 {
			continue
		}
		res.Webhooks = append(res.Webhooks, webhookLatency{
			Name: name, Path: path,
			APIServerCalls: api.Count, APIServerP50: api.quantileOf(0.5), APIServerP99: api.quantileOf(0.99),
			HandlerCalls: handler.Count, HandlerP50: handler.quantileOf(0.5), HandlerP99: handler.quantileOf(0.99),
			HandlerNative: handler.Native && len(handler.Buckets) > 0,
		})
	}
	logf("webhooks: %d requests, %d errors, client p50 %.1f ms p99 %.1f ms", res.Requests, res.Errors,
		float64(res.ClientP50)*1000, float64(res.ClientP99)*1000)
	return res, nil
}

// webhookPaths maps the name of each of the operator's webhooks to the path it is served at,
// from the installed configurations (localcluster points them at URLs on loopback).
func webhookPaths(ctx context.Context, c client.Client) (map[string]string, error) {
	out := map[string]string{}
	add := func(name string, cc admissionregistrationv1.WebhookClientConfig) error {
		if cc.URL == nil {
			return nil
		}
		u, err := url.Parse(*cc.URL)
		if err != nil {
			return fmt.Errorf("webhook %s: %w", name, err)
		}
		out[name] = u.Path
		return nil
	}
	mutating := &admissionregistrationv1.MutatingWebhookConfigurationList{}
	if err := c.List(ctx, mutating); err != nil {
		return nil, fmt.Errorf("listing mutating webhook configurations: %w", err)
	}
	for _, cfg := range mutating.Items {
		for _, w := range cfg.Webhooks {
			if err := add(w.Name, w.ClientConfig); err != nil {
				return nil, err
			}
		}
	}
	validating := &admissionregistrationv1.ValidatingWebhookConfigurationList{}
	if err := c.List(ctx, validating); err != nil {
		return nil, fmt.Errorf("listing validating webhook configurations: %w", err)
	}
	for _, cfg := range validating.Items {
		for _, w := range cfg.Webhooks {
			if err := add(w.Name, w.ClientConfig); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// durationQuantile is the q-quantile of measured durations, in seconds (nearest rank).
func durationQuantile(ds []time.Duration, q float64) number {
	if len(ds) == 0 {
		return nan()
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := min(len(s)-1, max(0, int(q*float64(len(s))+0.5)-1))
	return number(s[i].Seconds())
}
