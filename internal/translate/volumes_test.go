package translate

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
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
		}}, corev1.Volume{Name: "efs", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{
			ClaimName: EFSClaimName(&ecsv1.EFSVolumeConfiguration{FileSystemID: "fs-1234", RootDirectory: "/data", TransitEncryption: "ENABLED",
				AuthorizationConfig: &ecsv1.EFSAuthorizationConfig{AccessPointID: "fsap-5678"}}),
		}}}, "", true},
		{"efs defaults and iam", ecsv1.Volume{Name: "efs", EFSVolumeConfiguration: &ecsv1.EFSVolumeConfiguration{
			FileSystemID: "fs-1", TransitEncryption: "ENABLED", AuthorizationConfig: &ecsv1.EFSAuthorizationConfig{IAM: "ENABLED"}, TransitEncryptionPort: ptr.To[int32](2049),
		}}, corev1.Volume{Name: "efs", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{
			ClaimName: EFSClaimName(&ecsv1.EFSVolumeConfiguration{FileSystemID: "fs-1", TransitEncryption: "ENABLED", AuthorizationConfig: &ecsv1.EFSAuthorizationConfig{IAM: "ENABLED"}}),
		}}}, "volumes[efs].efsVolumeConfiguration.authorizationConfig.iam", true},
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

func TestPodTemplate_efsVolume(t *testing.T) {
	for _, tc := range []struct {
		name    string
		efs     ecsv1.EFSVolumeConfiguration
		handle  string
		options []string
		attrs   map[string]string
		notes   []string
	}{
		{name: "file system root, no encryption", efs: ecsv1.EFSVolumeConfiguration{FileSystemID: "fs-1"},
			handle: "fs-1", attrs: map[string]string{"encryptInTransit": "false"}},
		{name: "root directory / is the root", efs: ecsv1.EFSVolumeConfiguration{FileSystemID: "fs-1", RootDirectory: "/", TransitEncryption: "DISABLED"},
			handle: "fs-1", attrs: map[string]string{"encryptInTransit": "false"}},
		{name: "subpath, encrypted", efs: ecsv1.EFSVolumeConfiguration{FileSystemID: "fs-1", RootDirectory: "/data/app/", TransitEncryption: "ENABLED"},
			handle: "fs-1:/data/app", options: []string{"tls"}},
		{name: "access point and iam", efs: ecsv1.EFSVolumeConfiguration{
			FileSystemID: "fs-1", TransitEncryption: "ENABLED", TransitEncryptionPort: ptr.To[int32](20049),
			AuthorizationConfig: &ecsv1.EFSAuthorizationConfig{AccessPointID: "fsap-2", IAM: "ENABLED"},
		}, handle: "fs-1::fsap-2", options: []string{"tls", "iam"}, notes: []string{
			"volumes[shared].efsVolumeConfiguration.authorizationConfig.iam: the EFS CSI driver mounts with its own IAM identity (the node's or the driver's), not the task role's",
			"volumes[shared].efsVolumeConfiguration.transitEncryptionPort: the EFS CSI driver chooses the port of encrypted traffic itself",
		}},
		{name: "subpath under an access point", efs: ecsv1.EFSVolumeConfiguration{
			FileSystemID: "fs-1", RootDirectory: "/x", TransitEncryption: "ENABLED", AuthorizationConfig: &ecsv1.EFSAuthorizationConfig{AccessPointID: "fsap-2"},
		}, handle: "fs-1:/x:fsap-2", options: []string{"tls"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := spec(ctr("app", func(c *ecsv1.ContainerDefinition) {
				c.MountPoints = []ecsv1.MountPoint{mount("shared", "/mnt", true)}
			}))
			s.Volumes = []ecsv1.Volume{{Name: "shared", EFSVolumeConfiguration: &tc.efs}}
			out := mustTranslate(t, service(s))
			labels := map[string]string{ecsv1.LabelManagedBy: ecsv1.ManagedByValue}

			pv := corev1.PersistentVolume{}
			pv.Name = EFSPersistentVolumeName("shop", &tc.efs)
			pv.Labels = labels
			pv.Spec.Capacity = corev1.ResourceList{corev1.ResourceStorage: q("5Gi")}
			pv.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
			pv.Spec.PersistentVolumeReclaimPolicy = corev1.PersistentVolumeReclaimRetain
			pv.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
			pv.Spec.MountOptions = tc.options
			pv.Spec.CSI = &corev1.CSIPersistentVolumeSource{Driver: "efs.csi.aws.com", VolumeHandle: tc.handle, VolumeAttributes: tc.attrs}
			diff(t, "persistent volumes", []corev1.PersistentVolume{pv}, out.PersistentVolumes)

			pvc := corev1.PersistentVolumeClaim{}
			pvc.Name = EFSClaimName(&tc.efs)
			pvc.Labels = labels
			pvc.Spec.StorageClassName = ptr.To("")
			pvc.Spec.VolumeName = pv.Name
			pvc.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
			pvc.Spec.Resources.Requests = corev1.ResourceList{corev1.ResourceStorage: q("5Gi")}
			diff(t, "claims", []corev1.PersistentVolumeClaim{pvc}, out.PersistentVolumeClaims)

			diff(t, "pod volumes", []corev1.Volume{{Name: "shared", VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: pvc.Name},
			}}}, out.Template.Spec.Volumes)
			diff(t, "mounts", []corev1.VolumeMount{{Name: "shared", MountPath: "/mnt", ReadOnly: true}}, container(t, &out.Template.Spec, "app").VolumeMounts)
			diff(t, "notes", tc.notes, out.Unsupported)
			for _, n := range []string{pv.Name, pvc.Name} {
				if errs := validation.IsDNS1123Label(n); len(errs) > 0 || !strings.HasPrefix(n, "ecs-efs-") {
					t.Errorf("name %q: %v", n, errs)
				}
			}
		})
	}
}

func TestEFSNames(t *testing.T) {
	base := ecsv1.EFSVolumeConfiguration{FileSystemID: "fs-1", RootDirectory: "/data", TransitEncryption: "ENABLED",
		AuthorizationConfig: &ecsv1.EFSAuthorizationConfig{AccessPointID: "fsap-1", IAM: "ENABLED"}}
	with := func(f func(e *ecsv1.EFSVolumeConfiguration)) *ecsv1.EFSVolumeConfiguration {
		e := base
		ac := *base.AuthorizationConfig
		e.AuthorizationConfig = &ac
		f(&e)
		return &e
	}
	// Each setting that changes the mount changes both names.
	variants := []*ecsv1.EFSVolumeConfiguration{
		&base,
		with(func(e *ecsv1.EFSVolumeConfiguration) { e.FileSystemID = "fs-2" }),
		with(func(e *ecsv1.EFSVolumeConfiguration) { e.RootDirectory = "/other" }),
		with(func(e *ecsv1.EFSVolumeConfiguration) { e.AuthorizationConfig.AccessPointID = "fsap-2" }),
		with(func(e *ecsv1.EFSVolumeConfiguration) { e.TransitEncryption = "DISABLED" }),
		with(func(e *ecsv1.EFSVolumeConfiguration) { e.AuthorizationConfig.IAM = "DISABLED" }),
		// fields run together must not collide: "fs-1" + "/data" against "fs-1/" + "data"
		with(func(e *ecsv1.EFSVolumeConfiguration) { e.FileSystemID, e.RootDirectory = "fs-1/", "data" }),
	}
	claims, volumes := map[string]int{}, map[string]int{}
	for i, e := range variants {
		if j, ok := claims[EFSClaimName(e)]; ok {
			t.Errorf("variants %d and %d share the claim name %s", j, i, EFSClaimName(e))
		}
		claims[EFSClaimName(e)] = i
		for _, ns := range []string{"a", "b"} {
			n := EFSPersistentVolumeName(ns, e)
			if j, ok := volumes[n]; ok {
				t.Errorf("variant %d in %s shares the volume name %s with %d", i, ns, n, j)
			}
			volumes[n] = i
		}
	}
	// Settings that mount alike are one name, and names do not change.
	same := []*ecsv1.EFSVolumeConfiguration{
		{FileSystemID: "fs-1"},
		{FileSystemID: "fs-1", RootDirectory: "/", TransitEncryption: "DISABLED", TransitEncryptionPort: ptr.To[int32](1),
			AuthorizationConfig: &ecsv1.EFSAuthorizationConfig{IAM: "DISABLED"}},
	}
	for _, e := range same {
		if got := EFSClaimName(e); got != "ecs-efs-"+efsHash(`"fs-1""""""false""false"`) {
			t.Errorf("claim name %s", got)
		}
		if got := EFSPersistentVolumeName("shop", e); got != "ecs-efs-"+efsHash(`"fs-1""""""false""false""shop"`) {
			t.Errorf("volume name %s", got)
		}
	}
	if got := EFSClaimName(&ecsv1.EFSVolumeConfiguration{FileSystemID: "fs-1"}); got != "ecs-efs-93e8d04164f40ee1" {
		t.Errorf("claim name changed: %s", got)
	}
}

func TestPodTemplate_efsVolumesShareAClaim(t *testing.T) {
	s := spec(ctr("app", func(c *ecsv1.ContainerDefinition) {
		c.MountPoints = []ecsv1.MountPoint{mount("a", "/a", false), mount("b", "/b", true), mount("c", "/c", false)}
	}))
	s.Volumes = []ecsv1.Volume{
		{Name: "a", EFSVolumeConfiguration: &ecsv1.EFSVolumeConfiguration{FileSystemID: "fs-1"}},
		{Name: "b", EFSVolumeConfiguration: &ecsv1.EFSVolumeConfiguration{FileSystemID: "fs-1", RootDirectory: "/"}},
		{Name: "c", EFSVolumeConfiguration: &ecsv1.EFSVolumeConfiguration{FileSystemID: "fs-1", RootDirectory: "/c"}},
	}
	out := mustTranslate(t, service(s))
	if len(out.PersistentVolumes) != 2 || len(out.PersistentVolumeClaims) != 2 {
		t.Fatalf("want two volumes and claims: %+v, %+v", out.PersistentVolumes, out.PersistentVolumeClaims)
	}
	vols := out.Template.Spec.Volumes
	if vols[0].PersistentVolumeClaim.ClaimName != vols[1].PersistentVolumeClaim.ClaimName || vols[0].PersistentVolumeClaim.ClaimName == vols[2].PersistentVolumeClaim.ClaimName {
		t.Errorf("claims %+v", vols)
	}
	for i, pvc := range out.PersistentVolumeClaims {
		if pvc.Spec.VolumeName != out.PersistentVolumes[i].Name {
			t.Errorf("claim %s names volume %s, not %s", pvc.Name, pvc.Spec.VolumeName, out.PersistentVolumes[i].Name)
		}
	}

	in := service(s)
	in.Namespace = "other"
	other := mustTranslate(t, in)
	if other.PersistentVolumes[0].Name == out.PersistentVolumes[0].Name || other.PersistentVolumeClaims[0].Name != out.PersistentVolumeClaims[0].Name {
		t.Errorf("another namespace: volume %s, claim %s", other.PersistentVolumes[0].Name, other.PersistentVolumeClaims[0].Name)
	}
}

func TestPodTemplate_efsVolumeErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		efs       ecsv1.EFSVolumeConfiguration
		namespace string
		want      string
	}{
		{"no namespace", ecsv1.EFSVolumeConfiguration{FileSystemID: "fs-1"}, "", "volumes[data].efsVolumeConfiguration: no namespace"},
		{"colon in rootDirectory", ecsv1.EFSVolumeConfiguration{FileSystemID: "fs-1", RootDirectory: "/a:b"}, "shop", "volumes[data].efsVolumeConfiguration.rootDirectory"},
		{"colon in accessPointId", ecsv1.EFSVolumeConfiguration{FileSystemID: "fs-1", AuthorizationConfig: &ecsv1.EFSAuthorizationConfig{AccessPointID: "fsap-1:x"}}, "shop",
			"volumes[data].efsVolumeConfiguration.authorizationConfig.accessPointId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := spec(ctr("app"))
			s.Volumes = []ecsv1.Volume{{Name: "data", EFSVolumeConfiguration: &tc.efs}}
			in := service(s)
			in.Namespace = tc.namespace
			_, err := PodTemplate(in)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
