// Package ecsops runs ECS operations — describe, list, run and stop tasks, resolve clusters
// and task definition revisions — over a Kubernetes client acting as the caller, for
// kubectl-ecs and the ECS API alike, so that both answer the same way.
package ecsops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
	"github.com/ecs-operator/ecs-operator/internal/taskview"
)

// DescribeServices is DescribeServices: the services named, MISSING failures for the rest.
func (t *Target) DescribeServices(ctx context.Context, names []string) (map[string]any, error) {
	services, failures := []any{}, []any{}
	for _, n := range names {
		name := LastPart(n)
		svc := &ecsv1.Service{}
		if err := t.Client.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: name}, svc); err != nil {
			if apierrors.IsNotFound(err) {
				failures = append(failures, map[string]any{"arn": t.ARNs.Service(t.Cluster, name), "reason": "MISSING"})
				continue
			}
			return nil, err
		}
		desc, err := ecsjson.DescribeService(svc, t.Cluster, t.ARNs)
		if err != nil {
			return nil, err
		}
		services = append(services, desc)
	}
	return map[string]any{"services": services, "failures": failures}, nil
}

// Revision is one revision of a TaskDefinition object.
type Revision struct {
	Name     string
	Family   string
	Revision int64
	Status   string
	TD       *ecsv1.TaskDefinition
}

// revisions lists the revisions of the namespace's task definitions, by family, oldest first.
func (t *Target) Revisions(ctx context.Context) ([]Revision, error) {
	var tds ecsv1.TaskDefinitionList
	if err := t.Client.List(ctx, &tds, client.InNamespace(t.Namespace)); err != nil {
		return nil, err
	}
	var out []Revision
	for i := range tds.Items {
		td := &tds.Items[i]
		family := td.Status.Family
		if family == "" {
			family = string(td.Spec.Family)
		}
		if family == "" {
			family = td.Name
		}
		for _, r := range td.Status.Revisions {
			out = append(out, Revision{Name: td.Name, Family: family, Revision: r.Revision, Status: string(r.Status), TD: td})
		}
	}
	slices.SortFunc(out, func(a, b Revision) int {
		if c := strings.Compare(a.Family, b.Family); c != 0 {
			return c
		}
		return int(a.Revision - b.Revision)
	})
	return out, nil
}

// FindRevision finds "family", "family:revision" or a task definition ARN among the
// namespace's revisions: a family alone is its latest ACTIVE revision, as in ECS.
func (t *Target) FindRevision(ctx context.Context, ref string) (Revision, error) {
	want, err := ecs.ParseReference(ref)
	if err != nil {
		return Revision{}, err
	}
	revs, err := t.Revisions(ctx)
	if err != nil {
		return Revision{}, err
	}
	var found *Revision
	for i, r := range revs {
		if r.Family == want.Family && (want.Revision == 0 && r.Status == "ACTIVE" || r.Revision == want.Revision) {
			found = &revs[i] // revisions are oldest first: the last match is the latest
		}
	}
	if found == nil {
		return Revision{}, ErrNoRevision
	}
	return *found, nil
}

// ErrNoRevision is FindRevision's answer for a reference that names no revision.
var ErrNoRevision = errors.New("unable to describe task definition")

// RegisteredAt is when the revision was registered, zero when unknown.
func (r Revision) RegisteredAt() time.Time {
	for _, s := range r.TD.Status.Revisions {
		if s.Revision == r.Revision && s.CreatedAt != nil {
			return s.CreatedAt.Time
		}
	}
	return time.Time{}
}

// Content reads a revision's task definition from its ControllerRevision.
func (t *Target) Content(ctx context.Context, r Revision) (ecsv1.TaskDefinitionSpec, error) {
	var revs appsv1.ControllerRevisionList
	if err := t.Client.List(ctx, &revs, client.InNamespace(t.Namespace), client.MatchingLabels{ecsv1.LabelRevision: strconv.FormatInt(r.Revision, 10)}); err != nil {
		return ecsv1.TaskDefinitionSpec{}, err
	}
	for _, cr := range revs.Items {
		if ControllerUID(cr.OwnerReferences) == string(r.TD.UID) {
			var spec ecsv1.TaskDefinitionSpec
			return spec, json.Unmarshal(cr.Data.Raw, &spec)
		}
	}
	if r.Revision == r.TD.Status.Revision {
		return r.TD.Spec, nil
	}
	return ecsv1.TaskDefinitionSpec{}, fmt.Errorf("revision %d of %s is gone", r.Revision, r.Family)
}

// tasks are the tasks of the namespace: the Pods of its Services and Tasks, and the stopped
// Tasks whose Pods are gone, each with its description.
func (t *Target) Tasks(ctx context.Context) ([]DescribedTask, error) {
	var pods corev1.PodList
	if err := t.Client.List(ctx, &pods, client.InNamespace(t.Namespace)); err != nil {
		return nil, err
	}
	var taskObjs ecsv1.TaskList
	if err := t.Client.List(ctx, &taskObjs, client.InNamespace(t.Namespace)); err != nil {
		return nil, err
	}
	byName := map[string]*ecsv1.Task{}
	for i := range taskObjs.Items {
		byName[taskObjs.Items[i].Name] = &taskObjs.Items[i]
	}
	var out []DescribedTask
	seen := map[string]bool{}
	for i := range pods.Items {
		pod := &pods.Items[i]
		if pod.Labels[ecsv1.LabelService] == "" && pod.Labels[ecsv1.LabelTask] == "" {
			continue
		}
		view := taskview.FromPod(pod)
		ctxInfo := ecsjson.TaskContext{Cluster: t.Cluster, LaunchType: "EC2"}
		if obj := byName[pod.Labels[ecsv1.LabelTask]]; obj != nil {
			view = t.taskObject(obj, &view)
			ctxInfo.StartedBy, ctxInfo.Tags = obj.Spec.StartedBy, obj.Spec.Tags
			seen[obj.Name] = true
		}
		if pod.Spec.NodeName != "" {
			node := &corev1.Node{}
			if err := t.Client.Get(ctx, client.ObjectKey{Name: pod.Spec.NodeName}, node); err == nil {
				ctxInfo.AvailabilityZone = node.Labels[corev1.LabelTopologyZone]
			}
		}
		out = append(out, DescribedTask{View: view, Ctx: ctxInfo})
	}
	for _, obj := range taskObjs.Items {
		if !seen[obj.Name] {
			view := t.taskObject(&obj, nil)
			out = append(out, DescribedTask{View: view, Ctx: ecsjson.TaskContext{Cluster: t.Cluster, LaunchType: "EC2", StartedBy: obj.Spec.StartedBy, Tags: obj.Spec.Tags}})
		}
	}
	return out, nil
}

type DescribedTask struct {
	View taskview.Task
	Ctx  ecsjson.TaskContext
}

// taskObject is a Task object's task: its Pod's view when it has one, its status otherwise;
// its ID is the Task object's UID, which outlives the Pod.
func (t *Target) taskObject(obj *ecsv1.Task, fromPod *taskview.Task) taskview.Task {
	view := taskview.Task{Images: map[string]string{}}
	if fromPod != nil {
		view = *fromPod
	}
	view.ID = strings.ReplaceAll(string(obj.UID), "-", "")
	view.TaskName = obj.Name
	st := obj.Status
	if st.LastStatus != "" {
		view.LastStatus = st.LastStatus
	}
	if st.DesiredStatus != "" {
		view.DesiredStatus = st.DesiredStatus
	}
	if st.StopCode != "" {
		view.StopCode, view.StoppedReason = st.StopCode, st.StoppedReason
	}
	if st.TaskDefinition != "" {
		view.TaskDefinition = st.TaskDefinition
	} else if view.TaskDefinition == "" {
		view.TaskDefinition = string(obj.Spec.TaskDefinition)
	}
	if obj.Spec.Group != "" {
		view.Group = obj.Spec.Group
	} else if view.Group == "" {
		family, _, _ := strings.Cut(view.TaskDefinition, ":")
		view.Group = "family:" + family
	}
	if view.CreatedAt == nil {
		created := obj.CreationTimestamp.Time
		view.CreatedAt = &created
	}
	if st.StartedAt != nil {
		started := st.StartedAt.Time
		view.StartedAt = &started
	}
	if st.StoppedAt != nil {
		stopped := st.StoppedAt.Time
		view.StoppedAt = &stopped
	}
	if fromPod == nil && len(st.Containers) > 0 {
		view.Containers = st.Containers
	}
	return view
}

func (t *Target) DescribeTasks(ctx context.Context, ids []string) (map[string]any, error) {
	all, err := t.Tasks(ctx)
	if err != nil {
		return nil, err
	}
	tasks, failures := []any{}, []any{}
	for _, id := range ids {
		want := LastPart(id)
		i := slices.IndexFunc(all, func(dt DescribedTask) bool { return dt.View.ID == want })
		if i < 0 {
			failures = append(failures, map[string]any{"arn": t.ARNs.Task(t.Cluster, want), "reason": "MISSING"})
			continue
		}
		tasks = append(tasks, ecsjson.DescribeTask(all[i].View, all[i].Ctx, t.ARNs))
	}
	return map[string]any{"tasks": tasks, "failures": failures}, nil
}

// Stop stops a task: a Task object is annotated (its controller stops its Pod, UserInitiated, and keeps it STOPPED);
// a Service's task is its Pod, deleted, and the Service starts a replacement as ECS does.
func (t *Target) Stop(ctx context.Context, dt DescribedTask, reason string) error {
	if dt.View.TaskName != "" {
		task := &ecsv1.Task{}
		if err := t.Client.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: dt.View.TaskName}, task); err != nil {
			return err
		}
		// The Task controller stops it and keeps it, STOPPED, as ECS keeps stopped tasks.
		patch := client.MergeFrom(task.DeepCopy())
		if task.Annotations == nil {
			task.Annotations = map[string]string{}
		}
		task.Annotations[ecsv1.AnnotationStopReason] = reason
		return t.Client.Patch(ctx, task, patch)
	}
	var pods corev1.PodList
	if err := t.Client.List(ctx, &pods, client.InNamespace(t.Namespace)); err != nil {
		return err
	}
	for _, p := range pods.Items {
		if strings.ReplaceAll(string(p.UID), "-", "") == dt.View.ID {
			uid := p.UID
			return client.IgnoreNotFound(t.Client.Delete(ctx, &p, client.Preconditions{UID: &uid}))
		}
	}
	return nil
}

// Target is the ECS cluster an operation works on, and who works on it.
type Target struct {
	// Client acts as the caller: its RBAC and the webhooks hold.
	Client client.Client
	// Cluster is the ECS cluster's name, Namespace its namespace.
	Cluster, Namespace string
	// ARNs spells the ARNs.
	ARNs ecsjson.ARNs
}

// clusterName is a cluster's name, given by name or ARN.
func ClusterName(s string) string {
	if arn, err := ecs.ParseARN(s); err == nil {
		if name, ok := strings.CutPrefix(arn.Resource, "cluster/"); ok {
			return name
		}
	}
	return s
}

// lastPart is the last '/'-separated part of an ARN (a service or task ID), or s itself.
func LastPart(s string) string {
	if !strings.HasPrefix(s, "arn:") {
		return s
	}
	return s[strings.LastIndex(s, "/")+1:]
}

// clusterOf is the name of the ECS Cluster whose namespace ns is, "" when none is found (the
// user may not be allowed to list Clusters).
func ClusterOf(ctx context.Context, c client.Client, ns string) string {
	var clusters ecsv1.ClusterList
	if err := c.List(ctx, &clusters); err != nil {
		return "" // a tenant may not list Clusters; the export then names none
	}
	for _, cl := range clusters.Items {
		if cl.Status.Namespace == ns {
			return cl.Name
		}
	}
	return ""
}

// metav1ControllerUID is the UID of the controller among owners, "" when none.
func ControllerUID(owners []metav1.OwnerReference) string {
	for _, o := range owners {
		if o.Controller != nil && *o.Controller {
			return string(o.UID)
		}
	}
	return ""
}
