package localcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ProcessNodesOptions say which nodes to play the kubelet of and what their Pods run.
type ProcessNodesOptions struct {
	// Nodes names the nodes, one per zone of the fleet in turn. They carry no taint and are not
	// kwok's: only Pods that tolerate the fleet's taints or select these nodes land elsewhere.
	Nodes []string
	// Binary is what every container of their Pods runs, whatever its image: the operator's
	// image holds the manager and nothing else.
	Binary string
	// HostIP is the nodes' address and every Pod's IP: the API server reaches the Pods' servers
	// there (through Services' EndpointSlices), so it must not be loopback.
	HostIP string
	// Kubeconfig is an admin kubeconfig; each Pod's processes get one that acts as the Pod's
	// ServiceAccount (impersonation), so that they hold exactly the Pod's RBAC.
	Kubeconfig string
	// Dir holds each Pod's volumes, kubeconfig and log (<namespace>_<name>/).
	Dir string
	// Out receives every container's output, each line prefixed with the Pod's name.
	Out io.Writer
}

// ProcessNodes plays the kubelet of nodes whose Pods run as processes of this machine, for
// end-to-end tests of what a cluster runs from a manifest (the chart's Deployment and hook
// Job): the Pod's args and env, its ServiceAccount's identity, its volume mounts, its readiness
// probe and its restart policy are honoured, and its status is reported as a kubelet does.
//
// Every Pod has the host's IP, so Pods cannot share a port: each Pod serves its container
// ports on free ports of HostIP (its args are rewritten to match, and it is probed there), and
// HostIP:containerPort, which the EndpointSlices of a Service in front of the Pods name, passes
// connections to a running Pod declaring the port, ready ones first, as kube-proxy would.
type ProcessNodes struct {
	o    ProcessNodesOptions
	c    client.Client
	mu   sync.Mutex
	pods map[string]*processPod // by namespace/name
	// claimed are the host addresses the Pods' ports hold, by Pod key: a Pod's server may not
	// be listening yet when the next Pod starts.
	claimed map[string]string
	// servicePorts serve each container port on the host IP for every Pod declaring it (nil
	// when the port was taken).
	servicePorts map[int32]*servicePort
	cancel       context.CancelFunc
	done         chan struct{}
}

// processPod is one Pod's running container (the first; sidecars are not played).
type processPod struct {
	uid  string
	node string
	// ports are the host addresses of the container ports.
	ports map[int32]string
	// logStart is where the current process's output starts in the Pod's log.
	logStart int64
	args     []string
	env      []string
	proc     *Process
	// backoff is how long to wait before the next restart; nextStart is when.
	backoff   time.Duration
	nextStart time.Time
	probe     *corev1.Probe
	probeURL  string
	restarts  int32
	ready     bool
	exited    bool // and not restarted: terminal
	exitCode  int
	started   metav1.Time
	reported  string // the last status written, to write only changes
}

const (
	processNodeLeaseSeconds = 40
	processNodeRenewEvery   = 10 * time.Second
	processNodeSync         = 250 * time.Millisecond
	processStopTimeout      = 15 * time.Second
)

// StartProcessNodes registers the nodes, marks them Ready and starts playing their kubelet until
// Stop.
func StartProcessNodes(ctx context.Context, c client.Client, o ProcessNodesOptions) (*ProcessNodes, error) {
	if ip := net.ParseIP(o.HostIP); ip == nil || ip.IsLoopback() || ip.IsUnspecified() {
		return nil, fmt.Errorf("process nodes: host IP %q must be an address the API server reaches, not loopback", o.HostIP)
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	n := &ProcessNodes{o: o, c: c, pods: map[string]*processPod{}, claimed: map[string]string{}, servicePorts: map[int32]*servicePort{}, done: make(chan struct{})}
	for i, name := range o.Nodes {
		if err := n.registerNode(ctx, name, zones[i%len(zones)]); err != nil {
			return nil, err
		}
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n.cancel = cancel
	go n.run(runCtx)
	return n, nil
}

// HostAddress is a free address on the host for a server of a test to listen on.
func HostAddress(hostIP string) (string, error) {
	return freeAddr(hostIP)
}

// FirstHostIP is the first IPv4 address of this machine that is not loopback, "" when it has
// none.
func FirstHostIP() string {
	ifaces, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, iface := range ifaces {
		if iface.Flags&net.FlagUp == 0 || iface.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := iface.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
				return ipn.IP.String()
			}
		}
	}
	return ""
}

// Stop stops every Pod's process and stops playing the kubelet; the Pods and nodes stay.
func (n *ProcessNodes) Stop() error {
	n.cancel()
	<-n.done
	n.mu.Lock()
	defer n.mu.Unlock()
	var errs []error
	for key, p := range n.pods {
		if p.proc != nil {
			errs = append(errs, p.proc.Stop(processStopTimeout))
		}
		n.release(key)
		delete(n.pods, key)
	}
	for port, s := range n.servicePorts {
		if s != nil {
			s.close()
		}
		delete(n.servicePorts, port)
	}
	return errors.Join(errs...)
}

// Signal sends sig to the running process of a Pod: SIGKILL crashes it (the node restarts it
// as its restart policy says), SIGSTOP freezes it as a stalled node or a long GC pause would,
// SIGCONT thaws it.
func (n *ProcessNodes) Signal(namespace, name string, sig syscall.Signal) error {
	p := n.Process(namespace, name)
	if p == nil {
		return fmt.Errorf("pod %s/%s runs no process", namespace, name)
	}
	return p.Signal(sig)
}

// Output is what the Pod's running process has printed so far ("" when none runs).
func (n *ProcessNodes) Output(namespace, name string) (string, error) {
	key := namespace + "/" + name
	n.mu.Lock()
	p := n.pods[key]
	var start int64
	if p != nil {
		start = p.logStart
	}
	n.mu.Unlock()
	if p == nil {
		return "", nil
	}
	b, err := os.ReadFile(filepath.Join(n.podDir(key), "log"))
	if err != nil || int64(len(b)) < start {
		return "", err
	}
	return string(b[start:]), nil
}

// Process is the running process of a Pod, nil when none runs.
func (n *ProcessNodes) Process(namespace, name string) *Process {
	n.mu.Lock()
	defer n.mu.Unlock()
	if p := n.pods[namespace+"/"+name]; p != nil && !p.exited {
		return p.proc
	}
	return nil
}

func (n *ProcessNodes) registerNode(ctx context.Context, name, zone string) error {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("16Gi"),
		corev1.ResourcePods: resource.MustParse("50"),
	}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
		"topology.kubernetes.io/zone": zone,
	}}}
	if err := n.c.Create(ctx, node); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("registering node %s: %w", name, err)
	}
	// The node lifecycle controller writes the status too (taints, conditions): patch ours in.
	base := node.DeepCopy()
	now := metav1.Now()
	node.Status.Capacity, node.Status.Allocatable = capacity, capacity
	node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: n.o.HostIP}, {Type: corev1.NodeHostName, Address: name}}
	node.Status.Conditions = []corev1.NodeCondition{{
		Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
		Message: "processes of this machine play the kubelet", LastHeartbeatTime: now, LastTransitionTime: now,
	}}
	if err := n.c.Status().Patch(ctx, node, client.MergeFrom(base)); err != nil {
		return fmt.Errorf("marking node %s Ready: %w", name, err)
	}
	return n.renewLease(ctx, name)
}

// renewLease is the kubelet's heartbeat: without it the node lifecycle controller marks the
// node unreachable and its Pods not ready after a grace period.
func (n *ProcessNodes) renewLease(ctx context.Context, node string) error {
	lease := &coordinationv1.Lease{}
	key := client.ObjectKey{Namespace: corev1.NamespaceNodeLease, Name: node}
	now := metav1.NowMicro()
	err := n.c.Get(ctx, key, lease)
	if apierrors.IsNotFound(err) {
		lease = &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(node), LeaseDurationSeconds: ptr.To[int32](processNodeLeaseSeconds),
				RenewTime: &now},
		}
		return n.c.Create(ctx, lease)
	}
	if err != nil {
		return err
	}
	lease.Spec.RenewTime = &now
	return n.c.Update(ctx, lease)
}

func (n *ProcessNodes) run(ctx context.Context) {
	defer close(n.done)
	renew := time.NewTicker(processNodeRenewEvery)
	defer renew.Stop()
	tick := time.NewTicker(processNodeSync)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-renew.C:
			for _, node := range n.o.Nodes {
				if err := n.renewLease(ctx, node); err != nil && ctx.Err() == nil {
					n.logf("renewing the lease of node %s: %v", node, err)
				}
			}
		case <-tick.C:
			for _, node := range n.o.Nodes {
				if err := n.syncNode(ctx, node); err != nil && ctx.Err() == nil {
					n.logf("node %s: %v", node, err)
				}
			}
		}
	}
}

func (n *ProcessNodes) logf(format string, args ...any) {
	if n.o.Out != nil {
		_, _ = fmt.Fprintf(n.o.Out, "process-nodes | "+format+"\n", args...)
	}
}

// syncNode starts, probes, restarts, stops and reports the node's Pods.
func (n *ProcessNodes) syncNode(ctx context.Context, node string) error {
	var pods corev1.PodList
	if err := n.c.List(ctx, &pods, client.MatchingFields{"spec.nodeName": node}); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := range pods.Items {
		pod := &pods.Items[i]
		key := pod.Namespace + "/" + pod.Name
		seen[key] = true
		if err := n.syncPod(ctx, key, pod); err != nil && ctx.Err() == nil {
			n.logf("pod %s: %v", key, err)
		}
	}
	// Pods deleted at once (grace period 0, or terminal): their processes go too.
	n.mu.Lock()
	defer n.mu.Unlock()
	for key, p := range n.pods {
		if p.node == node && !seen[key] {
			if p.proc != nil {
				_ = p.proc.Stop(processStopTimeout)
			}
			n.release(key)
			delete(n.pods, key)
		}
	}
	return nil
}

func (n *ProcessNodes) syncPod(ctx context.Context, key string, pod *corev1.Pod) error {
	n.mu.Lock()
	p := n.pods[key]
	if p != nil && p.uid != string(pod.UID) { // the same name, a new Pod
		if p.proc != nil {
			_ = p.proc.Stop(processStopTimeout)
		}
		p = nil
		n.release(key)
		delete(n.pods, key)
	}
	n.mu.Unlock()

	if pod.DeletionTimestamp != nil {
		if p != nil && p.proc != nil {
			_ = p.proc.Stop(processStopTimeout)
		}
		n.mu.Lock()
		n.release(key)
		delete(n.pods, key)
		n.mu.Unlock()
		// The kubelet's last word: the containers are gone, remove the Pod.
		err := n.c.Delete(ctx, pod, client.GracePeriodSeconds(0), client.Preconditions{UID: &pod.UID})
		return client.IgnoreNotFound(err)
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return nil
	}
	if p == nil {
		var err error
		if p, err = n.startPod(ctx, key, pod); err != nil {
			n.mu.Lock()
			n.release(key)
			n.mu.Unlock()
			return n.reportFailed(ctx, pod, err)
		}
		n.mu.Lock()
		n.pods[key] = p
		n.mu.Unlock()
	}
	n.checkProcess(ctx, key, pod, p)
	return n.report(ctx, pod, p)
}

// checkProcess probes a running container and restarts an exited one as its policy says. It
// changes p under n.mu, which the Process, Output and servicePort readers hold.
func (n *ProcessNodes) checkProcess(ctx context.Context, key string, pod *corev1.Pod, p *processPod) {
	select {
	case <-p.proc.Done():
		code := p.proc.ExitCode()
		restart := pod.Spec.RestartPolicy == corev1.RestartPolicyAlways ||
			(pod.Spec.RestartPolicy == corev1.RestartPolicyOnFailure && code != 0)
		n.mu.Lock()
		defer n.mu.Unlock()
		if !restart {
			p.exited, p.exitCode, p.ready = true, code, false
			return
		}
		// CrashLoopBackOff: 1 s, doubling up to 30 s, as the kubelet's 10 s to 5 min but shorter.
		if p.nextStart.IsZero() {
			p.backoff = min(max(2*p.backoff, time.Second), 30*time.Second)
			p.nextStart, p.ready = time.Now().Add(p.backoff), false
			n.logf("pod %s: container exited with %d; restarting in %s", key, code, p.backoff)
		}
		if time.Now().Before(p.nextStart) {
			return
		}
		logStart := n.logSize(key)
		proc, err := StartProcess(pod.Name, n.o.Binary, p.args, p.env, n.podLog(key))
		if err != nil {
			p.exited, p.exitCode, p.ready = true, 128, false
			return
		}
		p.proc, p.restarts, p.ready, p.started, p.nextStart, p.logStart = proc, p.restarts+1, false, metav1.Now(), time.Time{}, logStart
	default:
		ready := n.probe(ctx, p)
		n.mu.Lock()
		p.ready = ready
		n.mu.Unlock()
	}
}

// logSize is the length of the Pod's log so far.
func (n *ProcessNodes) logSize(key string) int64 {
	fi, err := os.Stat(filepath.Join(n.podDir(key), "log"))
	if err != nil {
		return 0
	}
	return fi.Size()
}
