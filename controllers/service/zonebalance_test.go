package service

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestScaleInCosts_TheFullestZoneLosesItsNewestTaskFirst(t *testing.T) {
	at := func(name, node string, age int) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(time.Unix(int64(1000-age), 0))}}
		p.Spec.NodeName = node
		return p
	}
	zones := map[string]string{"a1": "us-east-1a", "a2": "us-east-1a", "b1": "us-east-1b"}
	pods := []*corev1.Pod{at("x", "a1", 30), at("y", "a2", 20), at("z", "a1", 10), at("w", "b1", 5), at("pending", "", 1)}
	got := scaleInCosts(pods, func(n string) string { return zones[n] })
	want := map[string]int{"x": 0, "y": -1, "z": -2, "w": 0, "pending": 0}
	for name, cost := range want {
		if got[name] != cost {
			t.Errorf("%s costs %d, want %d (all: %v)", name, got[name], cost, got)
		}
	}
}
