package controllers

import (
	"context"
	"fmt"
	"sort"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

// +kubebuilder:rbac:groups=networking.k8s.io,resources=ingresses,verbs=get;list;watch;create;update;patch;delete

// albGroupAnnotation merges Ingresses of one group into one AWS load balancer.
const albGroupAnnotation = "alb.ingress.kubernetes.io/group.name"

// ingressName is the name of a CellGroup's Ingress in each tenant namespace.
func ingressName(cg *ecsv1.CellGroup) string {
	return "ecs-entry-" + shared.LabelValue(cg.Name)
}

// loadBalancedTarget is a tenant Service that declares a load balancer, by the Kubernetes
// Service of its first load-balanced port.
type loadBalancedTarget struct {
	Service string // ECS Service name
	Backend string // Kubernetes Service name
	Port    int32
	// TestBackend is the Kubernetes Service of the new revision while a LINEAR or CANARY
	// deployment shifts traffic to it, TestWeight its share in percent; empty otherwise.
	TestBackend string
	TestWeight  int32
}

// desiredTenantIngress routes /<tenant>/ to the tenant's first load-balanced Service (by name)
// and /<tenant>/<service>/ to each of them, in the tenant's namespace: one Ingress per tenant,
// merged into the group's one load balancer by the ALB IngressGroup annotation, the way one
// ALB per infra group has a listener rule per tenant. Nil without targets.
func desiredTenantIngress(cg *ecsv1.CellGroup, cluster *ecsv1.Cluster, targets []loadBalancedTarget) *networkingv1.Ingress {
	if cg.Spec.Ingress == nil || len(targets) == 0 {
		return nil
	}
	sort.Slice(targets, func(i, j int) bool { return targets[i].Service < targets[j].Service })
	prefix := networkingv1.PathTypePrefix
	path := func(p string, t loadBalancedTarget) networkingv1.HTTPIngressPath {
		return networkingv1.HTTPIngressPath{Path: p, PathType: &prefix, Backend: networkingv1.IngressBackend{
			Service: &networkingv1.IngressServiceBackend{Name: t.Backend, Port: networkingv1.ServiceBackendPort{Number: t.Port}}}}
	}
	tenant := string(cluster.Spec.Tenant)
	paths := []networkingv1.HTTPIngressPath{}
	for _, t := range targets {
		paths = append(paths, path(fmt.Sprintf("/%s/%s/", tenant, t.Service), t))
	}
	paths = append(paths, path("/"+tenant+"/", targets[0]))
	annotations := map[string]string{}
	for k, v := range cg.Spec.Ingress.Annotations {
		annotations[k] = v
	}
	class := cg.Spec.Ingress.ClassName
	if class == "" {
		class = "alb"
	}
	if class == "alb" {
		annotations[albGroupAnnotation] = shared.LabelValue(cg.Name)
		if _, ok := annotations["alb.ingress.kubernetes.io/target-type"]; !ok {
			annotations["alb.ingress.kubernetes.io/target-type"] = "ip"
		}
	}
	return &networkingv1.Ingress{
		TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: metav1.ObjectMeta{
			Name: ingressName(cg), Namespace: shared.ClusterNamespace(cluster), Annotations: annotations,
			Labels:          clusterLabels(cluster),
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(cg, ecsv1.GroupVersion.WithKind("CellGroup"))},
		},
		Spec: networkingv1.IngressSpec{
			IngressClassName: &class,
			Rules: []networkingv1.IngressRule{{Host: cg.Spec.Ingress.Host, IngressRuleValue: networkingv1.IngressRuleValue{
				HTTP: &networkingv1.HTTPIngressRuleValue{Paths: paths}}}},
		},
	}
}

// loadBalancedTargets lists the Services of a tenant namespace that declare a load balancer.
func loadBalancedTargets(ctx context.Context, c client.Reader, namespace string) ([]loadBalancedTarget, error) {
	services := &ecsv1.ServiceList{}
	if err := c.List(ctx, services, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing services of %s: %w", namespace, err)
	}
	var out []loadBalancedTarget
	for i := range services.Items {
		svc := &services.Items[i]
		if !svc.DeletionTimestamp.IsZero() {
			continue
		}
		for _, lb := range svc.Spec.LoadBalancers {
			if lb.ContainerPort != nil {
				t := loadBalancedTarget{Service: svc.Name, Backend: shared.PortServiceName(svc, *lb.ContainerPort), Port: *lb.ContainerPort}
				if weight, ok := shared.ProductionTrafficSplit(svc); ok {
					t.TestBackend, t.TestWeight = shared.TestPortServiceName(svc, *lb.ContainerPort), weight
				}
				out = append(out, t)
				break
			}
		}
	}
	return out, nil
}

// applyIngresses writes the group's entry in each of its tenants' namespaces: an HTTPRoute
// when the group names a Gateway and the Gateway API is installed, else an Ingress. The other
// kind, left from before a switch, and an entry with no target left, are removed.
func (r *CellGroupReconciler) applyIngresses(ctx context.Context, cg *ecsv1.CellGroup, clusters map[string]*ecsv1.Cluster) error {
	routesServed, err := r.servesHTTPRoutes()
	if err != nil {
		return err
	}
	useRoutes := routesServed && cg.Spec.Ingress != nil && cg.Spec.Ingress.Gateway != nil
	for _, cluster := range clusters {
		if cluster.Status.Status != ecsv1.ClusterActive {
			continue
		}
		ns := shared.ClusterNamespace(cluster)
		targets, err := loadBalancedTargets(ctx, r.Client, ns)
		if err != nil {
			return err
		}
		// Typed nil pointers would be non-nil client.Objects: only set what is wanted.
		var ingress, route client.Object
		if useRoutes {
			if rt := desiredTenantHTTPRoute(cg, cluster, targets); rt != nil {
				route = rt
			}
		} else if in := desiredTenantIngress(cg, cluster, targets); in != nil {
			ingress = in
		}
		if err := r.applyOrRemove(ctx, cg, ns, &networkingv1.Ingress{}, ingress); err != nil {
			return err
		}
		if routesServed {
			current := &unstructured.Unstructured{}
			current.SetGroupVersionKind(httpRouteGVK)
			if err := r.applyOrRemove(ctx, cg, ns, current, route); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyOrRemove applies desired, or, when it is nil, deletes the group's object of current's
// kind (an empty object, read into) in namespace ns if the group owns it.
func (r *CellGroupReconciler) applyOrRemove(ctx context.Context, cg *ecsv1.CellGroup, ns string, current, desired client.Object) error {
	var cur client.Object
	switch err := r.Get(ctx, client.ObjectKey{Namespace: ns, Name: ingressName(cg)}, current); {
	case err == nil:
		cur = current
	case client.IgnoreNotFound(err) != nil:
		return err
	}
	if desired != nil {
		return r.Applier.Apply(ctx, desired, cur)
	}
	if cur == nil {
		return nil
	}
	if owner := metav1.GetControllerOf(cur); owner == nil || owner.UID != cg.UID {
		return nil
	}
	return client.IgnoreNotFound(r.Delete(ctx, cur))
}

// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=httproutes,verbs=get;list;watch;create;update;patch;delete

var httpRouteGVK = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "HTTPRoute"}

func (r *CellGroupReconciler) servesHTTPRoutes() (bool, error) {
	if _, err := r.RESTMapper().RESTMapping(httpRouteGVK.GroupKind(), httpRouteGVK.Version); err != nil {
		if meta.IsNoMatchError(err) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// desiredTenantHTTPRoute is the Gateway API form of the tenant's entry: /<tenant>/ and
// /<tenant>/<service>/ on the group's Gateway. Nil without targets.
func desiredTenantHTTPRoute(cg *ecsv1.CellGroup, cluster *ecsv1.Cluster, targets []loadBalancedTarget) *unstructured.Unstructured {
	if len(targets) == 0 {
		return nil
	}
	sort.Slice(targets, func(i, j int) bool { return targets[i].Service < targets[j].Service })
	tenant := string(cluster.Spec.Tenant)
	rule := func(path string, t loadBalancedTarget) any {
		backends := []any{map[string]any{"name": t.Backend, "port": int64(t.Port)}}
		if t.TestBackend != "" {
			// A LINEAR or CANARY deployment shifting traffic: the old revision (production
			// Service) and the new one (test Service) by weight.
			backends = []any{
				map[string]any{"name": t.Backend, "port": int64(t.Port), "weight": int64(100 - t.TestWeight)},
				map[string]any{"name": t.TestBackend, "port": int64(t.Port), "weight": int64(t.TestWeight)},
			}
		}
		return map[string]any{
			"matches":     []any{map[string]any{"path": map[string]any{"type": "PathPrefix", "value": path}}},
			"backendRefs": backends,
		}
	}
	var rules []any
	for _, t := range targets {
		rules = append(rules, rule(fmt.Sprintf("/%s/%s/", tenant, t.Service), t))
	}
	rules = append(rules, rule("/"+tenant+"/", targets[0]))
	spec := map[string]any{
		"parentRefs": []any{map[string]any{"name": cg.Spec.Ingress.Gateway.Name, "namespace": cg.Spec.Ingress.Gateway.Namespace}},
		"rules":      rules,
	}
	if cg.Spec.Ingress.Host != "" {
		spec["hostnames"] = []any{cg.Spec.Ingress.Host}
	}
	route := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	route.SetGroupVersionKind(httpRouteGVK)
	route.SetName(ingressName(cg))
	route.SetNamespace(shared.ClusterNamespace(cluster))
	route.SetLabels(clusterLabels(cluster))
	route.SetOwnerReferences([]metav1.OwnerReference{*metav1.NewControllerRef(cg, ecsv1.GroupVersion.WithKind("CellGroup"))})
	return route
}
