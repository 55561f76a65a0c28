package main

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"time"
)

// options are the benchmark's flags. The defaults are the full benchmark; development runs
// use smaller numbers (-services 200 -tenants 5).
type options struct {
	// services is N: the Services (each with its own TaskDefinition) of the convergence run,
	// and the Deployments of the floor run.
	services int
	// tenants is the number of tenant Clusters the Services are spread over.
	tenants int
	// concurrency is the number of clients creating objects at once, the same in both runs.
	concurrency int
	// desiredCount of every Service (and replicas of every floor Deployment).
	desiredCount int
	// convergeTimeout bounds each convergence run.
	convergeTimeout time.Duration
	// steadyWindow is how long the operator's writes are counted in steady state: after the
	// convergence run, with everything converged, before the restart.
	steadyWindow time.Duration
	// resyncWindow is how long the operator's writes are counted after it restarts, from when
	// the new process is ready: the window its initial resync falls in.
	resyncWindow time.Duration
	// webhookRate and webhookDuration are the fixed rate of dry-run creates.
	webhookRate     int
	webhookDuration time.Duration
	// scaleTasks is the scale-out target of one Service and of the plain Deployment.
	scaleTasks int
	// gcWait is how long the memory sample waits for a garbage collection that ends after it
	// started, so that the heap after GC is current.
	gcWait time.Duration

	assets    string // bin/k8s/<version>
	dir       string // the cluster's state and logs, wiped at the start
	out       string // results JSON
	svg       string // convergence curve
	verbose   bool   // copy every component's output to stderr
	skipBuild bool   // reuse <dir>/../manager instead of building the operator
}

func parseOptions(fs *flag.FlagSet, args []string, root string) (*options, error) {
	o := &options{}
	fs.IntVar(&o.services, "services", 5000, "Services (each with its TaskDefinition) to converge; the floor creates as many Deployments")
	fs.IntVar(&o.tenants, "tenants", 50, "tenant Clusters the Services are spread over")
	fs.IntVar(&o.concurrency, "concurrency", 16, "clients creating objects at once, in both the operator and the floor run")
	fs.IntVar(&o.desiredCount, "desired-count", 0, "desiredCount of every Service (replicas of every floor Deployment)")
	fs.DurationVar(&o.convergeTimeout, "converge-timeout", 20*time.Minute, "how long each convergence run may take")
	fs.DurationVar(&o.steadyWindow, "steady-window", 60*time.Second, "how long the operator's writes are counted in steady state, after the convergence run and before the restart")
	fs.DurationVar(&o.resyncWindow, "resync-window", 60*time.Second, "how long the operator's writes are counted after it restarts, from when it is ready")
	fs.IntVar(&o.webhookRate, "webhook-rate", 50, "dry-run creates per second sent through the admission webhooks")
	fs.DurationVar(&o.webhookDuration, "webhook-duration", 20*time.Second, "how long the webhook load runs")
	fs.IntVar(&o.scaleTasks, "scale-tasks", 500, "tasks one Service (and one plain Deployment) scales out to")
	fs.DurationVar(&o.gcWait, "gc-wait", 30*time.Second, "how long a memory sample waits for a fresh garbage collection")
	fs.StringVar(&o.assets, "assets", filepath.Join(root, "bin", "k8s", "1.37.2"), "directory of etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok")
	fs.StringVar(&o.dir, "dir", filepath.Join(root, "bin", "bench", "cluster"), "the local cluster's state and logs (wiped at the start, kept at the end)")
	fs.StringVar(&o.out, "out", filepath.Join(root, "bin", "bench", "results.json"), "where the results are written as JSON")
	fs.StringVar(&o.svg, "svg", filepath.Join(root, "bin", "bench", "convergence.svg"), "where the convergence curves are drawn")
	fs.BoolVar(&o.verbose, "v", false, "copy the output of every component to stderr")
	fs.BoolVar(&o.skipBuild, "skip-build", false, "reuse the operator binary of a previous run instead of building it")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return o, o.validate()
}

func (o *options) validate() error {
	var errs []error
	if o.services < 1 {
		errs = append(errs, errors.New("-services must be at least 1"))
	}
	if o.tenants < 1 || o.tenants > o.services {
		errs = append(errs, errors.New("-tenants must be between 1 and -services"))
	}
	if o.concurrency < 1 {
		errs = append(errs, errors.New("-concurrency must be at least 1"))
	}
	if o.desiredCount < 0 || o.scaleTasks < 1 {
		errs = append(errs, errors.New("-desired-count must be at least 0 and -scale-tasks at least 1"))
	}
	if o.steadyWindow <= 0 || o.resyncWindow <= 0 {
		errs = append(errs, errors.New("-steady-window and -resync-window must be positive"))
	}
	if o.webhookRate < 1 || o.webhookDuration <= 0 {
		errs = append(errs, errors.New("-webhook-rate and -webhook-duration must be positive"))
	}
	return errors.Join(errs...)
}
