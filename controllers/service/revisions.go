package service

import (
	"context"
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
	"github.com/ecs-operator/ecs-operator/internal/taskview"
	"github.com/ecs-operator/ecs-operator/internal/translate"
)

// labelRevision on a task, and in the selector of a revision's Deployment, names the deployment
// (task definition revision and force-new-deployment token) the task belongs to, so that
// Kubernetes Services can send traffic to one revision's tasks.
const labelRevision = "ecs.operator.dev/revision"

// revisionLabel is the deployment ID's digits: stable, unique per Service and deployment.
func revisionLabel(svc *ecsv1.Service, key deploymentKey) string {
	return strings.TrimPrefix(deploymentID(svc, key), "ecs-svc/")
}

// revisionWorkloadName names the Deployment of one revision's share of a capacity provider.
func revisionWorkloadName(svc *ecsv1.Service, provider string, key deploymentKey) string {
	l := revisionLabel(svc, key)
	return workloadName(svc, provider) + "-" + l[len(l)-10:]
}

// trafficSelectors are the task selectors of the Kubernetes Services that carry a Service's
// traffic: production (load balancers, registries, Service Connect) and, while the Service
// deploys with BLUE_GREEN, LINEAR or CANARY, test traffic to the new revision.
type trafficSelectors struct {
	production map[string]string
	test       map[string]string // nil for ROLLING
}

func withRevision(svc *ecsv1.Service, key deploymentKey) map[string]string {
	sel := serviceSelector(svc)
	sel[labelRevision] = revisionLabel(svc, key)
	return sel
}

// templateKey reads the deployment a Deployment's tasks belong to from its template.
func templateKey(d *appsv1.Deployment) deploymentKey {
	return deploymentKey{
		TaskDefinition: d.Spec.Template.Annotations[ecsv1.AnnotationTaskDefinition],
		Token:          d.Spec.Template.Annotations[ecsv1.AnnotationForceNewDeployment],
	}
}

// isRevisionDeployment tells a Deployment that runs one revision (BLUE_GREEN, LINEAR, CANARY)
// from a ROLLING one, whose selector takes every revision's tasks and whose template is never
// rewritten here when it serves as blue.
func isRevisionDeployment(d *appsv1.Deployment) bool {
	return d.Spec.Selector != nil && d.Spec.Selector.MatchLabels[labelRevision] != ""
}

// primaryDeploymentID is the ID the status gives the PRIMARY deployment of a plan.
func primaryDeploymentID(svc *ecsv1.Service, plan *deploymentPlan) string {
	if plan.rollbackOf != "" {
		return rollbackDeploymentID(svc, plan.primary, plan.rollbackOf)
	}
	return deploymentID(svc, plan.primary)
}

func statusDeployment(svc *ecsv1.Service, id string) *ecsv1.Deployment {
	for i := range svc.Status.Deployments {
		if svc.Status.Deployments[i].ID == id {
			return &svc.Status.Deployments[i]
		}
	}
	return nil
}

// pickBlue chooses the revision production traffic comes from: the one whose deployment last
// completed, else the one with the most available tasks.
func pickBlue(svc *ecsv1.Service, green deploymentKey, byKey map[deploymentKey][]*appsv1.Deployment) *deploymentKey {
	var best *deploymentKey
	var bestAvailable int32 = -1
	for key, ds := range byKey {
		if key == green {
			continue
		}
		if d := statusDeployment(svc, deploymentID(svc, key)); d != nil && d.RolloutState == ecsv1.RolloutCompleted {
			k := key
			return &k
		}
		var available int32
		for _, d := range ds {
			available += d.Status.AvailableReplicas
		}
		if available > bestAvailable || (available == bestAvailable && best != nil && key.TaskDefinition+key.Token < best.TaskDefinition+best.Token) {
			k := key
			best, bestAvailable = &k, available
		}
	}
	return best
}

// applyRevisions runs a REPLICA Service's BLUE_GREEN, LINEAR or CANARY deployment: a Deployment
// per revision (and capacity provider share), scaled by the stage the deployment is at, and the
// selectors that send production and test traffic to the right revision.
func (r *Reconciler) applyRevisions(ctx context.Context, svc *ecsv1.Service, plan *deploymentPlan, providers []providerShare,
	templates map[string]translate.Output, minimumHealthy int32, res *appliedChildren) (trafficSelectors, error) {
	desired := ptr.Deref(svc.Spec.DesiredCount, 0)
	res.desired, res.desiredKnown = desired, true
	green := plan.primary
	sel := trafficSelectors{production: withRevision(svc, green), test: withRevision(svc, green)}
	if problem := hookURLProblem(svc); problem != "" {
		res.stalled, res.stallReason = problem, shared.ReasonInvalidSpec
		return sel, nil
	}

	list := &appsv1.DeploymentList{}
	if err := r.List(ctx, list, client.InNamespace(svc.Namespace), client.MatchingLabels(serviceSelector(svc))); err != nil {
		return sel, fmt.Errorf("listing deployments: %w", err)
	}
	byKey := map[deploymentKey][]*appsv1.Deployment{}
	for i := range list.Items {
		d := &list.Items[i]
		if owner := metav1.GetControllerOf(d); owner == nil || owner.UID != svc.UID || !d.DeletionTimestamp.IsZero() {
			continue
		}
		byKey[templateKey(d)] = append(byKey[templateKey(d)], d)
	}

	primaryID := primaryDeploymentID(svc, plan)
	entry := statusDeployment(svc, primaryID)
	greenReplicas, blueReplicas := desired, int32(0)
	production := trafficGreen
	var blue *deploymentKey
	// A rollback returns to a revision that ran: it takes the traffic back at once. A completed
	// deployment runs its revision alone.
	if plan.rollbackOf == "" && (entry == nil || entry.RolloutState != ecsv1.RolloutCompleted) {
		blue = pickBlue(svc, green, byKey)
		weighted, err := r.routedByGateway(ctx, svc, plan.cluster)
		if err != nil {
			return sel, err
		}
		in := stageInput{
			Strategy: deploymentStrategy(svc), Config: svc.Spec.DeploymentConfiguration,
			Now: r.Clock.Now(), Minute: r.bakeTimeUnit(), Desired: desired, HasBlue: blue != nil,
			Frozen: plan.paused, Weighted: weighted,
			Hooks: func(stage ecsv1.LifecycleStage) hookResult {
				return r.hookStatus(ctx, svc, primaryID, plan.primary.TaskDefinition, stage)
			},
		}
		if entry != nil && entry.LifecycleStage != "" {
			in.Stage = entry.LifecycleStage
			if entry.LifecycleStageStartedAt != nil {
				in.StartedAt = entry.LifecycleStageStartedAt.Time
			}
		}
		for i := range plan.pods {
			pod := &plan.pods[i]
			switch {
			case podDeploymentKey(pod) != green:
				in.BlueTasks++
			case pod.DeletionTimestamp.IsZero() && taskview.PodReady(pod):
				in.GreenReady++
			}
		}
		stage := advanceStages(in)
		res.lifecycle, res.blue = &stage, blue
		greenReplicas, blueReplicas, production = stage.GreenReplicas, stage.BlueReplicas, stage.Production
	}
	switch {
	case production == trafficBlue && blue != nil:
		sel.production = withRevision(svc, *blue)
	case production == trafficBoth:
		sel.production = serviceSelector(svc)
	}

	keep := map[string]bool{}
	if err := r.applyGreen(ctx, svc, plan, providers, templates, byKey[green], greenReplicas, keep, res); err != nil || res.stalled != "" {
		return sel, err
	}
	if blue != nil && (blueReplicas > 0 || res.lifecycle.Stage != ecsv1.StageCleanUp) {
		for _, d := range byKey[*blue] {
			n := blueReplicas
			if len(byKey[*blue]) > 1 {
				n = providerCount(providers, d.Labels[labelCapacityProvider], blueReplicas)
			}
			if err := r.scaleDeployment(ctx, d, n); err != nil {
				return sel, err
			}
			keep[d.Name] = true
		}
	}
	if err := r.deleteStale(ctx, svc, &appsv1.DeploymentList{}, keep); err != nil {
		return sel, err
	}
	if err := r.deleteStale(ctx, svc, &appsv1.DaemonSetList{}, nil); err != nil {
		return sel, err
	}
	return sel, r.applyPodDisruptionBudget(ctx, svc, desired, minimumHealthy, res)
}

// applyGreen writes the new revision's Deployments. A ROLLING Deployment that already runs the
// revision (the strategy just changed) is only scaled, never rewritten.
func (r *Reconciler) applyGreen(ctx context.Context, svc *ecsv1.Service, plan *deploymentPlan, providers []providerShare,
	templates map[string]translate.Output, existing []*appsv1.Deployment, replicas int32, keep map[string]bool, res *appliedChildren) error {
	for _, d := range existing {
		if isRevisionDeployment(d) {
			continue
		}
		n := replicas
		if len(existing) > 1 {
			n = providerCount(providers, d.Labels[labelCapacityProvider], replicas)
		}
		if err := r.scaleDeployment(ctx, d, n); err != nil {
			return err
		}
		keep[d.Name] = true
	}
	if len(keep) > 0 {
		return nil
	}
	revision := revisionLabel(svc, plan.primary)
	for _, share := range providers {
		name := revisionWorkloadName(svc, share.label, plan.primary)
		w := serviceWorkload{Name: name, CapacityProvider: share.label, Replicas: share.count(replicas), Template: templates[share.name].Template}
		current := &appsv1.Deployment{}
		var cur client.Object
		switch err := r.Get(ctx, client.ObjectKey{Namespace: svc.Namespace, Name: name}, current); {
		case err == nil:
			cur = current
			if c := replicaFailure(current); c != nil && c.Status == corev1.ConditionTrue {
				res.launchFailures = append(res.launchFailures, c.Message)
			}
			if !deploymentSettled(current) {
				res.unsettled = true
			}
		case client.IgnoreNotFound(err) != nil:
			return err
		}
		d := desiredRevisionDeployment(svc, w, revision)
		d.Spec.MinReadySeconds = translate.MinReadySeconds(plan.spec, r.uncheckedTaskWait())
		if err := r.Applier.ApplyOwned(ctx, d, cur); err != nil {
			if problem := shared.OwnershipProblem(err); problem != "" {
				res.stalled, res.stallReason, res.ownershipConflict = problem, shared.ReasonInvalidSpec, true
				return nil
			}
			return err
		}
		keep[name] = true
	}
	return nil
}

// providerCount is a capacity provider's share of total tasks; all of them when the Service is
// not split.
func providerCount(providers []providerShare, label string, total int32) int32 {
	for _, p := range providers {
		if p.label == label {
			return p.count(total)
		}
	}
	return 0
}

// scaleDeployment sets only the replicas of a Deployment whose template is left as it runs.
func (r *Reconciler) scaleDeployment(ctx context.Context, d *appsv1.Deployment, replicas int32) error {
	if ptr.Deref(d.Spec.Replicas, 1) == replicas {
		return nil
	}
	patch := client.MergeFrom(d.DeepCopy())
	d.Spec.Replicas = ptr.To(replicas)
	if err := r.Patch(ctx, d, patch); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("scaling %s to %d: %w", d.Name, replicas, err)
	}
	return nil
}

// applyPodDisruptionBudget keeps voluntary disruptions within minimumHealthyPercent.
func (r *Reconciler) applyPodDisruptionBudget(ctx context.Context, svc *ecsv1.Service, desired, minimumHealthy int32, res *appliedChildren) error {
	pdb := desiredPodDisruptionBudget(svc, desired, minimumHealthy)
	keep := map[string]bool{}
	if pdb != nil {
		if err := r.Applier.ApplyCached(ctx, pdb, &policyv1.PodDisruptionBudget{}); err != nil {
			problem := shared.OwnershipProblem(err)
			if problem == "" {
				return err
			}
			res.problems, res.ownershipConflict = append(res.problems, problem), true
		}
		keep[pdb.Name] = true
	}
	return r.deleteStale(ctx, svc, &policyv1.PodDisruptionBudgetList{}, keep)
}

// httpRouteKind is the Gateway API's HTTPRoute.
var httpRouteKind = schema.GroupKind{Group: "gateway.networking.k8s.io", Kind: "HTTPRoute"}

// routedByGateway reports whether an HTTPRoute carries the Service's production traffic: it
// has a load balancer, its Cluster's CellGroup enters through a Gateway, and the Gateway API
// is installed — the CellGroup then routes the tenant's paths with an HTTPRoute whose backend
// weights can shift traffic.
func (r *Reconciler) routedByGateway(ctx context.Context, svc *ecsv1.Service, cluster *ecsv1.Cluster) (bool, error) {
	if cluster == nil || cluster.Spec.CellGroup == "" || !slices.ContainsFunc(svc.Spec.LoadBalancers, func(lb ecsv1.LoadBalancer) bool { return lb.ContainerPort != nil }) {
		return false, nil
	}
	cg := &ecsv1.CellGroup{}
	if err := r.Get(ctx, client.ObjectKey{Name: cluster.Spec.CellGroup}, cg); err != nil {
		return false, client.IgnoreNotFound(err)
	}
	if cg.Spec.Ingress == nil || cg.Spec.Ingress.Gateway == nil {
		return false, nil
	}
	if _, err := r.RESTMapper().RESTMapping(httpRouteKind, "v1"); err != nil {
		if meta.IsNoMatchError(err) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}
