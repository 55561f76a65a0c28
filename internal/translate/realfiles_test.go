package translate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// loadTaskDefinition reads a real ECS task definition, as RegisterTaskDefinition input or as
// DescribeTaskDefinition output (wrapped in "taskDefinition").
func loadTaskDefinition(t *testing.T, file string) *ecsv1.TaskDefinitionSpec {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	var wrapped struct {
		TaskDefinition json.RawMessage `json:"taskDefinition"`
	}
	if err := json.Unmarshal(b, &wrapped); err == nil && len(wrapped.TaskDefinition) > 0 {
		b = wrapped.TaskDefinition
	}
	s := &ecsv1.TaskDefinitionSpec{}
	if err := json.Unmarshal(b, s); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return s
}

func realInput(t *testing.T, file string, in func(*ecsv1.TaskDefinitionSpec) Input) Input {
	s := loadTaskDefinition(t, file)
	i := in(s)
	i.Family = string(s.Family)
	return i
}

func initLayout(pod *corev1.PodSpec) (init, sidecars []string) {
	for _, c := range pod.InitContainers {
		init = append(init, c.Name)
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			sidecars = append(sidecars, c.Name)
		}
	}
	return init, sidecars
}

// placeholderFixes fill in the placeholders of the files that keep them where the
// translation reads them (see TestRealTaskDefinitions_placeholdersAreErrors).
var placeholderFixes = map[string]func(*ecsv1.TaskDefinitionSpec){
	"012.json": func(s *ecsv1.TaskDefinitionSpec) {
		for i := range s.ContainerDefinitions[0].Secrets {
			sec := &s.ContainerDefinitions[0].Secrets[i]
			sec.ValueFrom = strings.ReplaceAll(sec.ValueFrom, "{{must_env `AWS_ACCOUNT_ID`}}", "123456789012")
		}
		s.TaskRoleArn = strings.ReplaceAll(s.TaskRoleArn, "{{must_env `AWS_ACCOUNT_ID`}}", "123456789012")
	},
	"015.json": func(s *ecsv1.TaskDefinitionSpec) {
		s.TaskRoleArn = "arn:aws:iam::123456789012:role/taskflow"
	},
}

func TestRealTaskDefinitions_translate(t *testing.T) {
	for _, tc := range []struct {
		file  string
		in    func(*ecsv1.TaskDefinitionSpec) Input
		fix   func(*ecsv1.TaskDefinitionSpec) // fills in the file's placeholders
		check func(t *testing.T, out *Output)
	}{
		{file: "001.json", in: service, check: func(t *testing.T, out *Output) {
			pod := &out.Template.Spec
			diff(t, "containers", []string{"nginx", "log-router-" + shortHash("log_router")}, names(pod.Containers))
			efs := &ecsv1.EFSVolumeConfiguration{FileSystemID: "fs-c3c9bcbb"} // rootDirectory "/", DISABLED: the same
			diff(t, "efs volume", []corev1.Volume{{Name: "firelens-conf", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{
				ClaimName: EFSClaimName(efs),
			}}}}, pod.Volumes)
			if len(out.PersistentVolumes) != 1 || len(out.PersistentVolumeClaims) != 1 {
				t.Fatalf("want one EFS volume and claim: %+v, %+v", out.PersistentVolumes, out.PersistentVolumeClaims)
			}
			pv := out.PersistentVolumes[0]
			diff(t, "efs persistent volume", []any{EFSPersistentVolumeName("shop", efs), &corev1.CSIPersistentVolumeSource{
				Driver: EFSCSIDriver, VolumeHandle: "fs-c3c9bcbb", VolumeAttributes: map[string]string{"encryptInTransit": "false"},
			}, []string(nil), pv.Name}, []any{pv.Name, pv.Spec.CSI, pv.Spec.MountOptions, out.PersistentVolumeClaims[0].Spec.VolumeName})
			router := container(t, pod, ContainerName("log_router"))
			diff(t, "router", []any{ptr.To[int64](0), []corev1.VolumeMount{{Name: "firelens-conf", MountPath: "/configs"}}},
				[]any{router.SecurityContext.RunAsUser, router.VolumeMounts})
			diff(t, "no host port in awsvpc", []corev1.ContainerPort{{ContainerPort: 80, Protocol: corev1.ProtocolTCP}}, container(t, pod, "nginx").Ports)
			want := corev1.ResourceList{corev1.ResourceCPU: q("500m"), corev1.ResourceMemory: q("1Gi")}
			diff(t, "task size", &corev1.ResourceRequirements{Requests: want, Limits: want}, pod.Resources)
			if out.ServiceAccount == nil || out.ServiceAccount.Annotations[AnnotationIRSARoleArn] != "arn:aws:iam::11111111111:role/ecsTaskExecutionRole" {
				t.Errorf("service account %+v", out.ServiceAccount)
			}
			logs := out.Template.Annotations[AnnotationLogConfiguration]
			if !strings.Contains(logs, `"firelensConfiguration":{"type":"fluentbit"`) || !strings.Contains(logs, `"nginx":{"logConfiguration":{"logDriver":"awsfirelens"}}`) {
				t.Errorf("log configuration annotation %s", logs)
			}
			diff(t, "unsupported", []string(nil), out.Unsupported)
		}},
		{file: "012.json", in: service, fix: placeholderFixes["012.json"], check: func(t *testing.T, out *Output) {
			pod := &out.Template.Spec
			diff(t, "host network", []any{true, corev1.DNSClusterFirstWithHostNet}, []any{pod.HostNetwork, pod.DNSPolicy})
			diff(t, "host port", []corev1.ContainerPort{{ContainerPort: 80, HostPort: 80, Protocol: corev1.ProtocolTCP}}, container(t, pod, "nginx").Ports)
			diff(t, "secrets", []corev1.EnvVar{
				{Name: "FOO", ValueFrom: secretRef(t, "/ecspresso-test/foo")},
				{Name: "BAR", ValueFrom: secretRef(t, "arn:aws:ssm:ap-northeast-1:123456789012:parameter/ecspresso-test/bar")},
				{Name: "BAZ", ValueFrom: secretRef(t, "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:ecspresso-test/baz-06XQOH")},
			}, container(t, pod, "nginx").Env)
		}},
		{file: "013.json", in: service, check: func(t *testing.T, out *Output) {
			pod := &out.Template.Spec
			c := container(t, pod, "katsubushi")
			es := corev1.ResourceList{corev1.ResourceEphemeralStorage: q("25Gi")}
			diff(t, "katsubushi resources", corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: q("250m"), corev1.ResourceMemory: q("16Mi"), corev1.ResourceEphemeralStorage: q("25Gi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: q("16Mi"), corev1.ResourceEphemeralStorage: es[corev1.ResourceEphemeralStorage]},
			}, c.Resources)
			diff(t, "docker label as pod label", "katsubushi", out.Template.Labels["name"])
			diff(t, "unsupported", []string{
				"containerDefinitions[katsubushi].ulimits: Kubernetes has no per-container ulimits; the node's defaults apply",
				"proxyConfiguration: App Mesh proxy configuration is not supported: nothing redirects the task's traffic to the proxy container",
			}, out.Unsupported)
		}},
		{file: "014.json", in: service, check: func(t *testing.T, out *Output) {
			app := container(t, &out.Template.Spec, "app")
			var keys []string
			secret := ""
			for _, e := range app.Env {
				keys = append(keys, e.ValueFrom.SecretKeyRef.Key)
				if secret != "" && e.ValueFrom.SecretKeyRef.Name != secret {
					t.Errorf("one Secrets Manager secret, one Secret: %q and %q", secret, e.ValueFrom.SecretKeyRef.Name)
				}
				secret = e.ValueFrom.SecretKeyRef.Name
			}
			diff(t, "secret keys", []string{"host", "dbname", "password", "username"}, keys)
			diff(t, "app", []any{ptr.To(true), corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: q("250m"), corev1.ResourceMemory: q("512Mi")},
			}}, []any{app.SecurityContext.ReadOnlyRootFilesystem, app.Resources})
			diff(t, "unsupported", []string(nil), out.Unsupported)
		}},
		{file: "015.json", in: service, fix: placeholderFixes["015.json"], check: func(t *testing.T, out *Output) {
			pod := &out.Template.Spec
			init, sidecars := initLayout(pod)
			diff(t, "layout", []any{[]string{"backend"}, []string{"backend"}, []string{"frontend"}}, []any{init, sidecars, names(pod.Containers)})
			backend := container(t, pod, "backend")
			check := []string{"/bin/sh", "-c", "wget -q --spider http://localhost:5000/health || exit 1"}
			// startPeriod 40 at interval 30: 2 + 3 retries before the frontend gives up waiting.
			diff(t, "backend probes", []*corev1.Probe{execProbe(check, 30, 5, 5), execProbe(check, 30, 5, 3), execProbe(check, 30, 5, 3)},
				[]*corev1.Probe{backend.StartupProbe, backend.ReadinessProbe, backend.LivenessProbe})
			diff(t, "backend restart", []any{always, []corev1.ContainerRestartRule(nil)}, []any{backend.RestartPolicy, backend.RestartPolicyRules})
			diff(t, "frontend startup", 4, int(container(t, pod, "frontend").StartupProbe.FailureThreshold))
			diff(t, "unsupported", []string(nil), out.Unsupported)
		}},
		{file: "020.json", in: task, check: func(t *testing.T, out *Output) {
			pod := &out.Template.Spec
			init, sidecars := initLayout(pod)
			diff(t, "layout", []any{
				[]string{"success-dependency", "complete-dependency", "healthy-dependency"},
				[]string{"healthy-dependency"},
				[]string{"success", "complete", "healthy"},
			}, []any{init, sidecars, names(pod.Containers)})
			h := container(t, pod, "healthy-dependency")
			diff(t, "healthy dependency", []*corev1.Probe{execProbe([]string{"/bin/sh", "-c", "echo hello"}, 5, 50, 3), nil, nil},
				[]*corev1.Probe{h.StartupProbe, h.ReadinessProbe, h.LivenessProbe})
			for _, name := range []string{"success-dependency", "complete-dependency"} {
				if c := container(t, pod, name); c.RestartPolicy != nil {
					t.Errorf("%s: a Task's run-to-completion init container keeps the pod's policy, got %v", name, *c.RestartPolicy)
				}
			}
			diff(t, "unsupported", []string(nil), out.Unsupported)
		}},
		{file: "021.json", in: task, check: func(t *testing.T, out *Output) {
			diff(t, "unsupported", []string{"containerDefinitions[exit].linuxParameters.devices: Kubernetes has no host device mappings; a device plugin must expose devices as resources"}, out.Unsupported)
		}},
		{file: "023.json", in: task, check: func(t *testing.T, out *Output) {
			pod := &out.Template.Spec
			diff(t, "volumes", []corev1.Volume{{Name: "test", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}, pod.Volumes)
			for _, name := range []string{"exit", ContainerName("dataSource"), "data-volume-source"} {
				diff(t, name+" mounts", []corev1.VolumeMount{{Name: "test", MountPath: "/data/"}}, container(t, pod, name).VolumeMounts)
			}
		}},
		{file: "028.json", in: task, check: func(t *testing.T, out *Output) {
			// Restricted drops ALL as well; the added capability is kept for Pod Security to refuse.
			diff(t, "capabilities", &corev1.Capabilities{Add: []corev1.Capability{"SYS_ADMIN"}, Drop: []corev1.Capability{"MKNOD", "ALL"}},
				container(t, &out.Template.Spec, "exit").SecurityContext.Capabilities)
		}},
		{file: "031.json", in: service, check: func(t *testing.T, out *Output) {
			pod := &out.Template.Spec
			xray := container(t, pod, "xray")
			diff(t, "xray", []any{[]corev1.ContainerPort{{Name: "xray", ContainerPort: 2000, Protocol: corev1.ProtocolUDP}}, ptr.To[int64](1337)},
				[]any{xray.Ports, xray.SecurityContext.RunAsUser})
			flask := container(t, pod, "backend-flask")
			diff(t, "flask port", []corev1.ContainerPort{{Name: "backend-flask", ContainerPort: 4567, Protocol: corev1.ProtocolTCP}}, flask.Ports)
			if len(flask.Env) != 12 || flask.Env[7].ValueFrom == nil {
				t.Errorf("7 variables and 5 SSM secrets, got %+v", flask.Env)
			}
			diff(t, "startup", int32(2+3), flask.StartupProbe.FailureThreshold)
		}},
		{file: "034.json", in: service, check: func(t *testing.T, out *Output) {
			pod := &out.Template.Spec
			name := ContainerName("widget-$APP_ENV")
			diff(t, "bridge host port", []corev1.ContainerPort{{ContainerPort: 8080, HostPort: 8080, Protocol: corev1.ProtocolTCP}}, container(t, pod, name).Ports)
			if got := out.Template.Labels[ecsv1.LabelFamily]; got == "widget-$APP_ENV" || !strings.HasPrefix(got, "widget--APP_ENV-") {
				t.Errorf("family label %q", got)
			}
			if len(out.Unsupported) != 2 ||
				!hasNote(out.Unsupported, "containerDefinitions[widget-$APP_ENV].extraHosts[0]", "host-gateway") ||
				!hasNote(out.Unsupported, "volumes[app-backend-data].host.sourcePath", "named volume") {
				t.Errorf("unsupported %q", out.Unsupported)
			}
		}},
		{file: "039.json", in: service, check: func(t *testing.T, out *Output) {
			pod := &out.Template.Spec
			var paths []string
			for _, v := range pod.Volumes {
				paths = append(paths, v.HostPath.Path)
			}
			diff(t, "host paths", []string{"/var/run/docker.sock", "/proc/", "/sys/fs/cgroup/", "/sys/kernel/debug"}, paths)
			agent := container(t, pod, "datadog-agent")
			diff(t, "agent", []any{8, volumeName("docker_sock"), true}, []any{len(agent.SecurityContext.Capabilities.Add), agent.VolumeMounts[0].Name, agent.VolumeMounts[0].ReadOnly})
		}},
		{file: "043.json", in: service, check: func(t *testing.T, out *Output) {
			pod := &out.Template.Spec
			diff(t, "platform", map[string]string{corev1.LabelOSStable: "linux", corev1.LabelArchStable: "arm64"}, pod.NodeSelector)
			w := container(t, pod, "bako-safe-worker")
			name, _ := EnvironmentFileSecretName("arn:aws:s3:::bako-safe-env/bako-safe-worker.env")
			diff(t, "worker", []any{
				[]corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}}},
				[]corev1.ContainerPort{{Name: "p-3063", ContainerPort: 3063, Protocol: corev1.ProtocolTCP}},
				corev1.ResourceRequirements{},
			}, []any{w.EnvFrom, w.Ports, w.Resources})
			diff(t, "unsupported", []string(nil), out.Unsupported)
		}},
	} {
		if tc.check == nil {
			continue
		}
		t.Run(tc.file, func(t *testing.T) {
			in := realInput(t, tc.file, tc.in)
			if tc.fix != nil {
				tc.fix(in.TaskDefinition)
			}
			out := mustTranslate(t, in)
			diff(t, "task definition annotation", in.Family+":3", out.Template.Annotations[ecsv1.AnnotationTaskDefinition])
			tc.check(t, out)
		})
	}
}

// The sample files keep the placeholders of the tools they come from; ECS would reject them,
// and so does the translation, naming the field.
func TestRealTaskDefinitions_placeholdersAreErrors(t *testing.T) {
	for _, tc := range []struct {
		file      string
		fragments []string
	}{
		{"012.json", []string{"containerDefinitions[nginx].secrets[BAR].valueFrom"}},
		{"015.json", []string{"taskRoleArn"}},
	} {
		t.Run(tc.file, func(t *testing.T) { wantError(t, realInput(t, tc.file, service), tc.fragments...) })
	}
}
