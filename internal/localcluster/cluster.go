// Package localcluster runs a Kubernetes cluster without a container runtime, on loopback only:
// etcd and kube-apiserver (through envtest), kube-controller-manager, kube-scheduler and kwok,
// which plays the kubelet of fake nodes labelled like an ECS fleet. Deployments become
// ReplicaSets and Pods that are scheduled and turn Running and Ready; garbage collection,
// namespace deletion, disruption budgets and evictions work as in a real cluster. `make run`,
// the end-to-end tests and the benchmarks run on it.
//
// The binaries come from `make local-cluster-bins` (bin/k8s/<version>). stages.yaml says how
// kwok plays the kubelet, including the kwok.local images that make containers fail.
package localcluster

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

//go:embed stages.yaml
var kwokConfig []byte

// Binaries the local cluster runs, all in Options.Assets.
var Binaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}

// Options say what to start.
type Options struct {
	// Assets is the directory holding Binaries.
	Assets string
	// Dir holds the cluster's state, configuration, logs and kubeconfig; empty means a new
	// temporary directory, removed by Stop.
	Dir string
	// CRDDirs are directories of CustomResourceDefinitions to install.
	CRDDirs []string
	// Scheme is used to install the CRDs and by Client; empty means client-go's.
	Scheme *runtime.Scheme
	// Nodes are the fake nodes to make (Fleet makes a typical one).
	Nodes []Node
	// Out receives the output of every component, each line prefixed with its name; nil
	// writes it to <Dir>/logs/<component>.log only.
	Out io.Writer
	// LegacyKubelets makes every node a kubelet that predates container restart policies
	// (KEP-5307) and declares no node features: kwok restarts containers by the Pod's
	// restartPolicy alone, as such a kubelet does.
	LegacyKubelets bool
	// ClientQPS is the client rate limit of kube-controller-manager and kube-scheduler; their
	// defaults (20/30) make a 500-replica Deployment take 24 s instead of 5.
	ClientQPS int
}

// Cluster is a running local cluster.
type Cluster struct {
	// Config reaches the API server as an admin (system:masters).
	Config *rest.Config
	// Client is a client of Config.
	Client client.Client
	// Kubeconfig is the path of the admin kubeconfig.
	Kubeconfig string
	// Dir holds the cluster's state (Options.Dir).
	Dir string

	assets     string
	env        *envtest.Environment
	components []*Process // kube-controller-manager, kube-scheduler, kwok
	// componentRuns are how each component was started, to start it again.
	componentRuns []componentRun
	reaper        *Process
	logs          []io.Closer
	removeDir     bool
	kwokConfig    []byte
}

const (
	controlPlaneTimeout = time.Minute
	componentStopTime   = 10 * time.Second
)

// Start starts the cluster and returns once the nodes are Ready and the controllers serve (the
// default ServiceAccount exists). On failure nothing is left running.
func Start(ctx context.Context, o Options) (_ *Cluster, err error) {
	assets, err := filepath.Abs(o.Assets)
	if err != nil {
		return nil, err
	}
	for _, bin := range Binaries {
		if _, err := os.Stat(filepath.Join(assets, bin)); err != nil {
			return nil, fmt.Errorf("%s not found in %s: run 'make local-cluster-bins': %w", bin, assets, err)
		}
	}
	c := &Cluster{Dir: o.Dir, assets: assets, kwokConfig: kwokConfig}
	if o.LegacyKubelets {
		if c.kwokConfig, err = legacyKubeletStages(kwokConfig); err != nil {
			return nil, err
		}
		nodes := make([]Node, len(o.Nodes))
		for i, n := range o.Nodes {
			n.LegacyKubelet = true
			nodes[i] = n
		}
		o.Nodes = nodes
	}
	if c.Dir == "" {
		if c.Dir, err = os.MkdirTemp("", "ecs-localcluster-"); err != nil {
			return nil, err
		}
		c.removeDir = true
	} else if c.Dir, err = filepath.Abs(c.Dir); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			// Keep the logs the error points at.
			c.removeDir = false
			err = errors.Join(err, c.Stop())
		}
	}()
	for _, d := range []string{"pki", "etcd", "logs"} {
		if err := os.MkdirAll(filepath.Join(c.Dir, d), 0o755); err != nil {
			return nil, err
		}
	}

	if err := c.startControlPlane(assets, o); err != nil {
		return nil, err
	}
	qps := o.ClientQPS
	if qps == 0 {
		qps = 500
	}
	for _, comp := range []struct {
		name string
		args func() ([]string, error)
	}{
		{"kube-controller-manager", func() ([]string, error) { return c.controllerManagerArgs(qps), nil }},
		{"kube-scheduler", func() ([]string, error) { return c.schedulerArgs(qps) }},
		{"kwok", c.kwokArgs},
	} {
		args, err := comp.args()
		if err != nil {
			return nil, fmt.Errorf("configuring %s: %w", comp.name, err)
		}
		out, err := c.logFile(comp.name, o.Out)
		if err != nil {
			return nil, err
		}
		p, err := StartProcess(comp.name, filepath.Join(assets, comp.name), args, nil, out)
		if err != nil {
			return nil, err
		}
		c.components = append(c.components, p)
		c.componentRuns = append(c.componentRuns, componentRun{args: args, out: out})
	}
	if err := c.startReaper(); err != nil {
		return nil, err
	}
	if err := c.waitForControllers(ctx); err != nil {
		return nil, err
	}
	if err := AddNodes(ctx, c.Client, o.Nodes); err != nil {
		return nil, fmt.Errorf("adding the nodes (see %s): %w", filepath.Join(c.Dir, "logs", "kwok.log"), err)
	}
	return c, nil
}

// startControlPlane starts etcd and kube-apiserver with envtest, with the admission plugins of
// a real cluster, and writes the admin kubeconfig.
func (c *Cluster) startControlPlane(assets string, o Options) error {
	// envtest prefers KUBEBUILDER_ASSETS over BinaryAssetsDirectory; make them agree.
	if err := os.Setenv("KUBEBUILDER_ASSETS", assets); err != nil {
		return err
	}
	c.env = &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		CRDDirectoryPaths:        o.CRDDirs,
		ErrorIfCRDPathMissing:    len(o.CRDDirs) > 0,
		Scheme:                   o.Scheme,
		ControlPlaneStartTimeout: controlPlaneTimeout,
		ControlPlaneStopTimeout:  controlPlaneTimeout,
	}
	if o.Scheme != nil {
		c.env.CRDInstallOptions.Scheme = o.Scheme
	}
	api := c.env.ControlPlane.GetAPIServer()
	api.CertDir = filepath.Join(c.Dir, "pki")
	// envtest turns the ServiceAccount admission plugin off; a real cluster has it, and Pods of
	// a namespace wait for its default ServiceAccount.
	api.Configure().Disable("disable-admission-plugins")
	// No kube-proxy routes Service IPs here: the API server reaches a webhook or aggregated
	// API named by a Service through that Service's EndpointSlices instead, as it does in
	// clusters that cannot route to Service IPs from the control plane.
	api.Configure().Set("enable-aggregator-routing", "true")
	apiOut, err := c.logFile("kube-apiserver", o.Out)
	if err != nil {
		return err
	}
	api.Out, api.Err = apiOut, apiOut
	etcd := &envtest.Etcd{}
	c.env.ControlPlane.Etcd = etcd
	etcd.DataDir = filepath.Join(c.Dir, "etcd")
	etcdOut, err := c.logFile("etcd", o.Out)
	if err != nil {
		return err
	}
	etcd.Out, etcd.Err = etcdOut, etcdOut
	cfg, err := c.env.Start()
	if err != nil {
		return fmt.Errorf("starting etcd and kube-apiserver (see %s): %w", filepath.Join(c.Dir, "logs"), err)
	}
	// Components and clients share the API server; give the tests' and tools' clients room.
	cfg.QPS, cfg.Burst = 1000, 2000
	c.Config = cfg
	if c.Client, err = client.New(cfg, client.Options{Scheme: o.Scheme}); err != nil {
		return err
	}
	c.Kubeconfig = filepath.Join(c.Dir, "kubeconfig")
	if err := os.WriteFile(c.Kubeconfig, c.env.KubeConfig, 0o600); err != nil {
		return fmt.Errorf("writing the kubeconfig: %w", err)
	}
	return os.WriteFile(c.caFile(), cfg.CAData, 0o600)
}

func (c *Cluster) caFile() string { return filepath.Join(c.Dir, "pki", "cluster-ca.crt") }

func (c *Cluster) controllerManagerArgs(qps int) []string {
	return []string{
		"--kubeconfig=" + c.Kubeconfig,
		"--authentication-skip-lookup",
		"--leader-elect=false",
		"--secure-port=0",
		"--controllers=*",
		"--use-service-account-credentials=false",
		"--service-account-private-key-file=" + filepath.Join(c.env.ControlPlane.GetAPIServer().CertDir, "sa-signer.key"),
		"--root-ca-file=" + c.caFile(),
		"--kube-api-qps=" + strconv.Itoa(qps),
		"--kube-api-burst=" + strconv.Itoa(2*qps),
		"--concurrent-deployment-syncs=20",
		"--concurrent-replicaset-syncs=20",
		"--concurrent-daemonset-syncs=10",
		"--concurrent-gc-syncs=50",
		"--concurrent-namespace-syncs=20",
		"--concurrent-serviceaccount-token-syncs=10",
		// The fake nodes never run a pod lifecycle; pods of vanished nodes go quickly.
		"--terminated-pod-gc-threshold=1000",
		// A ResourceQuota made in the 30 s before the quota controller discovers new CRDs
		// (helm install, then a Cluster at once) counts their kinds only at its next full
		// resync: 5 minutes by default, 15 s here.
		"--resource-quota-sync-period=15s",
	}
}

func (c *Cluster) schedulerArgs(qps int) ([]string, error) {
	config := fmt.Sprintf(`apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: %q
  qps: %d
  burst: %d
leaderElection:
  leaderElect: false
`, c.Kubeconfig, qps, 2*qps)
	path := filepath.Join(c.Dir, "kube-scheduler.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		return nil, err
	}
	return []string{"--config=" + path, "--secure-port=0"}, nil
}

func (c *Cluster) kwokArgs() ([]string, error) {
	path := filepath.Join(c.Dir, "kwok.yaml")
	if err := os.WriteFile(path, c.kwokConfig, 0o600); err != nil {
		return nil, err
	}
	return []string{"--kubeconfig=" + c.Kubeconfig, "--config=" + path}, nil
}

// containerRestarts is the line of stages.yaml that decides whether an exited container is
// restarted in place, as a v1.35+ kubelet does: by its own restartPolicy and rules first.
const containerRestarts = `{{ $restarts := or (eq (or $c.restartPolicy "") "Always") (and $podRestarts (ne (or $c.restartPolicy "") "Never")) (and $podRestarts (gt (len (or $c.restartPolicyRules list)) 0)) }}`

// legacyRestarts is that line for a kubelet that predates container restart policies: the
// Pod's restartPolicy alone decides.
const legacyRestarts = `{{ $restarts := $podRestarts }}`

// legacyKubeletStages is the kwok configuration of kubelets that predate container restart
// policies.
func legacyKubeletStages(config []byte) ([]byte, error) {
	if !bytes.Contains(config, []byte(containerRestarts)) {
		return nil, errors.New("stages.yaml: the container restart line changed; update containerRestarts")
	}
	return bytes.ReplaceAll(config, []byte(containerRestarts), []byte(legacyRestarts)), nil
}

// logFile is where a component writes: its log file under Dir/logs, and out if set.
func (c *Cluster) logFile(name string, out io.Writer) (io.Writer, error) {
	f, err := os.Create(filepath.Join(c.Dir, "logs", name+".log"))
	if err != nil {
		return nil, err
	}
	c.logs = append(c.logs, f)
	if out == nil {
		return f, nil
	}
	return io.MultiWriter(f, newPrefixWriter(out, name)), nil
}

// startReaper makes sure etcd and kube-apiserver, which envtest starts without a parent-death
// signal, die with this process.
func (c *Cluster) startReaper() error {
	pids, err := childPids("etcd", "kube-apiserver")
	if err != nil {
		return fmt.Errorf("finding etcd and kube-apiserver: %w", err)
	}
	c.reaper, err = startReaper(pids)
	return err
}

// waitForControllers waits until kube-controller-manager has made the default ServiceAccount,
// without which no Pod is admitted.
func (c *Cluster) waitForControllers(ctx context.Context) error {
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, controlPlaneTimeout, true, func(ctx context.Context) (bool, error) {
		for _, p := range c.components {
			select {
			case <-p.Done():
				return false, fmt.Errorf("%s exited (see %s): %w", p.Name, filepath.Join(c.Dir, "logs", p.Name+".log"), p.Err())
			default:
			}
		}
		err := c.Client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "default"}, &corev1.ServiceAccount{})
		return err == nil, client.IgnoreNotFound(err)
	})
}

// Components are the processes the cluster runs besides etcd and kube-apiserver.
func (c *Cluster) Components() []*Process { return c.components }

// Stop stops every component in reverse order and removes Dir if Start made it.
func (c *Cluster) Stop() error {
	if c == nil {
		return nil
	}
	var errs []error
	for i := len(c.components) - 1; i >= 0; i-- {
		if err := c.components[i].Stop(componentStopTime); err != nil {
			errs = append(errs, err)
		}
	}
	c.components = nil
	if c.env != nil {
		if err := c.env.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stopping etcd and kube-apiserver: %w", err))
		}
		c.env = nil
	}
	// Everything it would kill has stopped.
	if c.reaper != nil {
		_ = c.reaper.cmd.Process.Kill()
		<-c.reaper.Done()
		c.reaper = nil
	}
	for _, l := range c.logs {
		_ = l.Close()
	}
	c.logs = nil
	if c.removeDir {
		if err := os.RemoveAll(c.Dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
