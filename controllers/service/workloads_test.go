package service

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

func TestDeploymentSettled(t *testing.T) {
	d := func(gen, observed int64, replicas, updated int32) *appsv1.Deployment {
		x := &appsv1.Deployment{}
		x.Generation, x.Status.ObservedGeneration, x.Status.Replicas, x.Status.UpdatedReplicas = gen, observed, replicas, updated
		return x
	}
	for _, tc := range []struct {
		name string
		d    *appsv1.Deployment
		want bool
	}{
		{"no controller has looked at it yet", d(1, 0, 0, 0), true},
		{"its controller has not seen the latest spec", d(3, 2, 2, 2), false},
		{"older tasks still run", d(3, 3, 3, 2), false},
		{"only the current template's tasks", d(3, 3, 2, 2), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := deploymentSettled(tc.d); got != tc.want {
				t.Fatalf("settled %v, want %v", got, tc.want)
			}
		})
	}
}
