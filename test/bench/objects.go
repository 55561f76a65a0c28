package main

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/localcluster"
)

// Names of what the benchmark creates. Tenant Clusters are bench-tenant-NN (their namespaces
// have the same name); the floor's plain namespaces are bench-floor-NN.
const (
	fargateProvider = "FARGATE"
	// taskImage runs and turns ready at once on the kwok nodes.
	taskImage = "public.ecr.aws/nginx/nginx:1.27"
	// labelFloor marks the floor's Deployments so that the floor tracker watches only them.
	labelFloor = "bench.ecs.operator.dev/floor"
	// labelApp selects the Pods of a floor or plain Deployment.
	labelApp = "bench.ecs.operator.dev/app"
)

func tenantName(t int) string           { return fmt.Sprintf("bench-tenant-%02d", t) }
func floorNamespace(t int) string       { return fmt.Sprintf("bench-floor-%02d", t) }
func serviceName(i int) string          { return fmt.Sprintf("bench-%05d", i) }
func tenantOf(i, tenants int) int       { return i % tenants }
func namespaceOf(i, tenants int) string { return tenantName(tenantOf(i, tenants)) }

// tenantCluster is a tenant's ECS Cluster with one FARGATE capacity provider (the samples'
// FARGATE entry), so every task lands on the shared FARGATE-like kwok nodes and no tenant needs
// nodes of its own. It has no quota: a ResourceQuota would make the API server serialise the
// creates of each namespace through quota admission, which is the API server's cost, not the
// operator's. Its Pod Security level is baseline, as in the runs docs/benchmarks.md records, so
// that later runs compare with them.
func tenantCluster(t int) *ecsv1.Cluster {
	return &ecsv1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: tenantName(t)},
		Spec: ecsv1.ClusterSpec{
			Tenant: ecsv1.TenantName(tenantName(t)),
			ClusterSettings: ecsv1.ClusterSettings{
				CapacityProviders: []ecsv1.CapacityProvider{{
					Name:         fargateProvider,
					Type:         ecsv1.CapacityProviderFargate,
					NodeSelector: map[string]string{localcluster.LabelVirtualKubelet: "virtual-kubelet"},
					Tolerations: []corev1.Toleration{{
						Key: localcluster.TaintVirtualKubelet, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule,
					}},
				}},
				DefaultCapacityProviderStrategy: ecsv1.CapacityProviderStrategy{{CapacityProvider: fargateProvider, Weight: ptr.To[int32](1)}},
				PodSecurity:                     ecsv1.PodSecurityBaseline,
			},
		},
	}
}

// taskDefinition is the smallest useful FARGATE task definition: one essential web container.
func taskDefinition(namespace, name string) *ecsv1.TaskDefinition {
	return &ecsv1.TaskDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: ecsv1.TaskDefinitionSpec{
			Family:                  ecsv1.Family(name),
			CPU:                     "256",
			Memory:                  "512",
			NetworkMode:             "awsvpc",
			RequiresCompatibilities: []ecsv1.Compatibility{"FARGATE"},
			ContainerDefinitions: []ecsv1.ContainerDefinition{{
				Name:      "web",
				Image:     taskImage,
				Essential: ptr.To(true),
				PortMappings: []ecsv1.PortMapping{{
					Name: "http", ContainerPort: ptr.To[int32](8080),
				}},
			}},
		},
	}
}

// service runs desired tasks of the task definition family of the same name, placed by the
// Cluster's default strategy (FARGATE).
func service(namespace, name string, desired int32) *ecsv1.Service {
	return &ecsv1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: ecsv1.ServiceSpec{
			TaskDefinition: ecsv1.TaskDefinitionReference(name),
			DesiredCount:   ptr.To(desired),
		},
	}
}

// plainDeployment is the Deployment a bare client would create for the same tasks: the pod spec
// of template (a Deployment the operator made), under a selector of its own and without the
// operator's labels, owner and service account, so the operator never sees it.
func plainDeployment(template *appsv1.Deployment, namespace, name string, replicas int32, floor bool) *appsv1.Deployment {
	labels := map[string]string{labelApp: name}
	objLabels := map[string]string{labelApp: name}
	if floor {
		objLabels[labelFloor] = "true"
	}
	podSpec := *template.Spec.Template.Spec.DeepCopy()
	// The operator's task roles become ServiceAccounts in the tenant's namespace; the floor's
	// namespaces have only "default".
	podSpec.ServiceAccountName = ""
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: objLabels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Strategy: *template.Spec.Strategy.DeepCopy(),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: template.Spec.Template.Annotations},
				Spec:       podSpec,
			},
		},
	}
}
