// Package install proves the chart on the local cluster: helm install, upgrade and uninstall as a
// platform team runs them. The chart's Pods run as processes of this machine (localcluster's
// ProcessNodes play their kubelet): the manager built from this tree, with the args, env and
// mounts the chart renders, acting as the chart's ServiceAccount, so that the chart's RBAC has
// to be enough for every controller and webhook, and the API server calls the webhooks through
// the chart's Service.
package install

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/localcluster"
	"github.com/ecs-operator/ecs-operator/test/chartenv"
)

const (
	release        = chartenv.Release
	namespace      = chartenv.Namespace
	webhookService = chartenv.WebhookService
	webhookSecret  = chartenv.WebhookSecret
	leaseName      = chartenv.LeaseName
	// upgradeColumn is the printer column the upgraded chart adds to the Service CRD.
	upgradeColumn = "Upgraded"
)

// webhookConfigurations are the configurations the chart installs and the manager injects its
// CA into.
var webhookConfigurations = []client.Object{
	&admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "ecs-operator-mutating-webhook-configuration"}},
	&admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "ecs-operator-pod-mutating-webhook-configuration"}},
	&admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "ecs-operator-namespace-validating-webhook-configuration"}},
	&admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "ecs-operator-pod-validating-webhook-configuration"}},
	&admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "ecs-operator-validating-webhook-configuration"}},
}

var managerPods = chartenv.ManagerPods

// installEnv is what the steps share.
type installEnv struct{ *chartenv.Env }

func start(t *testing.T) *installEnv {
	return &installEnv{chartenv.Start(t, os.Getenv("INSTALL_TEST_CLUSTER_DIR"))}
}

func init() {
	// The clients here log nothing worth reading; say so, so controller-runtime does not warn.
	ctrllog.SetLogger(logr.Discard())
}

func TestHelmInstallUpgradeUninstall(t *testing.T) {
	e := start(t)
	steps := []struct {
		name string
		run  func(*testing.T, *installEnv)
	}{
		{"install registers the CRDs and the webhooks, and both replicas become ready", testInstall},
		{"the samples reach a steady state and the webhooks guard the tenants", testSamples},
		{"upgrade applies a changed CRD and keeps the CA bundles", testUpgrade},
		{"the chart's RBAC allowed everything the manager did", func(t *testing.T, e *installEnv) { e.NothingForbidden(t, "") }},
		{"uninstall removes the webhook configurations first and keeps the CRDs and objects", testUninstall},
		// While the release goes, its Role may go before its Pods: only the hook's lines count.
		{"the hook's RBAC allowed what it did", func(t *testing.T, e *installEnv) { e.NothingForbidden(t, release+"-pre-delete-") }},
	}
	for _, s := range steps {
		if !t.Run(s.name, func(t *testing.T) { s.run(t, e) }) {
			return // each step needs the one before
		}
	}
}

func testInstall(t *testing.T, e *installEnv) {
	e.Install(t)
	e.checkInstalled(t, true)
}

// TestPlainManifests installs with make build-installer's dist/install.yaml, applied
// server-side as kubectl apply --server-side does, twice: the second apply changes nothing the
// manager wrote (the CA bundles).
func TestPlainManifests(t *testing.T) {
	e := start(t)
	installer := filepath.Join(t.TempDir(), "install.yaml")
	make := exec.Command("make", "-s", "build-installer", "INSTALLER="+installer, "HELM="+e.HelmBinary)
	make.Dir = e.Root
	if out, err := make.CombinedOutput(); err != nil {
		t.Fatalf("make build-installer: %v\n%s", err, out)
	}
	// The port the webhook server listens on here, as --set webhooks.port does for helm.
	port := e.WebhookPort
	editFile(t, installer, "--webhook-port=9443\n", "--webhook-port="+port+"\n")
	editFile(t, installer, "containerPort: 9443\n", "containerPort: "+port+"\n")
	objs, err := localcluster.ReadManifests(filepath.Dir(installer))
	if err != nil {
		t.Fatal(err)
	}
	apply := func(t *testing.T) {
		for _, m := range objs {
			u := m.Object.DeepCopy()
			if err := e.Client.Apply(t.Context(), client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("kubectl")); err != nil {
				t.Fatalf("kubectl apply --server-side: %s %s: %v", u.GetKind(), u.GetName(), err)
			}
		}
	}
	steps := []struct {
		name string
		run  func(*testing.T, *installEnv)
	}{
		{"apply registers the CRDs and the webhooks, and both replicas become ready", func(t *testing.T, e *installEnv) {
			apply(t)
			e.checkInstalled(t, false)
		}},
		{"the samples reach a steady state and the webhooks guard the tenants", testSamples},
		{"applying again keeps what the manager wrote", func(t *testing.T, e *installEnv) {
			apply(t)
			e.checkInstalled(t, false)
		}},
		{"the chart's RBAC allowed everything the manager did", func(t *testing.T, e *installEnv) { e.NothingForbidden(t, "") }},
	}
	for _, s := range steps {
		if !t.Run(s.name, func(t *testing.T) { s.run(t, e) }) {
			return
		}
	}
}

// checkInstalled checks what an install leaves: established CRDs (kept on uninstall when
// installed by Helm), two ready replicas acting as the chart's ServiceAccount, a leader, and the
// rotated certificate's CA in every webhook, which reaches the webhook server through the
// chart's Service.
func (e *installEnv) checkInstalled(t *testing.T, byHelm bool) {
	g := NewWithT(t)
	crds, err := localcluster.ReadManifests(filepath.Join(e.Root, "config", "crd", "bases"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(crds).To(HaveLen(6))
	g.Eventually(func(g Gomega) {
		for _, m := range crds {
			crd := &apiextensionsv1.CustomResourceDefinition{}
			g.Expect(e.Client.Get(t.Context(), client.ObjectKey{Name: m.Object.GetName()}, crd)).To(Succeed())
			g.Expect(crdEstablished(crd)).To(BeTrue(), "CRD %s is not established: %+v", crd.Name, crd.Status.Conditions)
			if byHelm {
				g.Expect(crd.Annotations).To(HaveKeyWithValue("helm.sh/resource-policy", "keep"), "CRD %s", crd.Name)
			}
		}
	}).WithTimeout(30 * time.Second).Should(Succeed())

	// Every replica's webhook server is ready (readiness includes it), not only the leader's.
	g.Expect(localcluster.WaitPodsReady(t.Context(), e.Client, namespace, managerPods, 2, time.Minute)).To(Succeed())
	var pods corev1.PodList
	g.Expect(e.Client.List(t.Context(), &pods, client.InNamespace(namespace), managerPods)).To(Succeed())
	for _, p := range pods.Items {
		g.Expect(e.Nodes.Process(p.Namespace, p.Name)).NotTo(BeNil(), "pod %s runs no manager", p.Name)
		g.Expect(p.Spec.ServiceAccountName).To(Equal(release))
	}
	lease := &coordinationv1.Lease{}
	g.Eventually(func(g Gomega) {
		g.Expect(e.Client.Get(t.Context(), client.ObjectKey{Namespace: namespace, Name: leaseName}, lease)).To(Succeed())
		g.Expect(lease.Spec.HolderIdentity).NotTo(BeNil())
	}).WithTimeout(time.Minute).Should(Succeed(), "no replica leads")
	// The holder's identity names the leading Pod ($POD_NAME), as `kubectl get lease` shows it.
	leader, _, _ := strings.Cut(*lease.Spec.HolderIdentity, "_")
	g.Expect(pods.Items).To(ContainElement(HaveField("Name", leader)), "the Lease's holder %s is no manager Pod", *lease.Spec.HolderIdentity)

	secret := &corev1.Secret{}
	g.Eventually(func(g Gomega) {
		g.Expect(e.Client.Get(t.Context(), client.ObjectKey{Namespace: namespace, Name: webhookSecret}, secret)).To(Succeed())
		g.Expect(secret.Data).To(HaveKey("ca.crt"))
	}).WithTimeout(time.Minute).Should(Succeed(), "no rotated certificate")
	g.Expect(e.Client.Get(t.Context(), client.ObjectKey{Namespace: namespace, Name: webhookSecret}, secret)).To(Succeed())
	g.Expect(secret.Data).To(HaveKey("ca.crt"))
	for _, obj := range webhookConfigurations {
		g.Expect(e.Client.Get(t.Context(), client.ObjectKeyFromObject(obj), obj)).To(Succeed())
		for _, cc := range clientConfigs(obj) {
			g.Expect(cc.URL).To(BeNil(), "%s", obj.GetName())
			g.Expect(cc.Service).NotTo(BeNil(), "%s", obj.GetName())
			g.Expect(cc.Service.Namespace).To(Equal(namespace))
			g.Expect(cc.Service.Name).To(Equal(webhookService))
			g.Expect(cc.CABundle).To(Equal(secret.Data["ca.crt"]), "%s has not the CA of the rotated certificate", obj.GetName())
		}
	}
}

func testSamples(t *testing.T, e *installEnv) {
	g := NewWithT(t)
	samples, err := localcluster.ReadManifests(filepath.Join(e.Root, "config", "samples"))
	g.Expect(err).NotTo(HaveOccurred())
	// Namespaced samples wait for their Cluster's namespace.
	g.Eventually(func(g Gomega) {
		for _, m := range samples {
			u := m.Object.DeepCopy()
			g.Expect(e.Client.Apply(t.Context(), client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("install-test"), client.ForceOwnership)).
				To(Succeed(), "%s", m.Source)
		}
	}).WithTimeout(time.Minute).WithPolling(500 * time.Millisecond).Should(Succeed())

	var services ecsv1.ServiceList
	g.Eventually(func(g Gomega) {
		var clusters ecsv1.ClusterList
		g.Expect(e.Client.List(t.Context(), &clusters)).To(Succeed())
		g.Expect(clusters.Items).NotTo(BeEmpty())
		for _, cl := range clusters.Items {
			g.Expect(cl.Status.Status).To(Equal(ecsv1.ClusterActive), "cluster %s", cl.Name)
		}
		g.Expect(e.Client.List(t.Context(), &services)).To(Succeed())
		g.Expect(services.Items).NotTo(BeEmpty())
		for _, s := range services.Items {
			g.Expect(meta.IsStatusConditionTrue(s.Status.Conditions, "Ready")).To(BeTrue(), "service %s/%s: %+v", s.Namespace, s.Name, s.Status.Conditions)
		}
	}).WithTimeout(2 * time.Minute).WithPolling(time.Second).Should(Succeed())

	// Only the Pod webhook refuses a cluster administrator's host-network Pod in a tenant's
	// namespace: the API server reached it through the chart's Service.
	hostPod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: services.Items[0].Namespace, Name: "host-network"},
		Spec:       corev1.PodSpec{HostNetwork: true, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
	err = e.Client.Create(t.Context(), hostPod)
	g.Expect(apierrors.IsForbidden(err) || apierrors.IsInvalid(err)).To(BeTrue(), "want a refusal, got %v", err)
	g.Expect(err.Error()).To(ContainSubstring("hostNetwork"))
}

func testUpgrade(t *testing.T, e *installEnv) {
	g := NewWithT(t)
	chart := filepath.Join(t.TempDir(), "ecs-operator")
	g.Expect(os.CopyFS(chart, os.DirFS(filepath.Join(e.Root, "charts", "ecs-operator")))).To(Succeed())
	// The next version of the chart: a new printer column on the Service CRD.
	editFile(t, filepath.Join(chart, "Chart.yaml"), "\nversion: 0.1.0\n", "\nversion: 0.1.1\n")
	editFile(t, filepath.Join(chart, "templates", "crds", "ecs.operator.dev_services.yaml"),
		"  versions:\n  - additionalPrinterColumns:\n",
		"  versions:\n  - additionalPrinterColumns:\n    - jsonPath: .spec.launchType\n      name: "+upgradeColumn+"\n      type: string\n")
	e.Helm(t, append([]string{"upgrade", release, chart, "--namespace", namespace, "--wait", "--timeout", "3m"}, e.Values...)...)

	crd := &apiextensionsv1.CustomResourceDefinition{}
	g.Expect(e.Client.Get(t.Context(), client.ObjectKey{Name: "services.ecs.operator.dev"}, crd)).To(Succeed())
	var columns []string
	for _, c := range crd.Spec.Versions[0].AdditionalPrinterColumns {
		columns = append(columns, c.Name)
	}
	g.Expect(columns).To(ContainElement(upgradeColumn))
	g.Expect(crdEstablished(crd)).To(BeTrue())

	for _, obj := range webhookConfigurations {
		g.Expect(e.Client.Get(t.Context(), client.ObjectKeyFromObject(obj), obj)).To(Succeed())
		for _, cc := range clientConfigs(obj) {
			g.Expect(cc.CABundle).NotTo(BeEmpty(), "the upgrade removed the CA bundle of %s", obj.GetName())
		}
	}
	g.Expect(localcluster.WaitPodsReady(t.Context(), e.Client, namespace, managerPods, 2, 2*time.Minute)).To(Succeed())
	var services ecsv1.ServiceList
	g.Expect(e.Client.List(t.Context(), &services)).To(Succeed())
	for _, s := range services.Items {
		g.Expect(meta.IsStatusConditionTrue(s.Status.Conditions, "Ready")).To(BeTrue(), "service %s/%s after the upgrade", s.Namespace, s.Name)
	}
}

func testUninstall(t *testing.T, e *installEnv) {
	g := NewWithT(t)
	// The pre-delete hook Job runs the manager with --delete-webhook-configurations as its own
	// ServiceAccount; a failed hook fails the uninstall.
	e.Helm(t, "uninstall", release, "--namespace", namespace, "--wait", "--timeout", "3m")

	for _, obj := range webhookConfigurations {
		err := e.Client.Get(t.Context(), client.ObjectKeyFromObject(obj), obj)
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%s is left behind (%v)", obj.GetName(), err)
	}
	g.Expect(e.Client.Get(t.Context(), client.ObjectKey{Namespace: namespace, Name: release}, &appsv1.Deployment{})).
		To(Satisfy(apierrors.IsNotFound), "the Deployment is left behind")
	g.Eventually(func(g Gomega) {
		var pods corev1.PodList
		g.Expect(e.Client.List(t.Context(), &pods, client.InNamespace(namespace))).To(Succeed())
		g.Expect(pods.Items).To(BeEmpty())
	}).WithTimeout(time.Minute).Should(Succeed(), "the chart's Pods are left behind")

	crds, err := localcluster.ReadManifests(filepath.Join(e.Root, "config", "crd", "bases"))
	g.Expect(err).NotTo(HaveOccurred())
	for _, m := range crds {
		g.Expect(e.Client.Get(t.Context(), client.ObjectKey{Name: m.Object.GetName()}, &apiextensionsv1.CustomResourceDefinition{})).
			To(Succeed(), "CRD %s was deleted (crds.keep is the default)", m.Object.GetName())
	}
	var services ecsv1.ServiceList
	g.Expect(e.Client.List(t.Context(), &services)).To(Succeed())
	g.Expect(services.Items).NotTo(BeEmpty(), "the users' Services went with the release")
	var clusters ecsv1.ClusterList
	g.Expect(e.Client.List(t.Context(), &clusters)).To(Succeed())
	g.Expect(clusters.Items).NotTo(BeEmpty(), "the users' Clusters went with the release")
}

func crdEstablished(crd *apiextensionsv1.CustomResourceDefinition) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
			return true
		}
	}
	return false
}

func clientConfigs(obj client.Object) []admissionregistrationv1.WebhookClientConfig {
	var out []admissionregistrationv1.WebhookClientConfig
	switch o := obj.(type) {
	case *admissionregistrationv1.MutatingWebhookConfiguration:
		for _, w := range o.Webhooks {
			out = append(out, w.ClientConfig)
		}
	case *admissionregistrationv1.ValidatingWebhookConfiguration:
		for _, w := range o.Webhooks {
			out = append(out, w.ClientConfig)
		}
	}
	return out
}

// editFile replaces the one occurrence of old in path with new.
func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), old); n != 1 {
		t.Fatalf("%s holds %q %d times, want once", path, old, n)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}
