// Command localcluster runs ecs-operator on a local cluster, for `make run`: it starts etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler and kwok (fake nodes labelled like an
// ECS fleet, see internal/localcluster) on loopback, installs the CRDs and the webhook
// configurations, runs the operator with its webhook server on loopback, applies the samples,
// shows the tenants' Services reaching steady state and waits for Ctrl-C, then stops
// everything it started.
//
//	go run ./hack/localcluster --assets bin/k8s/1.37.2 --manager bin/manager \
//		--crds config/crd/bases --webhooks config/webhook --samples config/samples --dir bin/local
//
// With --kubeconfig it uses that cluster instead: it installs the CRDs, runs the operator
// without webhooks (an API server elsewhere cannot reach a webhook server on this machine) and
// applies the samples.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/localcluster"
	"github.com/ecs-operator/ecs-operator/internal/testenv"
)

// options are the command line flags.
type options struct {
	assets      string
	manager     string
	noManager   bool
	crds        string
	webhooks    string
	samples     string
	dir         string
	kubeconfig  string
	verbose     bool
	steadyState time.Duration
}

const managerStopTimeout = 10 * time.Second

var log = ctrl.Log.WithName("localcluster")

func main() {
	opts, err := parseFlags(flag.NewFlagSet("localcluster", flag.ExitOnError), os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "localcluster: %v\n", err)
		os.Exit(2)
	}
	ctrl.SetLogger(zap.New(zap.ConsoleEncoder()))
	if err := run(opts); err != nil {
		fmt.Fprintf(os.Stderr, "localcluster: %v\n", err)
		os.Exit(1)
	}
}

func parseFlags(fs *flag.FlagSet, args []string) (*options, error) {
	o := &options{}
	fs.StringVar(&o.assets, "assets", os.Getenv("KUBEBUILDER_ASSETS"),
		"Directory holding etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok (default $KUBEBUILDER_ASSETS).")
	fs.StringVar(&o.manager, "manager", "bin/manager", "The operator binary to run.")
	fs.BoolVar(&o.noManager, "no-manager", false, "Do not start the operator.")
	fs.StringVar(&o.crds, "crds", "config/crd/bases", "Directory of the CRDs to install.")
	fs.StringVar(&o.webhooks, "webhooks", "config/webhook", "Directory of the webhook configurations to install; empty runs the operator without webhooks.")
	fs.StringVar(&o.samples, "samples", "config/samples", "Directory of the YAML files to apply once the operator is ready.")
	fs.StringVar(&o.dir, "dir", "bin/local", "Directory the kubeconfig is written to.")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "Use this cluster instead of starting a local one.")
	fs.BoolVar(&o.verbose, "v", false, "Show the output of every component, not only the operator's.")
	fs.DurationVar(&o.steadyState, "steady-state-timeout", 3*time.Minute, "How long to show the samples converging before settling.")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.assets == "" && o.kubeconfig == "" {
		return nil, errors.New("--assets is required (or set KUBEBUILDER_ASSETS)")
	}
	return o, nil
}

// run starts everything, waits for a signal and stops everything it started, in reverse order.
func run(o *options) (err error) {
	ctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()

	// Check the inputs before starting anything.
	managerPath := ""
	if !o.noManager {
		if managerPath, err = executable(o.manager); err != nil {
			return err
		}
	}
	objs, err := localcluster.ReadManifests(o.samples)
	if err != nil {
		return err
	}
	scheme, err := testenv.Scheme()
	if err != nil {
		return err
	}

	var c client.Client
	kubeconfig := o.kubeconfig
	certDir := ""
	webhooks := o.webhooks
	if kubeconfig == "" {
		nodes := localcluster.Fleet(tenants(objs)...)
		log.Info("starting the local cluster", "assets", o.assets, "nodes", len(nodes))
		var out io.Writer
		if o.verbose {
			out = os.Stdout
		}
		start := time.Now()
		cluster, err := localcluster.Start(ctx, localcluster.Options{
			Assets: o.assets, CRDDirs: []string{o.crds}, Scheme: scheme, Nodes: nodes, Out: out,
		})
		if err != nil {
			return err
		}
		defer func() {
			log.Info("stopping the local cluster")
			err = errors.Join(err, cluster.Stop())
		}()
		log.Info("the local cluster is up", "took", time.Since(start).Round(time.Millisecond), "logs", filepath.Join(cluster.Dir, "logs"))
		if kubeconfig, err = copyKubeconfig(cluster.Kubeconfig, o.dir); err != nil {
			return err
		}
		defer func() { _ = os.Remove(kubeconfig) }()
		c = cluster.Client
		// A new cluster has a new CA: the operator makes its certificate afresh.
		certDir = filepath.Join(cluster.Dir, "webhook-certs")
	} else {
		// An API server elsewhere cannot call a webhook server on this machine's loopback.
		webhooks = ""
		cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return fmt.Errorf("reading %s: %w", kubeconfig, err)
		}
		if c, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
			return err
		}
		if err := installCRDs(ctx, c, o.crds); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}

	var mgr *localcluster.Operator
	if !o.noManager {
		mgr, err = localcluster.StartOperator(ctx, c, localcluster.OperatorOptions{
			Binary: managerPath, Kubeconfig: kubeconfig, WebhookDir: webhooks, CertDir: certDir, Out: os.Stdout,
		})
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, mgr.Stop(managerStopTimeout)) }()
		log.Info("the operator is ready", "metrics", mgr.MetricsURL, "webhooks", orNone(mgr.WebhookURL))
	}

	applied, err := applyManifests(ctx, c, objs, !o.noManager)
	if err != nil {
		return err
	}
	if !o.noManager {
		watchSteadyState(ctx, os.Stdout, c, o.steadyState)
	}
	if ctx.Err() != nil {
		log.Info("signal received, stopping")
		return nil
	}
	if err := printSummary(os.Stdout, kubeconfig, applied); err != nil {
		return err
	}

	var done <-chan struct{}
	if mgr != nil {
		done = mgr.Done()
	}
	select {
	case <-ctx.Done():
		log.Info("signal received, stopping")
		return nil
	case <-done:
		return fmt.Errorf("the operator exited unexpectedly: %w", mgr.Err())
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// tenants are the tenants the samples name, in the order they first appear: each gets
// dedicated nodes.
func tenants(objs []localcluster.Manifest) []string {
	var out []string
	add := func(t string) {
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	for _, m := range objs {
		if m.Object.GroupVersionKind().Group != ecsv1.GroupVersion.Group {
			continue
		}
		switch m.Object.GetKind() {
		case "Cluster":
			t, _, _ := unstructured.NestedString(m.Object.Object, "spec", "tenant")
			add(t)
		case "CellGroup":
			ts, _, _ := unstructured.NestedSlice(m.Object.Object, "spec", "tenants")
			for _, t := range ts {
				if tm, ok := t.(map[string]any); ok {
					name, _ := tm["name"].(string)
					add(name)
				}
			}
		}
	}
	return out
}

// copyKubeconfig writes the cluster's admin kubeconfig to dir/kubeconfig, where users find it.
func copyKubeconfig(src, dir string) (string, error) {
	b, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path, err := filepath.Abs(filepath.Join(dir, "kubeconfig"))
	if err != nil {
		return "", err
	}
	return path, os.WriteFile(path, b, 0o600)
}

// installCRDs server-side-applies the CRDs of dir.
func installCRDs(ctx context.Context, c client.Client, dir string) error {
	ms, err := localcluster.ReadManifests(dir)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := applyManifest(ctx, c, m); err != nil {
			return err
		}
	}
	return nil
}

// executable resolves path to an absolute path and checks that it can be run.
func executable(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("the operator binary: %w (build it with 'make build', or pass --no-manager)", err)
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("the operator binary %s is not an executable file", abs)
	}
	return abs, nil
}

// printSummary prints how to reach the cluster and how many sample objects were applied.
func printSummary(out io.Writer, kubeconfig string, applied []objectRef) error {
	rows := map[objectRef]bool{}
	for _, r := range applied {
		rows[r] = true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nThe cluster is running. Try:\n\n")
	fmt.Fprintf(&b, "  export KUBECONFIG=%s\n", kubeconfig)
	fmt.Fprintf(&b, "  kubectl get ecs -A\n")
	fmt.Fprintf(&b, "  kubectl get nodes -L topology.kubernetes.io/zone,node.kubernetes.io/instance-type,ecs.operator.dev/tenant\n\n")
	if len(rows) == 0 {
		fmt.Fprintf(&b, "No samples were applied.\n\n")
	} else {
		fmt.Fprintf(&b, "Applied %d sample objects.\n\n", len(rows))
	}
	b.WriteString("Press Ctrl-C to stop.\n\n")
	_, err := io.WriteString(out, b.String())
	return err
}
