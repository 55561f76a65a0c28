package service

import (
	"context"
	"errors"
	"fmt"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/ecs-operator/ecs-operator/controllers/shared"
	"github.com/ecs-operator/ecs-operator/internal/translate"
)

// deploymentPlan is what the Service should run.
type deploymentPlan struct {
	primary      deploymentKey
	wanted       deploymentKey
	spec         *ecsv1.TaskDefinitionSpec
	family       string
	revision     int64
	rollbackFrom string
	// rollbackOf is the ID of the failed deployment the PRIMARY rolls back, empty if none: a
	// rollback is a deployment of its own, with its own ID and rollout state.
	rollbackOf  string
	paused      bool
	stalled     string
	stallReason string
	cluster     *ecsv1.Cluster
	// namespace is where the task definition lives (it may be another namespace of the tenant).
	namespace string
	// pods are the Service's task Pods, as the cache has them.
	pods []corev1.Pod
}

// planDeployment decides the revision the PRIMARY deployment runs: the one the spec names,
// unless the circuit breaker failed it — then, with rollback, the last completed one.
func (r *Reconciler) planDeployment(ctx context.Context, svc *ecsv1.Service, resolved *shared.ResolvedRevision, pods []corev1.Pod) (*deploymentPlan, error) {
	token := svc.Annotations[ecsv1.AnnotationForceNewDeployment]
	wanted := deploymentKey{TaskDefinition: resolved.String(), Token: token}
	plan := &deploymentPlan{primary: wanted, wanted: wanted, spec: resolved.Spec, family: resolved.Family,
		revision: resolved.Number, namespace: resolved.TaskDefinition.Namespace, pods: pods}

	cluster, err := shared.ClusterForNamespace(ctx, r.Client, svc.Namespace)
	if err != nil {
		return nil, err
	}
	plan.cluster = cluster

	failed := failedDeployment(svc, wanted)
	if failed == nil {
		return plan, nil
	}
	if !rollsBack(svc, failed) {
		// ECS stops a failed deployment; pausing the Deployment does the same.
		plan.paused = true
		return plan, nil
	}
	target := rollbackTarget(svc, wanted)
	if target == "" {
		plan.paused = true
		return plan, nil
	}
	key := deploymentKey{TaskDefinition: target, Token: token}
	for i := range pods {
		if k := podDeploymentKey(&pods[i]); k.TaskDefinition == target {
			key = k
			break
		}
	}
	rolledBack, err := shared.ResolveTaskDefinition(ctx, r, svc.Namespace, plan.namespace+"/"+target)
	var refErr *shared.ReferenceError
	switch {
	case errors.As(err, &refErr), errors.Is(err, shared.ErrRevisionPending):
		plan.paused = true
		plan.stalled = fmt.Sprintf("the circuit breaker failed %s and cannot roll back to %s: %v", wanted.TaskDefinition, target, err)
		plan.stallReason = shared.ReasonDeploymentFailed
		return plan, nil
	case err != nil:
		return nil, err
	}
	plan.primary, plan.spec, plan.family, plan.revision = key, rolledBack.Spec, rolledBack.Family, rolledBack.Number
	plan.rollbackOf = failed.ID
	if svc.Status.TaskDefinition != target {
		plan.rollbackFrom = wanted.TaskDefinition
	}
	if rollbackFailed(svc, rollbackDeploymentID(svc, key, failed.ID)) {
		// The rollback failed too: ECS stops there, and so does the Service.
		plan.paused = true
	}
	return plan, nil
}

// rollbackFailed reports whether the rollback deployment with this ID failed.
func rollbackFailed(svc *ecsv1.Service, id string) bool {
	for _, d := range svc.Status.Deployments {
		if d.ID == id {
			return d.RolloutState == ecsv1.RolloutFailed
		}
	}
	return false
}

// failedDeployment finds the status entry of a deployment the circuit breaker failed.
func failedDeployment(svc *ecsv1.Service, key deploymentKey) *ecsv1.Deployment {
	id := deploymentID(svc, key)
	for i, d := range svc.Status.Deployments {
		if d.ID == id && d.RolloutState == ecsv1.RolloutFailed {
			return &svc.Status.Deployments[i]
		}
	}
	return nil
}

// rollbackTarget is the task definition of the newest deployment that completed and did not
// fail: the current PRIMARY when it is already the rollback, else a completed ACTIVE one.
func rollbackTarget(svc *ecsv1.Service, failed deploymentKey) string {
	for _, d := range svc.Status.Deployments {
		if d.TaskDefinition == failed.TaskDefinition || d.RolloutState == ecsv1.RolloutFailed {
			continue
		}
		if d.Status == ecsv1.DeploymentPrimary || d.RolloutState == ecsv1.RolloutCompleted {
			return d.TaskDefinition
		}
	}
	return ""
}

// rollsBack reports whether a failed deployment is rolled back: by its alarms' rollback when
// they failed it, else by the circuit breaker's.
func rollsBack(svc *ecsv1.Service, failed *ecsv1.Deployment) bool {
	if failedByHook(failed) {
		return true
	}
	if failedByAlarm(failed) {
		cfg := alarmConfig(svc)
		return cfg != nil && cfg.Rollback
	}
	cb := circuitBreaker(svc)
	return cb != nil && cb.Rollback
}

func primaryFailed(status ecsv1.ServiceStatus) bool {
	return len(status.Deployments) > 0 && status.Deployments[0].RolloutState == ecsv1.RolloutFailed
}

func circuitBreaker(svc *ecsv1.Service) *ecsv1.DeploymentCircuitBreaker {
	if dc := svc.Spec.DeploymentConfiguration; dc != nil && dc.DeploymentCircuitBreaker != nil && dc.DeploymentCircuitBreaker.Enable {
		return dc.DeploymentCircuitBreaker
	}
	return nil
}

// percentages are ECS's deployment bounds with ECS's defaults by scheduling strategy.
func percentages(svc *ecsv1.Service) (maximum, minimumHealthy int32) {
	maximum, minimumHealthy = 200, 100
	if svc.Spec.SchedulingStrategy == ecsv1.SchedulingDaemon {
		maximum, minimumHealthy = 100, 0
	}
	if dc := svc.Spec.DeploymentConfiguration; dc != nil {
		maximum = ptr.Deref(dc.MaximumPercent, maximum)
		minimumHealthy = ptr.Deref(dc.MinimumHealthyPercent, minimumHealthy)
	}
	if svc.Spec.SchedulingStrategy == ecsv1.SchedulingDaemon && maximum == 200 && minimumHealthy == 100 {
		// The schema's defaults are REPLICA's; a DAEMON service gets ECS's 100/0, as the
		// defaulting webhook writes them, so that nothing depends on the webhook running.
		maximum, minimumHealthy = 100, 0
	}
	return maximum, minimumHealthy
}

// providerShare is one Deployment's capacity provider.
type providerShare struct {
	name     string // the Deployment's name
	label    string // the capacity provider, empty when the Service is not split
	provider *ecsv1.CapacityProvider
	count    func(desired int32) int32
}

// capacityShares picks the capacity providers of a Service: its launch type's provider, its
// strategy or the Cluster's default strategy. Several providers split the tasks by base and
// weight, one Deployment each. A strategy or launch type the Cluster cannot serve is an error
// for the user to fix.
func capacityShares(svc *ecsv1.Service, cluster *ecsv1.Cluster) ([]providerShare, error) {
	all := func(desired int32) int32 { return desired }
	if cluster == nil || len(cluster.Spec.CapacityProviders) == 0 {
		return []providerShare{{name: svc.Name, count: all}}, nil
	}
	byName := map[string]*ecsv1.CapacityProvider{}
	for i := range cluster.Spec.CapacityProviders {
		byName[cluster.Spec.CapacityProviders[i].Name] = &cluster.Spec.CapacityProviders[i]
	}
	if lt := svc.Spec.LaunchType; lt != "" {
		for i := range cluster.Spec.CapacityProviders {
			p := &cluster.Spec.CapacityProviders[i]
			if string(p.Type) == string(lt) || (lt == ecsv1.LaunchTypeExternal && p.Type == ecsv1.CapacityProviderEC2) {
				return []providerShare{{name: svc.Name, provider: p, count: all}}, nil
			}
		}
		return nil, fmt.Errorf("launchType %s: cluster %s has no capacity provider of type %s", lt, cluster.Name, lt)
	}
	strategy := svc.Spec.CapacityProviderStrategy
	source := "capacityProviderStrategy"
	if len(strategy) == 0 {
		strategy, source = cluster.Spec.DefaultCapacityProviderStrategy, "the cluster's defaultCapacityProviderStrategy"
	}
	if len(strategy) == 0 {
		return []providerShare{{name: svc.Name, count: all}}, nil
	}
	for _, item := range strategy {
		if byName[item.CapacityProvider] == nil {
			return nil, fmt.Errorf("%s: capacity provider %q is not one of cluster %s's capacity providers", source, item.CapacityProvider, cluster.Name)
		}
	}
	if len(strategy) == 1 || svc.Spec.SchedulingStrategy == ecsv1.SchedulingDaemon {
		return []providerShare{{name: svc.Name, provider: byName[strategy[0].CapacityProvider], count: all}}, nil
	}
	if _, err := translate.SplitTasks(strategy, ptr.Deref(svc.Spec.DesiredCount, 0)); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	var shares []providerShare
	for _, item := range strategy {
		name := item.CapacityProvider
		shares = append(shares, providerShare{
			name: workloadName(svc, name), label: name, provider: byName[name],
			count: func(desired int32) int32 {
				split, err := translate.SplitTasks(strategy, desired)
				if err != nil {
					return 0
				}
				for _, s := range split {
					if s.CapacityProvider == name {
						return s.Count
					}
				}
				return 0
			},
		})
	}
	return shares, nil
}
