package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/rest"

	"github.com/ecs-operator/ecs-operator/internal/localcluster"
	"github.com/ecs-operator/ecs-operator/internal/testenv"
)

const operatorStopTimeout = 30 * time.Second

// env is the local cluster and the operator the benchmark runs against.
type env struct {
	opts    *options
	root    string
	cluster *localcluster.Cluster
	// operator is the running operator; restartOperator replaces it.
	operator     *localcluster.Operator
	operatorOpts localcluster.OperatorOptions
	// apiserverHTTP reaches the API server's /metrics as the admin.
	apiserverHTTP *http.Client
	operatorHTTP  *http.Client
	gc            *gcTrace
	operatorLog   *os.File
	// pprofAddr is where the operator serves net/http/pprof.
	pprofAddr string
}

// startEnv builds the operator, starts the local cluster with enough FARGATE-like nodes for
// every task the benchmark runs, gives the operator its own identity and the FlowSchemas that
// count its requests, and starts it with its webhooks.
func startEnv(ctx context.Context, o *options, root string) (_ *env, err error) {
	if err := wipeClusterDir(o.dir); err != nil {
		return nil, err
	}
	manager := filepath.Join(filepath.Dir(o.dir), "manager")
	if !o.skipBuild {
		logf("building the operator into %s", manager)
		build := exec.CommandContext(ctx, "go", "build", "-o", manager, "./cmd/manager")
		build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("building the operator: %w", err)
		}
	}
	scheme, err := testenv.Scheme()
	if err != nil {
		return nil, err
	}
	var out io.Writer
	if o.verbose {
		out = os.Stderr
	}
	// Each FARGATE-like node takes 1,000 pods; keep room to spare.
	tasks := o.desiredCount*(o.services+1) + o.scaleTasks
	nodes := 3 + (tasks+899)/900
	logf("starting the local cluster in %s with %d FARGATE-like nodes", o.dir, nodes)
	e := &env{opts: o, root: root, gc: &gcTrace{}, operatorHTTP: &http.Client{Timeout: 10 * time.Second}}
	defer func() {
		if err != nil {
			err = errors.Join(err, e.stop())
		}
	}()
	if e.cluster, err = localcluster.Start(ctx, localcluster.Options{
		Assets: o.assets, Dir: o.dir, Scheme: scheme,
		CRDDirs: []string{filepath.Join(root, "config", "crd", "bases")},
		Nodes:   localcluster.FargateNodes(nodes),
		Out:     out,
	}); err != nil {
		return nil, fmt.Errorf("starting the local cluster: %w", err)
	}
	cfg := rest.CopyConfig(e.cluster.Config)
	if e.apiserverHTTP, err = rest.HTTPClientFor(cfg); err != nil {
		return nil, fmt.Errorf("making the API server's metrics client: %w", err)
	}
	kubeconfig, err := operatorKubeconfig(ctx, e.cluster.Client, cfg, o.dir)
	if err != nil {
		return nil, err
	}
	if err := installFlowSchemas(ctx, e.cluster.Client); err != nil {
		return nil, err
	}
	if e.operatorLog, err = os.Create(filepath.Join(o.dir, "logs", "operator.log")); err != nil {
		return nil, fmt.Errorf("creating the operator's log: %w", err)
	}
	opOut := io.MultiWriter(e.operatorLog, e.gc)
	if o.verbose {
		opOut = io.MultiWriter(e.operatorLog, e.gc, os.Stderr)
	}
	if e.pprofAddr, err = loopbackAddr(); err != nil {
		return nil, err
	}
	e.operatorOpts = localcluster.OperatorOptions{
		Binary: manager, Kubeconfig: kubeconfig,
		WebhookDir: filepath.Join(root, "config", "webhook"),
		CertDir:    filepath.Join(o.dir, "certs"),
		// gctrace makes the runtime print the live heap after every collection: the only exact
		// "heap after GC" of a process that serves no pprof.
		Env:  []string{"GODEBUG=gctrace=1"},
		Args: []string{"--pprof-bind-address=" + e.pprofAddr},
		Out:  opOut,
	}
	if err := e.startOperator(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// wipeClusterDir removes the state of a previous run, refusing a directory that does not look
// like one (so that a mistyped -dir never deletes anything else).
func wipeClusterDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, "kubeconfig")); err != nil {
			return fmt.Errorf("-dir %s is not empty and holds no previous benchmark cluster; remove it or choose another", dir)
		}
	}
	return os.RemoveAll(dir)
}

func (e *env) startOperator(ctx context.Context) error {
	e.gc.reset()
	op, err := localcluster.StartOperator(ctx, e.cluster.Client, e.operatorOpts)
	if err != nil {
		return fmt.Errorf("starting the operator (log: %s): %w", e.operatorLog.Name(), err)
	}
	e.operator = op
	return nil
}

// restartOperator stops the operator gracefully and starts it again with the same options.
func (e *env) restartOperator(ctx context.Context) error {
	if err := e.operator.Stop(operatorStopTimeout); err != nil {
		return fmt.Errorf("stopping the operator: %w", err)
	}
	e.operator = nil
	return e.startOperator(ctx)
}

func (e *env) apiserverMetrics(ctx context.Context) (metricFamilies, error) {
	return scrape(ctx, e.apiserverHTTP, strings.TrimSuffix(e.cluster.Config.Host, "/")+"/metrics")
}

func (e *env) operatorMetrics(ctx context.Context) (metricFamilies, error) {
	return scrape(ctx, e.operatorHTTP, e.operator.MetricsURL)
}

// operatorRequests reads the operator's request counts from the API server.
func (e *env) operatorRequests(ctx context.Context) (operatorRequests, error) {
	m, err := e.apiserverMetrics(ctx)
	if err != nil {
		return operatorRequests{}, err
	}
	return requestsOf(m), nil
}

// stop stops the operator and the cluster; the cluster's directory stays for its logs.
func (e *env) stop() error {
	var errs []error
	if e.operator != nil {
		if err := e.operator.Stop(operatorStopTimeout); err != nil {
			errs = append(errs, err)
		}
		e.operator = nil
	}
	if e.cluster != nil {
		if err := e.cluster.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stopping the local cluster: %w", err))
		}
		e.cluster = nil
	}
	if e.operatorLog != nil {
		_ = e.operatorLog.Close()
		e.operatorLog = nil
	}
	return errors.Join(errs...)
}

// logf prints progress to stderr, with the time of day.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
