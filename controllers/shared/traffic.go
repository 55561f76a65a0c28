package shared

import (
	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// ProductionTrafficSplit is the share of production traffic, in percent, that a Service's new
// revision is to get while a LINEAR or CANARY deployment shifts it: its PRIMARY deployment is
// IN_PROGRESS at PRODUCTION_TRAFFIC_SHIFT with a weight under 100. The Service's production
// Kubernetes Service then still selects the old revision and its test Service the new one, so
// that an HTTPRoute splits traffic between the two by weight. ok is false otherwise.
func ProductionTrafficSplit(svc *ecsv1.Service) (weight int32, ok bool) {
	if len(svc.Status.Deployments) == 0 {
		return 0, false
	}
	p := svc.Status.Deployments[0]
	if p.Status != ecsv1.DeploymentPrimary || p.RolloutState != ecsv1.RolloutInProgress ||
		p.LifecycleStage != ecsv1.StageProductionTrafficShift || p.ProductionTrafficWeight == nil || *p.ProductionTrafficWeight >= 100 {
		return 0, false
	}
	return *p.ProductionTrafficWeight, true
}
