package shared

import (
	"encoding/json"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// EffectiveFamily is the TaskDefinition's family: spec.family, or its name when unset.
func EffectiveFamily(td *ecsv1.TaskDefinition) string {
	if td.Spec.Family != "" {
		return string(td.Spec.Family)
	}
	return td.Name
}

// RevisionName names revision n of a TaskDefinition. The revision number is the last
// dash-separated part, so two TaskDefinitions' revisions can never share a name.
func RevisionName(tdName string, n int64) string {
	suffix := "-" + strconv.FormatInt(n, 10)
	const maxName = 253
	if len(tdName)+len(suffix) > maxName {
		tdName = tdName[:maxName-len(suffix)]
	}
	return tdName + suffix
}

// RevisionSpec decodes the task definition a revision holds.
func RevisionSpec(rev *appsv1.ControllerRevision) (*ecsv1.TaskDefinitionSpec, error) {
	spec := &ecsv1.TaskDefinitionSpec{}
	if err := json.Unmarshal(rev.Data.Raw, spec); err != nil {
		return nil, fmt.Errorf("decoding revision %s: %w", rev.Name, err)
	}
	return spec, nil
}
