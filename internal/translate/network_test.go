package translate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func TestPodTemplate_networkModes(t *testing.T) {
	type want struct {
		hostNetwork bool
		dnsPolicy   corev1.DNSPolicy
		noted       bool
	}
	for _, tc := range []struct {
		mode ecsv1.NetworkMode
		want want
	}{
		{ecsv1.NetworkModeAwsVpc, want{false, "", false}},
		{ecsv1.NetworkModeBridge, want{false, "", false}},
		{ecsv1.NetworkModeHost, want{true, corev1.DNSClusterFirstWithHostNet, false}},
		{ecsv1.NetworkModeNone, want{false, "", true}},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			s := spec(ctr("app"))
			s.NetworkMode = tc.mode
			out := mustTranslate(t, service(s))
			diff(t, "network", tc.want, want{out.Template.Spec.HostNetwork, out.Template.Spec.DNSPolicy, hasNote(out.Unsupported, "networkMode")})
		})
	}
}

func TestPodTemplate_pidAndIpcModes(t *testing.T) {
	for _, tc := range []struct {
		pid, ipc         string
		hostPID, hostIPC bool
		share            *bool
		noted            bool
	}{
		{"host", "", true, false, nil, false},
		{"task", "", false, false, ptr.To(true), false},
		{"", "host", false, true, nil, false},
		{"", "task", false, false, nil, false},
		{"", "none", false, false, nil, true},
	} {
		s := spec(ctr("app"))
		s.PidMode, s.IpcMode = ecsv1.PidMode(tc.pid), ecsv1.IpcMode(tc.ipc)
		out := mustTranslate(t, service(s))
		p := out.Template.Spec
		diff(t, "pid "+tc.pid+" ipc "+tc.ipc, []any{tc.hostPID, tc.hostIPC, tc.share, tc.noted},
			[]any{p.HostPID, p.HostIPC, p.ShareProcessNamespace, hasNote(out.Unsupported, "ipcMode")})
	}
}

func TestPodTemplate_initProcessEnabled(t *testing.T) {
	pod := mustTranslate(t, service(spec(ctr("app", func(c *ecsv1.ContainerDefinition) {
		c.LinuxParameters = &ecsv1.LinuxParameters{InitProcessEnabled: ptr.To(true)}
	})))).Template.Spec
	diff(t, "shareProcessNamespace", ptr.To(true), pod.ShareProcessNamespace)
}

func TestPodTemplate_dns(t *testing.T) {
	for _, tc := range []struct {
		name    string
		servers [][]string
		search  [][]string
		policy  corev1.DNSPolicy
		config  *corev1.PodDNSConfig
		mode    ecsv1.NetworkMode
	}{
		{"none", nil, nil, "", nil, ""},
		{"servers replace the cluster's", [][]string{{"10.0.0.2"}}, [][]string{{"corp.example"}}, corev1.DNSNone,
			&corev1.PodDNSConfig{Nameservers: []string{"10.0.0.2"}, Searches: []string{"corp.example"}}, ""},
		{"search domains alone add to the cluster's", nil, [][]string{{"a.example", "b.example"}}, "",
			&corev1.PodDNSConfig{Searches: []string{"a.example", "b.example"}}, ""},
		{"merged across containers, in order, once", [][]string{{"1.1.1.1", "8.8.8.8"}, {"8.8.8.8", "9.9.9.9"}}, nil, corev1.DNSNone,
			&corev1.PodDNSConfig{Nameservers: []string{"1.1.1.1", "8.8.8.8", "9.9.9.9"}}, ""},
		{"servers win over host network's policy", [][]string{{"10.0.0.2"}}, nil, corev1.DNSNone,
			&corev1.PodDNSConfig{Nameservers: []string{"10.0.0.2"}}, ecsv1.NetworkModeHost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cs []ecsv1.ContainerDefinition
			for i := 0; i < 2; i++ {
				cs = append(cs, ctr(string(rune('a'+i)), func(c *ecsv1.ContainerDefinition) {
					if i < len(tc.servers) {
						c.DNSServers = tc.servers[i]
					}
					if i < len(tc.search) {
						c.DNSSearchDomains = tc.search[i]
					}
				}))
			}
			s := spec(cs...)
			s.NetworkMode = tc.mode
			pod := mustTranslate(t, service(s)).Template.Spec
			diff(t, "dns", []any{tc.policy, tc.config}, []any{pod.DNSPolicy, pod.DNSConfig})
		})
	}
}

func TestPodTemplate_tooManyNameServers(t *testing.T) {
	out := mustTranslate(t, service(spec(
		ctr("a", func(c *ecsv1.ContainerDefinition) { c.DNSServers = []string{"1.1.1.1", "1.0.0.1"} }),
		ctr("b", func(c *ecsv1.ContainerDefinition) { c.DNSServers = []string{"8.8.8.8", "8.8.4.4"} }),
	)))
	diff(t, "name servers", []string{"1.1.1.1", "1.0.0.1", "8.8.8.8"}, out.Template.Spec.DNSConfig.Nameservers)
	if !hasNote(out.Unsupported, "dnsServers", "8.8.4.4") {
		t.Errorf("not noted: %q", out.Unsupported)
	}
}

func TestPodTemplate_extraHosts(t *testing.T) {
	out := mustTranslate(t, service(spec(
		ctr("a", func(c *ecsv1.ContainerDefinition) {
			c.ExtraHosts = []ecsv1.HostEntry{{Hostname: "db", IPAddress: "10.0.0.5"}, {Hostname: "cache", IPAddress: "10.0.0.5"}, {Hostname: "host.docker.internal", IPAddress: "host-gateway"}}
		}),
		ctr("b", func(c *ecsv1.ContainerDefinition) {
			c.ExtraHosts = []ecsv1.HostEntry{{Hostname: "api", IPAddress: "10.0.0.1"}, {Hostname: "db", IPAddress: "10.0.0.5"}}
		}),
	)))
	diff(t, "hostAliases", []corev1.HostAlias{
		{IP: "10.0.0.1", Hostnames: []string{"api"}},
		{IP: "10.0.0.5", Hostnames: []string{"cache", "db"}},
	}, out.Template.Spec.HostAliases)
	if !hasNote(out.Unsupported, "containerDefinitions[a].extraHosts[2]", "host-gateway") {
		t.Errorf("not noted: %q", out.Unsupported)
	}
}

func TestPodTemplate_hostname(t *testing.T) {
	for _, tc := range []struct {
		name      string
		hostnames []string
		want      string
		note      string
	}{
		{"a DNS label", []string{"worker-1"}, "worker-1", ""},
		{"not a label", []string{"web.example.com"}, "", "containerDefinitions[c0].hostname"},
		{"two different", []string{"one", "two"}, "one", "containerDefinitions[c1].hostname"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cs []ecsv1.ContainerDefinition
			for i, h := range tc.hostnames {
				cs = append(cs, ctr("c"+itoa(i), func(c *ecsv1.ContainerDefinition) { c.Hostname = h }))
			}
			out := mustTranslate(t, service(spec(cs...)))
			diff(t, "hostname", tc.want, out.Template.Spec.Hostname)
			if tc.note != "" && !hasNote(out.Unsupported, tc.note) {
				t.Errorf("not noted: %q", out.Unsupported)
			}
		})
	}
}

func TestPodTemplate_stopTimeout(t *testing.T) {
	for _, tc := range []struct {
		name     string
		timeouts []*int32
		want     int64
	}{
		{"ECS default", []*int32{nil}, 30},
		{"longest", []*int32{ptr.To[int32](10), ptr.To[int32](120)}, 120},
		{"an unset one counts as 30", []*int32{ptr.To[int32](5), nil}, 30},
		{"all short", []*int32{ptr.To[int32](2), ptr.To[int32](5)}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cs []ecsv1.ContainerDefinition
			for i, st := range tc.timeouts {
				cs = append(cs, ctr("c"+itoa(i), func(c *ecsv1.ContainerDefinition) { c.StopTimeout = st }))
			}
			diff(t, "terminationGracePeriodSeconds", ptr.To(tc.want), mustTranslate(t, service(spec(cs...))).Template.Spec.TerminationGracePeriodSeconds)
		})
	}
}

func TestPodTemplate_runtimePlatform(t *testing.T) {
	for _, tc := range []struct {
		platform ecsv1.RuntimePlatform
		want     map[string]string
	}{
		{ecsv1.RuntimePlatform{OperatingSystemFamily: "LINUX", CPUArchitecture: "X86_64"}, map[string]string{corev1.LabelOSStable: "linux", corev1.LabelArchStable: "amd64"}},
		{ecsv1.RuntimePlatform{CPUArchitecture: "ARM64"}, map[string]string{corev1.LabelArchStable: "arm64"}},
		{ecsv1.RuntimePlatform{OperatingSystemFamily: "WINDOWS_SERVER_2022_CORE"}, map[string]string{corev1.LabelOSStable: "windows", corev1.LabelWindowsBuild: "10.0.20348"}},
		{ecsv1.RuntimePlatform{OperatingSystemFamily: "WINDOWS_SERVER_20H2_CORE", CPUArchitecture: "X86_64"}, map[string]string{corev1.LabelOSStable: "windows", corev1.LabelWindowsBuild: "10.0.19042", corev1.LabelArchStable: "amd64"}},
	} {
		s := spec(ctr("app"))
		s.RuntimePlatform = &tc.platform
		diff(t, "nodeSelector", tc.want, mustTranslate(t, service(s)).Template.Spec.NodeSelector)
	}
}

func TestPodTemplate_windowsHasNoPodResources(t *testing.T) {
	s := spec(ctr("app"))
	s.CPU, s.Memory = "1024", "2048"
	s.RuntimePlatform = &ecsv1.RuntimePlatform{OperatingSystemFamily: "WINDOWS_SERVER_2019_FULL"}
	out := mustTranslate(t, service(s))
	if out.Template.Spec.Resources != nil || !hasNote(out.Unsupported, "cpu", "Windows") {
		t.Errorf("Windows: want no pod resources and a note, got %+v %q", out.Template.Spec.Resources, out.Unsupported)
	}
}

func TestPodTemplate_unsupportedTaskFields(t *testing.T) {
	s := spec(ctr("app"))
	s.ProxyConfiguration = &ecsv1.ProxyConfiguration{ContainerName: "envoy"}
	s.EnableFaultInjection = ptr.To(true)
	out := mustTranslate(t, service(s))
	for _, f := range []string{"proxyConfiguration: ", "enableFaultInjection: "} {
		if !hasNote(out.Unsupported, f) {
			t.Errorf("%s not noted: %q", f, out.Unsupported)
		}
	}
}
