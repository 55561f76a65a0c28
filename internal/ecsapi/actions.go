package ecsapi

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
	"github.com/ecs-operator/ecs-operator/internal/ecsops"
)

// actions are the ECS actions served, by name.
var actions = map[string]handler{
	"ListClusters":               listClusters,
	"DescribeClusters":           describeClusters,
	"RegisterTaskDefinition":     registerTaskDefinition,
	"DescribeTaskDefinition":     describeTaskDefinition,
	"ListTaskDefinitions":        listTaskDefinitions,
	"ListTaskDefinitionFamilies": listTaskDefinitionFamilies,
	"DeregisterTaskDefinition":   deregisterTaskDefinition,
	"CreateCluster":              createCluster,
	"DeleteCluster":              deleteCluster,
	"CreateService":              createService,
	"UpdateService":              updateService,
	"DescribeServices":           describeServices,
	"ListServices":               listServices,
	"DeleteService":              deleteService,
	"RunTask":                    runTask,
	"StartTask":                  startTask,
	"StopTask":                   stopTask,
	"DescribeTasks":              describeTasks,
	"ListTasks":                  listTasks,
	"TagResource":                tagResource,
	"UntagResource":              untagResource,
	"ListTagsForResource":        listTagsForResource,
}

func listClusters(ctx context.Context, c *call) (any, error) {
	var clusters ecsv1.ClusterList
	if err := c.c.List(ctx, &clusters); err != nil {
		if !apierrors.IsForbidden(err) {
			return nil, err
		}
		// A tenant may not list Clusters: it sees the one its key names.
		if c.id.defaultCluster != "" {
			clusters.Items = []ecsv1.Cluster{{ObjectMeta: metav1.ObjectMeta{Name: c.id.defaultCluster}}}
		}
	}
	arns := make([]any, 0, len(clusters.Items))
	for _, cl := range clusters.Items {
		arns = append(arns, c.s.o.ARNs.Cluster(cl.Name))
	}
	slices.SortFunc(arns, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	page, next, err := c.page(arns, 100)
	if err != nil {
		return nil, err
	}
	return withNext(map[string]any{"clusterArns": page}, next), nil
}

func describeClusters(ctx context.Context, c *call) (any, error) {
	names, err := c.strs("clusters")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		names = []string{orDefault(c.id.defaultCluster, "default")}
	}
	clusters, failures := []any{}, []any{}
	for _, n := range names {
		name := ecsops.ClusterName(n)
		cl := &ecsv1.Cluster{}
		// Read as the operator: a tenant sees its own Cluster's state through its key.
		if err := c.s.o.Operator.Get(ctx, client.ObjectKey{Name: name}, cl); err != nil {
			if apierrors.IsNotFound(err) {
				failures = append(failures, map[string]any{"arn": c.s.o.ARNs.Cluster(name), "reason": "MISSING"})
				continue
			}
			return nil, err
		}
		if !c.mayUseCluster(ctx, cl) {
			failures = append(failures, map[string]any{"arn": c.s.o.ARNs.Cluster(name), "reason": "MISSING"})
			continue
		}
		clusters = append(clusters, ecsjson.DescribeCluster(cl, c.s.o.ARNs))
	}
	return map[string]any{"clusters": clusters, "failures": failures}, nil
}

// mayUseCluster is whether the caller may read the Cluster itself or the Services of its
// namespace: another tenant's Cluster is MISSING to it, as in another account.
func (c *call) mayUseCluster(ctx context.Context, cl *ecsv1.Cluster) bool {
	if err := c.c.Get(ctx, client.ObjectKeyFromObject(cl), &ecsv1.Cluster{}); err == nil {
		return true
	}
	var list ecsv1.ServiceList
	return cl.Status.Namespace != "" && c.c.List(ctx, &list, client.InNamespace(cl.Status.Namespace), client.Limit(1)) == nil
}

// taskDefinitionTarget is where the caller's task definitions live: the namespace of the
// cluster the key names (ECS keeps task definitions per account, ecs-operator per namespace).
func (c *call) taskDefinitionTarget(ctx context.Context) (*ecsops.Target, error) {
	if c.str("cluster") == "" && c.id.defaultCluster == "" {
		return nil, clientError("task definitions live in a cluster's namespace: give the access key a defaultCluster")
	}
	return c.target(ctx)
}

func registerTaskDefinition(ctx context.Context, c *call) (any, error) {
	in := maps(c.in)
	delete(in, "cluster")
	td, err := ecsjson.TaskDefinitionFromECS(in)
	if err != nil {
		return nil, clientError("%v", err)
	}
	if len(td.Report.Losses) > 0 {
		return nil, clientError("ecs-operator cannot carry %s", td.Report.Losses[0])
	}
	t, err := c.taskDefinitionTarget(ctx)
	if err != nil {
		return nil, err
	}
	obj := &ecsv1.TaskDefinition{}
	key := client.ObjectKey{Namespace: t.Namespace, Name: td.Name}
	switch err := c.c.Get(ctx, key, obj); {
	case apierrors.IsNotFound(err):
		obj = &ecsv1.TaskDefinition{ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace, Name: td.Name}, Spec: td.Spec}
		if err := c.c.Create(ctx, obj); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		td.Spec.RevisionHistoryLimit = obj.Spec.RevisionHistoryLimit
		obj.Spec = td.Spec
		if err := c.c.Update(ctx, obj); err != nil {
			return nil, err
		}
	}
	// The revision is the TaskDefinition controller's to number: wait for it.
	var rev *ecsops.Revision
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 15*time.Second, true, func(ctx context.Context) (bool, error) {
		if err := c.c.Get(ctx, key, obj); err != nil {
			return false, err
		}
		if obj.Status.ObservedGeneration < obj.Generation || obj.Status.Revision == 0 {
			return false, nil
		}
		revs, err := t.Revisions(ctx)
		if err != nil {
			return false, err
		}
		for i, r := range revs {
			if r.Name == obj.Name && r.Revision == obj.Status.Revision {
				rev = &revs[i]
			}
		}
		return rev != nil, nil
	})
	if err != nil {
		return nil, newError("ServerException", 500, "task definition %s was not registered in time: %v", td.Spec.Family, err)
	}
	return c.describeRevision(ctx, t, *rev, true)
}

func (c *call) describeRevision(ctx context.Context, t *ecsops.Target, r ecsops.Revision, withTags bool) (any, error) {
	spec, err := t.Content(ctx, r)
	if err != nil {
		return nil, err
	}
	var registered time.Time
	for _, s := range r.TD.Status.Revisions {
		if s.Revision == r.Revision && s.CreatedAt != nil {
			registered = s.CreatedAt.Time
		}
	}
	td, tags, err := ecsjson.DescribeTaskDefinition(r.Name, r.Revision, spec, r.Status, registered, t.ARNs)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"taskDefinition": td}
	if withTags {
		out["tags"] = tags
	}
	return out, nil
}

// findRevision finds family, family:revision (the latest ACTIVE for a family alone) or an ARN.
func findRevision(ctx context.Context, t *ecsops.Target, ref string) (ecsops.Revision, error) {
	want, err := ecs.ParseReference(ref)
	if err != nil {
		return ecsops.Revision{}, clientError("%v", err)
	}
	revs, err := t.Revisions(ctx)
	if err != nil {
		return ecsops.Revision{}, err
	}
	var found *ecsops.Revision
	for i, r := range revs {
		if r.Family == want.Family && (want.Revision == 0 && r.Status == "ACTIVE" || r.Revision == want.Revision) {
			found = &revs[i]
		}
	}
	if found == nil {
		return ecsops.Revision{}, clientError("Unable to describe task definition.")
	}
	return *found, nil
}

func describeTaskDefinition(ctx context.Context, c *call) (any, error) {
	t, err := c.taskDefinitionTarget(ctx)
	if err != nil {
		return nil, err
	}
	r, err := findRevision(ctx, t, c.str("taskDefinition"))
	if err != nil {
		return nil, err
	}
	include, _ := c.strs("include")
	return c.describeRevision(ctx, t, r, slices.Contains(include, "TAGS"))
}

func listTaskDefinitions(ctx context.Context, c *call) (any, error) {
	t, err := c.taskDefinitionTarget(ctx)
	if err != nil {
		return nil, err
	}
	revs, err := t.Revisions(ctx)
	if err != nil {
		return nil, err
	}
	status := orDefault(c.str("status"), "ACTIVE")
	var arns []any
	for _, r := range revs {
		if strings.HasPrefix(r.Family, c.str("familyPrefix")) && r.Status == status {
			arns = append(arns, t.ARNs.TaskDefinition(r.Family+":"+strconv.FormatInt(r.Revision, 10)))
		}
	}
	if c.str("sort") == "DESC" {
		slices.Reverse(arns)
	}
	page, next, err := c.page(orEmpty(arns), 100)
	if err != nil {
		return nil, err
	}
	return withNext(map[string]any{"taskDefinitionArns": page}, next), nil
}

func listTaskDefinitionFamilies(ctx context.Context, c *call) (any, error) {
	t, err := c.taskDefinitionTarget(ctx)
	if err != nil {
		return nil, err
	}
	revs, err := t.Revisions(ctx)
	if err != nil {
		return nil, err
	}
	var families []any
	for _, r := range revs {
		if strings.HasPrefix(r.Family, c.str("familyPrefix")) && !slices.Contains(families, any(r.Family)) {
			families = append(families, r.Family)
		}
	}
	page, next, err := c.page(orEmpty(families), 100)
	if err != nil {
		return nil, err
	}
	return withNext(map[string]any{"families": page}, next), nil
}

// Tags that place a cluster made with CreateCluster: ecs-operator's Clusters belong to a
// tenant of a CellGroup, which ECS's API has no members for.
const (
	tagTenant    = "ecs.operator.dev/tenant"
	tagCellGroup = "ecs.operator.dev/cell-group"
)

func createCluster(ctx context.Context, c *call) (any, error) {
	name := c.str("clusterName")
	if name == "" {
		name = "default"
	}
	var tags []ecsv1.Tag
	if _, err := ecsjson.Fit("tags", c.in["tags"], &tags); err != nil {
		return nil, invalidParameter("%v", err)
	}
	cl := &ecsv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}}
	for _, t := range tags {
		switch t.Key {
		case tagTenant:
			cl.Spec.Tenant = ecsv1.TenantName(t.Value)
		case tagCellGroup:
			cl.Spec.CellGroup = t.Value
		}
	}
	if cl.Spec.Tenant == "" {
		return nil, invalidParameter("tags: a cluster belongs to a tenant: tag it %s=TENANT (and %s=CELLGROUP)", tagTenant, tagCellGroup)
	}
	if err := c.c.Create(ctx, cl); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	// ECS answers CreateCluster at once, PROVISIONING: as ours is until its namespace is made.
	if err := c.c.Get(ctx, client.ObjectKeyFromObject(cl), cl); err != nil {
		return nil, err
	}
	return map[string]any{"cluster": ecsjson.DescribeCluster(cl, c.s.o.ARNs)}, nil
}

func deleteCluster(ctx context.Context, c *call) (any, error) {
	name := ecsops.ClusterName(c.str("cluster"))
	cl := &ecsv1.Cluster{}
	if err := c.c.Get(ctx, client.ObjectKey{Name: name}, cl); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, clusterNotFound()
		}
		return nil, err
	}
	if cl.Status.ActiveServicesCount > 0 {
		return nil, newError("ClusterContainsServicesException", 400, "The Cluster cannot be deleted while Services are active.")
	}
	if cl.Status.RunningTasksCount > 0 || cl.Status.PendingTasksCount > 0 {
		return nil, newError("ClusterContainsTasksException", 400, "The Cluster cannot be deleted while Tasks are active.")
	}
	if err := c.c.Delete(ctx, cl); err != nil && !apierrors.IsNotFound(err) {
		return nil, err
	}
	desc := ecsjson.DescribeCluster(cl, c.s.o.ARNs)
	desc["status"] = "INACTIVE"
	return map[string]any{"cluster": desc}, nil
}

// deregisterTaskDefinition marks a revision INACTIVE (the TaskDefinition's annotation, which
// its controller reflects in status); what runs it keeps running it, as in ECS.
func deregisterTaskDefinition(ctx context.Context, c *call) (any, error) {
	t, err := c.taskDefinitionTarget(ctx)
	if err != nil {
		return nil, err
	}
	ref, err := ecs.ParseReference(c.str("taskDefinition"))
	if err != nil || ref.Revision == 0 {
		return nil, clientError("taskDefinition: a revision is deregistered by family:revision or ARN")
	}
	r, err := findRevision(ctx, t, ref.Family+":"+strconv.FormatInt(ref.Revision, 10))
	if err != nil {
		return nil, err
	}
	td := r.TD.DeepCopy()
	list := td.Annotations[ecsv1.AnnotationDeregisteredRevisions]
	number := strconv.FormatInt(r.Revision, 10)
	if !slices.Contains(strings.Split(list, ","), number) {
		if list != "" {
			list += ","
		}
		patch := map[string]any{"metadata": map[string]any{"annotations": map[string]any{ecsv1.AnnotationDeregisteredRevisions: list + number}}}
		b, _ := json.Marshal(patch)
		if err := c.c.Patch(ctx, td, client.RawPatch(types.MergePatchType, b)); err != nil {
			return nil, err
		}
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 15*time.Second, true, func(ctx context.Context) (bool, error) {
		revs, err := t.Revisions(ctx)
		if err != nil {
			return false, err
		}
		for _, rev := range revs {
			if rev.Name == r.Name && rev.Revision == r.Revision && rev.Status == "INACTIVE" {
				r = rev
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return nil, newError("ServerException", 500, "the revision was not deregistered in time: %v", err)
	}
	return c.describeRevision(ctx, t, r, false)
}

func createService(ctx context.Context, c *call) (any, error) {
	t, err := c.target(ctx)
	if err != nil {
		return nil, err
	}
	s, err := ecsjson.ServiceFromECS(c.in)
	if err != nil {
		return nil, invalidParameter("%v", err)
	}
	if len(s.Report.Losses) > 0 {
		return nil, invalidParameter("ecs-operator cannot carry %s", s.Report.Losses[0])
	}
	if s.Name == "" {
		return nil, invalidParameter("serviceName is required")
	}
	obj := &ecsv1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace, Name: s.Name}, Spec: s.Spec}
	if err := c.c.Create(ctx, obj); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return nil, invalidParameter("Creation of service was not idempotent.")
		}
		return nil, err
	}
	return c.oneService(ctx, t, s.Name)
}

func (c *call) oneService(ctx context.Context, t *ecsops.Target, name string) (any, error) {
	doc, err := t.DescribeServices(ctx, []string{name})
	if err != nil {
		return nil, err
	}
	services := doc["services"].([]any)
	if len(services) == 0 {
		return nil, serviceNotFound()
	}
	return map[string]any{"service": services[0]}, nil
}

func updateService(ctx context.Context, c *call) (any, error) {
	t, err := c.target(ctx)
	if err != nil {
		return nil, err
	}
	name := ecsops.LastPart(c.str("service"))
	spec := map[string]any{}
	update := map[string]any{}
	for _, k := range []string{"desiredCount", "taskDefinition", "deploymentConfiguration", "capacityProviderStrategy", "networkConfiguration",
		"placementConstraints", "placementStrategy", "platformVersion", "healthCheckGracePeriodSeconds", "enableExecuteCommand",
		"enableECSManagedTags", "propagateTags", "loadBalancers", "serviceRegistries", "serviceConnectConfiguration", "availabilityZoneRebalancing"} {
		if v, ok := c.in[k]; ok {
			update[k] = v
		}
	}
	if len(update) > 0 {
		s, err := ecsjson.ServiceFromECS(update)
		if err != nil {
			return nil, invalidParameter("%v", err)
		}
		if len(s.Report.Losses) > 0 {
			return nil, invalidParameter("ecs-operator cannot carry %s", s.Report.Losses[0])
		}
		full, err := json.Marshal(s.Spec)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		_ = json.Unmarshal(full, &m)
		for k := range update {
			if v, ok := m[k]; ok {
				spec[k] = v
			}
		}
	}
	patch := map[string]any{}
	if len(spec) > 0 {
		patch["spec"] = spec
	}
	if c.boolean("forceNewDeployment") {
		patch["metadata"] = map[string]any{"annotations": map[string]any{ecsv1.AnnotationForceNewDeployment: time.Now().UTC().Format(time.RFC3339Nano)}}
	}
	obj := &ecsv1.Service{}
	if err := c.c.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: name}, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, serviceNotFound()
		}
		return nil, err
	}
	if len(patch) > 0 {
		b, _ := json.Marshal(patch)
		if err := c.c.Patch(ctx, obj, client.RawPatch(types.MergePatchType, b)); err != nil {
			return nil, err
		}
	}
	return c.oneService(ctx, t, name)
}

func describeServices(ctx context.Context, c *call) (any, error) {
	t, err := c.target(ctx)
	if err != nil {
		return nil, err
	}
	names, err := c.strs("services")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 || len(names) > 10 {
		return nil, invalidParameter("services must name 1 to 10 services")
	}
	return t.DescribeServices(ctx, names)
}

func listServices(ctx context.Context, c *call) (any, error) {
	t, err := c.target(ctx)
	if err != nil {
		return nil, err
	}
	var list ecsv1.ServiceList
	if err := c.c.List(ctx, &list, client.InNamespace(t.Namespace)); err != nil {
		return nil, err
	}
	var arns []any
	for _, s := range list.Items {
		if lt := c.str("launchType"); lt != "" && string(s.Spec.LaunchType) != lt {
			continue
		}
		if ss := c.str("schedulingStrategy"); ss != "" && string(orDefault(s.Spec.SchedulingStrategy, "REPLICA")) != ss {
			continue
		}
		arns = append(arns, t.ARNs.Service(t.Cluster, s.Name))
	}
	slices.SortFunc(arns, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	page, next, err := c.page(orEmpty(arns), 10)
	if err != nil {
		return nil, err
	}
	return withNext(map[string]any{"serviceArns": page}, next), nil
}

func deleteService(ctx context.Context, c *call) (any, error) {
	t, err := c.target(ctx)
	if err != nil {
		return nil, err
	}
	name := ecsops.LastPart(c.str("service"))
	obj := &ecsv1.Service{}
	if err := c.c.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: name}, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, serviceNotFound()
		}
		return nil, err
	}
	scaled := obj.Spec.DesiredCount != nil && *obj.Spec.DesiredCount > 0 && obj.Spec.SchedulingStrategy != "DAEMON"
	if scaled && !c.boolean("force") {
		return nil, invalidParameter("The service cannot be stopped while it is scaled above 0.")
	}
	out, err := c.oneService(ctx, t, name)
	if err != nil {
		return nil, err
	}
	if err := c.c.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
		return nil, err
	}
	svc := out.(map[string]any)["service"].(map[string]any)
	svc["status"] = "DRAINING"
	return out, nil
}

func runTask(ctx context.Context, c *call) (any, error) {
	count, err := c.integer("count", 1)
	if err != nil {
		return nil, err
	}
	if count < 1 || count > 10 {
		return nil, invalidParameter("count must be between 1 and 10")
	}
	return c.startTasks(ctx, make([]string, count))
}

// startTask is StartTask: one task on each container instance named. A container instance is
// a node, its ID the node's ecs.operator.dev/instance-id label (ec2InstanceId in placement).
func startTask(ctx context.Context, c *call) (any, error) {
	instances, err := c.strs("containerInstances")
	if err != nil {
		return nil, err
	}
	if len(instances) == 0 || len(instances) > 10 {
		return nil, invalidParameter("containerInstances must name 1 to 10 container instances")
	}
	for i, inst := range instances {
		instances[i] = ecsops.LastPart(inst)
	}
	return c.startTasks(ctx, instances)
}

// startTasks creates one Task per entry of instances, placed on that container instance when
// the entry is not empty.
func (c *call) startTasks(ctx context.Context, instances []string) (any, error) {
	t, err := c.target(ctx)
	if err != nil {
		return nil, err
	}
	ref, err := ecs.ParseReference(c.str("taskDefinition"))
	if err != nil {
		return nil, invalidParameter("taskDefinition: %v", err)
	}
	short := ref.Family
	if ref.Revision > 0 {
		short += ":" + strconv.FormatInt(ref.Revision, 10)
		if r, err := findRevision(ctx, t, short); err == nil && r.Status == "INACTIVE" {
			return nil, clientError("TaskDefinition is inactive")
		}
	}
	spec := ecsv1.TaskSpec{}
	fields := maps(c.in)
	for _, k := range []string{"cluster", "count", "taskDefinition", "clientToken", "referenceId", "containerInstances"} {
		delete(fields, k)
	}
	if report, err := ecsjson.Fit("", fields, &spec); err != nil {
		return nil, invalidParameter("%v", err)
	} else if len(report.Losses) > 0 {
		return nil, invalidParameter("ecs-operator cannot carry %s", report.Losses[0])
	}
	spec.TaskDefinition = ecsv1.TaskDefinitionReference(short)
	var ids []string
	for _, inst := range instances {
		task := &ecsv1.Task{ObjectMeta: metav1.ObjectMeta{Namespace: t.Namespace, GenerateName: ecsjson.ObjectName(ref.Family) + "-"}, Spec: *spec.DeepCopy()}
		if inst != "" {
			task.Spec.PlacementConstraints = append(task.Spec.PlacementConstraints, ecsv1.PlacementConstraint{
				Type: "memberOf", Expression: fmt.Sprintf("ec2InstanceId == '%s'", inst)})
		}
		if err := c.c.Create(ctx, task); err != nil {
			return nil, err
		}
		ids = append(ids, strings.ReplaceAll(string(task.UID), "-", ""))
	}
	return t.DescribeTasks(ctx, ids)
}

func stopTask(ctx context.Context, c *call) (any, error) {
	t, err := c.target(ctx)
	if err != nil {
		return nil, err
	}
	want := ecsops.LastPart(c.str("task"))
	tasks, err := t.Tasks(ctx)
	if err != nil {
		return nil, err
	}
	for _, dt := range tasks {
		if dt.View.ID != want {
			continue
		}
		if err := t.Stop(ctx, dt, c.str("reason")); err != nil {
			return nil, err
		}
		desc := ecsjson.DescribeTask(dt.View, dt.Ctx, t.ARNs)
		desc["desiredStatus"] = "STOPPED"
		if r := c.str("reason"); r != "" {
			desc["stoppedReason"] = r
		}
		return map[string]any{"task": desc}, nil
	}
	return nil, invalidParameter("The referenced task was not found.")
}

func describeTasks(ctx context.Context, c *call) (any, error) {
	t, err := c.target(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := c.strs("tasks")
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 || len(ids) > 100 {
		return nil, invalidParameter("tasks must name 1 to 100 tasks")
	}
	return t.DescribeTasks(ctx, ids)
}

func listTasks(ctx context.Context, c *call) (any, error) {
	t, err := c.target(ctx)
	if err != nil {
		return nil, err
	}
	tasks, err := t.Tasks(ctx)
	if err != nil {
		return nil, err
	}
	desired := orDefault(c.str("desiredStatus"), "RUNNING")
	var arns []any
	for _, dt := range tasks {
		v := dt.View
		family, _, _ := strings.Cut(v.TaskDefinition, ":")
		switch {
		case c.str("serviceName") != "" && v.Service != ecsops.LastPart(c.str("serviceName")):
		case c.str("family") != "" && family != c.str("family"):
		case c.str("startedBy") != "" && dt.Ctx.StartedBy != c.str("startedBy"):
		case string(v.DesiredStatus) != desired:
		default:
			arns = append(arns, t.ARNs.Task(t.Cluster, v.ID))
		}
	}
	slices.SortFunc(arns, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	page, next, err := c.page(orEmpty(arns), 100)
	if err != nil {
		return nil, err
	}
	return withNext(map[string]any{"taskArns": page}, next), nil
}

// taggable is the object an ARN names, with its tags.
type taggable struct {
	obj  client.Object
	tags *[]ecsv1.Tag
}

func (c *call) resource(ctx context.Context) (*taggable, error) {
	arn, err := ecs.ParseARN(c.str("resourceArn"))
	if err != nil {
		return nil, invalidParameter("resourceArn: %v", err)
	}
	kind, rest, _ := strings.Cut(arn.Resource, "/")
	switch kind {
	case "service":
		cluster, name, ok := strings.Cut(rest, "/")
		if !ok {
			return nil, invalidParameter("resourceArn: a service ARN is service/CLUSTER/NAME")
		}
		c.in["cluster"] = cluster
		t, err := c.target(ctx)
		if err != nil {
			return nil, err
		}
		svc := &ecsv1.Service{}
		if err := c.c.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: name}, svc); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, serviceNotFound()
			}
			return nil, err
		}
		return &taggable{obj: svc, tags: &svc.Spec.Tags}, nil
	case "task-definition":
		t, err := c.taskDefinitionTarget(ctx)
		if err != nil {
			return nil, err
		}
		r, err := findRevision(ctx, t, rest)
		if err != nil {
			return nil, err
		}
		td := r.TD.DeepCopy()
		return &taggable{obj: td, tags: &td.Spec.Tags}, nil
	}
	return nil, invalidParameter("resourceArn: ecs-operator tags services and task definitions, not %s", kind)
}

func listTagsForResource(ctx context.Context, c *call) (any, error) {
	r, err := c.resource(ctx)
	if err != nil {
		return nil, err
	}
	tags := []any{}
	for _, tag := range *r.tags {
		tags = append(tags, map[string]any{"key": tag.Key, "value": tag.Value})
	}
	return map[string]any{"tags": tags}, nil
}

func tagResource(ctx context.Context, c *call) (any, error) {
	var add []ecsv1.Tag
	if _, err := ecsjson.Fit("tags", c.in["tags"], &add); err != nil {
		return nil, invalidParameter("%v", err)
	}
	r, err := c.resource(ctx)
	if err != nil {
		return nil, err
	}
	for _, tag := range add {
		if i := slices.IndexFunc(*r.tags, func(t ecsv1.Tag) bool { return t.Key == tag.Key }); i >= 0 {
			(*r.tags)[i].Value = tag.Value
		} else {
			*r.tags = append(*r.tags, tag)
		}
	}
	return map[string]any{}, c.c.Update(ctx, r.obj)
}

func untagResource(ctx context.Context, c *call) (any, error) {
	keys, err := c.strs("tagKeys")
	if err != nil {
		return nil, err
	}
	r, err := c.resource(ctx)
	if err != nil {
		return nil, err
	}
	*r.tags = slices.DeleteFunc(*r.tags, func(t ecsv1.Tag) bool { return slices.Contains(keys, t.Key) })
	return map[string]any{}, c.c.Update(ctx, r.obj)
}

func maps(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func orDefault[T ~string](v, d T) T {
	if v == "" {
		return d
	}
	return v
}

func orEmpty(items []any) []any {
	if items == nil {
		return []any{}
	}
	return items
}
