package translate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func TestPodTemplate_imageEntryPointCommand(t *testing.T) {
	c := ctr("app", func(c *ecsv1.ContainerDefinition) {
		c.Image = "nginx:1.27"
		c.EntryPoint = []string{"/docker-entrypoint.sh"}
		c.Command = []string{"nginx", "-g", "daemon off;"}
		c.WorkingDirectory = "/srv"
		c.Interactive = ptr.To(true)
		c.PseudoTerminal = ptr.To(true)
	})
	got := container(t, &mustTranslate(t, service(spec(c))).Template.Spec, "app")
	diff(t, "container basics",
		[]any{"nginx:1.27", []string{"/docker-entrypoint.sh"}, []string{"nginx", "-g", "daemon off;"}, "/srv", true, true},
		[]any{got.Image, got.Command, got.Args, got.WorkingDir, got.Stdin, got.TTY})
}

func TestPodTemplate_containerOrderKept(t *testing.T) {
	pod := mustTranslate(t, service(spec(ctr("c"), ctr("a"), ctr("B")))).Template.Spec
	diff(t, "container order", []string{"c", "a", ContainerName("B")}, names(pod.Containers))
}

func TestPodTemplate_environmentInECSOrder(t *testing.T) {
	c := ctr("app", func(c *ecsv1.ContainerDefinition) {
		c.Environment = []ecsv1.KeyValuePair{{Name: "Z", Value: "1"}, {Name: "A", Value: "2"}, {Name: "EMPTY"}}
	})
	got := container(t, &mustTranslate(t, service(spec(c))).Template.Spec, "app")
	diff(t, "env", []corev1.EnvVar{{Name: "Z", Value: "1"}, {Name: "A", Value: "2"}, {Name: "EMPTY"}}, got.Env)
}

func TestPodTemplate_ports(t *testing.T) {
	mappings := []ecsv1.PortMapping{
		{ContainerPort: ptr.To[int32](80), HostPort: ptr.To[int32](8080), Name: "HTTP_main"},
		{ContainerPort: ptr.To[int32](53), Protocol: ecsv1.ProtocolUDP, Name: "dns"},
		{ContainerPort: ptr.To[int32](9000), HostPort: ptr.To[int32](0), Name: "a-name-far-too-long"},
		{ContainerPortRange: "7000-7002"},
		{ContainerPortRange: "10000-10200"},
	}
	for _, tc := range []struct {
		mode ecsv1.NetworkMode
		want []corev1.ContainerPort
	}{
		{ecsv1.NetworkModeAwsVpc, []corev1.ContainerPort{
			{Name: "http-main", ContainerPort: 80, Protocol: corev1.ProtocolTCP},
			{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
			{ContainerPort: 9000, Protocol: corev1.ProtocolTCP},
			{ContainerPort: 7000, Protocol: corev1.ProtocolTCP}, {ContainerPort: 7001, Protocol: corev1.ProtocolTCP}, {ContainerPort: 7002, Protocol: corev1.ProtocolTCP},
		}},
		// Bridge keeps fixed host ports; 0 is a dynamic port, which a Pod does not need.
		{ecsv1.NetworkModeBridge, []corev1.ContainerPort{
			{Name: "http-main", ContainerPort: 80, HostPort: 8080, Protocol: corev1.ProtocolTCP},
			{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
			{ContainerPort: 9000, Protocol: corev1.ProtocolTCP},
			{ContainerPort: 7000, Protocol: corev1.ProtocolTCP}, {ContainerPort: 7001, Protocol: corev1.ProtocolTCP}, {ContainerPort: 7002, Protocol: corev1.ProtocolTCP},
		}},
		// ECS's default network mode is bridge.
		{"", []corev1.ContainerPort{
			{Name: "http-main", ContainerPort: 80, HostPort: 8080, Protocol: corev1.ProtocolTCP},
			{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
			{ContainerPort: 9000, Protocol: corev1.ProtocolTCP},
			{ContainerPort: 7000, Protocol: corev1.ProtocolTCP}, {ContainerPort: 7001, Protocol: corev1.ProtocolTCP}, {ContainerPort: 7002, Protocol: corev1.ProtocolTCP},
		}},
		// Host mode binds the container port on the node.
		{ecsv1.NetworkModeHost, []corev1.ContainerPort{
			{Name: "http-main", ContainerPort: 80, HostPort: 80, Protocol: corev1.ProtocolTCP},
			{Name: "dns", ContainerPort: 53, HostPort: 53, Protocol: corev1.ProtocolUDP},
			{ContainerPort: 9000, HostPort: 9000, Protocol: corev1.ProtocolTCP},
			{ContainerPort: 7000, HostPort: 7000, Protocol: corev1.ProtocolTCP}, {ContainerPort: 7001, HostPort: 7001, Protocol: corev1.ProtocolTCP}, {ContainerPort: 7002, HostPort: 7002, Protocol: corev1.ProtocolTCP},
		}},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			s := spec(ctr("app", func(c *ecsv1.ContainerDefinition) { c.PortMappings = mappings }))
			s.NetworkMode = tc.mode
			out := mustTranslate(t, service(s))
			diff(t, "ports", tc.want, container(t, &out.Template.Spec, "app").Ports)
			if !hasNote(out.Unsupported, "containerDefinitions[app].portMappings[2].name", "a-name-far-too-long") {
				t.Errorf("the dropped port name is not noted: %q", out.Unsupported)
			}
			if !hasNote(out.Unsupported, "containerDefinitions[app].portMappings[4].containerPortRange", "100 ports") {
				t.Errorf("the large range is not noted: %q", out.Unsupported)
			}
		})
	}
}

func TestPodTemplate_user(t *testing.T) {
	for _, tc := range []struct {
		user      string
		uid, gid  *int64
		noteMatch string
	}{
		{"1001", ptr.To[int64](1001), nil, ""},
		{"1001:2002", ptr.To[int64](1001), ptr.To[int64](2002), ""},
		{"root", ptr.To[int64](0), nil, ""},
		{"root:root", ptr.To[int64](0), ptr.To[int64](0), ""},
		{"nginx", nil, nil, `user name "nginx"`},
		{"1000:staff", ptr.To[int64](1000), nil, `group name "staff"`},
	} {
		t.Run(tc.user, func(t *testing.T) {
			out := mustTranslate(t, service(spec(ctr("app", func(c *ecsv1.ContainerDefinition) { c.User = tc.user }))))
			sc := container(t, &out.Template.Spec, "app").SecurityContext
			var uid, gid *int64
			if sc != nil {
				uid, gid = sc.RunAsUser, sc.RunAsGroup
			}
			diff(t, "runAsUser", tc.uid, uid)
			diff(t, "runAsGroup", tc.gid, gid)
			if tc.noteMatch != "" && !hasNote(out.Unsupported, "containerDefinitions[app].user", tc.noteMatch) {
				t.Errorf("no note about %s in %q", tc.noteMatch, out.Unsupported)
			}
			if tc.noteMatch == "" && len(out.Unsupported) > 0 {
				t.Errorf("unexpected notes %q", out.Unsupported)
			}
		})
	}
}

func TestPodTemplate_securityContext(t *testing.T) {
	c := ctr("app", func(c *ecsv1.ContainerDefinition) {
		c.Privileged = ptr.To(true)
		c.ReadonlyRootFilesystem = ptr.To(true)
		c.LinuxParameters = &ecsv1.LinuxParameters{Capabilities: &ecsv1.KernelCapabilities{Add: []ecsv1.LinuxCapability{"SYS_ADMIN"}, Drop: []ecsv1.LinuxCapability{"MKNOD"}}}
	})
	// At baseline the mapping is all there is.
	in := service(spec(c))
	in.PodSecurity = ecsv1.PodSecurityBaseline
	got := container(t, &mustTranslate(t, in).Template.Spec, "app").SecurityContext
	diff(t, "securityContext", &corev1.SecurityContext{
		Privileged:             ptr.To(true),
		ReadOnlyRootFilesystem: ptr.To(true),
		Capabilities:           &corev1.Capabilities{Add: []corev1.Capability{"SYS_ADMIN"}, Drop: []corev1.Capability{"MKNOD"}},
	}, got)
	// Restricted (the default) keeps what was asked for and adds only the drop of ALL:
	// no allowPrivilegeEscalation false next to privileged, which the API server refuses.
	got = container(t, &mustTranslate(t, service(spec(c))).Template.Spec, "app").SecurityContext
	diff(t, "securityContext", &corev1.SecurityContext{
		Privileged:             ptr.To(true),
		ReadOnlyRootFilesystem: ptr.To(true),
		Capabilities:           &corev1.Capabilities{Add: []corev1.Capability{"SYS_ADMIN"}, Drop: []corev1.Capability{"MKNOD", "ALL"}},
	}, got)

	plain := ctr("app", func(c *ecsv1.ContainerDefinition) {
		c.Privileged = ptr.To(false)
		c.ReadonlyRootFilesystem = ptr.To(false)
	})
	in = service(spec(plain))
	in.PodSecurity = ecsv1.PodSecurityBaseline
	if sc := container(t, &mustTranslate(t, in).Template.Spec, "app").SecurityContext; sc != nil {
		t.Errorf("false flags: want no securityContext, got %+v", sc)
	}
}

func TestPodTemplate_windowsUser(t *testing.T) {
	s := spec(ctr("app", func(c *ecsv1.ContainerDefinition) { c.User = "ContainerUser" }))
	s.RuntimePlatform = &ecsv1.RuntimePlatform{OperatingSystemFamily: "WINDOWS_SERVER_2022_CORE"}
	out := mustTranslate(t, service(s))
	// The template declares no spec.os, so Pod Security still asks for the Linux fields of
	// restricted; a Windows node ignores them.
	diff(t, "securityContext", &corev1.SecurityContext{
		WindowsOptions:           &corev1.WindowsSecurityContextOptions{RunAsUserName: ptr.To("ContainerUser")},
		AllowPrivilegeEscalation: ptr.To(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}, container(t, &out.Template.Spec, "app").SecurityContext)
}

func TestPodTemplate_unsupportedContainerFields(t *testing.T) {
	c := ctr("web", func(c *ecsv1.ContainerDefinition) {
		c.Links = []string{"db:db"}
		c.Ulimits = []ecsv1.Ulimit{{Name: "nofile", SoftLimit: 1024, HardLimit: 2048}}
		c.DockerSecurityOptions = []string{"no-new-privileges"}
		c.SystemControls = []ecsv1.SystemControl{{Namespace: "net.core.somaxconn", Value: "1024"}}
		c.DisableNetworking = ptr.To(true)
		c.StartTimeout = ptr.To[int32](60)
		c.CredentialSpecs = []string{"credentialspec:arn:aws:s3:::bucket/spec.json"}
		c.VersionConsistency = "enabled"
		c.LinuxParameters = &ecsv1.LinuxParameters{
			Devices:    []ecsv1.Device{{HostPath: "/dev/fuse"}},
			MaxSwap:    ptr.To[int32](100),
			Swappiness: ptr.To[int32](10),
		}
		c.ResourceRequirements = []ecsv1.ResourceRequirement{{Type: "InferenceAccelerator", Value: "dev1"}}
	})
	out := mustTranslate(t, service(spec(c)))
	for _, field := range []string{
		"links", "ulimits", "dockerSecurityOptions", "systemControls", "disableNetworking", "startTimeout",
		"credentialSpecs", "versionConsistency", "linuxParameters.devices", "linuxParameters.maxSwap",
		"linuxParameters.swappiness", "resourceRequirements",
	} {
		if !hasNote(out.Unsupported, "containerDefinitions[web]."+field+": ") {
			t.Errorf("%s is not noted as unsupported: %q", field, out.Unsupported)
		}
	}
	if !hasNote(out.Unsupported, "containerDefinitions[web].ulimits: Kubernetes has no per-container ulimits; the node's defaults apply") {
		t.Errorf("ulimits note: %q", out.Unsupported)
	}
	for i := 1; i < len(out.Unsupported); i++ {
		if out.Unsupported[i-1] >= out.Unsupported[i] {
			t.Errorf("Unsupported is not sorted and unique: %q", out.Unsupported)
		}
	}
}

func TestPodTemplate_emptyListsAreNotUnsupported(t *testing.T) {
	c := ctr("web", func(c *ecsv1.ContainerDefinition) {
		c.Links, c.Ulimits, c.SystemControls = []string{}, []ecsv1.Ulimit{}, []ecsv1.SystemControl{}
		c.DisableNetworking = ptr.To(false)
		c.VersionConsistency = "disabled"
	})
	if out := mustTranslate(t, service(spec(c))); len(out.Unsupported) > 0 {
		t.Errorf("want nothing unsupported, got %q", out.Unsupported)
	}
}

func TestPodTemplate_podDefaults(t *testing.T) {
	pod := mustTranslate(t, service(spec(ctr("app")))).Template.Spec
	diff(t, "pod defaults",
		[]any{corev1.RestartPolicyAlways, ptr.To(false), ptr.To(false), ptr.To[int64](30)},
		[]any{pod.RestartPolicy, pod.AutomountServiceAccountToken, pod.EnableServiceLinks, pod.TerminationGracePeriodSeconds})
	if got := mustTranslate(t, task(spec(ctr("app")))).Template.Spec.RestartPolicy; got != corev1.RestartPolicyNever {
		t.Errorf("a Task's restartPolicy = %s, want Never", got)
	}
}

func TestPodTemplate_deterministic(t *testing.T) {
	s := spec(
		ctr("Web", func(c *ecsv1.ContainerDefinition) {
			c.DockerLabels = map[string]string{"b": "2", "a": "1", "com.example/x": "y", "z": "{json}"}
			c.ExtraHosts = []ecsv1.HostEntry{{Hostname: "b", IPAddress: "10.0.0.2"}, {Hostname: "a", IPAddress: "10.0.0.1"}, {Hostname: "c", IPAddress: "10.0.0.2"}}
			c.LogConfiguration = &ecsv1.LogConfiguration{LogDriver: "awslogs", Options: map[string]string{"z": "1", "a": "2"}}
		}),
		ctr("side", nonEssential, func(c *ecsv1.ContainerDefinition) { c.DockerLabels = map[string]string{"q": "r"} }),
	)
	first := mustTranslate(t, service(s))
	for i := 0; i < 20; i++ {
		diff(t, "second translation", first, mustTranslate(t, service(s)))
	}
}
