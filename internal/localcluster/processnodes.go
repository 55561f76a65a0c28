package localcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/clientcmd"
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
// Every Pod has the host's IP, so Pods cannot share a port: each container port is served on
// the same port of HostIP by the first Pod that claims it, and by later Pods on a free port
// instead (their args are rewritten to match). The EndpointSlice of a Service in front of two
// Pods then names the first Pod's port twice; the others are probed on their own ports.
type ProcessNodes struct {
	o    ProcessNodesOptions
	c    client.Client
	mu   sync.Mutex
	pods map[string]*processPod // by namespace/name
	// claimed are the host addresses the Pods' ports hold, by Pod key: a Pod's server may not
	// be listening yet when the next Pod starts.
	claimed map[string]string
	cancel  context.CancelFunc
	done    chan struct{}
}

// processPod is one Pod's running container (the first; sidecars are not played).
type processPod struct {
	uid  string
	node string
	args []string
	env  []string
	proc *Process
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
	n := &ProcessNodes{o: o, c: c, pods: map[string]*processPod{}, claimed: map[string]string{}, done: make(chan struct{})}
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
	return errors.Join(errs...)
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

func (n *ProcessNodes) podDir(key string) string {
	return filepath.Join(n.o.Dir, strings.ReplaceAll(key, "/", "_"))
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

// checkProcess probes a running container and restarts an exited one as its policy says.
func (n *ProcessNodes) checkProcess(ctx context.Context, key string, pod *corev1.Pod, p *processPod) {
	select {
	case <-p.proc.Done():
		code := p.proc.ExitCode()
		restart := pod.Spec.RestartPolicy == corev1.RestartPolicyAlways ||
			(pod.Spec.RestartPolicy == corev1.RestartPolicyOnFailure && code != 0)
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
		proc, err := StartProcess(pod.Name, n.o.Binary, p.args, p.env, n.podLog(key))
		if err != nil {
			p.exited, p.exitCode, p.ready = true, 128, false
			return
		}
		p.proc, p.restarts, p.ready, p.started, p.nextStart = proc, p.restarts+1, false, metav1.Now(), time.Time{}
	default:
		p.ready = n.probe(ctx, p)
	}
}

func (n *ProcessNodes) probe(ctx context.Context, p *processPod) bool {
	if p.probeURL == "" {
		return true
	}
	if p.probe != nil && time.Since(p.started.Time) < time.Duration(p.probe.InitialDelaySeconds)*time.Second {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.probeURL, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 400
}

func (n *ProcessNodes) podLog(key string) io.Writer {
	f, err := os.OpenFile(filepath.Join(n.podDir(key), "log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return n.o.Out
	}
	if n.o.Out == nil {
		return f
	}
	return io.MultiWriter(f, n.o.Out)
}

// startPod lays out the Pod's volumes and kubeconfig and starts its first container.
func (n *ProcessNodes) startPod(ctx context.Context, key string, pod *corev1.Pod) (*processPod, error) {
	if len(pod.Spec.Containers) == 0 {
		return nil, errors.New("no containers")
	}
	container := pod.Spec.Containers[0]
	dir := n.podDir(key)
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	mounts, err := n.mountVolumes(ctx, dir, pod, container)
	if err != nil {
		return nil, err
	}
	ports, err := n.bindPorts(key, container)
	if err != nil {
		return nil, err
	}
	kubeconfig, err := n.serviceAccountKubeconfig(dir, pod)
	if err != nil {
		return nil, err
	}
	env, err := containerEnv(pod, container)
	if err != nil {
		return nil, err
	}
	args := append(rewriteArgs(container.Args, ports, mounts), "--kubeconfig="+kubeconfig)
	p := &processPod{uid: string(pod.UID), node: pod.Spec.NodeName, args: args, env: env, probe: container.ReadinessProbe, started: metav1.Now()}
	if pr := container.ReadinessProbe; pr != nil && pr.HTTPGet != nil {
		port, err := probePort(container, pr.HTTPGet.Port)
		if err != nil {
			return nil, err
		}
		addr, ok := ports[port]
		if !ok {
			return nil, fmt.Errorf("readiness probe: port %d is not a port of container %s", port, container.Name)
		}
		p.probeURL = "http://" + addr + pr.HTTPGet.Path
	}
	if p.proc, err = StartProcess(pod.Name, n.o.Binary, p.args, p.env, n.podLog(key)); err != nil {
		return nil, err
	}
	return p, nil
}

// mountVolumes makes a directory for every volume the container mounts, holding a Secret's or
// ConfigMap's keys as the kubelet projects them, and returns mount path → directory.
func (n *ProcessNodes) mountVolumes(ctx context.Context, dir string, pod *corev1.Pod, container corev1.Container) (map[string]string, error) {
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Spec.Volumes {
		volumes[v.Name] = v
	}
	mounts := map[string]string{}
	for _, m := range container.VolumeMounts {
		v, ok := volumes[m.Name]
		if !ok {
			return nil, fmt.Errorf("volume mount %s names no volume", m.Name)
		}
		vdir := filepath.Join(dir, "volumes", m.Name)
		if err := os.MkdirAll(vdir, 0o755); err != nil {
			return nil, err
		}
		var data map[string][]byte
		switch {
		case v.Secret != nil:
			s := &corev1.Secret{}
			if err := n.c.Get(ctx, client.ObjectKey{Namespace: pod.Namespace, Name: v.Secret.SecretName}, s); err != nil {
				return nil, fmt.Errorf("volume %s: %w", m.Name, err)
			}
			data = s.Data
		case v.ConfigMap != nil:
			cm := &corev1.ConfigMap{}
			if err := n.c.Get(ctx, client.ObjectKey{Namespace: pod.Namespace, Name: v.ConfigMap.Name}, cm); err != nil {
				return nil, fmt.Errorf("volume %s: %w", m.Name, err)
			}
			data = map[string][]byte{}
			for k, s := range cm.Data {
				data[k] = []byte(s)
			}
			maps.Copy(data, cm.BinaryData)
		case v.EmptyDir != nil:
		case v.Projected != nil:
			// The ServiceAccount token volume: the process acts as the ServiceAccount through
			// its kubeconfig instead.
			data = map[string][]byte{"namespace": []byte(pod.Namespace)}
		default:
			return nil, fmt.Errorf("volume %s: only secret, configMap, emptyDir and projected volumes are played", m.Name)
		}
		for k, b := range data {
			if err := os.WriteFile(filepath.Join(vdir, k), b, 0o600); err != nil {
				return nil, err
			}
		}
		mounts[m.MountPath] = vdir
	}
	return mounts, nil
}

// bindPorts picks where each container port is served: its own port on the host IP if free,
// else a free one. It returns container port → host:port.
func (n *ProcessNodes) bindPorts(key string, container corev1.Container) (map[int32]string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ports := map[int32]string{}
	for _, p := range container.Ports {
		addr := net.JoinHostPort(n.o.HostIP, strconv.Itoa(int(p.ContainerPort)))
		for {
			if _, taken := n.claimed[addr]; !taken {
				if l, err := net.Listen("tcp", addr); err == nil {
					_ = l.Close()
					break
				}
			}
			var err error
			if addr, err = freeAddr(n.o.HostIP); err != nil {
				return nil, err
			}
		}
		n.claimed[addr] = key
		ports[p.ContainerPort] = addr
	}
	return ports, nil
}

// release gives up the Pod's host addresses; n.mu is held.
func (n *ProcessNodes) release(key string) {
	for addr, owner := range n.claimed {
		if owner == key {
			delete(n.claimed, addr)
		}
	}
}

// freeAddr is host with a port nobody listens on right now.
func freeAddr(host string) (string, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("finding a free port on %s: %w", host, err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String(), nil
}

func probePort(container corev1.Container, port intstr.IntOrString) (int32, error) {
	if port.Type == intstr.Int {
		return port.IntVal, nil
	}
	for _, p := range container.Ports {
		if p.Name == port.StrVal {
			return p.ContainerPort, nil
		}
	}
	return 0, fmt.Errorf("probe port %q is not a named port of container %s", port.StrVal, container.Name)
}

// rewriteArgs moves the container's flags from the Pod's own network and filesystem to the
// host's: a bind address or port naming a container port becomes the host address serving it,
// and a path under a volume mount becomes the path under the volume's directory.
func rewriteArgs(args []string, ports map[int32]string, mounts map[string]string) []string {
	out := make([]string, 0, len(args))
	for _, arg := range args {
		name, value, isFlag := strings.Cut(arg, "=")
		if !isFlag || !strings.HasPrefix(name, "-") {
			out = append(out, arg)
			continue
		}
		if host, port, err := net.SplitHostPort(value); err == nil {
			if p, err := strconv.ParseInt(port, 10, 32); err == nil {
				if addr, ok := ports[int32(p)]; ok && (host == "" || host == "0.0.0.0") {
					out = append(out, name+"="+addr)
					continue
				}
			}
		}
		if p, err := strconv.ParseInt(value, 10, 32); err == nil && strings.HasSuffix(name, "-port") {
			if addr, ok := ports[int32(p)]; ok {
				// A port flag binds every address; only the port may differ on the host.
				_, port, _ := net.SplitHostPort(addr)
				out = append(out, name+"="+port)
				continue
			}
		}
		for mountPath, dir := range mounts {
			if value == mountPath || strings.HasPrefix(value, strings.TrimSuffix(mountPath, "/")+"/") {
				value = dir + strings.TrimPrefix(value, mountPath)
				break
			}
		}
		out = append(out, name+"="+value)
	}
	return out
}

// containerEnv resolves the container's environment as the kubelet does, for the sources a
// manifest of the operator uses: values and the Pod's own fields.
func containerEnv(pod *corev1.Pod, container corev1.Container) ([]string, error) {
	var env []string
	for _, e := range container.Env {
		value := e.Value
		if src := e.ValueFrom; src != nil {
			if src.FieldRef == nil {
				return nil, fmt.Errorf("env %s: only values and fieldRef are played", e.Name)
			}
			switch src.FieldRef.FieldPath {
			case "metadata.namespace":
				value = pod.Namespace
			case "metadata.name":
				value = pod.Name
			case "spec.serviceAccountName":
				value = pod.Spec.ServiceAccountName
			case "spec.nodeName":
				value = pod.Spec.NodeName
			default:
				return nil, fmt.Errorf("env %s: fieldRef %s is not played", e.Name, src.FieldRef.FieldPath)
			}
		}
		env = append(env, e.Name+"="+value)
	}
	return env, nil
}

// serviceAccountKubeconfig writes a kubeconfig that acts as the Pod's ServiceAccount with the
// groups the API server gives its tokens.
func (n *ProcessNodes) serviceAccountKubeconfig(dir string, pod *corev1.Pod) (string, error) {
	cfg, err := clientcmd.LoadFromFile(n.o.Kubeconfig)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", n.o.Kubeconfig, err)
	}
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	for _, auth := range cfg.AuthInfos {
		auth.Impersonate = "system:serviceaccount:" + pod.Namespace + ":" + sa
		auth.ImpersonateGroups = []string{"system:serviceaccounts", "system:serviceaccounts:" + pod.Namespace, "system:authenticated"}
	}
	path := filepath.Join(dir, "kubeconfig")
	return path, clientcmd.WriteToFile(*cfg, path)
}

// report writes the Pod's status as a kubelet does, only when it changed.
func (n *ProcessNodes) report(ctx context.Context, pod *corev1.Pod, p *processPod) error {
	container := pod.Spec.Containers[0]
	status := corev1.ContainerStatus{
		Name: container.Name, Image: container.Image, ImageID: container.Image, RestartCount: p.restarts,
		Ready: p.ready, Started: ptr.To(!p.exited),
	}
	phase := corev1.PodRunning
	if p.exited {
		status.State.Terminated = &corev1.ContainerStateTerminated{ExitCode: int32(p.exitCode), StartedAt: p.started, FinishedAt: metav1.Now()}
		phase = corev1.PodSucceeded
		if p.exitCode != 0 {
			phase = corev1.PodFailed
		}
		status.State.Terminated.Reason = map[bool]string{true: "Completed", false: "Error"}[p.exitCode == 0]
	} else {
		status.State.Running = &corev1.ContainerStateRunning{StartedAt: p.started}
	}
	summary := fmt.Sprintf("%s/%t/%d/%d", phase, p.ready, p.restarts, p.exitCode)
	if summary == p.reported && pod.Status.PodIP == n.o.HostIP {
		return nil
	}
	now := metav1.Now()
	cond := func(t corev1.PodConditionType, ok bool) corev1.PodCondition {
		s := corev1.ConditionFalse
		if ok {
			s = corev1.ConditionTrue
		}
		return corev1.PodCondition{Type: t, Status: s, LastTransitionTime: now}
	}
	pod.Status.Phase = phase
	pod.Status.HostIP, pod.Status.PodIP = n.o.HostIP, n.o.HostIP
	pod.Status.HostIPs, pod.Status.PodIPs = []corev1.HostIP{{IP: n.o.HostIP}}, []corev1.PodIP{{IP: n.o.HostIP}}
	if pod.Status.StartTime == nil {
		pod.Status.StartTime = &now
	}
	pod.Status.Conditions = []corev1.PodCondition{
		cond(corev1.PodScheduled, true), cond(corev1.PodInitialized, true),
		cond(corev1.ContainersReady, p.ready), cond(corev1.PodReady, p.ready),
	}
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{status}
	if err := n.c.Status().Update(ctx, pod); err != nil {
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			return nil // the next sync writes it again
		}
		return fmt.Errorf("writing the status: %w", err)
	}
	p.reported = summary
	return nil
}

// reportFailed fails a Pod whose container cannot start, with the reason, as a kubelet does.
func (n *ProcessNodes) reportFailed(ctx context.Context, pod *corev1.Pod, cause error) error {
	pod.Status.Phase = corev1.PodFailed
	pod.Status.Reason, pod.Status.Message = "ProcessNodes", cause.Error()
	if err := n.c.Status().Update(ctx, pod); err != nil && !apierrors.IsConflict(err) {
		return errors.Join(cause, err)
	}
	return cause
}

// WaitPodsReady waits until the Pods matching the labels in namespace are n and all Ready.
func WaitPodsReady(ctx context.Context, c client.Client, namespace string, labels map[string]string, count int, timeout time.Duration) error {
	var last string
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		var pods corev1.PodList
		if err := c.List(ctx, &pods, client.InNamespace(namespace), client.MatchingLabels(labels)); err != nil {
			return false, err
		}
		ready := 0
		for _, p := range pods.Items {
			for _, cond := range p.Status.Conditions {
				if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue && p.DeletionTimestamp == nil {
					ready++
				}
			}
		}
		last = fmt.Sprintf("%d of %d Pods Ready", ready, len(pods.Items))
		return ready == count && len(pods.Items) == count, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for %d Ready Pods in %s (%s): %w", count, namespace, last, err)
	}
	return nil
}
