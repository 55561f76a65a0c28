package controllers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
	"github.com/ecs-operator/ecs-operator/internal/taskview"
	"github.com/ecs-operator/ecs-operator/internal/translate"
)

// +kubebuilder:rbac:groups=ecs.operator.dev,resources=tasks,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=ecs.operator.dev,resources=tasks/status;tasks/finalizers,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;create;delete

// TaskReconciler runs a Task as one Pod (restartPolicy Never) and reports ECS's task lifecycle:
// lastStatus, health, stop code and reason, container exit codes. It stops the task when an
// essential container exits, as ECS does, and stops it with UserInitiated when it is deleted.
type TaskReconciler struct {
	client.Client
	Scheme   *runtime.Scheme
	Recorder events.EventRecorder
	Clock    clock.PassiveClock
	// APIReader confirms past the cache that a task's Pod is really gone.
	APIReader client.Reader
	Applier   *shared.Applier
}

// Reconcile moves a Task through its lifecycle.
func (r *TaskReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	task := &ecsv1.Task{}
	if err := r.Get(ctx, req.NamespacedName, task); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	original := task.DeepCopy()
	defer func() {
		if err == nil {
			task.Status.ObservedGeneration = task.Generation
		}
		shared.FinishStatus(ctx, r.Client, task, original, &result, &err)
	}()
	now := metav1.NewTime(r.Clock.Now())

	pod, err := r.taskPod(ctx, task)
	if err != nil {
		return ctrl.Result{}, err
	}

	if !task.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.stopOnDelete(ctx, task, pod, now)
	}
	if task.Status.LastStatus == ecsv1.TaskStopped {
		// A stopped task never runs again; its Pod, if still there, is removed.
		return ctrl.Result{}, r.deletePod(ctx, pod)
	}
	if reason, ok := task.Annotations[ecsv1.AnnotationStopReason]; ok {
		// StopTask: the task stops, UserInitiated, and stays, STOPPED, to be described.
		if reason == "" {
			reason = "Task stopped by user"
		}
		return r.stopTask(ctx, task, &original, pod, taskStop{Code: ecsv1.StopCodeUserInitiated, Reason: reason}, now)
	}
	if err := shared.AddFinalizer(ctx, r.Client, task); err != nil {
		return ctrl.Result{}, err
	}

	if pod == nil && task.Status.PodName != "" {
		// The Pod was made before: it may have been removed behind the task's back (deleted,
		// evicted, its node lost). A stopped task never runs again, so that is a stop.
		gone, err := r.podGone(ctx, task)
		if err != nil || !gone {
			return ctrl.Result{}, err
		}
		stop := taskStop{Code: ecsv1.StopCodeTerminationNotice, Reason: fmt.Sprintf("Task stopped: its pod %s was removed", task.Status.PodName)}
		markTaskStopped(task, stop, now)
		r.Recorder.Eventf(task, nil, corev1.EventTypeWarning, string(stop.Code), "Stop", "%s", stop.Reason)
		return ctrl.Result{}, nil
	}
	if pod == nil {
		return r.startTask(ctx, task, now)
	}
	computeTaskStatus(task, pod, now)
	if stop := stopDecision(pod); stop.Code != "" {
		return r.stopTask(ctx, task, &original, pod, stop, now)
	}
	return ctrl.Result{}, nil
}

// stopTask stops a running task: it records the stop (the status patch goes first, so the Task
// is never started again even if the Pod's delete is retried), then removes the Pod. original
// is the Reconcile's base for its deferred status patch, moved past this one.
func (r *TaskReconciler) stopTask(ctx context.Context, task *ecsv1.Task, original **ecsv1.Task, pod *corev1.Pod, stop taskStop, now metav1.Time) (ctrl.Result, error) {
	markTaskStopped(task, stop, now)
	r.Recorder.Eventf(task, pod, corev1.EventTypeNormal, string(stop.Code), "Stop", "%s", stop.Reason)
	conflict, err := shared.PatchStatus(ctx, r.Client, task, *original)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("recording the stop: %w", err)
	}
	*original = task.DeepCopy()
	if conflict {
		// The Task changed meanwhile: decide again on the newer one, Pod left as it is.
		return ctrl.Result{RequeueAfter: shared.RequeueOnConflict}, nil
	}
	return ctrl.Result{}, r.deletePod(ctx, pod)
}

// startTask resolves the task definition (the latest revision when the Task names a family)
// and creates the task's Pod.
func (r *TaskReconciler) startTask(ctx context.Context, task *ecsv1.Task, now metav1.Time) (ctrl.Result, error) {
	reference := string(task.Spec.TaskDefinition)
	if task.Status.TaskDefinition != "" {
		// The revision is fixed when the task first resolves it, as RunTask does.
		reference = shared.PinnedReference(reference, task.Status.TaskDefinition)
	}
	resolved, err := shared.ResolveTaskDefinition(ctx, r, task.Namespace, reference)
	var refErr *shared.ReferenceError
	switch {
	case errors.As(err, &refErr):
		// The task waits, Stalled, until the task definition it names exists (the
		// TaskDefinition watch brings it back); it has not started, so it has not failed.
		task.Status.LastStatus = ecsv1.TaskProvisioning
		task.Status.DesiredStatus = ecsv1.TaskRunning
		if !shared.IsStalledWith(task.Status.Conditions, shared.ReasonTaskDefinitionMiss) {
			r.Recorder.Eventf(task, nil, corev1.EventTypeWarning, shared.ReasonTaskDefinitionMiss, "Start", "%s", refErr.Error())
		}
		shared.SetStalled(&task.Status.Conditions, task.Generation, shared.ReasonTaskDefinitionMiss, refErr.Error())
		return ctrl.Result{}, nil
	case errors.Is(err, shared.ErrRevisionPending):
		// The revision's creation wakes the Task (watch), as it does Services.
		task.Status.LastStatus = ecsv1.TaskProvisioning
		task.Status.DesiredStatus = ecsv1.TaskRunning
		shared.SetReconciling(&task.Status.Conditions, task.Generation, shared.ReasonProgressing, "waiting for the task definition to be registered")
		return ctrl.Result{}, nil
	case err != nil:
		return ctrl.Result{}, err
	}
	task.Status.TaskDefinition = resolved.String()

	cluster, err := shared.ClusterForNamespace(ctx, r.Client, task.Namespace)
	if err != nil {
		return ctrl.Result{}, err
	}
	provider, err := taskCapacityProvider(task, cluster)
	if err != nil {
		markTaskStopped(task, taskStop{Code: ecsv1.StopCodeTaskFailedToStart, Reason: err.Error()}, now)
		return ctrl.Result{}, nil
	}
	out, err := translate.PodTemplate(translate.Input{
		Family: resolved.Family, Revision: resolved.Number, TaskDefinition: resolved.Spec,
		Overrides: task.Spec.Overrides, CapacityProvider: shared.WithTenantNodes(provider, cluster),
		PlacementConstraints: task.Spec.PlacementConstraints,
		SelectorLabels:       map[string]string{ecsv1.LabelTask: shared.LabelValue(task.Name)},
		Namespace:            task.Namespace,
		RestartPolicy:        corev1.RestartPolicyNever,
		PodSecurity:          shared.PodSecurity(cluster),
	})
	if err != nil {
		markTaskStopped(task, taskStop{Code: ecsv1.StopCodeTaskFailedToStart, Reason: err.Error()}, now)
		shared.SetStalled(&task.Status.Conditions, task.Generation, shared.ReasonInvalidSpec, err.Error())
		r.Recorder.Eventf(task, nil, corev1.EventTypeWarning, shared.ReasonInvalidSpec, "Start", "%s", err.Error())
		return ctrl.Result{}, nil
	}
	if unsupported := append(out.Unsupported, shared.TaskSettingNotes(&task.Spec)...); len(unsupported) > 0 {
		msg := strings.Join(unsupported, "; ")
		r.Recorder.Eventf(task, nil, corev1.EventTypeWarning, "UnsupportedSettings", "Translate", "%s", msg)
		shared.SetCondition(&task.Status.Conditions, task.Generation, shared.ConditionUnsupported, metav1.ConditionTrue, "NotExpressible", msg)
	}
	if err := r.Applier.ApplyTaskSupport(ctx, task.Namespace, out); err != nil {
		return ctrl.Result{}, err
	}
	pod := desiredTaskPod(task, resolved, out.Template)
	if err := r.Create(ctx, pod); err != nil && !apierrors.IsAlreadyExists(err) {
		return ctrl.Result{}, fmt.Errorf("creating the task's pod: %w", err)
	}
	r.Recorder.Eventf(task, pod, corev1.EventTypeNormal, "TaskStarted", "Start", "Started task %s of %s", task.Name, resolved)
	task.Status.LastStatus = ecsv1.TaskProvisioning
	task.Status.DesiredStatus = ecsv1.TaskRunning
	task.Status.PodName = pod.Name
	shared.SetReconciling(&task.Status.Conditions, task.Generation, shared.ReasonProgressing, "provisioning the task")
	return ctrl.Result{}, nil
}

// desiredTaskPod builds the Pod of a Task from its translated template.
func desiredTaskPod(task *ecsv1.Task, resolved *shared.ResolvedRevision, template corev1.PodTemplateSpec) *corev1.Pod {
	pod := &corev1.Pod{
		ObjectMeta: *template.ObjectMeta.DeepCopy(),
		Spec:       *template.Spec.DeepCopy(),
	}
	pod.Name = task.Name
	pod.Namespace = task.Namespace
	pod.Labels = shared.MergeLabels(pod.Labels, map[string]string{
		ecsv1.LabelTask:      shared.LabelValue(task.Name),
		ecsv1.LabelManagedBy: ecsv1.ManagedByValue,
	})
	pod.Annotations = shared.MergeLabels(pod.Annotations, map[string]string{
		ecsv1.AnnotationTaskDefinition: resolved.String(),
		taskview.AnnotationEssential:   taskview.EssentialAnnotation(resolved.Spec),
	})
	pod.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(task, ecsv1.GroupVersion.WithKind("Task"))}
	pod.Spec.RestartPolicy = corev1.RestartPolicyNever
	return pod
}

// taskCapacityProvider picks the provider a Task runs on: its launch type's, the first of its
// strategy's split of one task, or the Cluster's default strategy's.
func taskCapacityProvider(task *ecsv1.Task, cluster *ecsv1.Cluster) (*ecsv1.CapacityProvider, error) {
	if cluster == nil {
		return nil, nil
	}
	if lt := task.Spec.LaunchType; lt != "" {
		for i := range cluster.Spec.CapacityProviders {
			if string(cluster.Spec.CapacityProviders[i].Type) == string(lt) {
				return &cluster.Spec.CapacityProviders[i], nil
			}
		}
		return nil, nil
	}
	strategy := task.Spec.CapacityProviderStrategy
	if len(strategy) == 0 {
		strategy = cluster.Spec.DefaultCapacityProviderStrategy
	}
	if len(strategy) == 0 {
		return nil, nil
	}
	shares, err := translate.SplitTasks(strategy, 1)
	if err != nil {
		return nil, fmt.Errorf("capacityProviderStrategy: %w", err)
	}
	for _, s := range shares {
		if s.Count == 0 {
			continue
		}
		for i := range cluster.Spec.CapacityProviders {
			if cluster.Spec.CapacityProviders[i].Name == s.CapacityProvider {
				return &cluster.Spec.CapacityProviders[i], nil
			}
		}
		return nil, fmt.Errorf("capacity provider %q is not one of cluster %s's capacity providers", s.CapacityProvider, cluster.Name)
	}
	return nil, nil
}

// stopOnDelete stops a deleted Task's Pod (UserInitiated) and lets the Task go once it is gone.
func (r *TaskReconciler) stopOnDelete(ctx context.Context, task *ecsv1.Task, pod *corev1.Pod, now metav1.Time) error {
	if !controllerutil.ContainsFinalizer(task, ecsv1.Finalizer) {
		return nil
	}
	reason := "Task stopped by user"
	if given := task.Annotations[ecsv1.AnnotationStopReason]; given != "" {
		reason = given // StopTask's reason
	}
	if pod != nil {
		if task.Status.LastStatus != ecsv1.TaskStopped {
			if task.Status.StopCode == "" {
				task.Status.StopCode = ecsv1.StopCodeUserInitiated
				task.Status.StoppedReason = reason
				r.Recorder.Eventf(task, pod, corev1.EventTypeNormal, string(ecsv1.StopCodeUserInitiated), "Stop", "%s", reason)
			}
			task.Status.DesiredStatus = ecsv1.TaskStopped
			task.Status.LastStatus = ecsv1.TaskStopping
		}
		return r.deletePod(ctx, pod)
	}
	if task.Status.LastStatus != ecsv1.TaskStopped {
		markTaskStopped(task, taskStop{Code: ecsv1.StopCodeUserInitiated, Reason: reason}, now)
	}
	return shared.RemoveFinalizer(ctx, r.Client, task)
}

func (r *TaskReconciler) deletePod(ctx context.Context, pod *corev1.Pod) error {
	if pod == nil || !pod.DeletionTimestamp.IsZero() {
		return nil
	}
	if err := r.Delete(ctx, pod, client.Preconditions{UID: &pod.UID}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("stopping the task's pod: %w", err)
	}
	return nil
}

// podGone confirms past the cache that the task's Pod no longer exists (the cache may simply
// not have seen a Pod created a moment ago).
func (r *TaskReconciler) podGone(ctx context.Context, task *ecsv1.Task) (bool, error) {
	pod := &corev1.Pod{}
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: task.Namespace, Name: task.Status.PodName}, pod)
	switch {
	case apierrors.IsNotFound(err):
		return true, nil
	case err != nil:
		return false, err
	}
	owner := metav1.GetControllerOf(pod)
	return owner == nil || owner.UID != task.UID, nil
}

// taskPod reads the Task's Pod; nil when there is none (or the Pod there is not the Task's).
func (r *TaskReconciler) taskPod(ctx context.Context, task *ecsv1.Task) (*corev1.Pod, error) {
	pod := &corev1.Pod{}
	err := r.Get(ctx, client.ObjectKey{Namespace: task.Namespace, Name: task.Name}, pod)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, err
	}
	if owner := metav1.GetControllerOf(pod); owner == nil || owner.UID != task.UID {
		return nil, nil
	}
	return pod, nil
}

// tasksOfTaskDefinition maps a TaskDefinition to the Tasks that have not started yet and name
// its family, so that a Task created before its task definition starts once it exists.
func (r *TaskReconciler) tasksOfTaskDefinition(ctx context.Context, o client.Object) []reconcile.Request {
	td := o.(*ecsv1.TaskDefinition)
	return r.waitingTasks(ctx, td.Namespace+"/"+shared.EffectiveFamily(td))
}

func (r *TaskReconciler) tasksOfRevision(ctx context.Context, o client.Object) []reconcile.Request {
	family, ok := o.GetLabels()[ecsv1.LabelFamily]
	if !ok {
		return nil
	}
	return r.waitingTasks(ctx, o.GetNamespace()+"/"+family)
}

func (r *TaskReconciler) waitingTasks(ctx context.Context, key string) []reconcile.Request {
	list := &ecsv1.TaskList{}
	if err := r.List(ctx, list, client.MatchingFields{shared.IndexTaskDefinitionRef: key}); err != nil {
		return nil
	}
	var reqs []reconcile.Request
	for _, t := range list.Items {
		if t.Status.PodName == "" && t.Status.LastStatus != ecsv1.TaskStopped {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&t)})
		}
	}
	return reqs
}

// SetupWithManager watches Tasks, their Pods, and the task definitions of Tasks that wait.
func (r *TaskReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&ecsv1.Task{}, builder.WithPredicates(shared.SpecOrMetadataChanged)).
		Owns(&corev1.Pod{}).
		Watches(&ecsv1.TaskDefinition{}, handler.EnqueueRequestsFromMapFunc(r.tasksOfTaskDefinition), builder.WithPredicates(shared.CreateOrDelete)).
		Watches(&appsv1.ControllerRevision{}, handler.EnqueueRequestsFromMapFunc(r.tasksOfRevision), builder.WithPredicates(shared.CreateOrDelete)).
		Named("task").
		Complete(r)
}
