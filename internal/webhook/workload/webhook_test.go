package workload

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/testenv"
	"github.com/ecs-operator/ecs-operator/internal/webhook/cluster"
)

// These tests run the webhook server in a manager and send objects through a real
// kube-apiserver whose ValidatingWebhookConfiguration comes from config/webhook.
var k8s client.Client

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	env, err := testenv.StartWithWebhooks("manifests.yaml")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	// Objects go in as a tenant's user; system:masters so that only the webhooks, not RBAC,
	// decide (RBAC is proven by the controllers' kubectl-mtb test).
	if k8s, err = env.AsUser("dev@tenant.example.com", "system:masters"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	server, err := env.ServeWebhooks(func(_ context.Context, mgr ctrl.Manager) error {
		if err := SetupWithManager(mgr); err != nil {
			return err
		}
		if err := SetupDefaultersWithManager(mgr); err != nil {
			return err
		}
		// manifests.yaml also routes Clusters to this server.
		return cluster.SetupWithManager(mgr)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer server.Stop()
	return m.Run()
}

var seq int

// activeCluster makes a namespace and an ACTIVE Cluster of tenant for it (the Cluster
// controller is not running here, so the test sets the status).
func activeCluster(t *testing.T, tenant string, quota *ecsv1.ClusterQuota) *ecsv1.Cluster {
	t.Helper()
	seq++
	name := fmt.Sprintf("%s-%d-%d", tenant, seq, time.Now().UnixNano()%100000)
	// Labelled as the Cluster controller labels its namespace, so the Cluster webhook lets the
	// Cluster have it.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name,
		Labels: map[string]string{ecsv1.LabelCluster: name, ecsv1.LabelTenant: tenant}}}
	if err := k8s.Create(t.Context(), ns); err != nil {
		t.Fatal(err)
	}
	c := &ecsv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: ns.Name}}
	c.Spec.Tenant = ecsv1.TenantName(tenant)
	c.Spec.Quota = quota
	c.Spec.CapacityProviders = []ecsv1.CapacityProvider{{Name: "on-demand", Type: ecsv1.CapacityProviderEC2}}
	if err := k8s.Create(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	c.Status.Status = ecsv1.ClusterActive
	c.Status.Namespace = ns.Name
	if err := k8s.Status().Update(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	// The webhook reads the manager's cache; wait until it has seen the Cluster ACTIVE.
	time.Sleep(300 * time.Millisecond)
	return c
}

func taskDefinition(ns string) *ecsv1.TaskDefinition {
	td := &ecsv1.TaskDefinition{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}}
	td.Spec.ContainerDefinitions = []ecsv1.ContainerDefinition{{Name: "web", Image: "nginx"}}
	return td
}

func service(ns, taskDefinition string, desired int32) *ecsv1.Service {
	svc := &ecsv1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "svc-"}}
	svc.Spec.TaskDefinition = ecsv1.TaskDefinitionReference(taskDefinition)
	svc.Spec.DesiredCount = ptr.To(desired)
	return svc
}

func expectDenied(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want denied with %q, was admitted", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("want an error containing %q, got %v", want, err)
	}
}

func TestWebhook_ECSWorkloadsOnlyInClusterNamespaces(t *testing.T) {
	plain := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "plain-"}}
	if err := k8s.Create(t.Context(), plain); err != nil {
		t.Fatal(err)
	}
	err := k8s.Create(t.Context(), taskDefinition(plain.Name))
	expectDenied(t, err, fmt.Sprintf("metadata.namespace: Forbidden: namespace %q is not an ECS cluster namespace", plain.Name))

	c := activeCluster(t, "tenant-ns", nil)
	if err := k8s.Create(t.Context(), taskDefinition(c.Name)); err != nil {
		t.Fatalf("a task definition in an ACTIVE cluster's namespace was refused: %v", err)
	}
	task := &ecsv1.Task{ObjectMeta: metav1.ObjectMeta{Namespace: plain.Name, Name: "t"}}
	task.Spec.TaskDefinition = "web"
	expectDenied(t, k8s.Create(t.Context(), task), "is not an ECS cluster namespace")
}

func TestWebhook_TaskDefinitionRulesCELCannotSay(t *testing.T) {
	c := activeCluster(t, "tenant-td", nil)
	td := taskDefinition(c.Name)
	td.Spec.RequiresCompatibilities = []ecsv1.Compatibility{"FARGATE"}
	td.Spec.NetworkMode = ecsv1.NetworkModeAwsVpc
	td.Spec.CPU, td.Spec.Memory = "512", "512"
	expectDenied(t, k8s.Create(t.Context(), td), "Fargate does not offer 512 MiB with 512 cpu units")
}

func TestWebhook_DesiredCountWithinMaxTasksPerService(t *testing.T) {
	c := activeCluster(t, "tenant-dc", &ecsv1.ClusterQuota{MaxTasksPerService: ptr.To[int32](10)})
	if err := k8s.Create(t.Context(), service(c.Name, "web", 10)); err != nil {
		t.Fatalf("desiredCount at the cap was refused: %v", err)
	}
	expectDenied(t, k8s.Create(t.Context(), service(c.Name, "web", 11)), "spec.desiredCount: Invalid value: 11: exceeds cluster "+c.Name+"'s maxTasksPerService of 10")

	// kubectl scale goes through the scale subresource and is held to the same cap.
	svc := service(c.Name, "web", 2)
	if err := k8s.Create(t.Context(), svc); err != nil {
		t.Fatal(err)
	}
	scale := &autoscalingv1.Scale{}
	if err := k8s.SubResource("scale").Get(t.Context(), svc, scale); err != nil {
		t.Fatal(err)
	}
	scale.Spec.Replicas = 10
	if err := k8s.SubResource("scale").Update(t.Context(), svc, client.WithSubResourceBody(scale)); err != nil {
		t.Fatalf("scaling to the cap was refused: %v", err)
	}
	if err := k8s.SubResource("scale").Get(t.Context(), svc, scale); err != nil {
		t.Fatal(err)
	}
	scale.Spec.Replicas = 11
	expectDenied(t, k8s.SubResource("scale").Update(t.Context(), svc, client.WithSubResourceBody(scale)),
		"spec.replicas: Invalid value: 11: exceeds cluster "+c.Name+"'s maxTasksPerService of 10")
}

func TestWebhook_MaxServicesAndMaxTasks(t *testing.T) {
	c := activeCluster(t, "tenant-q", &ecsv1.ClusterQuota{MaxServices: ptr.To[int32](1), MaxTasks: ptr.To[int32](5)})
	if err := k8s.Create(t.Context(), service(c.Name, "web", 3)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	expectDenied(t, k8s.Create(t.Context(), service(c.Name, "web", 1)), "already has 1 services, its maxServices")

	c2 := activeCluster(t, "tenant-q", &ecsv1.ClusterQuota{MaxTasks: ptr.To[int32](5)})
	expectDenied(t, k8s.Create(t.Context(), service(c2.Name, "web", 6)), "more than its maxTasks of 5")
}

func TestWebhook_TheTenantWallHoldsForTaskDefinitionReferences(t *testing.T) {
	a1 := activeCluster(t, "tenant-a", nil)
	a2 := activeCluster(t, "tenant-a", nil)
	b := activeCluster(t, "tenant-b", nil)
	if err := k8s.Create(t.Context(), service(a1.Name, a2.Name+"/web", 1)); err != nil {
		t.Fatalf("a reference within the tenant was refused: %v", err)
	}
	expectDenied(t, k8s.Create(t.Context(), service(b.Name, a1.Name+"/web", 1)),
		fmt.Sprintf("spec.taskDefinition: Forbidden: namespace %q belongs to another tenant", a1.Name))
	svc := service(a1.Name, "web", 1)
	svc.Spec.CapacityProviderStrategy = ecsv1.CapacityProviderStrategy{{CapacityProvider: "their-nodes", Weight: ptr.To[int32](1)}}
	expectDenied(t, k8s.Create(t.Context(), svc), "spec.capacityProviderStrategy[0].capacityProvider: Not found")
}

func TestWebhook_DefaultsTheECSWayAndTENANT_IDInEveryRevision(t *testing.T) {
	c := activeCluster(t, "tenant-d", nil)
	td := taskDefinition(c.Name)
	td.Spec.RequiresCompatibilities = []ecsv1.Compatibility{"FARGATE"}
	td.Spec.CPU, td.Spec.Memory = "256", "512"
	if err := k8s.Create(t.Context(), td); err != nil {
		t.Fatal(err)
	}
	ctr := td.Spec.ContainerDefinitions[0]
	if ctr.Essential == nil || !*ctr.Essential || td.Spec.NetworkMode != ecsv1.NetworkModeAwsVpc {
		t.Fatalf("defaults not applied: essential %v networkMode %q", ctr.Essential, td.Spec.NetworkMode)
	}
	if len(ctr.Environment) != 1 || ctr.Environment[0].Name != "TENANT_ID" || ctr.Environment[0].Value != "tenant-d" {
		t.Fatalf("environment %+v", ctr.Environment)
	}

	daemon := service(c.Name, "web", 0)
	daemon.Spec.DesiredCount = nil
	daemon.Spec.SchedulingStrategy = ecsv1.SchedulingDaemon
	if err := k8s.Create(t.Context(), daemon); err != nil {
		t.Fatal(err)
	}
	dc := daemon.Spec.DeploymentConfiguration
	if *dc.MaximumPercent != 100 || *dc.MinimumHealthyPercent != 0 {
		t.Fatalf("DAEMON deployment configuration %d/%d, want ECS's 100/0", *dc.MaximumPercent, *dc.MinimumHealthyPercent)
	}
	replica := service(c.Name, "web", 2)
	if err := k8s.Create(t.Context(), replica); err != nil {
		t.Fatal(err)
	}
	if dc := replica.Spec.DeploymentConfiguration; *dc.MaximumPercent != 200 || *dc.MinimumHealthyPercent != 100 {
		t.Fatalf("REPLICA deployment configuration %d/%d, want 200/100", *dc.MaximumPercent, *dc.MinimumHealthyPercent)
	}
	// The finalizer comes with the creation, so the controller has nothing to write for it.
	if !controllerutil.ContainsFinalizer(replica, ecsv1.Finalizer) {
		t.Fatalf("finalizers %v, want %s", replica.Finalizers, ecsv1.Finalizer)
	}
}

func TestWebhook_ATaskSetJoinsOnlyAnExternalServiceOfItsTenant(t *testing.T) {
	a := activeCluster(t, "tenant-ts", nil)
	b := activeCluster(t, "tenant-ts-other", nil)
	rolling := service(a.Name, "web", 2)
	external := service(a.Name, "", 2)
	external.Spec.DeploymentController = &ecsv1.DeploymentController{Type: ecsv1.DeploymentControllerExternal}
	for _, s := range []*ecsv1.Service{rolling, external} {
		if err := k8s.Create(t.Context(), s); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond)
	taskSet := func(service, taskDefinition string) *ecsv1.TaskSet {
		ts := &ecsv1.TaskSet{ObjectMeta: metav1.ObjectMeta{Namespace: a.Name, GenerateName: "ts-"}}
		ts.Spec.Service, ts.Spec.TaskDefinition = service, ecsv1.TaskDefinitionReference(taskDefinition)
		return ts
	}
	if err := k8s.Create(t.Context(), taskSet(external.Name, "web")); err != nil {
		t.Fatalf("a task set of an EXTERNAL service was refused: %v", err)
	}
	expectDenied(t, k8s.Create(t.Context(), taskSet(rolling.Name, "web")),
		fmt.Sprintf("spec.service: Invalid value: %q: service %s does not use the EXTERNAL deployment controller", rolling.Name, rolling.Name))
	expectDenied(t, k8s.Create(t.Context(), taskSet("nothing", "web")), `spec.service: Not found: "nothing"`)
	expectDenied(t, k8s.Create(t.Context(), taskSet(external.Name, b.Name+"/web")),
		fmt.Sprintf("spec.taskDefinition: Forbidden: namespace %q belongs to another tenant", b.Name))
	outside := taskSet(external.Name, "web")
	outside.Namespace = "default"
	expectDenied(t, k8s.Create(t.Context(), outside), `namespace "default" is not an ECS cluster namespace`)
}
