package translate

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// defaultStopTimeout is how long ECS waits after SIGTERM before SIGKILL when a container sets
// no stopTimeout.
const defaultStopTimeout = 30

// podLevel maps the settings that Kubernetes holds for the whole Pod: the stop timeout, the
// init process, and the runtime platform.
func (t *translation) podLevel() {
	// Kubernetes has one grace period per Pod: the longest stopTimeout, counting ECS's
	// default for containers without one, so that no container is killed sooner than in ECS.
	grace := int64(0)
	for i := range t.spec.ContainerDefinitions {
		c := &t.spec.ContainerDefinitions[i]
		grace = max(grace, int64(ptr.Deref(c.StopTimeout, defaultStopTimeout)))
		if lp := c.LinuxParameters; lp != nil && ptr.Deref(lp.InitProcessEnabled, false) {
			// With a shared process namespace the pause container is PID 1 and reaps zombies
			// and forwards no signals it should not, which is what Docker's --init gives.
			t.pod.ShareProcessNamespace = ptr.To(true)
		}
	}
	t.pod.TerminationGracePeriodSeconds = &grace

	if rp := t.spec.RuntimePlatform; rp != nil {
		sel := map[string]string{}
		switch {
		case rp.OperatingSystemFamily == "LINUX":
			sel[corev1.LabelOSStable] = "linux"
		case strings.HasPrefix(string(rp.OperatingSystemFamily), "WINDOWS"):
			sel[corev1.LabelOSStable] = "windows"
			// The Windows Server version must match the node's, as on ECS; FULL and CORE
			// differ in the image, not the host.
			if build, ok := windowsBuilds[windowsVersion(rp.OperatingSystemFamily)]; ok {
				sel[corev1.LabelWindowsBuild] = build
			}
		}
		switch rp.CPUArchitecture {
		case "X86_64":
			sel[corev1.LabelArchStable] = "amd64"
		case "ARM64":
			sel[corev1.LabelArchStable] = "arm64"
		}
		if len(sel) > 0 {
			t.pod.NodeSelector = sel
		}
	}
}

// windowsBuilds are the node.kubernetes.io/windows-build values of ECS's Windows Server
// versions.
var windowsBuilds = map[string]string{
	"2016": "10.0.14393",
	"2019": "10.0.17763",
	"2004": "10.0.19041",
	"20H2": "10.0.19042",
	"2022": "10.0.20348",
	"2025": "10.0.26100",
}

// windowsVersion is the version in WINDOWS_SERVER_<version>_<edition>.
func windowsVersion(f ecsv1.OSFamily) string {
	parts := strings.Split(string(f), "_")
	if len(parts) != 4 {
		return ""
	}
	return parts[2]
}

// windows reports whether the task runs on Windows.
func (t *translation) windows() bool {
	rp := t.spec.RuntimePlatform
	return rp != nil && strings.HasPrefix(string(rp.OperatingSystemFamily), "WINDOWS")
}

// unsupportedTaskFields notes task-level settings without a Kubernetes equivalent.
func (t *translation) unsupportedTaskFields() {
	if t.spec.ProxyConfiguration != nil {
		t.notes.add("proxyConfiguration", "App Mesh proxy configuration is not supported: nothing redirects the task's traffic to the proxy container")
	}
	if ptr.Deref(t.spec.EnableFaultInjection, false) {
		t.notes.add("enableFaultInjection", "ECS's fault injection endpoints do not exist in Kubernetes")
	}
}
