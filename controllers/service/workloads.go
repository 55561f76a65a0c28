package service

import (
	"time"

	"context"
	"fmt"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ecs-operator/ecs-operator/controllers/shared"
	"github.com/ecs-operator/ecs-operator/internal/taskview"
	"github.com/ecs-operator/ecs-operator/internal/translate"
)

// appliedChildren is what applyChildren did and found.
type appliedChildren struct {
	desired      int32
	desiredKnown bool
	// launchFailures are why the workload controllers could not create tasks (quota, Pod
	// Security, admission), as their ReplicaFailure conditions say.
	launchFailures []string
	// problems hold a rollout back (Stalled, the Service keeps running).
	problems []string
	// unsupported are ECS settings Kubernetes cannot express (reported, not blocking).
	unsupported []string
	// stalled is a spec error that keeps the children from being written at all.
	stalled, stallReason string
	// ownershipConflict is set when an object of someone else's holds a child's name.
	ownershipConflict bool
	// unsettled is set while a Deployment is still rolling: its template was just changed, or
	// its controller has not caught up with it, or it still runs tasks of an older template
	// that may not have reached the cache yet.
	unsettled bool
	// lifecycle is where a BLUE_GREEN, LINEAR or CANARY deployment is, nil for ROLLING and for
	// a deployment that completed or rolls back.
	lifecycle *stageResult
	// blue is the revision a BLUE_GREEN, LINEAR or CANARY deployment replaces, nil if none.
	blue *deploymentKey
}

// annotationTemplateHash on a Deployment or DaemonSet is the hash of the task template it was
// given, so that a rollout ECS would refuse can be recognised and held.
const annotationTemplateHash = "ecs.operator.dev/template-hash"

// applyChildren writes the Service's workloads and companions and removes the ones it no
// longer needs.
func (r *Reconciler) applyChildren(ctx context.Context, svc *ecsv1.Service, plan *deploymentPlan) (appliedChildren, error) {
	var res appliedChildren
	providers, err := capacityShares(svc, plan.cluster)
	if err != nil {
		res.stalled, res.stallReason = err.Error(), shared.ReasonInvalidSpec
		return res, nil
	}
	maximum, minimumHealthy := percentages(svc)

	templates := map[string]translate.Output{}
	for _, share := range providers {
		in := r.translateInput(svc, plan, share.provider)
		out, err := translate.PodTemplate(in)
		if err != nil {
			res.stalled, res.stallReason = err.Error(), shared.ReasonInvalidSpec
			return res, nil
		}
		out.Template.Annotations = shared.MergeLabels(out.Template.Annotations, map[string]string{
			ecsv1.AnnotationTaskDefinition:     plan.primary.TaskDefinition,
			ecsv1.AnnotationForceNewDeployment: plan.primary.Token,
			taskview.AnnotationEssential:       taskview.EssentialAnnotation(plan.spec),
		})
		out.Template.Labels = shared.MergeLabels(out.Template.Labels, map[string]string{labelRevision: revisionLabel(svc, plan.primary)})
		templates[share.name] = out
		res.unsupported = append(res.unsupported, out.Unsupported...)
		if err := r.Applier.ApplyTaskSupport(ctx, svc.Namespace, out); err != nil {
			return res, err
		}
	}

	traffic := trafficSelectors{production: serviceSelector(svc)}
	switch {
	case svc.Spec.SchedulingStrategy == ecsv1.SchedulingDaemon:
		minReady := translate.MinReadySeconds(plan.spec, r.uncheckedTaskWait())
		if err := r.applyDaemonSet(ctx, svc, templates[providers[0].name].Template, minimumHealthy, minReady, &res); err != nil {
			return res, err
		}
	case deploymentStrategy(svc) != ecsv1.StrategyRolling:
		if traffic, err = r.applyRevisions(ctx, svc, plan, providers, templates, minimumHealthy, &res); err != nil {
			return res, err
		}
	default:
		if err := r.applyDeployments(ctx, svc, plan, providers, templates, maximum, minimumHealthy, &res); err != nil {
			return res, err
		}
	}
	if res.stalled != "" {
		return res, nil
	}

	services := desiredPortServices(svc, plan.spec, traffic)
	connect, connectProblems := desiredServiceConnectServices(svc, plan.spec, traffic.production)
	res.unsupported = append(res.unsupported, connectProblems...)
	if err := r.applyTrafficServices(ctx, svc, append(services, connect...), &res); err != nil {
		return res, err
	}

	return res, r.applyAutoScaling(ctx, svc, &res)
}

// applyTrafficServices writes the Kubernetes Services that carry the Service's traffic and
// removes the ones it no longer needs.
func (r *Reconciler) applyTrafficServices(ctx context.Context, svc *ecsv1.Service, services []*corev1.Service, res *appliedChildren) error {
	keep := map[string]bool{}
	for _, s := range services {
		if keep[s.Name] {
			continue
		}
		if err := r.Applier.ApplyCached(ctx, s, &corev1.Service{}); err != nil {
			if problem := shared.OwnershipProblem(err); problem != "" {
				res.problems, res.ownershipConflict = append(res.problems, problem), true
				continue
			}
			return err
		}
		keep[s.Name] = true
	}
	return r.deleteStale(ctx, svc, &corev1.ServiceList{}, keep)
}

// applyAutoScaling writes the Service's HorizontalPodAutoscaler, or removes it.
func (r *Reconciler) applyAutoScaling(ctx context.Context, svc *ecsv1.Service, res *appliedChildren) error {
	hpa := desiredHorizontalPodAutoscaler(svc)
	if hpa == nil {
		return r.deleteStale(ctx, svc, &autoscalingv2.HorizontalPodAutoscalerList{}, nil)
	}
	if err := r.Applier.ApplyCached(ctx, hpa, &autoscalingv2.HorizontalPodAutoscaler{}); err != nil {
		problem := shared.OwnershipProblem(err)
		if problem == "" {
			return err
		}
		res.problems, res.ownershipConflict = append(res.problems, problem), true
	}
	return nil
}

// applyDeployments writes a REPLICA service's Deployment (one per capacity provider share),
// with ECS's rollout bounds for each share, and its PodDisruptionBudget.
func (r *Reconciler) applyDeployments(ctx context.Context, svc *ecsv1.Service, plan *deploymentPlan, providers []providerShare,
	templates map[string]translate.Output, maximum, minimumHealthy int32, res *appliedChildren) error {
	res.desired = ptr.Deref(svc.Spec.DesiredCount, 0)
	res.desiredKnown = true
	keep := map[string]bool{}
	rolledOut := true
	counts := make([]int32, len(providers))
	for i, share := range providers {
		counts[i] = share.count(res.desired)
	}
	// ECS bounds the whole Service: the shares' Deployments split its budget between them.
	rollouts, blocked := translate.SplitRollingUpdate(counts, maximum, minimumHealthy)
	for i, share := range providers {
		w := serviceWorkload{Name: share.name, CapacityProvider: share.label, Replicas: counts[i], Template: templates[share.name].Template}
		var rollout translate.RollingUpdate
		if blocked == nil {
			rollout = rollouts[i]
		}
		current := &appsv1.Deployment{}
		var cur client.Object
		switch err := r.Get(ctx, client.ObjectKey{Namespace: svc.Namespace, Name: w.Name}, current); {
		case err == nil:
			cur = current
			if c := replicaFailure(current); c != nil && c.Status == corev1.ConditionTrue {
				res.launchFailures = append(res.launchFailures, c.Message)
			}
		case !apierrors.IsNotFound(err):
			return err
		}
		hash, err := shared.ContentHash(w.Template)
		if err != nil {
			return err
		}
		if blocked != nil {
			// ECS refuses to deploy: keep the running template and only scale.
			if cur != nil && current.Annotations[annotationTemplateHash] != hash {
				running, err := r.runningTemplate(ctx, current)
				if err != nil {
					return err
				}
				w.Template, hash = running, current.Annotations[annotationTemplateHash]
				res.problems = append(res.problems, fmt.Sprintf("(service %s) %s", svc.Name, blocked.Error()))
			}
			rollout = translate.RollingUpdate{MaxSurge: 1}
		}
		if cur != nil && (current.Annotations[annotationTemplateHash] != hash || !deploymentSettled(current)) {
			res.unsettled = true
		}
		if cur == nil || current.Status.AvailableReplicas < w.Replicas {
			rolledOut = false
		}
		d := desiredDeployment(svc, w, rollout)
		d.Spec.MinReadySeconds = translate.MinReadySeconds(plan.spec, r.uncheckedTaskWait())
		d.Annotations = map[string]string{annotationTemplateHash: hash}
		d.Spec.Paused = plan.paused
		if cur != nil && zoneRebalancing(svc) && ptr.Deref(current.Spec.Replicas, 0) > w.Replicas {
			if err := r.orderScaleIn(ctx, plan.pods, d.Spec.Selector.MatchLabels); err != nil {
				return err
			}
		}
		if err := r.Applier.ApplyOwned(ctx, d, cur); err != nil {
			if problem := shared.OwnershipProblem(err); problem != "" {
				res.stalled, res.stallReason, res.ownershipConflict = problem, shared.ReasonInvalidSpec, true
				return nil
			}
			return err
		}
		keep[w.Name] = true
	}
	if !rolledOut {
		// Coming from BLUE_GREEN, LINEAR or CANARY: the revisions' Deployments keep serving
		// until the rolling Deployment runs every task.
		if err := r.keepRevisionDeployments(ctx, svc, keep); err != nil {
			return err
		}
	}
	if err := r.deleteStale(ctx, svc, &appsv1.DeploymentList{}, keep); err != nil {
		return err
	}
	if err := r.deleteStale(ctx, svc, &appsv1.DaemonSetList{}, nil); err != nil {
		return err
	}
	return r.applyPodDisruptionBudget(ctx, svc, res.desired, minimumHealthy, res)
}

// keepRevisionDeployments adds the Service's revision Deployments to keep.
func (r *Reconciler) keepRevisionDeployments(ctx context.Context, svc *ecsv1.Service, keep map[string]bool) error {
	list := &appsv1.DeploymentList{}
	if err := r.List(ctx, list, client.InNamespace(svc.Namespace), client.MatchingLabels(serviceSelector(svc))); err != nil {
		return fmt.Errorf("listing deployments: %w", err)
	}
	for i := range list.Items {
		if isRevisionDeployment(&list.Items[i]) {
			keep[list.Items[i].Name] = true
		}
	}
	return nil
}

// replicaFailure is a Deployment's ReplicaFailure condition: why its tasks could not be created.
func replicaFailure(d *appsv1.Deployment) *appsv1.DeploymentCondition {
	for i := range d.Status.Conditions {
		if d.Status.Conditions[i].Type == appsv1.DeploymentReplicaFailure {
			return &d.Status.Conditions[i]
		}
	}
	return nil
}

// applyDaemonSet writes a DAEMON service's DaemonSet. The number of tasks is the DaemonSet's
// count of nodes to run on, known once its controller has observed it.
func (r *Reconciler) applyDaemonSet(ctx context.Context, svc *ecsv1.Service, template corev1.PodTemplateSpec,
	minimumHealthy, minReadySeconds int32, res *appliedChildren) error {
	current := &appsv1.DaemonSet{}
	var cur client.Object
	switch err := r.Get(ctx, client.ObjectKey{Namespace: svc.Namespace, Name: svc.Name}, current); {
	case err == nil:
		cur = current
		res.desired = current.Status.DesiredNumberScheduled
		res.desiredKnown = current.Status.ObservedGeneration >= current.Generation && current.Generation > 0
	case !apierrors.IsNotFound(err):
		return err
	}
	// The bounds use the node count the DaemonSet's controller last reported, even while it has
	// not yet observed our latest change: switching to the percentage then would rewrite the
	// DaemonSet back and forth.
	counted := cur != nil && current.Status.ObservedGeneration > 0
	update := translate.DaemonUpdateFor(res.desired, counted, minimumHealthy)
	ds := desiredDaemonSet(svc, template, update)
	ds.Spec.MinReadySeconds = minReadySeconds
	hash, err := shared.ContentHash(ds.Spec.Template)
	if err != nil {
		return err
	}
	if update.Blocked && cur != nil && current.Annotations[annotationTemplateHash] != hash {
		running, err := r.runningTemplate(ctx, current)
		if err != nil {
			return err
		}
		ds.Spec.Template = running
		hash = current.Annotations[annotationTemplateHash]
		res.problems = append(res.problems, fmt.Sprintf("(service %s) %s", svc.Name, translate.ErrDeploymentBlocked.Error()))
	}
	ds.Annotations = map[string]string{annotationTemplateHash: hash}
	if err := r.Applier.ApplyOwned(ctx, ds, cur); err != nil {
		if problem := shared.OwnershipProblem(err); problem != "" {
			res.stalled, res.stallReason, res.ownershipConflict = problem, shared.ReasonInvalidSpec, true
			return nil
		}
		return err
	}
	if err := r.deleteStale(ctx, svc, &appsv1.DeploymentList{}, nil); err != nil {
		return err
	}
	return r.deleteStale(ctx, svc, &policyv1.PodDisruptionBudgetList{}, nil)
}

// deleteStale deletes the Service's children of one kind that are not in keep.
func (r *Reconciler) deleteStale(ctx context.Context, svc *ecsv1.Service, list client.ObjectList, keep map[string]bool) error {
	if err := r.List(ctx, list, client.InNamespace(svc.Namespace), client.MatchingLabels(serviceSelector(svc))); err != nil {
		return err
	}
	items, err := shared.MetaItems(list)
	if err != nil {
		return err
	}
	for _, o := range items {
		if keep[o.GetName()] {
			continue
		}
		if owner := metav1.GetControllerOf(o); owner == nil || owner.UID != svc.UID {
			continue
		}
		if err := r.Delete(ctx, o, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting %s: %w", o.GetName(), err)
		}
	}
	return nil
}

func (r *Reconciler) translateInput(svc *ecsv1.Service, plan *deploymentPlan, provider *ecsv1.CapacityProvider) translate.Input {
	return translate.Input{
		Family:                        plan.family,
		Revision:                      plan.revision,
		TaskDefinition:                plan.spec,
		CapacityProvider:              shared.WithTenantNodes(provider, plan.cluster),
		PlacementConstraints:          svc.Spec.PlacementConstraints,
		PlacementStrategy:             svc.Spec.PlacementStrategy,
		SelectorLabels:                serviceSelector(svc),
		Namespace:                     svc.Namespace,
		RestartPolicy:                 corev1.RestartPolicyAlways,
		HealthCheckGracePeriodSeconds: svc.Spec.HealthCheckGracePeriodSeconds,
		PodSecurity:                   shared.PodSecurity(plan.cluster),
		ZoneRebalancing:               zoneRebalancing(svc),
	}
}

// runningTemplate reads the task template a Deployment or DaemonSet runs now past the cache,
// which keeps only the template's metadata.
func (r *Reconciler) runningTemplate(ctx context.Context, current client.Object) (corev1.PodTemplateSpec, error) {
	live, ok := current.DeepCopyObject().(client.Object)
	if !ok {
		return corev1.PodTemplateSpec{}, fmt.Errorf("%T is not a client.Object", current)
	}
	if err := r.Applier.Reader.Get(ctx, client.ObjectKeyFromObject(current), live); err != nil {
		return corev1.PodTemplateSpec{}, fmt.Errorf("reading the running template of %s: %w", current.GetName(), err)
	}
	switch w := live.(type) {
	case *appsv1.Deployment:
		return w.Spec.Template, nil
	case *appsv1.DaemonSet:
		return w.Spec.Template, nil
	}
	return corev1.PodTemplateSpec{}, fmt.Errorf("%T runs no task template", live)
}

// uncheckedTaskWait is how long a task without an essential health check waits before it counts
// as available: ECS's 40 s unless the operator was told otherwise.
func (r *Reconciler) uncheckedTaskWait() time.Duration {
	if r.UncheckedTaskWait != nil {
		return *r.UncheckedTaskWait
	}
	return translate.UncheckedTaskWait
}

// zoneRebalancing is a Service's availabilityZoneRebalancing, ENABLED when unset as ECS's
// CreateService defaults it; never for DAEMON services.
func zoneRebalancing(svc *ecsv1.Service) bool {
	return svc.Spec.SchedulingStrategy != ecsv1.SchedulingDaemon && svc.Spec.AvailabilityZoneRebalancing != ecsv1.Disabled
}

// deploymentSettled reports a Deployment whose controller has observed its latest spec and
// runs only tasks of its current template. One no controller has looked at yet (just created)
// counts as settled: its tasks, which the Service counts, say where it is.
func deploymentSettled(d *appsv1.Deployment) bool {
	if d.Status.ObservedGeneration == 0 {
		return true
	}
	return d.Status.ObservedGeneration >= d.Generation && d.Status.Replicas == d.Status.UpdatedReplicas
}
