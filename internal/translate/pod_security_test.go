package translate

import (
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// hardened is the restricted part of one container's security context, as filled.
func hardened() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

func runtimeDefault() *corev1.SeccompProfile {
	return &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
}

// plainPod has an init container, a native sidecar, a container and an ephemeral container,
// none with a security context.
func plainPod() corev1.PodSpec {
	return corev1.PodSpec{
		InitContainers: []corev1.Container{
			{Name: "init", Image: "img"},
			{Name: "sidecar", Image: "img", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)},
		},
		Containers:          []corev1.Container{{Name: "app", Image: "img"}},
		EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Image: "img"}}},
	}
}

// plainPodHardened is plainPod as restricted needs it.
func plainPodHardened() corev1.PodSpec {
	p := plainPod()
	p.SecurityContext = &corev1.PodSecurityContext{SeccompProfile: runtimeDefault(), RunAsNonRoot: ptr.To(true)}
	for i := range p.InitContainers {
		p.InitContainers[i].SecurityContext = hardened()
	}
	p.Containers[0].SecurityContext = hardened()
	p.EphemeralContainers[0].SecurityContext = hardened()
	return p
}

func withApp(sc *corev1.SecurityContext) func(*corev1.PodSpec) {
	return func(p *corev1.PodSpec) { p.Containers[0].SecurityContext = sc }
}

func TestHardenForPodSecurity(t *testing.T) {
	for _, tc := range []struct {
		name  string
		level ecsv1.PodSecurityLevel
		pod   func(*corev1.PodSpec) // changes plainPod; nil leaves it
		want  func(*corev1.PodSpec) // changes plainPodHardened; nil leaves it
		same  bool                  // want the pod as it came
	}{
		{name: "restricted fills everything, sidecars and ephemeral containers too", level: ecsv1.PodSecurityRestricted},
		{name: "empty level is restricted", level: ""},
		{name: "baseline fills nothing", level: ecsv1.PodSecurityBaseline, same: true},
		{name: "privileged fills nothing", level: ecsv1.PodSecurityPrivileged, same: true},
		{
			name: "baseline leaves explicit requests too", level: ecsv1.PodSecurityBaseline, same: true,
			pod: withApp(&corev1.SecurityContext{RunAsUser: ptr.To[int64](0), Privileged: ptr.To(true)}),
		},
		{
			name: "container user root is kept, and no runAsNonRoot hides it",
			pod:  withApp(&corev1.SecurityContext{RunAsUser: ptr.To[int64](0)}),
			want: func(p *corev1.PodSpec) {
				p.SecurityContext.RunAsNonRoot = nil
				p.Containers[0].SecurityContext.RunAsUser = ptr.To[int64](0)
			},
		},
		{
			name: "pod user root is kept",
			pod:  func(p *corev1.PodSpec) { p.SecurityContext = &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](0)} },
			want: func(p *corev1.PodSpec) {
				p.SecurityContext.RunAsNonRoot = nil
				p.SecurityContext.RunAsUser = ptr.To[int64](0)
			},
		},
		{
			name: "an init container's root counts as well",
			pod: func(p *corev1.PodSpec) {
				p.InitContainers[1].SecurityContext = &corev1.SecurityContext{RunAsUser: ptr.To[int64](0)}
			},
			want: func(p *corev1.PodSpec) {
				p.SecurityContext.RunAsNonRoot = nil
				p.InitContainers[1].SecurityContext.RunAsUser = ptr.To[int64](0)
			},
		},
		{
			name: "a non-root uid is no request for root",
			pod:  withApp(&corev1.SecurityContext{RunAsUser: ptr.To[int64](1000)}),
			want: func(p *corev1.PodSpec) { p.Containers[0].SecurityContext.RunAsUser = ptr.To[int64](1000) },
		},
		{
			name: "a container's runAsNonRoot false is kept, and the pod's is not set",
			pod:  withApp(&corev1.SecurityContext{RunAsNonRoot: ptr.To(false)}),
			want: func(p *corev1.PodSpec) {
				p.SecurityContext.RunAsNonRoot = nil
				p.Containers[0].SecurityContext.RunAsNonRoot = ptr.To(false)
			},
		},
		{
			name: "a container's runAsNonRoot true still gets the pod's, for its siblings",
			pod:  withApp(&corev1.SecurityContext{RunAsNonRoot: ptr.To(true)}),
			want: func(p *corev1.PodSpec) { p.Containers[0].SecurityContext.RunAsNonRoot = ptr.To(true) },
		},
		{
			name: "the pod's own runAsNonRoot and seccomp profile are kept",
			pod: func(p *corev1.PodSpec) {
				p.SecurityContext = &corev1.PodSecurityContext{
					RunAsNonRoot:   ptr.To(false),
					SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined},
				}
			},
			want: func(p *corev1.PodSpec) {
				p.SecurityContext.RunAsNonRoot = ptr.To(false)
				p.SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
			},
		},
		{
			name: "privileged is kept, without allowPrivilegeEscalation false next to it",
			pod:  withApp(&corev1.SecurityContext{Privileged: ptr.To(true)}),
			want: withApp(&corev1.SecurityContext{Privileged: ptr.To(true), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}),
		},
		{
			name: "added capabilities are kept and ALL is dropped next to the task's own drops",
			pod:  withApp(&corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN"}, Drop: []corev1.Capability{"MKNOD"}}}),
			want: withApp(&corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr.To(false),
				Capabilities:             &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN"}, Drop: []corev1.Capability{"MKNOD", "ALL"}},
			}),
		},
		{
			name: "SYS_ADMIN gets no allowPrivilegeEscalation false, in either spelling",
			pod: func(p *corev1.PodSpec) {
				p.Containers[0].SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_ADMIN"}}}
				p.InitContainers[0].SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"CAP_SYS_ADMIN"}}}
			},
			want: func(p *corev1.PodSpec) {
				p.Containers[0].SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_ADMIN"}, Drop: []corev1.Capability{"ALL"}}}
				p.InitContainers[0].SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"CAP_SYS_ADMIN"}, Drop: []corev1.Capability{"ALL"}}}
			},
		},
		{
			name: "allowPrivilegeEscalation true is kept, and ALL is not dropped twice",
			pod:  withApp(&corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(true), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}),
			want: withApp(&corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(true), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}),
		},
		{
			name: "a pod that declares Windows gets only runAsNonRoot, which the API server allows there",
			pod:  func(p *corev1.PodSpec) { p.OS = &corev1.PodOS{Name: corev1.Windows} },
			want: func(p *corev1.PodSpec) {
				*p = plainPod()
				p.OS = &corev1.PodOS{Name: corev1.Windows}
				p.SecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true)}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := plainPod()
			if tc.pod != nil {
				tc.pod(&got)
			}
			want := plainPodHardened()
			switch {
			case tc.same:
				want = plainPod()
				if tc.pod != nil {
					tc.pod(&want)
				}
			case tc.want != nil:
				tc.want(&want)
			}
			HardenForPodSecurity(&got, tc.level)
			diff(t, "pod", want, got)
			// Filling only what is unset makes a second pass change nothing, so the webhook
			// may harden a Pod whose template was hardened already.
			again := *got.DeepCopy()
			HardenForPodSecurity(&again, tc.level)
			diff(t, "second pass", got, again)
		})
	}
}

var podSecurity = func() policy.Evaluator {
	e, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		panic(err)
	}
	return e
}()

// refusals evaluates a template with the real Pod Security checks and returns the reasons it
// is refused for, sorted; none means admitted. At restricted, restricted's capability and
// volume checks stand in for baseline's, so a host path is "restricted volume types" and an
// added capability "unrestricted capabilities".
func refusals(tmpl *corev1.PodTemplateSpec, level psaapi.Level) []string {
	var out []string
	for _, r := range podSecurity.EvaluatePod(psaapi.LevelVersion{Level: level, Version: psaapi.LatestVersion()}, &tmpl.ObjectMeta, &tmpl.Spec) {
		if !r.Allowed {
			out = append(out, r.ForbiddenReason)
		}
	}
	sort.Strings(out)
	return out
}

func TestPodTemplate_admittedByPodSecurity(t *testing.T) {
	efs := &ecsv1.Volume{Name: "data", EFSVolumeConfiguration: &ecsv1.EFSVolumeConfiguration{FileSystemID: "fs-1"}}
	scratch := &ecsv1.Volume{Name: "scratch", Host: &ecsv1.HostVolumeProperties{}}
	for _, tc := range []struct {
		name    string
		spec    func() *ecsv1.TaskDefinitionSpec
		refused []string // at restricted; nil means admitted
	}{
		{name: "a task that asks for nothing", spec: func() *ecsv1.TaskDefinitionSpec {
			s := spec(
				ctr("app", dependsOn("db", ecsv1.DependencyHealthy), dependsOn("migrate", ecsv1.DependencySuccess), func(c *ecsv1.ContainerDefinition) {
					c.MountPoints = []ecsv1.MountPoint{{SourceVolume: "data", ContainerPath: "/data"}, {SourceVolume: "scratch", ContainerPath: "/tmp"}}
					c.User = "1000:1000"
					c.ReadonlyRootFilesystem = ptr.To(true)
				}),
				ctr("db", healthCheck("CMD", "true")),
				ctr("migrate", nonEssential),
			)
			s.NetworkMode = ecsv1.NetworkModeAwsVpc
			s.Volumes = []ecsv1.Volume{*efs, *scratch}
			return s
		}},
		{name: "a dynamic host port in bridge mode", spec: func() *ecsv1.TaskDefinitionSpec {
			return spec(ctr("app", func(c *ecsv1.ContainerDefinition) {
				c.PortMappings = []ecsv1.PortMapping{{ContainerPort: ptr.To[int32](80)}}
			}))
		}},
		{name: "capability NET_BIND_SERVICE, which restricted allows", spec: func() *ecsv1.TaskDefinitionSpec {
			return spec(ctr("app", func(c *ecsv1.ContainerDefinition) {
				c.LinuxParameters = &ecsv1.LinuxParameters{Capabilities: &ecsv1.KernelCapabilities{Add: []ecsv1.LinuxCapability{"NET_BIND_SERVICE"}}}
			}))
		}},
		{name: "user root", refused: []string{"runAsNonRoot != true", "runAsUser=0"}, spec: func() *ecsv1.TaskDefinitionSpec {
			return spec(ctr("app"), ctr("log", func(c *ecsv1.ContainerDefinition) { c.User = "root" }))
		}},
		{name: "privileged", refused: []string{"allowPrivilegeEscalation != false", "privileged"}, spec: func() *ecsv1.TaskDefinitionSpec {
			return spec(ctr("app", func(c *ecsv1.ContainerDefinition) { c.Privileged = ptr.To(true) }))
		}},
		{name: "an added capability", refused: []string{"unrestricted capabilities"}, spec: func() *ecsv1.TaskDefinitionSpec {
			return spec(ctr("app", func(c *ecsv1.ContainerDefinition) {
				c.LinuxParameters = &ecsv1.LinuxParameters{Capabilities: &ecsv1.KernelCapabilities{Add: []ecsv1.LinuxCapability{"NET_ADMIN"}}}
			}))
		}},
		{name: "host networking", refused: []string{"host namespaces", "hostPort"}, spec: func() *ecsv1.TaskDefinitionSpec {
			s := spec(ctr("app", func(c *ecsv1.ContainerDefinition) {
				c.PortMappings = []ecsv1.PortMapping{{ContainerPort: ptr.To[int32](80)}}
			}))
			s.NetworkMode = ecsv1.NetworkModeHost
			return s
		}},
		{name: "a fixed host port in bridge mode", refused: []string{"hostPort"}, spec: func() *ecsv1.TaskDefinitionSpec {
			return spec(ctr("app", func(c *ecsv1.ContainerDefinition) {
				c.PortMappings = []ecsv1.PortMapping{{ContainerPort: ptr.To[int32](80), HostPort: ptr.To[int32](8080)}}
			}))
		}},
		{name: "a host path", refused: []string{"restricted volume types"}, spec: func() *ecsv1.TaskDefinitionSpec {
			s := spec(ctr("app", func(c *ecsv1.ContainerDefinition) {
				c.MountPoints = []ecsv1.MountPoint{{SourceVolume: "sock", ContainerPath: "/var/run/docker.sock"}}
			}))
			s.Volumes = []ecsv1.Volume{{Name: "sock", Host: &ecsv1.HostVolumeProperties{SourcePath: "/var/run/docker.sock"}}}
			return s
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, in := range []Input{service(tc.spec()), task(tc.spec())} {
				out := mustTranslate(t, in)
				diff(t, "restricted refusals", tc.refused, refusals(&out.Template, psaapi.LevelRestricted))
			}
		})
	}
}

// explicitRequests lists what a task definition asks for that restricted forbids, and which
// of those baseline forbids as well: user root, privileged, added capabilities, the host's
// network, ports and paths.
func explicitRequests(s *ecsv1.TaskDefinitionSpec) (restricted, baseline []string) {
	ask := func(what string, baselineToo bool) {
		restricted = append(restricted, what)
		if baselineToo {
			baseline = append(baseline, what)
		}
	}
	mode := networkMode(s)
	if mode == ecsv1.NetworkModeHost {
		ask("networkMode host", true)
	}
	// Baseline's default capabilities, as Pod Security lists them.
	defaults := []string{"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
	for _, c := range s.ContainerDefinitions {
		if user, _, _ := strings.Cut(c.User, ":"); user == "root" || user == "0" {
			ask(string(c.Name)+" user root", false)
		}
		if ptr.Deref(c.Privileged, false) {
			ask(string(c.Name)+" privileged", true)
		}
		if lp := c.LinuxParameters; lp != nil && lp.Capabilities != nil {
			for _, a := range lp.Capabilities.Add {
				if a != "NET_BIND_SERVICE" {
					ask(string(c.Name)+" capability "+string(a), !slices.Contains(defaults, string(a)))
				}
			}
		}
		for _, pm := range c.PortMappings {
			if mode == ecsv1.NetworkModeBridge && ptr.Deref(pm.HostPort, 0) != 0 {
				ask(string(c.Name)+" host port", true)
			}
		}
	}
	for _, v := range s.Volumes {
		if v.Host != nil && strings.HasPrefix(v.Host.SourcePath, "/") {
			ask("host path "+v.Host.SourcePath, true)
		}
	}
	return restricted, baseline
}

// Every real task definition is admitted at restricted unless it asks for what restricted
// forbids; then Pod Security refuses it, for what it asked.
func TestRealTaskDefinitions_podSecurity(t *testing.T) {
	refused := map[string][]string{
		// log_router runs as user 0.
		"001.json": {"runAsNonRoot != true", "runAsUser=0"},
		"012.json": {"host namespaces", "hostPort"},
		// SYS_ADMIN.
		"028.json": {"allowPrivilegeEscalation != false", "unrestricted capabilities"},
		// Bridge mode with hostPort 8080.
		"034.json": {"hostPort"},
		"039.json": {"allowPrivilegeEscalation != false", "restricted volume types", "unrestricted capabilities"},
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no task definitions: %v", err)
	}
	for _, path := range files {
		file := filepath.Base(path)
		t.Run(file, func(t *testing.T) {
			s := loadTaskDefinition(t, file)
			if fix := placeholderFixes[file]; fix != nil {
				fix(s)
			}
			asksRestricted, asksBaseline := explicitRequests(s)
			if (len(asksRestricted) == 0) != (refused[file] == nil) {
				t.Fatalf("the table says refused %q, the task definition asks for %q", refused[file], asksRestricted)
			}
			for _, mk := range []func(*ecsv1.TaskDefinitionSpec) Input{service, task} {
				in := mk(s)
				in.Family = string(s.Family)
				out := mustTranslate(t, in)
				diff(t, "restricted refusals", refused[file], refusals(&out.Template, psaapi.LevelRestricted))

				in.PodSecurity = ecsv1.PodSecurityBaseline
				base := mustTranslate(t, in)
				if got := refusals(&base.Template, psaapi.LevelBaseline); (len(got) == 0) != (len(asksBaseline) == 0) {
					t.Errorf("baseline refuses %q; the task definition asks for %q", got, asksBaseline)
				}
				in.PodSecurity = ecsv1.PodSecurityPrivileged
				diff(t, "baseline adds nothing to what privileged gets", mustTranslate(t, in).Template, base.Template)
			}
		})
	}
}

// The webhook's rule and the translation's are one function: a template hardened once is
// what the webhook would make of it.
func TestPodTemplate_hardenedTemplateIsFixedPoint(t *testing.T) {
	out := mustTranslate(t, service(spec(ctr("app", dependsOn("db", ecsv1.DependencyHealthy)), ctr("db", healthCheck("CMD", "true")))))
	again := out.Template.Spec.DeepCopy()
	HardenForPodSecurity(again, "")
	diff(t, "pod", out.Template.Spec, *again)
	_, sidecars := initLayout(&out.Template.Spec)
	diff(t, "sidecar", []string{"db"}, sidecars)
	diff(t, "sidecar hardened", hardened(), container(t, &out.Template.Spec, "db").SecurityContext)
}
