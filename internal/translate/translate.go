package translate

import (
	"errors"
	"fmt"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// Input is everything that decides how one task definition revision runs on Kubernetes.
type Input struct {
	// Family and Revision identify the revision being run.
	Family   string
	Revision int64
	// TaskDefinition is the revision's spec. It is not modified.
	TaskDefinition *ecsv1.TaskDefinitionSpec
	// Overrides are a Task's RunTask overrides; nil for Services.
	Overrides *ecsv1.TaskOverride
	// CapacityProvider is the provider the tasks run on: its nodeSelector, tolerations and
	// runtimeClassName are added to the pod. Nil means none.
	CapacityProvider *ecsv1.CapacityProvider
	// PlacementConstraints are the Service's or Task's own constraints, ANDed with the task
	// definition's memberOf constraints.
	PlacementConstraints []ecsv1.PlacementConstraint
	// PlacementStrategy is the Service's placement strategy.
	PlacementStrategy []ecsv1.PlacementStrategy
	// SelectorLabels select this Service's or Task's pods. They are put on the template and
	// used by distinctInstance anti-affinity and spread constraints.
	SelectorLabels map[string]string
	// Namespace is the namespace the pods run in. Namespaced objects of the Output still leave
	// theirs empty; it is hashed into the names of the cluster-scoped PersistentVolumes of EFS
	// volumes, because a PersistentVolume binds one claim and every namespace needs its own.
	// Required when the task definition has EFS volumes.
	Namespace string
	// RestartPolicy is Always for Services and Never for Tasks; empty means Always.
	RestartPolicy corev1.RestartPolicy
	// ZoneRebalancing is a Service's availabilityZoneRebalancing: its tasks are spread evenly
	// over the zones (a soft topology spread constraint).
	ZoneRebalancing bool
	// HealthCheckGracePeriodSeconds is a Service's grace period for health checks after a
	// task starts.
	HealthCheckGracePeriodSeconds *int32
	// PodSecurity is the Cluster's Pod Security level; empty means restricted, like the
	// Cluster's default. The template is made so that the level admits it without any webhook,
	// unless the task definition explicitly asks for what the level forbids.
	PodSecurity ecsv1.PodSecurityLevel
}

// Output is what runs the revision.
type Output struct {
	// Template is the pod template.
	Template corev1.PodTemplateSpec
	// ServiceAccount is the task role's ServiceAccount, with the IRSA annotation; nil without a
	// task role. Its namespace is left empty for the controller to set.
	ServiceAccount *corev1.ServiceAccount
	// PersistentVolumeClaims are the claims of shared Docker volumes with autoprovision and of
	// EFS volumes, for the controller to create when they do not exist. Namespaces are left
	// empty. An EFS claim (storageClassName "") names its PersistentVolume in volumeName.
	PersistentVolumeClaims []corev1.PersistentVolumeClaim
	// PersistentVolumes are the statically provisioned, cluster-scoped volumes of EFS volumes
	// (driver EFSCSIDriver, reclaim policy Retain), one per distinct EFS configuration, for the
	// controller to create when they do not exist. Each is named for Input.Namespace and is
	// meant for the claim in PersistentVolumeClaims whose volumeName is its name; ClaimRef is
	// left nil for the controller to set to that claim in the namespace.
	PersistentVolumes []corev1.PersistentVolume
	// PlacementLabels are the placement labels the template's node affinity selects, sorted by
	// key: the memberOf predicates only the node labeller can evaluate. The template selects
	// them whether or not any node has them yet.
	PlacementLabels []PlacementLabel
	// Unsupported lists every ECS setting Kubernetes cannot express, one sentence each naming
	// the field, sorted.
	Unsupported []string
}

// PodTemplate translates a task definition revision into a pod template. Its errors name the
// ECS field at fault: cpu and memory strings that do not parse, memberOf expressions that do
// not parse or that no node label can express, dependsOn cycles, HEALTHY dependencies on
// containers without a health check.
func PodTemplate(in Input) (Output, error) {
	if in.TaskDefinition == nil {
		return Output{}, errors.New("no task definition to translate")
	}
	restart := in.RestartPolicy
	if restart == "" {
		restart = corev1.RestartPolicyAlways
	}
	// Overrides are applied to a copy first, so that everything below sees one spec.
	spec, err := applyOverrides(in.TaskDefinition, in.Overrides)
	if err != nil {
		return Output{}, err
	}
	t := &translation{in: in, spec: spec, restart: restart, notes: &notes{}}
	if err := t.run(); err != nil {
		return Output{}, err
	}
	return t.out, nil
}

// translation holds the state of one PodTemplate call; each file adds its part to pod.
type translation struct {
	in      Input
	spec    *ecsv1.TaskDefinitionSpec
	restart corev1.RestartPolicy
	notes   *notes

	names  []string // Kubernetes container names, by index of spec.ContainerDefinitions
	layout layout
	pod    corev1.PodSpec
	out    Output
}

func (t *translation) run() error {
	names, err := containerNames(t.spec.ContainerDefinitions)
	if err != nil {
		return err
	}
	t.names = names
	if t.layout, err = planLayout(t.spec.ContainerDefinitions, t.notes); err != nil {
		return err
	}
	t.pod.RestartPolicy = t.restart
	// ECS containers never had Kubernetes API credentials or Docker-link style variables for
	// other services; keeping both off means an ECS image sees the environment it expects.
	t.pod.AutomountServiceAccountToken = ptr.To(false)
	t.pod.EnableServiceLinks = ptr.To(false)

	vols, err := t.volumes()
	if err != nil {
		return err
	}
	containers := make([]corev1.Container, len(t.spec.ContainerDefinitions))
	for i := range t.spec.ContainerDefinitions {
		c, err := t.container(i, vols)
		if err != nil {
			return err
		}
		containers[i] = c
	}
	for _, i := range t.layout.init {
		t.pod.InitContainers = append(t.pod.InitContainers, containers[i])
	}
	for i := range containers {
		if t.layout.roles[i] == roleRegular {
			t.pod.Containers = append(t.pod.Containers, containers[i])
		}
	}
	t.pod.Volumes = append(vols.podVolumes, t.pod.Volumes...)
	if err := uniqueVolumeNames(t.pod.Volumes); err != nil {
		return err
	}

	t.podLevel()
	if err := t.taskResources(); err != nil {
		return err
	}
	t.network()
	if err := t.serviceAccount(); err != nil {
		return err
	}
	if err := t.imagePullSecrets(); err != nil {
		return err
	}
	if err := t.placement(); err != nil {
		return err
	}
	if err := t.capacityProvider(); err != nil {
		return err
	}
	meta, err := t.metadata()
	if err != nil {
		return err
	}
	t.unsupportedTaskFields()
	// Last, so that it sees every container, sidecars included, with all else already set.
	HardenForPodSecurity(&t.pod, t.in.PodSecurity)

	t.out.Template = corev1.PodTemplateSpec{ObjectMeta: meta, Spec: t.pod}
	t.out.Unsupported = t.notes.sorted()
	return nil
}

// notes collects the Unsupported sentences of one translation.
type notes struct{ list []string }

func (n *notes) add(field, format string, args ...any) {
	n.list = append(n.list, field+": "+fmt.Sprintf(format, args...))
}

func (n *notes) sorted() []string {
	if len(n.list) == 0 {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, s := range n.list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// containerField names a container's field the ECS way, for errors and notes.
func containerField(c *ecsv1.ContainerDefinition, field string) string {
	if field == "" {
		return "containerDefinitions[" + string(c.Name) + "]"
	}
	return "containerDefinitions[" + string(c.Name) + "]." + field
}

// essential reports ECS's reading of a container's essential flag: unset means true.
func essential(c *ecsv1.ContainerDefinition) bool {
	return c.Essential == nil || *c.Essential
}

func itoa(i int) string { return strconv.Itoa(i) }
