package controllers

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

// revisionContent is what a revision holds: the task definition without the fields that are
// ours rather than ECS's, so that changing revisionHistoryLimit makes no new revision.
func revisionContent(spec *ecsv1.TaskDefinitionSpec) *ecsv1.TaskDefinitionSpec {
	content := spec.DeepCopy()
	content.RevisionHistoryLimit = nil
	return content
}

// revisionHash is the content hash of a task definition spec.
func revisionHash(spec *ecsv1.TaskDefinitionSpec) (string, error) {
	return shared.ContentHash(revisionContent(spec))
}

// desiredRevision builds revision n of td with the given content hash.
func desiredRevision(td *ecsv1.TaskDefinition, family string, n int64, hash string) (*appsv1.ControllerRevision, error) {
	data, err := json.Marshal(revisionContent(&td.Spec))
	if err != nil {
		return nil, fmt.Errorf("encoding revision %d of %s: %w", n, family, err)
	}
	return &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name:      shared.RevisionName(td.Name, n),
			Namespace: td.Namespace,
			Labels: map[string]string{
				ecsv1.LabelTaskDefinition: shared.LabelValue(td.Name),
				ecsv1.LabelFamily:         shared.LabelValue(family),
				ecsv1.LabelRevision:       strconv.FormatInt(n, 10),
				ecsv1.LabelRevisionHash:   hash,
				ecsv1.LabelManagedBy:      ecsv1.ManagedByValue,
			},
			Annotations: map[string]string{ecsv1.AnnotationTaskDefinition: family + ":" + strconv.FormatInt(n, 10)},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(td,
				ecsv1.GroupVersion.WithKind("TaskDefinition"))},
		},
		Data:     runtime.RawExtension{Raw: data},
		Revision: n,
	}, nil
}

// sortNewestFirst orders revisions by revision number, newest first.
func sortNewestFirst(revs []appsv1.ControllerRevision) {
	slices.SortFunc(revs, func(a, b appsv1.ControllerRevision) int {
		switch {
		case a.Revision > b.Revision:
			return -1
		case a.Revision < b.Revision:
			return 1
		}
		return 0
	})
}

// revisionsToPrune picks the revisions beyond the history limit: the latest and every revision
// in use are always kept, and of the others the newest `limit` stay. revs must be sorted newest
// first.
func revisionsToPrune(revs []appsv1.ControllerRevision, limit int32, inUse map[int64]bool) []appsv1.ControllerRevision {
	var prune []appsv1.ControllerRevision
	kept := int32(0)
	for i, rev := range revs {
		if i == 0 || inUse[rev.Revision] {
			continue
		}
		if kept < limit {
			kept++
			continue
		}
		prune = append(prune, rev)
	}
	return prune
}

// computeRevisionsStatus lists the retained revisions, newest first, INACTIVE those the
// TaskDefinition's annotation deregisters.
func computeRevisionsStatus(revs []appsv1.ControllerRevision, deregistered map[int64]bool) []ecsv1.TaskDefinitionRevision {
	out := make([]ecsv1.TaskDefinitionRevision, 0, len(revs))
	for _, rev := range revs {
		created := rev.CreationTimestamp
		status := ecsv1.RevisionActive
		if deregistered[rev.Revision] {
			status = ecsv1.RevisionInactive
		}
		out = append(out, ecsv1.TaskDefinitionRevision{
			Revision:  rev.Revision,
			Hash:      rev.Labels[ecsv1.LabelRevisionHash],
			Status:    status,
			CreatedAt: &created,
		})
	}
	return out
}

// deregisteredRevisions reads the revisions the TaskDefinition's annotation deregisters.
func deregisteredRevisions(td *ecsv1.TaskDefinition) map[int64]bool {
	out := map[int64]bool{}
	for _, s := range strings.Split(td.Annotations[ecsv1.AnnotationDeregisteredRevisions], ",") {
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			out[n] = true
		}
	}
	return out
}
