package controllers

import (
	"context"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
)

// +kubebuilder:rbac:groups=ecs.operator.dev,resources=taskdefinitions,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=ecs.operator.dev,resources=taskdefinitions/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=apps,resources=controllerrevisions,verbs=get;list;watch;create;delete

// TaskDefinitionReconciler turns each new spec of a TaskDefinition into an immutable, numbered
// revision (1, 2, 3… as in ECS), stored as an apps/v1 ControllerRevision owned by the
// TaskDefinition, and prunes the revisions beyond revisionHistoryLimit that nothing uses.
type TaskDefinitionReconciler struct {
	client.Client
	Scheme   *runtime.Scheme
	Recorder events.EventRecorder
	// APIReader tells a revision the cache has not seen yet from one that was deleted.
	APIReader client.Reader
}

// Reconcile registers a new revision when the spec differs from the latest revision.
func (r *TaskDefinitionReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	log := ctrl.LoggerFrom(ctx)
	td := &ecsv1.TaskDefinition{}
	if err := r.Get(ctx, req.NamespacedName, td); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !td.DeletionTimestamp.IsZero() {
		// Revisions are owned by the TaskDefinition; garbage collection removes them.
		return ctrl.Result{}, nil
	}

	original := td.DeepCopy()
	defer func() {
		if err == nil {
			td.Status.ObservedGeneration = td.Generation
		}
		shared.FinishStatus(ctx, r.Client, td, original, &result, &err)
	}()

	family := shared.EffectiveFamily(td)
	td.Status.Family = family
	if owner, err := shared.TaskDefinitionForFamily(ctx, r, td.Namespace, family); err != nil {
		return ctrl.Result{}, err
	} else if owner != nil && owner.UID != td.UID {
		msg := fmt.Sprintf("family %q is already registered by TaskDefinition %q in this namespace", family, owner.Name)
		if !shared.IsStalledWith(td.Status.Conditions, shared.ReasonFamilyConflict) {
			r.Recorder.Eventf(td, nil, corev1.EventTypeWarning, shared.ReasonFamilyConflict, "Register", "%s", msg)
		}
		shared.SetStalled(&td.Status.Conditions, td.Generation, shared.ReasonFamilyConflict, msg)
		return ctrl.Result{}, nil
	}

	revs, err := r.ownedRevisions(ctx, td)
	if err != nil {
		return ctrl.Result{}, err
	}
	hash, err := revisionHash(&td.Spec)
	if err != nil {
		return ctrl.Result{}, err
	}
	if len(revs) == 0 || revs[0].Labels[ecsv1.LabelRevisionHash] != hash {
		next := latestNumber(revs) + 1
		if td.Status.Revision >= next {
			// The status names a revision the cache does not hold: either the cache is behind
			// (registering now would make a second revision of the same content) or someone
			// deleted it (numbers are never reused). One read past the cache tells.
			switch lagging, err := r.revisionExists(ctx, td, td.Status.Revision); {
			case err != nil:
				return ctrl.Result{}, err
			case lagging:
				return ctrl.Result{RequeueAfter: shared.RequeueOnConflict}, nil
			}
			next = td.Status.Revision + 1
		}
		rev, err := desiredRevision(td, family, next, hash)
		if err != nil {
			return ctrl.Result{}, err
		}
		// Revision names are numbered, so a revision made a moment ago that the cache has not
		// seen yet makes this create fail instead of registering it twice.
		if err := r.Create(ctx, rev); apierrors.IsAlreadyExists(err) {
			return ctrl.Result{RequeueAfter: shared.RequeueOnConflict}, nil
		} else if err != nil {
			return ctrl.Result{}, fmt.Errorf("registering revision %s:%d: %w", family, next, err)
		}
		log.Info("registered task definition revision", "family", family, "revision", next)
		if next > 1 {
			// The first revision is the TaskDefinition's creation, which its status shows.
			r.Recorder.Eventf(td, rev, corev1.EventTypeNormal, "RevisionRegistered", "Register",
				"Registered task definition %s:%d", family, next)
		}
		revs = append([]appsv1.ControllerRevision{*rev}, revs...)
	}
	td.Status.Revision = revs[0].Revision

	inUse, err := r.revisionsInUse(ctx, td.Namespace, family)
	if err != nil {
		return ctrl.Result{}, err
	}
	pruned := map[int64]bool{}
	for _, rev := range revisionsToPrune(revs, historyLimit(td), inUse) {
		if err := r.Delete(ctx, &rev, client.Preconditions{UID: &rev.UID}); err != nil && !apierrors.IsNotFound(err) {
			return ctrl.Result{}, fmt.Errorf("pruning revision %s:%d: %w", family, rev.Revision, err)
		}
		pruned[rev.Revision] = true
		log.V(1).Info("pruned task definition revision", "family", family, "revision", rev.Revision)
	}
	var kept []appsv1.ControllerRevision
	for _, rev := range revs {
		if !pruned[rev.Revision] {
			kept = append(kept, rev)
		}
	}
	td.Status.Revisions = computeRevisionsStatus(kept, deregisteredRevisions(td))
	shared.SetReady(&td.Status.Conditions, td.Generation,
		fmt.Sprintf("Revision %s:%d is the latest", family, td.Status.Revision))
	return ctrl.Result{}, nil
}

// ownedRevisions lists the TaskDefinition's revisions from the cache, newest first.
func (r *TaskDefinitionReconciler) ownedRevisions(ctx context.Context, td *ecsv1.TaskDefinition) ([]appsv1.ControllerRevision, error) {
	list := &appsv1.ControllerRevisionList{}
	if err := r.List(ctx, list, client.InNamespace(td.Namespace),
		client.MatchingLabels{ecsv1.LabelTaskDefinition: shared.LabelValue(td.Name)}); err != nil {
		return nil, fmt.Errorf("listing revisions: %w", err)
	}
	var owned []appsv1.ControllerRevision
	for _, rev := range list.Items {
		if ref := metav1.GetControllerOf(&rev); ref != nil && ref.UID == td.UID {
			owned = append(owned, rev)
		}
	}
	sortNewestFirst(owned)
	return owned, nil
}

// revisionExists reads revision n of td past the cache.
func (r *TaskDefinitionReconciler) revisionExists(ctx context.Context, td *ecsv1.TaskDefinition, n int64) (bool, error) {
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: td.Namespace, Name: shared.RevisionName(td.Name, n)}, &appsv1.ControllerRevision{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

func latestNumber(revs []appsv1.ControllerRevision) int64 {
	if len(revs) == 0 {
		return 0
	}
	return revs[0].Revision
}

// revisionsInUse collects the revisions of a family that Services and Tasks, in any namespace
// that references this one, run or pin.
func (r *TaskDefinitionReconciler) revisionsInUse(ctx context.Context, namespace, family string) (map[int64]bool, error) {
	key := namespace + "/" + family
	inUse := map[int64]bool{}
	markRef := func(ref string) {
		if parsed, err := ecs.ParseReference(ref); err == nil && parsed.Family == family && parsed.Revision != 0 {
			inUse[parsed.Revision] = true
		}
	}
	services := &ecsv1.ServiceList{}
	if err := r.List(ctx, services, client.MatchingFields{shared.IndexTaskDefinitionRef: key}); err != nil {
		return nil, fmt.Errorf("listing services of %s: %w", key, err)
	}
	for _, svc := range services.Items {
		markRef(string(svc.Spec.TaskDefinition))
		markRef(svc.Status.TaskDefinition)
		for _, d := range svc.Status.Deployments {
			markRef(d.TaskDefinition)
		}
	}
	taskSets := &ecsv1.TaskSetList{}
	if err := r.List(ctx, taskSets, client.MatchingFields{shared.IndexTaskDefinitionRef: key}); err != nil {
		return nil, fmt.Errorf("listing task sets of %s: %w", key, err)
	}
	for _, ts := range taskSets.Items {
		markRef(string(ts.Spec.TaskDefinition))
		markRef(ts.Status.TaskDefinition)
	}
	tasks := &ecsv1.TaskList{}
	if err := r.List(ctx, tasks, client.MatchingFields{shared.IndexTaskDefinitionRef: key}); err != nil {
		return nil, fmt.Errorf("listing tasks of %s: %w", key, err)
	}
	for _, task := range tasks.Items {
		markRef(string(task.Spec.TaskDefinition))
		markRef(task.Status.TaskDefinition)
	}
	return inUse, nil
}

// SetupWithManager watches TaskDefinitions, their revisions, and the Services, Tasks and
// TaskSets whose use of a revision decides whether it may be pruned.
func (r *TaskDefinitionReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&ecsv1.TaskDefinition{}, builder.WithPredicates(predicate.Or[client.Object](predicate.GenerationChangedPredicate{}, deregistrationChanged))).
		Owns(&appsv1.ControllerRevision{}, builder.WithPredicates(shared.DeleteOnly)).
		Watches(&ecsv1.TaskDefinition{}, handler.EnqueueRequestsFromMapFunc(r.sameFamily), builder.WithPredicates(shared.SpecOrMetadataChanged)).
		Watches(&ecsv1.Service{}, handler.EnqueueRequestsFromMapFunc(r.taskDefinitionsOf), builder.WithPredicates(revisionsInUseChanged)).
		Watches(&ecsv1.Task{}, handler.EnqueueRequestsFromMapFunc(r.taskDefinitionsOf), builder.WithPredicates(revisionsInUseChanged)).
		Watches(&ecsv1.TaskSet{}, handler.EnqueueRequestsFromMapFunc(r.taskDefinitionsOf), builder.WithPredicates(revisionsInUseChanged)).
		Named("taskdefinition").
		Complete(r)
}

// sameFamily maps a TaskDefinition to the others claiming its family, so that the one waiting
// in FamilyConflict takes the family over when the owner goes.
func (r *TaskDefinitionReconciler) sameFamily(ctx context.Context, o client.Object) []reconcile.Request {
	td := o.(*ecsv1.TaskDefinition)
	list := &ecsv1.TaskDefinitionList{}
	if err := r.List(ctx, list, client.InNamespace(td.Namespace), client.MatchingFields{shared.IndexFamily: shared.EffectiveFamily(td)}); err != nil {
		return nil
	}
	var reqs []reconcile.Request
	for _, other := range list.Items {
		if other.UID != td.UID {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&other)})
		}
	}
	return reqs
}

// taskDefinitionsOf maps a Service or Task to the TaskDefinitions of the family it runs.
func (r *TaskDefinitionReconciler) taskDefinitionsOf(ctx context.Context, o client.Object) []reconcile.Request {
	var reference string
	switch o := o.(type) {
	case *ecsv1.Service:
		reference = string(o.Spec.TaskDefinition)
	case *ecsv1.Task:
		reference = string(o.Spec.TaskDefinition)
	case *ecsv1.TaskSet:
		reference = string(o.Spec.TaskDefinition)
	}
	ref, err := ecs.ParseReference(reference)
	if err != nil {
		return nil
	}
	namespace := o.GetNamespace()
	if ref.Namespace != "" {
		namespace = ref.Namespace
	}
	list := &ecsv1.TaskDefinitionList{}
	if err := r.List(ctx, list, client.InNamespace(namespace), client.MatchingFields{shared.IndexFamily: ref.Family}); err != nil {
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, td := range list.Items {
		// Only a TaskDefinition keeping revisions beyond its history limit, because they are in
		// use, has anything to prune when a use changes; the rest are left alone.
		if int32(len(td.Status.Revisions)) <= 1+historyLimit(&td) {
			continue
		}
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: td.Namespace, Name: td.Name}})
	}
	return reqs
}

// historyLimit is how many revisions besides the latest a TaskDefinition keeps when unused.
func historyLimit(td *ecsv1.TaskDefinition) int32 {
	if td.Spec.RevisionHistoryLimit != nil {
		return *td.Spec.RevisionHistoryLimit
	}
	return 10
}

// revisionsInUseChanged lets through the Service and Task changes that can change which
// revisions are in use and may not be pruned: creates, deletes, and a different task
// definition in the spec or in the status.
// deregistrationChanged lets through a change of the revisions deregistered (an annotation,
// which changes no generation): their status must follow.
var deregistrationChanged = predicate.Funcs{
	CreateFunc:  func(event.CreateEvent) bool { return false },
	DeleteFunc:  func(event.DeleteEvent) bool { return false },
	GenericFunc: func(event.GenericEvent) bool { return false },
	UpdateFunc: func(e event.UpdateEvent) bool {
		return e.ObjectOld.GetAnnotations()[ecsv1.AnnotationDeregisteredRevisions] != e.ObjectNew.GetAnnotations()[ecsv1.AnnotationDeregisteredRevisions]
	},
}

var revisionsInUseChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		return !slices.Equal(referencedRevisions(e.ObjectOld), referencedRevisions(e.ObjectNew))
	},
}

func referencedRevisions(o client.Object) []string {
	switch o := o.(type) {
	case *ecsv1.Service:
		refs := []string{string(o.Spec.TaskDefinition), o.Status.TaskDefinition}
		for _, d := range o.Status.Deployments {
			refs = append(refs, d.TaskDefinition)
		}
		return refs
	case *ecsv1.Task:
		return []string{string(o.Spec.TaskDefinition), o.Status.TaskDefinition}
	case *ecsv1.TaskSet:
		return []string{string(o.Spec.TaskDefinition), o.Status.TaskDefinition}
	}
	return nil
}
