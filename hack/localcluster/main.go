// Command localcluster runs ecs-operator against a local control plane, for `make run`: it
// starts etcd and kube-apiserver (the envtest assets of `make envtest`), installs the CRDs,
// writes an admin kubeconfig, starts the operator, applies the samples and waits for SIGINT or
// SIGTERM, then stops everything it started.
//
//	go run ./hack/localcluster --assets bin/k8s/1.37.2 --manager bin/manager \
//		--crds config/crd/bases --samples config/samples --dir bin/local
//
// KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT=true shows the output of etcd and kube-apiserver.
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
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// options are the command line flags.
type options struct {
	assets      string
	manager     string
	noManager   bool
	crds        string
	samples     string
	dir         string
	metricsAddr string
	probeAddr   string
}

const (
	// managerStopTimeout is how long the operator gets to stop after SIGTERM before it is killed.
	managerStopTimeout = 10 * time.Second
	// managerReadyTimeout is how long the operator gets to answer /readyz.
	managerReadyTimeout = 2 * time.Minute
)

var log = ctrl.Log.WithName("localcluster")

// errInterrupted is returned when a signal arrives before everything has started.
var errInterrupted = errors.New("interrupted while starting")

func main() {
	opts, err := parseFlags(flag.CommandLine, os.Args[1:])
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
		"Directory holding the etcd and kube-apiserver binaries (default $KUBEBUILDER_ASSETS).")
	fs.StringVar(&o.manager, "manager", "bin/manager", "The operator binary to run.")
	fs.BoolVar(&o.noManager, "no-manager", false, "Do not start the operator.")
	fs.StringVar(&o.crds, "crds", "config/crd/bases", "Directory of the CRDs to install.")
	fs.StringVar(&o.samples, "samples", "config/samples", "Directory of the YAML files to apply once the operator is ready.")
	fs.StringVar(&o.dir, "dir", "bin/local", "Directory the kubeconfig is written to.")
	fs.StringVar(&o.metricsAddr, "manager-metrics-bind-address", "127.0.0.1:8080", "The operator's --metrics-bind-address.")
	fs.StringVar(&o.probeAddr, "manager-health-probe-bind-address", "127.0.0.1:8081", "The operator's --health-probe-bind-address.")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.assets == "" {
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
	objs, err := readManifests(o.samples)
	if err != nil {
		return err
	}

	log.Info("starting the control plane", "assets", o.assets)
	cp, err := startControlPlane(o.assets, o.crds)
	if err != nil {
		return err
	}
	defer func() {
		log.Info("stopping the control plane")
		if stopErr := cp.Stop(); stopErr != nil {
			err = errors.Join(err, fmt.Errorf("stopping the control plane: %w", stopErr))
		}
	}()

	if ctx.Err() != nil {
		return errInterrupted
	}

	kubeconfig, err := writeKubeconfig(cp, o.dir)
	if err != nil {
		return err
	}
	// The kubeconfig holds the CA and credentials of this control plane only.
	defer func() { _ = os.Remove(kubeconfig) }()

	var mgr *process
	if !o.noManager {
		mgr, err = startManager(managerPath, kubeconfig, o.metricsAddr, o.probeAddr)
		if err != nil {
			return err
		}
		defer func() {
			if stopErr := mgr.Stop(managerStopTimeout); stopErr != nil {
				err = errors.Join(err, stopErr)
			}
		}()
		if err := waitReady(ctx, mgr, readyzURL(o.probeAddr), managerReadyTimeout); err != nil {
			return err
		}
		log.Info("the operator is ready")
	}
	if ctx.Err() != nil {
		return errInterrupted
	}

	c, err := client.New(cp.Config, client.Options{})
	if err != nil {
		return fmt.Errorf("creating a client: %w", err)
	}
	applied, err := applyManifests(ctx, c, objs, !o.noManager)
	if err != nil {
		return err
	}
	if err := printSummary(ctx, os.Stdout, c, kubeconfig, applied); err != nil {
		return err
	}

	select {
	case <-ctx.Done():
		log.Info("signal received, stopping")
		return nil
	case <-mgr.Done():
		return fmt.Errorf("the operator exited unexpectedly: %w", mgr.Err())
	}
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

// printSummary prints how to reach the cluster and the applied objects as the API server has
// them.
func printSummary(ctx context.Context, out io.Writer, c client.Reader, kubeconfig string, applied []objectRef) error {
	rows, err := readBack(ctx, c, applied)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nThe local control plane is running. Try:\n\n")
	fmt.Fprintf(&b, "  export KUBECONFIG=%s\n", kubeconfig)
	fmt.Fprintf(&b, "  kubectl get ecs -A\n\n")
	if len(rows) == 0 {
		fmt.Fprintf(&b, "No samples were applied.\n\n")
	} else {
		fmt.Fprintf(&b, "Applied:\n\n")
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		_, _ = fmt.Fprintln(tw, "  KIND\tNAMESPACE\tNAME")
		for _, r := range rows {
			ns := r.Namespace
			if ns == "" {
				ns = "-"
			}
			_, _ = fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.GVK.Kind, ns, r.Name)
		}
		_ = tw.Flush() // writes to b, cannot fail
		b.WriteString("\n")
	}
	b.WriteString("Press Ctrl-C to stop.\n\n")
	_, err = io.WriteString(out, b.String())
	return err
}
