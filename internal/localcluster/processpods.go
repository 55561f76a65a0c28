package localcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func (n *ProcessNodes) podDir(key string) string {
	return filepath.Join(n.o.Dir, strings.ReplaceAll(key, "/", "_"))
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
	p := &processPod{uid: string(pod.UID), node: pod.Spec.NodeName, ports: ports, args: args, env: env, probe: container.ReadinessProbe, started: metav1.Now()}
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

// bindPorts gives each container port a free port of its own on the host IP, and makes sure
// the container port itself is served on the host IP by a servicePort passing connections to
// the Pods that declare it. It returns container port → the Pod's host:port.
func (n *ProcessNodes) bindPorts(key string, container corev1.Container) (map[int32]string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ports := map[int32]string{}
	for _, p := range container.Ports {
		if _, ok := n.servicePorts[p.ContainerPort]; !ok {
			n.servicePorts[p.ContainerPort] = listenServicePort(n.o.HostIP, p.ContainerPort, func() []string { return n.backendsOf(p.ContainerPort) })
		}
		var addr string
		for {
			var err error
			if addr, err = freeAddr(n.o.HostIP); err != nil {
				return nil, err
			}
			if _, taken := n.claimed[addr]; !taken {
				break
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
