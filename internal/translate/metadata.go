package translate

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// Annotations the pod template carries.
const (
	// AnnotationContainerNames maps Kubernetes container names to ECS names, as JSON
	// {"k8s-name": "ECS_name"}, so that status can report ECS names.
	AnnotationContainerNames = "ecs.operator.dev/container-names"
	// AnnotationDockerLabels holds every container's dockerLabels, as JSON by ECS container
	// name; those that are valid labels are pod labels too.
	AnnotationDockerLabels = "ecs.operator.dev/docker-labels"
	// AnnotationLogConfiguration holds every container's logConfiguration and
	// firelensConfiguration, as JSON by ECS container name: shipping logs is the cluster's
	// job, and this is what it needs to know.
	AnnotationLogConfiguration = "ecs.operator.dev/log-configuration"
	// AnnotationExecutionRoleArn records the task's execution role.
	AnnotationExecutionRoleArn = "ecs.operator.dev/execution-role-arn"
	// AnnotationRestartPolicies holds the ECS restart policy of each container that has one
	// enabled, as JSON by Kubernetes container name, with restartAttemptPeriod defaulted to
	// ECS's 300 seconds: the Service controller judges an essential container's exit by it.
	AnnotationRestartPolicies = "ecs.operator.dev/restart-policies"
	// AnnotationEphemeralStorage records the task's ephemeral storage size, such as "21Gi".
	AnnotationEphemeralStorage = "ecs.operator.dev/ephemeral-storage"
)

// DefaultRestartAttemptPeriod is ECS's restartAttemptPeriod, in seconds, when none is given.
const DefaultRestartAttemptPeriod int32 = 300

// RestartPolicy is a container's ECS restart policy as AnnotationRestartPolicies records it.
type RestartPolicy struct {
	IgnoredExitCodes     []int32 `json:"ignoredExitCodes,omitempty"`
	RestartAttemptPeriod int32   `json:"restartAttemptPeriod"`
}

// metadata builds the template's labels and annotations.
func (t *translation) metadata() (metav1.ObjectMeta, error) {
	labels := map[string]string{}
	annotations := map[string]string{
		ecsv1.AnnotationTaskDefinition: fmt.Sprintf("%s:%d", t.in.Family, t.in.Revision),
	}

	// dockerLabels first, so that the operator's own labels win any clash.
	dockerLabels := map[string]map[string]string{}
	for i := range t.spec.ContainerDefinitions {
		c := &t.spec.ContainerDefinitions[i]
		if len(c.DockerLabels) == 0 {
			continue
		}
		dockerLabels[string(c.Name)] = c.DockerLabels
		for _, k := range sortedKeys(c.DockerLabels) {
			v := c.DockerLabels[k]
			if _, taken := labels[k]; taken || reservedLabelKey(k) ||
				len(validation.IsQualifiedName(k)) > 0 || len(validation.IsValidLabelValue(v)) > 0 {
				continue // recorded in the annotation only
			}
			labels[k] = v
		}
	}
	for k, v := range t.in.SelectorLabels {
		labels[k] = v
	}
	labels[ecsv1.LabelFamily] = labelValue(t.in.Family)
	labels[ecsv1.LabelRevision] = strconv.FormatInt(t.in.Revision, 10)

	names := map[string]string{}
	for i, c := range t.spec.ContainerDefinitions {
		names[t.names[i]] = string(c.Name)
	}
	if err := putJSON(annotations, AnnotationContainerNames, names); err != nil {
		return metav1.ObjectMeta{}, err
	}
	if len(dockerLabels) > 0 {
		if err := putJSON(annotations, AnnotationDockerLabels, dockerLabels); err != nil {
			return metav1.ObjectMeta{}, err
		}
	}
	restarts := map[string]RestartPolicy{}
	for i, c := range t.spec.ContainerDefinitions {
		if rp := c.RestartPolicy; rp != nil && rp.Enabled {
			restarts[t.names[i]] = RestartPolicy{
				IgnoredExitCodes:     rp.IgnoredExitCodes,
				RestartAttemptPeriod: ptr.Deref(rp.RestartAttemptPeriod, DefaultRestartAttemptPeriod),
			}
		}
	}
	if len(restarts) > 0 {
		if err := putJSON(annotations, AnnotationRestartPolicies, restarts); err != nil {
			return metav1.ObjectMeta{}, err
		}
	}
	type logging struct {
		LogConfiguration      *ecsv1.LogConfiguration      `json:"logConfiguration,omitempty"`
		FirelensConfiguration *ecsv1.FirelensConfiguration `json:"firelensConfiguration,omitempty"`
	}
	logs := map[string]logging{}
	for _, c := range t.spec.ContainerDefinitions {
		if c.LogConfiguration != nil || c.FirelensConfiguration != nil {
			logs[string(c.Name)] = logging{c.LogConfiguration, c.FirelensConfiguration}
		}
	}
	if len(logs) > 0 {
		if err := putJSON(annotations, AnnotationLogConfiguration, logs); err != nil {
			return metav1.ObjectMeta{}, err
		}
	}
	if t.spec.ExecutionRoleArn != "" {
		annotations[AnnotationExecutionRoleArn] = t.spec.ExecutionRoleArn
	}
	if es := t.spec.EphemeralStorage; es != nil {
		annotations[AnnotationEphemeralStorage] = fmt.Sprintf("%dGi", es.SizeInGiB)
	}
	return metav1.ObjectMeta{Labels: labels, Annotations: annotations}, nil
}

// putJSON stores v as JSON; encoding/json sorts map keys, so the text is always the same.
func putJSON(m map[string]string, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding annotation %s: %w", key, err)
	}
	m[key] = string(b)
	return nil
}

// reservedLabelKey reports label keys a tenant's dockerLabels must not set: Kubernetes' own
// and ecs-operator's.
func reservedLabelKey(k string) bool {
	prefix, _, found := strings.Cut(k, "/")
	if !found {
		return false
	}
	for _, r := range []string{"kubernetes.io", "k8s.io", "ecs.operator.dev"} {
		if prefix == r || strings.HasSuffix(prefix, "."+r) {
			return true
		}
	}
	return false
}
