package localcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The faults a test can inflict on the control plane: kube-apiserver killed and started again,
// etcd frozen.

// StopAPIServer kills kube-apiserver (SIGKILL), as a crash or the loss of its machine would:
// no graceful shutdown, watches cut mid-stream. etcd and every other component keep running,
// and clients see connections refused until StartAPIServer.
func (c *Cluster) StopAPIServer() error {
	pids, err := childPids("kube-apiserver")
	if err != nil {
		return fmt.Errorf("finding kube-apiserver: %w", err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("killing kube-apiserver: %w", err)
		}
	}
	// envtest reaps the process and forgets it, so that it can start it again.
	if err := c.env.ControlPlane.APIServer.Stop(); err != nil {
		return fmt.Errorf("stopping kube-apiserver: %w", err)
	}
	return nil
}

// StallEtcd freezes etcd (SIGSTOP) for d, as a slow disk or a long compaction would: the API
// server holds its requests, then times them out, while every process keeps running.
func (c *Cluster) StallEtcd(ctx context.Context, d time.Duration) error {
	pids, err := childPids("etcd")
	if err != nil {
		return fmt.Errorf("finding etcd: %w", err)
	}
	signal := func(sig syscall.Signal) error {
		for _, pid := range pids {
			if err := syscall.Kill(pid, sig); err != nil {
				return fmt.Errorf("signalling etcd: %w", err)
			}
		}
		return nil
	}
	if err := signal(syscall.SIGSTOP); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
	return signal(syscall.SIGCONT)
}

// StartAPIServer starts kube-apiserver again, on the same address with the same certificates
// and flags, returns once it serves every API (its watch cache starts empty: watches resumed
// from before the stop are told their resource version is too old), and restarts the other
// components as a control plane restart does (restartComponents).
func (c *Cluster) StartAPIServer(ctx context.Context) error {
	api := c.env.ControlPlane.APIServer
	if err := api.Start(); err != nil {
		return fmt.Errorf("starting kube-apiserver (see %s): %w", filepath.Join(c.Dir, "logs", "kube-apiserver.log"), err)
	}
	// The old reaper would kill the old process id, which may be another process's by now.
	if err := c.reaper.Stop(componentStopTime); err != nil {
		return err
	}
	if err := c.startReaper(); err != nil {
		return err
	}
	hc, err := rest.HTTPClientFor(c.Config)
	if err != nil {
		return err
	}
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, controlPlaneTimeout, true, func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(c.Config.Host, "/")+"/readyz", nil)
		if err != nil {
			return false, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return false, nil
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	}); err != nil {
		return err
	}
	return c.restartComponents(ctx)
}

// releaseKwokLeases gives up the node Leases a stopped kwok held, as a kubelet's Lease passes to
// its restarted kubelet: kwok names its holder with a fresh identity on every start and would
// otherwise leave the nodes unplayed until the old Leases expire (nodeLeaseDurationSeconds, 40 s).
func (c *Cluster) releaseKwokLeases(ctx context.Context) error {
	var nodes corev1.NodeList
	if err := c.Client.List(ctx, &nodes); err != nil {
		return err
	}
	for _, n := range nodes.Items {
		if n.Annotations[AnnotationKwokNode] != "fake" {
			continue
		}
		lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: corev1.NamespaceNodeLease, Name: n.Name}}
		patch := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"holderIdentity":null}}`))
		if err := c.Client.Patch(ctx, lease, patch); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("releasing the Lease of node %s: %w", n.Name, err)
		}
	}
	return nil
}

// componentRun is how a component was started.
type componentRun struct {
	args []string
	out  io.Writer
}

// restartComponents restarts kube-controller-manager, kube-scheduler and kwok. The first two
// as a control plane restart does: with leader election (which the local cluster turns off,
// having one of each) they lose their leadership while kube-apiserver is away and are
// restarted. kwok, the kubelets, too: otherwise its informers, like theirs, would come back only
// after client-go's backoff of up to a minute, and a test of a restart would measure that
// backoff rather than the operator.
func (c *Cluster) restartComponents(ctx context.Context) error {
	for i, p := range c.components {
		_ = p.Stop(componentStopTime)
		if p.Name == "kwok" {
			if err := c.releaseKwokLeases(ctx); err != nil {
				return err
			}
		}
		next, err := StartProcess(p.Name, filepath.Join(c.assets, p.Name), c.componentRuns[i].args, nil, c.componentRuns[i].out)
		if err != nil {
			return err
		}
		c.components[i] = next
	}
	return nil
}
