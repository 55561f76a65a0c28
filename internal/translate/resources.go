package translate

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
)

// ResourceGPU is the extended resource ECS GPU requirements become.
const ResourceGPU corev1.ResourceName = "nvidia.com/gpu"

const mebibyte = 1 << 20

// cpuMillis converts ECS cpu units (1024 to a vCPU) to millicores, rounding up so that a
// container never gets less than ECS would give it.
func cpuMillis(units int64) int64 { return (units*1000 + 1023) / 1024 }

func cpuQuantity(units int64) resource.Quantity {
	return *resource.NewMilliQuantity(cpuMillis(units), resource.DecimalSI)
}

func mibQuantity(mib int64) resource.Quantity {
	return *resource.NewQuantity(mib*mebibyte, resource.BinarySI)
}

// containerResources maps a container's cpu units to a cpu request (never a limit: ECS cpu
// units are relative shares, and a container may use idle cpu up to the task's ceiling),
// memoryReservation to the memory request, memory to the memory limit (and to the request when
// there is no reservation, as ECS then reserves the hard limit), GPUs to nvidia.com/gpu, and
// the task's ephemeral storage to the container chosen to carry it.
func (t *translation) containerResources(i int, c *ecsv1.ContainerDefinition) (corev1.ResourceRequirements, error) {
	req, lim := corev1.ResourceList{}, corev1.ResourceList{}
	if c.CPU != nil && *c.CPU > 0 {
		req[corev1.ResourceCPU] = cpuQuantity(int64(*c.CPU))
	}
	if c.MemoryReservation != nil {
		req[corev1.ResourceMemory] = mibQuantity(int64(*c.MemoryReservation))
	}
	if c.Memory != nil {
		lim[corev1.ResourceMemory] = mibQuantity(int64(*c.Memory))
		if c.MemoryReservation == nil {
			req[corev1.ResourceMemory] = mibQuantity(int64(*c.Memory))
		}
	}
	for _, rr := range c.ResourceRequirements {
		if rr.Type != "GPU" {
			continue
		}
		n, err := strconv.ParseInt(rr.Value, 10, 64)
		if err != nil || n < 1 {
			return corev1.ResourceRequirements{}, fmt.Errorf("%s: a GPU requirement's value must be a positive number of GPUs, not %q", containerField(c, "resourceRequirements"), rr.Value)
		}
		lim[ResourceGPU] = *resource.NewQuantity(n, resource.DecimalSI)
	}
	if es := t.spec.EphemeralStorage; es != nil && i == t.ephemeralStorageContainer() {
		q := *resource.NewQuantity(int64(es.SizeInGiB)<<30, resource.BinarySI)
		req[corev1.ResourceEphemeralStorage] = q
		lim[corev1.ResourceEphemeralStorage] = q.DeepCopy()
	}
	var out corev1.ResourceRequirements
	if len(req) > 0 {
		out.Requests = req
	}
	if len(lim) > 0 {
		out.Limits = lim
	}
	return out, nil
}

// ephemeralStorageContainer is the container that carries the task's ephemeral storage: the
// first essential regular container, else the first regular one. Kubernetes has no pod-level
// ephemeral storage, but it evicts a Pod whose total use (all containers and emptyDirs)
// exceeds the sum of its containers' limits, so one container carrying the whole size gives
// the task the shared ceiling ECS gives it.
func (t *translation) ephemeralStorageContainer() int {
	first := -1
	for i := range t.spec.ContainerDefinitions {
		if t.layout.roles[i] != roleRegular {
			continue
		}
		if essential(&t.spec.ContainerDefinitions[i]) {
			return i
		}
		if first < 0 {
			first = i
		}
	}
	return first
}

// taskResources maps the task's cpu and memory to pod-level resources, as requests and limits
// both: ECS reserves the task's size on the instance and holds the task's containers under it.
// Kubernetes rejects a Pod whose containers ask for more than the Pod, as ECS rejects such a
// task definition, so that is an error naming the field.
func (t *translation) taskResources() error {
	spec := t.spec
	if spec.CPU == "" && spec.Memory == "" {
		return nil
	}
	var cpuUnits, memMiB int64
	var err error
	if spec.CPU != "" {
		if cpuUnits, err = ecs.ParseTaskCPU(string(spec.CPU)); err != nil {
			return fmt.Errorf("%s: %w", t.taskField("cpu"), err)
		}
	}
	if spec.Memory != "" {
		if memMiB, err = ecs.ParseTaskMemory(string(spec.Memory)); err != nil {
			return fmt.Errorf("%s: %w", t.taskField("memory"), err)
		}
	}
	if t.windows() {
		t.notes.add(t.taskField("cpu")+", "+t.taskField("memory"), "Kubernetes has no pod-level resources for Windows Pods; only the containers' own cpu and memory apply")
		return nil
	}
	need, err := t.checkTaskFits(cpuUnits, memMiB)
	if err != nil {
		return err
	}
	rl := corev1.ResourceList{}
	if spec.CPU != "" {
		// Containers' requests are rounded up to whole millicores one by one; when that alone
		// lifts their sum above the task's, the task gets those few millicores more rather
		// than a Pod the API server rejects.
		rl[corev1.ResourceCPU] = *resource.NewMilliQuantity(max(cpuMillis(cpuUnits), need.cpuMillis), resource.DecimalSI)
	}
	if spec.Memory != "" {
		rl[corev1.ResourceMemory] = mibQuantity(memMiB)
	}
	t.pod.Resources = &corev1.ResourceRequirements{Requests: rl, Limits: rl.DeepCopy()}
	return nil
}

// need is what containers reserve: cpu units, the same rounded to millicores container by
// container, and MiB of memory.
type need struct{ cpuUnits, cpuMillis, memMiB int64 }

func (n need) plus(o need) need {
	return need{n.cpuUnits + o.cpuUnits, n.cpuMillis + o.cpuMillis, n.memMiB + o.memMiB}
}

func (n need) atLeast(o need) need {
	return need{max(n.cpuUnits, o.cpuUnits), max(n.cpuMillis, o.cpuMillis), max(n.memMiB, o.memMiB)}
}

// checkTaskFits applies Kubernetes' rules for pod-level resources: no container's limit above
// the Pod's, and the containers' requests, added up the way the scheduler adds them (sidecars
// and regular containers together, each init container with the sidecars started before it),
// not above the Pod's. It returns that sum.
func (t *translation) checkTaskFits(cpuUnits, memMiB int64) (need, error) {
	defs := t.spec.ContainerDefinitions
	needOf := func(i int) need {
		c := &defs[i]
		var n need
		if c.CPU != nil && *c.CPU > 0 {
			n.cpuUnits = int64(*c.CPU)
			n.cpuMillis = cpuMillis(n.cpuUnits)
		}
		switch {
		case c.MemoryReservation != nil:
			n.memMiB = int64(*c.MemoryReservation)
		case c.Memory != nil:
			n.memMiB = int64(*c.Memory)
		}
		return n
	}
	if memMiB > 0 {
		for i := range defs {
			if m := defs[i].Memory; m != nil && int64(*m) > memMiB {
				return need{}, fmt.Errorf("%s: %d MiB is more than the task's memory of %d MiB", containerField(&defs[i], "memory"), *m, memMiB)
			}
		}
	}
	var sidecars, initPeak need
	for _, i := range t.layout.init {
		if t.layout.roles[i] == roleSidecar {
			sidecars = sidecars.plus(needOf(i))
			continue
		}
		initPeak = initPeak.atLeast(needOf(i).plus(sidecars))
	}
	total := sidecars
	for i := range defs {
		if t.layout.roles[i] == roleRegular {
			total = total.plus(needOf(i))
		}
	}
	total = total.atLeast(initPeak)
	if cpuUnits > 0 && total.cpuUnits > cpuUnits {
		return need{}, fmt.Errorf("%s: the containers reserve %d cpu units, more than the task's %d", t.taskField("cpu"), total.cpuUnits, cpuUnits)
	}
	if memMiB > 0 && total.memMiB > memMiB {
		return need{}, fmt.Errorf("%s: the containers reserve %d MiB, more than the task's %d MiB", t.taskField("memory"), total.memMiB, memMiB)
	}
	return total, nil
}

// taskField names a task-level field, as overridden when the Task's overrides set it.
func (t *translation) taskField(name string) string {
	if o := t.in.Overrides; o != nil {
		switch {
		case name == "cpu" && o.CPU != "", name == "memory" && o.Memory != "":
			return "overrides." + name
		}
	}
	return name
}
