package ecsapi

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
	"github.com/ecs-operator/ecs-operator/internal/ecsops"
)

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
