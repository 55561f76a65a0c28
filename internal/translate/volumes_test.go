package translate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func mount(vol, path string, ro bool) ecsv1.MountPoint {
	return ecsv1.MountPoint{SourceVolume: vol, ContainerPath: path, ReadOnly: ptr.To(ro)}
}

func TestPodTemplate_volumeSources(t *testing.T) {
	emptyDir := corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
	for _, tc := range []struct {
		name   string
		volume ecsv1.Volume
		want   corev1.Volume
		note   string
		pvc    bool
	}{
		{"host path", ecsv1.Volume{Name: "proc", Host: &ecsv1.HostVolumeProperties{SourcePath: "/proc"}},
			corev1.Volume{Name: "proc", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/proc"}}}, "", false},
		{"windows host path", ecsv1.Volume{Name: "data", Host: &ecsv1.HostVolumeProperties{SourcePath: `C:\ProgramData`}},
			corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: `C:\ProgramData`}}}, "", false},
		{"host without path is scratch", ecsv1.Volume{Name: "scratch", Host: &ecsv1.HostVolumeProperties{}},
			corev1.Volume{Name: "scratch", VolumeSource: emptyDir}, "", false},
		{"no configuration is scratch", ecsv1.Volume{Name: "Scratch_2"},
			corev1.Volume{Name: volumeName("Scratch_2"), VolumeSource: emptyDir}, "", false},
		{"host path that is a Docker volume name", ecsv1.Volume{Name: "named", Host: &ecsv1.HostVolumeProperties{SourcePath: "widget-data"}},
			corev1.Volume{Name: "named", VolumeSource: emptyDir}, "volumes[named].host.sourcePath", false},
		{"docker task scope", ecsv1.Volume{Name: "cache", DockerVolumeConfiguration: &ecsv1.DockerVolumeConfiguration{Scope: ecsv1.DockerVolumeScopeTask, Driver: "local"}},
			corev1.Volume{Name: "cache", VolumeSource: emptyDir}, "", false},
		{"docker task scope with a driver", ecsv1.Volume{Name: "cache", DockerVolumeConfiguration: &ecsv1.DockerVolumeConfiguration{Driver: "rexray/ebs", DriverOpts: map[string]string{"size": "5"}}},
			corev1.Volume{Name: "cache", VolumeSource: emptyDir}, "volumes[cache].dockerVolumeConfiguration", false},
		{"docker shared existing", ecsv1.Volume{Name: "shared", DockerVolumeConfiguration: &ecsv1.DockerVolumeConfiguration{Scope: ecsv1.DockerVolumeScopeShared}},
			corev1.Volume{Name: "shared", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "ecs-volume-shared"}}}, "", false},
		{"docker shared autoprovisioned", ecsv1.Volume{Name: "shared", DockerVolumeConfiguration: &ecsv1.DockerVolumeConfiguration{Scope: ecsv1.DockerVolumeScopeShared, Autoprovision: ptr.To(true)}},
			corev1.Volume{Name: "shared", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "ecs-volume-shared"}}}, "", true},
		{"efs", ecsv1.Volume{Name: "efs", EFSVolumeConfiguration: &ecsv1.EFSVolumeConfiguration{
			FileSystemID: "fs-1234", RootDirectory: "/data", TransitEncryption: "ENABLED",
			AuthorizationConfig: &ecsv1.EFSAuthorizationConfig{AccessPointID: "fsap-5678"},
		}}, corev1.Volume{Name: "efs", VolumeSource: corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{
			Driver: "efs.csi.aws.com",
			VolumeAttributes: map[string]string{
				"fileSystemId": "fs-1234", "path": "/data", "accessPointId": "fsap-5678", "encryptInTransit": "true",
			},
		}}}, "", false},
		{"efs defaults and iam", ecsv1.Volume{Name: "efs", EFSVolumeConfiguration: &ecsv1.EFSVolumeConfiguration{
			FileSystemID: "fs-1", AuthorizationConfig: &ecsv1.EFSAuthorizationConfig{IAM: "ENABLED"}, TransitEncryptionPort: ptr.To[int32](2049),
		}}, corev1.Volume{Name: "efs", VolumeSource: corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{
			Driver: "efs.csi.aws.com", VolumeAttributes: map[string]string{"fileSystemId": "fs-1", "encryptInTransit": "false"},
		}}}, "volumes[efs].efsVolumeConfiguration.authorizationConfig.iam", false},
		{"configured at launch", ecsv1.Volume{Name: "ebs", ConfiguredAtLaunch: ptr.To(true)},
			corev1.Volume{Name: "ebs", VolumeSource: emptyDir}, "volumes[ebs].configuredAtLaunch", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := spec(ctr("app", func(c *ecsv1.ContainerDefinition) {
				c.MountPoints = []ecsv1.MountPoint{mount(tc.volume.Name, "/mnt", false)}
			}))
			s.Volumes = []ecsv1.Volume{tc.volume}
			out := mustTranslate(t, service(s))
			diff(t, "volumes", []corev1.Volume{tc.want}, out.Template.Spec.Volumes)
			diff(t, "mounts", []corev1.VolumeMount{{Name: tc.want.Name, MountPath: "/mnt"}}, container(t, &out.Template.Spec, "app").VolumeMounts)
			if tc.note != "" && !hasNote(out.Unsupported, tc.note) {
				t.Errorf("no note on %s: %q", tc.note, out.Unsupported)
			}
			if tc.note == "" && len(out.Unsupported) > 0 {
				t.Errorf("unexpected notes %q", out.Unsupported)
			}
			if tc.pvc != (len(out.PersistentVolumeClaims) == 1) {
				t.Errorf("claims: %+v", out.PersistentVolumeClaims)
			}
		})
	}
}

func TestPodTemplate_sharedVolumeClaim(t *testing.T) {
	for _, tc := range []struct {
		size string
		want string
	}{
		{"", "1Gi"}, {"10Gi", "10Gi"}, {"10g", "10Gi"}, {"512m", "512Mi"}, {"2GB", "2Gi"}, {"1073741824", "1Gi"}, {"lots", "1Gi"},
	} {
		t.Run(tc.size, func(t *testing.T) {
			d := &ecsv1.DockerVolumeConfiguration{Scope: ecsv1.DockerVolumeScopeShared, Autoprovision: ptr.To(true), Labels: map[string]string{"team": "a", "bad label": "x"}}
			if tc.size != "" {
				d.DriverOpts = map[string]string{"size": tc.size}
			}
			s := spec(ctr("app"))
			s.Volumes = []ecsv1.Volume{{Name: "data", DockerVolumeConfiguration: d}}
			out := mustTranslate(t, service(s))
			want := corev1.PersistentVolumeClaim{}
			want.Name = "ecs-volume-data"
			want.Labels = map[string]string{ecsv1.LabelManagedBy: ecsv1.ManagedByValue, "team": "a"}
			want.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
			want.Spec.Resources.Requests = corev1.ResourceList{corev1.ResourceStorage: q(tc.want)}
			diff(t, "claims", []corev1.PersistentVolumeClaim{want}, out.PersistentVolumeClaims)
			if !hasNote(out.Unsupported, "labels[bad label]") {
				t.Errorf("invalid label not noted: %q", out.Unsupported)
			}
			if tc.size == "lots" && !hasNote(out.Unsupported, "driverOpts.size", `"lots"`) {
				t.Errorf("bad size not noted: %q", out.Unsupported)
			}
		})
	}
}

func TestPodTemplate_volumesFrom(t *testing.T) {
	s := spec(
		ctr("exit", func(c *ecsv1.ContainerDefinition) {
			c.VolumesFrom = []ecsv1.VolumeFrom{{SourceContainer: "source"}}
		}),
		ctr("reader", nonEssential, func(c *ecsv1.ContainerDefinition) {
			c.VolumesFrom = []ecsv1.VolumeFrom{{SourceContainer: "exit", ReadOnly: ptr.To(true)}}
			c.MountPoints = []ecsv1.MountPoint{mount("logs", "/logs", false)}
		}),
		ctr("source", nonEssential, func(c *ecsv1.ContainerDefinition) {
			c.MountPoints = []ecsv1.MountPoint{mount("test", "/data/", false), mount("logs", "/logs", true)}
		}),
	)
	s.Volumes = []ecsv1.Volume{{Name: "test", Host: &ecsv1.HostVolumeProperties{}}, {Name: "logs"}}
	out := mustTranslate(t, service(s))
	pod := &out.Template.Spec
	diff(t, "exit mounts", []corev1.VolumeMount{{Name: "test", MountPath: "/data/"}, {Name: "logs", MountPath: "/logs", ReadOnly: true}}, container(t, pod, "exit").VolumeMounts)
	// reader's own /logs comes first; the copy through exit (and so from source) is read-only.
	diff(t, "reader mounts", []corev1.VolumeMount{{Name: "logs", MountPath: "/logs"}, {Name: "test", MountPath: "/data/", ReadOnly: true}}, container(t, pod, "reader").VolumeMounts)
}

func TestPodTemplate_duplicateMountPathNoted(t *testing.T) {
	s := spec(ctr("app", func(c *ecsv1.ContainerDefinition) {
		c.MountPoints = []ecsv1.MountPoint{mount("a", "/data", false), mount("b", "/data/", false)}
	}))
	s.Volumes = []ecsv1.Volume{{Name: "a"}, {Name: "b"}}
	out := mustTranslate(t, service(s))
	diff(t, "mounts", []corev1.VolumeMount{{Name: "a", MountPath: "/data"}}, container(t, &out.Template.Spec, "app").VolumeMounts)
	if !hasNote(out.Unsupported, "containerDefinitions[app].mountPoints", "/data/") {
		t.Errorf("not noted: %q", out.Unsupported)
	}
}

func TestPodTemplate_sharedMemoryAndTmpfs(t *testing.T) {
	s := spec(ctr("App_1", func(c *ecsv1.ContainerDefinition) {
		c.LinuxParameters = &ecsv1.LinuxParameters{
			SharedMemorySize: ptr.To[int32](256),
			Tmpfs:            []ecsv1.Tmpfs{{ContainerPath: "/run", Size: 64}, {ContainerPath: "/tmp", Size: 128, MountOptions: []string{"noexec"}}},
		}
	}))
	out := mustTranslate(t, service(s))
	name := ContainerName("App_1")
	mem := func(vol string, mib string) corev1.Volume {
		return corev1.Volume{Name: vol, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: ptr.To(q(mib))}}}
	}
	shm, t0, t1 := "shm-"+name, "tmpfs-"+name+"-0", "tmpfs-"+name+"-1"
	diff(t, "volumes", []corev1.Volume{mem(shm, "256Mi"), mem(t0, "64Mi"), mem(t1, "128Mi")}, out.Template.Spec.Volumes)
	diff(t, "mounts", []corev1.VolumeMount{{Name: shm, MountPath: "/dev/shm"}, {Name: t0, MountPath: "/run"}, {Name: t1, MountPath: "/tmp"}},
		container(t, &out.Template.Spec, name).VolumeMounts)
	if !hasNote(out.Unsupported, "containerDefinitions[App_1].linuxParameters.tmpfs[1].mountOptions") {
		t.Errorf("mount options not noted: %q", out.Unsupported)
	}
}
