package translate

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// EFSCSIDriver is the CSI driver EFS volumes are mounted with.
const EFSCSIDriver = "efs.csi.aws.com"

// defaultSharedVolumeSize is the size of an autoprovisioned shared volume without a "size"
// driver option.
var defaultSharedVolumeSize = resource.MustParse("1Gi")

// volumePlan is the Pod's volumes and each container's mounts.
type volumePlan struct {
	podVolumes []corev1.Volume
	mounts     [][]corev1.VolumeMount // by container index
}

// volumes maps the task's volumes, each container's mountPoints and volumesFrom, and the
// memory-backed file systems of linuxParameters (sharedMemorySize, tmpfs).
func (t *translation) volumes() (*volumePlan, error) {
	vp := &volumePlan{mounts: make([][]corev1.VolumeMount, len(t.spec.ContainerDefinitions))}
	names := map[string]string{} // ECS volume name → Kubernetes volume name
	for i := range t.spec.Volumes {
		v, err := t.volume(&t.spec.Volumes[i])
		if err != nil {
			return nil, err
		}
		names[t.spec.Volumes[i].Name] = v.Name
		vp.podVolumes = append(vp.podVolumes, v)
	}
	for i := range t.spec.ContainerDefinitions {
		c := &t.spec.ContainerDefinitions[i]
		mounts, err := t.containerMounts(i, names, map[int]bool{})
		if err != nil {
			return nil, err
		}
		if lp := c.LinuxParameters; lp != nil {
			if lp.SharedMemorySize != nil {
				// Docker sizes /dev/shm per container; Kubernetes gives it a memory-backed
				// emptyDir, whose size counts toward the container's memory, as in Docker.
				name := dnsLabel("shm-" + t.names[i])
				vp.podVolumes = append(vp.podVolumes, memoryVolume(name, int64(*lp.SharedMemorySize)))
				mounts = append(mounts, corev1.VolumeMount{Name: name, MountPath: "/dev/shm"})
			}
			for j, tf := range lp.Tmpfs {
				name := dnsLabel(fmt.Sprintf("tmpfs-%s-%d", t.names[i], j))
				vp.podVolumes = append(vp.podVolumes, memoryVolume(name, int64(tf.Size)))
				mounts = append(mounts, corev1.VolumeMount{Name: name, MountPath: tf.ContainerPath})
				if len(tf.MountOptions) > 0 {
					t.notes.add(containerField(c, fmt.Sprintf("linuxParameters.tmpfs[%d].mountOptions", j)), "memory-backed emptyDir volumes take no mount options")
				}
			}
		}
		vp.mounts[i] = t.uniqueMounts(c, mounts)
	}
	return vp, nil
}

// memoryVolume is a memory-backed emptyDir of size MiB.
func memoryVolume(name string, mib int64) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{
		Medium: corev1.StorageMediumMemory, SizeLimit: ptr.To(mibQuantity(mib)),
	}}}
}

func emptyDir() corev1.VolumeSource {
	return corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
}

// windowsPath matches an absolute Windows path such as C:\data.
var windowsPath = regexp.MustCompile(`^[A-Za-z]:[\\/]`)

// volume maps one task volume.
func (t *translation) volume(v *ecsv1.Volume) (corev1.Volume, error) {
	field := "volumes[" + v.Name + "]"
	kv := corev1.Volume{Name: volumeName(v.Name)}
	switch {
	case ptr.Deref(v.ConfiguredAtLaunch, false):
		kv.VolumeSource = emptyDir()
		t.notes.add(field+".configuredAtLaunch", "volumes configured when a Service or Task is created (Amazon EBS) are not supported; the volume is an emptyDir that lives with the task")
	case v.Host != nil && v.Host.SourcePath != "":
		p := v.Host.SourcePath
		if strings.HasPrefix(p, "/") || windowsPath.MatchString(p) {
			kv.HostPath = &corev1.HostPathVolumeSource{Path: p}
			break
		}
		// Docker reads a sourcePath that is not a path as the name of a volume on the host.
		kv.VolumeSource = emptyDir()
		t.notes.add(field+".host.sourcePath", "%q is not an absolute path, so Docker would use a named volume of the instance; Kubernetes has none, and the volume is an emptyDir that lives with the task", p)
	case v.DockerVolumeConfiguration != nil:
		t.dockerVolume(v, &kv)
	case v.EFSVolumeConfiguration != nil:
		src, err := t.efsVolume(v)
		if err != nil {
			return corev1.Volume{}, err
		}
		kv.PersistentVolumeClaim = src
	default:
		// A host volume without sourcePath, or no configuration at all: scratch space of the
		// task, which is what an emptyDir is.
		kv.VolumeSource = emptyDir()
	}
	return kv, nil
}

// dockerVolume maps a Docker volume: scope task lives and dies with the task, an emptyDir;
// scope shared outlives tasks and is shared by those on the same instance, a claim named
// SharedVolumeClaimName (ReadWriteOnce allows every Pod on the node that mounts it), created
// by the controller when autoprovision is on.
func (t *translation) dockerVolume(v *ecsv1.Volume, kv *corev1.Volume) {
	field := "volumes[" + v.Name + "].dockerVolumeConfiguration"
	d := v.DockerVolumeConfiguration
	if d.Scope != ecsv1.DockerVolumeScopeShared {
		kv.VolumeSource = emptyDir()
		if (d.Driver != "" && d.Driver != "local") || len(d.DriverOpts) > 0 {
			t.notes.add(field, "a task-scoped Docker volume becomes an emptyDir; its driver and driverOpts are not used")
		}
		return
	}
	claim := SharedVolumeClaimName(v.Name)
	kv.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}
	if !ptr.Deref(d.Autoprovision, false) {
		return // like ECS without autoprovision: the volume (claim) must exist
	}
	size := defaultSharedVolumeSize
	var unused []string
	for _, k := range sortedKeys(d.DriverOpts) {
		if k != "size" {
			unused = append(unused, k)
			continue
		}
		q, ok := dockerSize(d.DriverOpts[k])
		if !ok {
			t.notes.add(field+".driverOpts.size", "%q is not a size; the claim asks for %s", d.DriverOpts[k], size.String())
			continue
		}
		size = q
	}
	if len(unused) > 0 {
		t.notes.add(field+".driverOpts", "only size is used; %s are not", strings.Join(unused, ", "))
	}
	if d.Driver != "" && d.Driver != "local" {
		t.notes.add(field+".driver", "the claim uses the cluster's default StorageClass, not the Docker volume driver %q", d.Driver)
	}
	pvc := corev1.PersistentVolumeClaim{}
	pvc.Name = claim
	pvc.Labels = map[string]string{ecsv1.LabelManagedBy: ecsv1.ManagedByValue}
	for _, k := range sortedKeys(d.Labels) {
		if len(validation.IsQualifiedName(k)) == 0 && len(validation.IsValidLabelValue(d.Labels[k])) == 0 && !reservedLabelKey(k) {
			pvc.Labels[k] = d.Labels[k]
		} else {
			t.notes.add(field+".labels["+k+"]", "not a valid Kubernetes label; not set on the claim")
		}
	}
	pvc.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	pvc.Spec.Resources.Requests = corev1.ResourceList{corev1.ResourceStorage: size}
	for _, existing := range t.out.PersistentVolumeClaims {
		if existing.Name == claim {
			return
		}
	}
	t.out.PersistentVolumeClaims = append(t.out.PersistentVolumeClaims, pvc)
}

// dockerSizeRE is a size as Docker's volume drivers read it: a number with an optional binary
// unit (k, m, g, t, p; "b" or "ib" after it optional).
var dockerSizeRE = regexp.MustCompile(`^(\d+)\s*([kKmMgGtTpP]?)(?:[iI]?[bB])?$`)

// dockerSize reads a Docker size ("10g", "512m", "1073741824"), else a Kubernetes quantity
// ("10Gi").
func dockerSize(s string) (resource.Quantity, bool) {
	if m := dockerSizeRE.FindStringSubmatch(strings.TrimSpace(s)); m != nil {
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			return resource.Quantity{}, false
		}
		shift := map[string]uint{"": 0, "k": 10, "m": 20, "g": 30, "t": 40, "p": 50}[strings.ToLower(m[2])]
		if n <= 0 || n > (1<<62)>>shift {
			return resource.Quantity{}, false
		}
		return *resource.NewQuantity(n<<shift, resource.BinarySI), true
	}
	q, err := resource.ParseQuantity(s)
	if err != nil || q.Sign() <= 0 {
		return resource.Quantity{}, false
	}
	return q, true
}

// efsVolumeSize is the nominal capacity of an EFS PersistentVolume and its claim: EFS is
// elastic, the driver ignores the number, and it only has to match for binding.
var efsVolumeSize = resource.MustParse("5Gi")

// efsVolume mounts an EFS file system the way the EFS CSI driver takes it: a statically
// provisioned PersistentVolume (cluster-wide, one per namespace and configuration) whose
// volumeHandle names the file system, subpath and access point, and a claim of the
// namespace bound to it by name, which the Pod volume references.
func (t *translation) efsVolume(v *ecsv1.Volume) (*corev1.PersistentVolumeClaimVolumeSource, error) {
	field := "volumes[" + v.Name + "].efsVolumeConfiguration"
	e := v.EFSVolumeConfiguration
	m := newEFSMount(e)
	// The driver splits the volumeHandle at ':'.
	for _, f := range []struct{ name, value string }{
		{"fileSystemId", m.fileSystemID}, {"rootDirectory", m.subpath}, {"authorizationConfig.accessPointId", m.accessPointID},
	} {
		if strings.Contains(f.value, ":") {
			return nil, fmt.Errorf("%s.%s: %q holds ':', which the EFS CSI driver cannot take", field, f.name, f.value)
		}
	}
	if t.in.Namespace == "" {
		return nil, fmt.Errorf("%s: no namespace to name the EFS PersistentVolume for (Input.Namespace)", field)
	}
	if m.iam {
		t.notes.add(field+".authorizationConfig.iam", "the EFS CSI driver mounts with its own IAM identity (the node's or the driver's), not the task role's")
	}
	if e.TransitEncryptionPort != nil {
		t.notes.add(field+".transitEncryptionPort", "the EFS CSI driver chooses the port of encrypted traffic itself")
	}
	pv := corev1.PersistentVolume{}
	pv.Name = EFSPersistentVolumeName(t.in.Namespace, e)
	pv.Labels = map[string]string{ecsv1.LabelManagedBy: ecsv1.ManagedByValue}
	pv.Spec.Capacity = corev1.ResourceList{corev1.ResourceStorage: efsVolumeSize}
	pv.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
	pv.Spec.PersistentVolumeReclaimPolicy = corev1.PersistentVolumeReclaimRetain
	pv.Spec.StorageClassName = ""
	pv.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
	csi := &corev1.CSIPersistentVolumeSource{Driver: EFSCSIDriver, VolumeHandle: m.volumeHandle()}
	if m.tls {
		pv.Spec.MountOptions = append(pv.Spec.MountOptions, "tls")
	} else if m.accessPointID == "" && !m.iam {
		// The driver encrypts unless told not to. (ECS requires transit encryption with an
		// access point or IAM, and the driver and the EFS mount helper do too.)
		csi.VolumeAttributes = map[string]string{"encryptInTransit": "false"}
	}
	if m.iam {
		pv.Spec.MountOptions = append(pv.Spec.MountOptions, "iam")
	}
	pv.Spec.CSI = csi

	pvc := corev1.PersistentVolumeClaim{}
	pvc.Name = EFSClaimName(e)
	pvc.Labels = map[string]string{ecsv1.LabelManagedBy: ecsv1.ManagedByValue}
	pvc.Spec.StorageClassName = ptr.To("")
	pvc.Spec.VolumeName = pv.Name
	pvc.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
	pvc.Spec.Resources.Requests = corev1.ResourceList{corev1.ResourceStorage: efsVolumeSize}

	src := &corev1.PersistentVolumeClaimVolumeSource{ClaimName: pvc.Name}
	for _, existing := range t.out.PersistentVolumes {
		if existing.Name == pv.Name {
			return src, nil // another task volume mounts the file system alike
		}
	}
	t.out.PersistentVolumes = append(t.out.PersistentVolumes, pv)
	t.out.PersistentVolumeClaims = append(t.out.PersistentVolumeClaims, pvc)
	return src, nil
}

// containerMounts is a container's mountPoints, followed by the mounts of the containers it
// takes volumesFrom (read-only when volumesFrom says so), as Docker copies them.
func (t *translation) containerMounts(i int, names map[string]string, visiting map[int]bool) ([]corev1.VolumeMount, error) {
	c := &t.spec.ContainerDefinitions[i]
	visiting[i] = true
	defer delete(visiting, i)
	var out []corev1.VolumeMount
	for j, mp := range c.MountPoints {
		name, ok := names[mp.SourceVolume]
		if !ok {
			return nil, fmt.Errorf("%s: there is no volume %q in the task definition", containerField(c, fmt.Sprintf("mountPoints[%d].sourceVolume", j)), mp.SourceVolume)
		}
		out = append(out, corev1.VolumeMount{Name: name, MountPath: mp.ContainerPath, ReadOnly: ptr.Deref(mp.ReadOnly, false)})
	}
	for j, vf := range c.VolumesFrom {
		src := -1
		for k := range t.spec.ContainerDefinitions {
			if t.spec.ContainerDefinitions[k].Name == vf.SourceContainer {
				src = k
			}
		}
		if src < 0 {
			return nil, fmt.Errorf("%s: there is no container %q in the task definition", containerField(c, fmt.Sprintf("volumesFrom[%d].sourceContainer", j)), vf.SourceContainer)
		}
		if visiting[src] {
			continue // a loop of volumesFrom adds nothing new
		}
		from, err := t.containerMounts(src, names, visiting)
		if err != nil {
			return nil, err
		}
		for _, m := range from {
			if ptr.Deref(vf.ReadOnly, false) {
				m.ReadOnly = true
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// uniqueMounts drops a second mount at a path already mounted (Kubernetes rejects it), noting
// it unless it is the very same mount.
func (t *translation) uniqueMounts(c *ecsv1.ContainerDefinition, mounts []corev1.VolumeMount) []corev1.VolumeMount {
	var out []corev1.VolumeMount
	at := map[string]corev1.VolumeMount{}
	for _, m := range mounts {
		key := strings.TrimRight(m.MountPath, "/")
		if prev, ok := at[key]; ok {
			if prev.Name != m.Name {
				t.notes.add(containerField(c, "mountPoints"), "two volumes are mounted at %s; only %s is", m.MountPath, prev.Name)
			}
			continue
		}
		at[key] = m
		out = append(out, m)
	}
	return out
}

// uniqueVolumeNames rejects two volumes with one name, which the generated names of shm and
// tmpfs volumes could in theory produce against a task volume's name.
func uniqueVolumeNames(vols []corev1.Volume) error {
	seen := map[string]bool{}
	for _, v := range vols {
		if seen[v.Name] {
			return fmt.Errorf("volumes: two volumes would be named %q in Kubernetes; rename the task volume", v.Name)
		}
		seen[v.Name] = true
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
