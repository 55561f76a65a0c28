package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// convergence records when each of a set of objects first reached the state a run waits for,
// as seen by a watch, relative to the run's start.
type convergence struct {
	mu    sync.Mutex
	start time.Time
	want  int
	at    map[string]time.Duration
	done  chan struct{}
}

func newConvergence(want int) *convergence {
	return &convergence{want: want, at: map[string]time.Duration{}, done: make(chan struct{})}
}

// begin sets the start of the run: creates follow at once.
func (c *convergence) begin() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.start = time.Now()
}

// mark records that key has converged, once.
func (c *convergence) mark(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.start.IsZero() {
		return // an object of an earlier run
	}
	if _, ok := c.at[key]; ok {
		return
	}
	c.at[key] = time.Since(c.start)
	if len(c.at) == c.want {
		close(c.done)
	}
}

// wait blocks until every object has converged, timeout passes or ctx ends; it reports
// whether all converged.
func (c *convergence) wait(ctx context.Context, timeout time.Duration) bool {
	select {
	case <-c.done:
		return true
	case <-time.After(timeout):
		return false
	case <-ctx.Done():
		return false
	}
}

// times are the convergence times, ascending.
func (c *convergence) times() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]time.Duration, 0, len(c.at))
	for _, d := range c.at {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// watcher is an informer cache the benchmark watches objects through; stop ends it.
type watcher struct {
	stop context.CancelFunc
}

// watch starts informers for the given objects (with the cache options, such as label
// selectors) and calls onChange with every added or updated object, until stop.
func watch(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, opts cache.Options,
	onChange func(client.Object), objs ...client.Object) (*watcher, error) {
	opts.Scheme = scheme
	c, err := cache.New(cfg, opts)
	if err != nil {
		return nil, fmt.Errorf("making the watch cache: %w", err)
	}
	handler := toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(o any) {
			if obj, ok := o.(client.Object); ok {
				onChange(obj)
			}
		},
		UpdateFunc: func(_, o any) {
			if obj, ok := o.(client.Object); ok {
				onChange(obj)
			}
		},
	}
	for _, o := range objs {
		inf, err := c.GetInformer(ctx, o)
		if err != nil {
			return nil, fmt.Errorf("watching %T: %w", o, err)
		}
		if _, err := inf.AddEventHandler(handler); err != nil {
			return nil, fmt.Errorf("watching %T: %w", o, err)
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	go func() { _ = c.Start(runCtx) }()
	if !c.WaitForCacheSync(runCtx) {
		stop()
		return nil, fmt.Errorf("the watch cache did not sync")
	}
	return &watcher{stop: stop}, nil
}
