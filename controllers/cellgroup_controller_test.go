package controllers

import (
	"fmt"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/controllers/shared"
)

var cellSeq int32 = 100

func newCellGroup(t *testing.T, tenants ...ecsv1.TenantName) *ecsv1.CellGroup {
	t.Helper()
	cellSeq++
	cg := &ecsv1.CellGroup{}
	cg.Name = fmt.Sprintf("cg-%d", cellSeq)
	cg.Spec.Tier, cg.Spec.Cell, cg.Spec.InfraGroup = 9, cellSeq, 1
	for _, tn := range tenants {
		cg.Spec.Tenants = append(cg.Spec.Tenants, ecsv1.Tenant{Name: tn})
	}
	cg.Spec.ClusterTemplate.Settings = []ecsv1.ClusterSetting{{Name: "containerInsights", Value: "enabled"}}
	return cg
}

func cellGroupStatus(t *testing.T, cg *ecsv1.CellGroup, check func(ecsv1.CellGroupStatus) error) {
	t.Helper()
	eventually(t, "cellgroup status", func() error {
		if err := get(t, cg); err != nil {
			return err
		}
		return check(cg.Status)
	})
}

func TestCellGroup_EachTenantGetsItsNamedClusterFromTheTemplate(t *testing.T) {
	cg := newCellGroup(t, "alpha", "beta")
	mustCreate(t, cg)
	cellGroupStatus(t, cg, func(st ecsv1.CellGroupStatus) error {
		if st.ClusterCount != 2 || st.TenantCount != 2 || !shared.IsReady(st.Conditions) {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
	c := &ecsv1.Cluster{}
	name := fmt.Sprintf("tier-9-cell-%d-ig-1-alpha", cg.Spec.Cell)
	if err := k8s.Get(t.Context(), client.ObjectKey{Name: name}, c); err != nil {
		t.Fatal(err)
	}
	if c.Spec.Tenant != "alpha" || c.Spec.CellGroup != cg.Name || len(c.Spec.Settings) != 1 || c.Status.Status != ecsv1.ClusterActive {
		t.Fatalf("cluster %+v / %+v", c.Spec, c.Status)
	}
	if ref := metav1.GetControllerOf(c); ref == nil || ref.UID != cg.UID {
		t.Fatal("the cluster is not owned by its cell group")
	}
}

func TestCellGroup_RemovedTenantIsRetainedOrDeletedAsThePolicySays(t *testing.T) {
	for _, policy := range []ecsv1.TenantDeletionPolicy{ecsv1.TenantDeletionRetain, ecsv1.TenantDeletionDelete} {
		t.Run(string(policy), func(t *testing.T) {
			cg := newCellGroup(t, "keep", "drop")
			cg.Spec.TenantDeletionPolicy = policy
			mustCreate(t, cg)
			cellGroupStatus(t, cg, func(st ecsv1.CellGroupStatus) error {
				if st.ClusterCount != 2 {
					return fmt.Errorf("clusters %d", st.ClusterCount)
				}
				return nil
			})
			eventually(t, "removing a tenant", func() error {
				if err := get(t, cg); err != nil {
					return err
				}
				cg.Spec.Tenants = cg.Spec.Tenants[:1]
				return k8s.Update(t.Context(), cg)
			})
			dropped := &ecsv1.Cluster{}
			dropped.Name = fmt.Sprintf("tier-9-cell-%d-ig-1-drop", cg.Spec.Cell)
			eventually(t, "the removed tenant's cluster", func() error {
				err := get(t, dropped)
				if policy == ecsv1.TenantDeletionDelete {
					if err == nil && dropped.DeletionTimestamp.IsZero() {
						return fmt.Errorf("not being deleted")
					}
					return nil
				}
				if err != nil {
					return err
				}
				if metav1.GetControllerOf(dropped) != nil {
					return fmt.Errorf("still owned: %+v", dropped.OwnerReferences)
				}
				return nil
			})
		})
	}
}

func TestCellGroup_MaxClustersPerTenantHolds(t *testing.T) {
	first := newCellGroup(t, "capped")
	first.Spec.MaxClustersPerTenant = 1
	mustCreate(t, first)
	cellGroupStatus(t, first, func(st ecsv1.CellGroupStatus) error {
		if st.ClusterCount != 1 {
			return fmt.Errorf("clusters %d", st.ClusterCount)
		}
		return nil
	})
	second := newCellGroup(t, "capped")
	second.Spec.MaxClustersPerTenant = 1
	mustCreate(t, second)
	cellGroupStatus(t, second, func(st ecsv1.CellGroupStatus) error {
		if msg := shared.ConditionMessage(st.Conditions, ecsv1.ConditionStalled); !strings.Contains(msg, "tenant capped already has 1 clusters") {
			return fmt.Errorf("stalled message %q", msg)
		}
		return nil
	})
}

func TestCellGroup_OneEntryPointRoutesEachTenantPath(t *testing.T) {
	cg := newCellGroup(t, "shop")
	cg.Spec.Ingress = &ecsv1.CellGroupIngress{Host: "apps.example.com", Annotations: map[string]string{"alb.ingress.kubernetes.io/scheme": "internet-facing"}}
	mustCreate(t, cg)
	cellGroupStatus(t, cg, func(st ecsv1.CellGroupStatus) error {
		if !shared.IsReady(st.Conditions) {
			return fmt.Errorf("not ready: %+v", st.Conditions)
		}
		return nil
	})
	ns := tenantClusterName(cg, "shop")
	mustCreate(t, newTaskDefinition(ns, "web", "nginx"))
	svc := newService(ns, "web", "web", 1)
	svc.Spec.LoadBalancers = []ecsv1.LoadBalancer{{TargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web/1", ContainerName: "web", ContainerPort: ptr.To[int32](8080)}}
	mustCreate(t, svc)
	ing := &networkingv1.Ingress{}
	eventually(t, "the tenant's Ingress", func() error {
		return k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: ingressName(cg)}, ing)
	})
	if ing.Annotations[albGroupAnnotation] != cg.Name || ing.Annotations["alb.ingress.kubernetes.io/scheme"] != "internet-facing" || *ing.Spec.IngressClassName != "alb" {
		t.Fatalf("ingress meta %v class %v", ing.Annotations, ing.Spec.IngressClassName)
	}
	rule := ing.Spec.Rules[0]
	last := rule.HTTP.Paths[len(rule.HTTP.Paths)-1]
	if rule.Host != "apps.example.com" || last.Path != "/shop/" || last.Backend.Service.Name != "web-8080" || last.Backend.Service.Port.Number != 8080 {
		t.Fatalf("rule %+v", rule)
	}
}

// installHTTPRouteCRD installs a stand-in of the Gateway API's HTTPRoute CRD.
func installHTTPRouteCRD(t *testing.T) {
	t.Helper()
	crd := nodePoolCRD()
	crd.Name = "httproutes.gateway.networking.k8s.io"
	// *.k8s.io groups are protected; the real Gateway API CRDs carry this approval.
	crd.Annotations = map[string]string{"api-approved.kubernetes.io": "https://github.com/kubernetes-sigs/gateway-api/pull/1923"}
	crd.Spec.Group = "gateway.networking.k8s.io"
	crd.Spec.Scope = "Namespaced"
	crd.Spec.Names = apiextensionsv1.CustomResourceDefinitionNames{Plural: "httproutes", Singular: "httproute", Kind: "HTTPRoute", ListKind: "HTTPRouteList"}
	if err := k8s.Create(t.Context(), crd); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

func TestCellGroup_WithTheGatewayAPIItWritesHTTPRoutes(t *testing.T) {
	installHTTPRouteCRD(t)
	cg := newCellGroup(t, "web")
	cg.Spec.Ingress = &ecsv1.CellGroupIngress{Gateway: &ecsv1.GatewayReference{Name: "public", Namespace: "gateways"}}
	mustCreate(t, cg)
	cellGroupStatus(t, cg, func(st ecsv1.CellGroupStatus) error {
		if !shared.IsReady(st.Conditions) {
			return fmt.Errorf("not ready")
		}
		return nil
	})
	ns := tenantClusterName(cg, "web")
	mustCreate(t, newTaskDefinition(ns, "web", "nginx"))
	svc := newService(ns, "api", "web", 1)
	svc.Spec.LoadBalancers = []ecsv1.LoadBalancer{{ContainerName: "web", ContainerPort: ptr.To[int32](8080)}}
	mustCreate(t, svc)
	route := &unstructured.Unstructured{}
	route.SetGroupVersionKind(httpRouteGVK)
	eventually(t, "the tenant's HTTPRoute", func() error {
		return k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: ingressName(cg)}, route)
	})
	parents, _, _ := unstructured.NestedSlice(route.Object, "spec", "parentRefs")
	rules, _, _ := unstructured.NestedSlice(route.Object, "spec", "rules")
	last := fmt.Sprint(rules[len(rules)-1])
	if len(parents) != 1 || !strings.Contains(fmt.Sprint(parents[0]), "public") || !strings.Contains(last, "/web/") || !strings.Contains(last, "api-8080") {
		t.Fatalf("route parents %v rules %v", parents, rules)
	}

	// Switching the entry point to an Ingress leaves one kind only, and back again.
	switchEntry := func(gateway *ecsv1.GatewayReference) {
		t.Helper()
		eventually(t, "switching the entry point", func() error {
			if err := get(t, cg); err != nil {
				return err
			}
			cg.Spec.Ingress = &ecsv1.CellGroupIngress{Gateway: gateway}
			return k8s.Update(t.Context(), cg)
		})
	}
	key := client.ObjectKey{Namespace: ns, Name: ingressName(cg)}
	gone := func(o client.Object) func() error {
		return func() error {
			if err := k8s.Get(t.Context(), key, o); !apierrors.IsNotFound(err) {
				return fmt.Errorf("%T still there (%w)", o, err)
			}
			return nil
		}
	}
	switchEntry(nil)
	eventually(t, "the Ingress", func() error { return k8s.Get(t.Context(), key, &networkingv1.Ingress{}) })
	eventually(t, "the HTTPRoute is removed", gone(route))
	switchEntry(&ecsv1.GatewayReference{Name: "public", Namespace: "gateways"})
	eventually(t, "the HTTPRoute again", func() error { return k8s.Get(t.Context(), key, route) })
	eventually(t, "the Ingress is removed", gone(&networkingv1.Ingress{}))
}
