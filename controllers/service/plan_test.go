package service

import (
	"testing"

	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

func TestPercentages_DaemonServicesGetECSDefaultsWithOrWithoutTheWebhook(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		strategy                ecsv1.SchedulingStrategy
		dc                      *ecsv1.DeploymentConfiguration
		maximum, minimumHealthy int32
	}{
		{"replica without configuration", ecsv1.SchedulingReplica, nil, 200, 100},
		{"daemon without configuration", ecsv1.SchedulingDaemon, nil, 100, 0},
		{"daemon with the schema's replica defaults", ecsv1.SchedulingDaemon,
			&ecsv1.DeploymentConfiguration{MaximumPercent: ptr.To[int32](200), MinimumHealthyPercent: ptr.To[int32](100)}, 100, 0},
		{"daemon asking for 50 healthy", ecsv1.SchedulingDaemon,
			&ecsv1.DeploymentConfiguration{MaximumPercent: ptr.To[int32](100), MinimumHealthyPercent: ptr.To[int32](50)}, 100, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := &ecsv1.Service{}
			svc.Spec.SchedulingStrategy, svc.Spec.DeploymentConfiguration = tc.strategy, tc.dc
			if maximum, minimum := percentages(svc); maximum != tc.maximum || minimum != tc.minimumHealthy {
				t.Fatalf("got %d/%d, want %d/%d", maximum, minimum, tc.maximum, tc.minimumHealthy)
			}
		})
	}
}
