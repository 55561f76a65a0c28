package controllers

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

func revs(numbers ...int64) []appsv1.ControllerRevision {
	out := make([]appsv1.ControllerRevision, 0, len(numbers))
	for _, n := range numbers {
		out = append(out, appsv1.ControllerRevision{Revision: n})
	}
	sortNewestFirst(out)
	return out
}

func numbers(rs []appsv1.ControllerRevision) []int64 {
	out := make([]int64, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Revision)
	}
	return out
}

func TestRevisionsToPrune_KeepsLatestNewestAndInUse(t *testing.T) {
	tests := []struct {
		name  string
		revs  []appsv1.ControllerRevision
		limit int32
		inUse map[int64]bool
		want  []int64
	}{
		{name: "under the limit nothing goes", revs: revs(1, 2, 3), limit: 10},
		{name: "the oldest beyond the limit go", revs: revs(1, 2, 3, 4, 5), limit: 2, want: []int64{2, 1}},
		{name: "limit 0 keeps only the latest", revs: revs(1, 2, 3), limit: 0, want: []int64{2, 1}},
		{name: "revisions in use are never pruned", revs: revs(1, 2, 3, 4, 5), limit: 1, inUse: map[int64]bool{1: true}, want: []int64{3, 2}},
		{name: "in-use revisions do not count against the limit", revs: revs(1, 2, 3, 4), limit: 1, inUse: map[int64]bool{3: true}, want: []int64{1}},
		{name: "the latest is kept even when the limit is 0 and nothing uses it", revs: revs(7), limit: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := numbers(revisionsToPrune(tc.revs, tc.limit, tc.inUse))
			if !slices.Equal(got, tc.want) && (len(got) != 0 || len(tc.want) != 0) {
				t.Fatalf("pruned %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRevisionHash_IgnoresRevisionHistoryLimitButNotContent(t *testing.T) {
	base := ecsv1.TaskDefinitionSpec{ContainerDefinitions: []ecsv1.ContainerDefinition{{Name: "web", Image: "nginx"}}}
	h1, _ := revisionHash(&base)
	withLimit := base
	withLimit.RevisionHistoryLimit = ptr.To[int32](3)
	h2, _ := revisionHash(&withLimit)
	if h1 != h2 {
		t.Fatalf("revisionHistoryLimit changed the hash: %s vs %s", h1, h2)
	}
	changed := *base.DeepCopy()
	changed.ContainerDefinitions[0].Image = "nginx:2"
	h3, _ := revisionHash(&changed)
	if h1 == h3 {
		t.Fatal("a new image kept the same hash")
	}
}

func TestRevisionName_NeverCollidesAcrossTaskDefinitions(t *testing.T) {
	seen := map[string]string{}
	for _, td := range []string{"a", "a-1", "a-12", "a-1-2"} {
		for n := int64(1); n <= 12; n++ {
			name := shared.RevisionName(td, n)
			if other, ok := seen[name]; ok {
				t.Fatalf("%s is the name of both %s and %s:%d", name, other, td, n)
			}
			seen[name] = td
		}
	}
}
