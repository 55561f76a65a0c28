// Command bench measures ecs-operator against a floor measured in the same run, on the local
// cluster (internal/localcluster: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and kwok on loopback) with the operator binary running with its webhooks:
//
//  1. convergence: N Services with their TaskDefinitions created until every Deployment is
//     right and every Service's status is current and Ready, against a bare client creating
//     the same N Deployments with the same concurrency; the lag from the last create
//     returning to the last Service converged; and the operator's writes per Service;
//  2. steady state: the operator's writes in a window with everything converged, before the
//     restart;
//  3. restart: the operator's writes in the window after a restart with everything
//     converged, from when the new process is ready;
//  4. webhooks: admission latency at a fixed rate of dry-run creates, as the API server and as
//     the operator's handler time it;
//  5. memory: the operator's heap after GC and RSS at idle and at N;
//  6. scale-out: one Service from 0 to 500 tasks Running against a plain Deployment.
//
// Each is checked against its target (results.go's evaluate).
//
// It prints a table, writes the results as JSON and draws the convergence curves as SVG.
// docs/benchmarks.md explains the method and records measured numbers.
//
//	go run ./test/bench -services 200 -tenants 5    # a quick run
//	make bench                                      # the full run
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/ecs-operator/ecs-operator/internal/testenv"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := testenv.RepoRoot()
	if err != nil {
		return err
	}
	// A flag set of its own: flag.CommandLine also holds the --kubeconfig of controller-runtime.
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	o, err := parseOptions(fs, os.Args[1:], root)
	if err != nil {
		return err
	}
	// The benchmark's watches log through controller-runtime; their output is of no use here.
	ctrllog.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	r := newResults(today(), describeMachine(), flagValues(fs))
	e, err := startEnv(ctx, o, root)
	if err != nil {
		return err
	}
	runErr := runPhases(ctx, e, r)
	if runErr != nil {
		r.Errors = append(r.Errors, runErr.Error())
	}
	stopErr := e.stop()
	r.evaluate()
	tableErr := r.printTable(os.Stdout)
	if err := r.write(o.out); err != nil {
		return errors.Join(runErr, stopErr, tableErr, err)
	}
	logf("results in %s, convergence curves in %s, logs in %s", o.out, o.svg, o.dir+"/logs")
	return errors.Join(runErr, stopErr, tableErr)
}

// runPhases runs the benchmark's phases in order, each on the state the previous one left:
// the floor before the operator's run so that neither finds the other's objects in the API
// server, the steady state, the restart and the webhooks with everything converged (the
// steady state first, after only the memory sample at N, which changes nothing), and the
// scale-out last.
func runPhases(ctx context.Context, e *env, r *results) error {
	o, c := e.opts, e.cluster.Client
	apiserver, err := e.apiserverMetrics(ctx)
	if err != nil {
		return err
	}
	r.Attribution = attribution{
		RequestTotalLabels: apiserver.labelNames("apiserver_request_total"),
		OperatorUser:       operatorUser, Metric: flowDispatched, FlowSchemaPrefix: flowSchemaPrefix,
	}
	empty, err := e.sampleMemory(ctx, "started, nothing managed")
	if err != nil {
		return err
	}
	r.Memory.Samples = append(r.Memory.Samples, empty)

	logf("creating %d tenant Clusters", o.tenants)
	if err := createTenants(ctx, c, o.tenants, o.concurrency); err != nil {
		return err
	}
	// One Service through the operator gives the Deployment the floor creates N copies of.
	probeNS := tenantName(0)
	if err := createService(ctx, c, probeNS, "probe", int32(o.desiredCount)); err != nil {
		return err
	}
	template, err := waitService(ctx, c, probeNS, "probe", int32(o.desiredCount))
	if err != nil {
		return err
	}
	idle, err := e.sampleMemory(ctx, "idle: tenants ready")
	if err != nil {
		return err
	}
	r.Memory.Samples = append(r.Memory.Samples, idle)

	if r.Floor, err = runFloor(ctx, e, template); err != nil {
		return err
	}
	e.profileCPU(ctx, 60*time.Second, "convergence-cpu.pprof")
	if r.Operator, err = runOperator(ctx, e); err != nil {
		return err
	}
	title := fmt.Sprintf("%d Services through ecs-operator vs %d Deployments by a bare client (%d clients each)", o.services, o.services, o.concurrency)
	if err := writeChart(o.svg, title, o.services,
		series{name: "operator: Services converged", color: "#1f6feb", points: r.Operator.Curve},
		series{name: "floor: Deployments converged", color: "#888888", points: r.Floor.Curve}); err != nil {
		return err
	}
	atN, err := e.sampleMemory(ctx, fmt.Sprintf("%d Services converged", o.services))
	if err != nil {
		return err
	}
	if err := e.saveProfile(ctx, "/debug/pprof/heap", "converged-heap.pprof"); err != nil {
		logf("no heap profile: %v", err)
	}
	r.Memory.Samples = append(r.Memory.Samples, atN)
	r.computeMemory(idle, atN, o.services)

	if r.Steady, err = runSteady(ctx, e); err != nil {
		return err
	}
	if r.Restart, err = runRestart(ctx, e, o.services+1); err != nil {
		return err
	}
	restarted, err := e.sampleMemory(ctx, fmt.Sprintf("%d Services, after a restart", o.services))
	if err != nil {
		return err
	}
	r.Memory.Samples = append(r.Memory.Samples, restarted)

	if r.Webhooks, err = runWebhooks(ctx, e); err != nil {
		return err
	}
	r.ScaleOut, err = runScaleOut(ctx, e, template)
	return err
}

// flagValues records every flag's value with the results.
func flagValues(fs *flag.FlagSet) map[string]any {
	out := map[string]any{}
	fs.VisitAll(func(f *flag.Flag) { out[f.Name] = f.Value.String() })
	return out
}
