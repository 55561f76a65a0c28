// Package install proves the chart on the local cluster: helm install, upgrade and uninstall as a
// platform team runs them. The chart's Pods run as processes of this machine (localcluster's
// ProcessNodes play their kubelet): the manager built from this tree, with the args, env and
// mounts the chart renders, acting as the chart's ServiceAccount, so that the chart's RBAC has
// to be enough for every controller and webhook, and the API server calls the webhooks through
// the chart's Service.
package install

import (
	"bytes"
	"net"
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
	"github.com/ecs-operator/ecs-operator/internal/testenv"
)

const (
	release   = "ecs-operator"
	namespace = "ecs-operator-system"
	// The chart's objects for the release name "ecs-operator".
	webhookService = "ecs-operator-webhook"
	webhookSecret  = "ecs-operator-webhook-cert"
	leaseName      = "ecs-operator.ecs.operator.dev"
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

var managerPods = client.MatchingLabels{"app.kubernetes.io/instance": release, "app.kubernetes.io/component": "manager"}

// installEnv is what the steps share.
type installEnv struct {
	root, helm, dir string
	// podLog is what the chart's Pods printed.
	podLog  string
	cluster *localcluster.Cluster
	nodes   *localcluster.ProcessNodes
	c       client.Client
	// values are the --set flags every helm call repeats: only what this machine needs.
	values []string
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
		{"the chart's RBAC allowed everything the manager did", func(t *testing.T, e *installEnv) { e.nothingForbidden(t, "") }},
		{"uninstall removes the webhook configurations first and keeps the CRDs and objects", testUninstall},
		// While the release goes, its Role may go before its Pods: only the hook's lines count.
		{"the hook's RBAC allowed what it did", func(t *testing.T, e *installEnv) { e.nothingForbidden(t, release+"-pre-delete-") }},
	}
	for _, s := range steps {
		if !t.Run(s.name, func(t *testing.T) { s.run(t, e) }) {
			return // each step needs the one before
		}
	}
}

func start(t *testing.T) *installEnv {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	e := &installEnv{root: root, helm: helmBinary(t, root), dir: t.TempDir()}
	hostIP := localcluster.FirstHostIP()
	if hostIP == "" {
		t.Fatal("this machine has no IPv4 address other than loopback, where the API server could reach the chart's Pods")
	}
	manager := filepath.Join(e.dir, "manager")
	build := exec.Command("go", "build", "-o", manager, "./cmd/manager")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the manager: %v\n%s", err, out)
	}
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(root, "bin", "k8s", testenv.KubernetesVersion)
	}
	scheme, err := testenv.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	// No CRDs: the chart installs them.
	e.cluster, err = localcluster.Start(t.Context(), localcluster.Options{
		Assets: assets, Scheme: scheme, Nodes: localcluster.Fleet("tenant-a", "tenant-b"), Dir: os.Getenv("INSTALL_TEST_CLUSTER_DIR"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.cluster.Stop(); err != nil {
			t.Errorf("stopping the local cluster: %v", err)
		}
	})
	e.c = e.cluster.Client
	e.podLog = filepath.Join(e.dir, "pods.log")
	podLog, err := os.Create(e.podLog)
	if err != nil {
		t.Fatal(err)
	}
	e.nodes, err = localcluster.StartProcessNodes(t.Context(), e.c, localcluster.ProcessNodesOptions{
		Nodes: []string{"operator-1", "operator-2"}, Binary: manager, HostIP: hostIP,
		Kubeconfig: e.cluster.Kubeconfig, Dir: filepath.Join(e.dir, "pods"), Out: podLog,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.nodes.Stop(); err != nil {
			t.Logf("stopping the chart's processes: %v", err)
		}
		if t.Failed() {
			b, _ := os.ReadFile(e.podLog)
			t.Logf("the chart's Pods' output (last 200 lines):\n%s", lastLines(string(b), 200))
		}
	})
	// The webhook server listens on every address of this machine: a port nothing holds.
	addr, err := localcluster.HostAddress(hostIP)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(addr)
	e.values = []string{"--set", "webhooks.port=" + port}
	return e
}

func testInstall(t *testing.T, e *installEnv) {
	e.runHelm(t, append([]string{"install", release, filepath.Join(e.root, "charts", "ecs-operator"),
		"--namespace", namespace, "--create-namespace", "--wait", "--timeout", "3m"}, e.values...)...)
	e.checkInstalled(t, true)
}

// TestPlainManifests installs with make build-installer's dist/install.yaml, applied
// server-side as kubectl apply --server-side does, twice: the second apply changes nothing the
// manager wrote (the CA bundles).
func TestPlainManifests(t *testing.T) {
	e := start(t)
	installer := filepath.Join(t.TempDir(), "install.yaml")
	make := exec.Command("make", "-s", "build-installer", "INSTALLER="+installer, "HELM="+e.helm)
	make.Dir = e.root
	if out, err := make.CombinedOutput(); err != nil {
		t.Fatalf("make build-installer: %v\n%s", err, out)
	}
	// The port the webhook server listens on here, as --set webhooks.port does for helm.
	_, port, _ := strings.Cut(e.values[1], "=")
	editFile(t, installer, "--webhook-port=9443\n", "--webhook-port="+port+"\n")
	editFile(t, installer, "containerPort: 9443\n", "containerPort: "+port+"\n")
	objs, err := localcluster.ReadManifests(filepath.Dir(installer))
	if err != nil {
		t.Fatal(err)
	}
	apply := func(t *testing.T) {
		for _, m := range objs {
			u := m.Object.DeepCopy()
			if err := e.c.Apply(t.Context(), client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("kubectl")); err != nil {
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
		{"the chart's RBAC allowed everything the manager did", func(t *testing.T, e *installEnv) { e.nothingForbidden(t, "") }},
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
	crds, err := localcluster.ReadManifests(filepath.Join(e.root, "config", "crd", "bases"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(crds).To(HaveLen(6))
	g.Eventually(func(g Gomega) {
		for _, m := range crds {
			crd := &apiextensionsv1.CustomResourceDefinition{}
			g.Expect(e.c.Get(t.Context(), client.ObjectKey{Name: m.Object.GetName()}, crd)).To(Succeed())
			g.Expect(crdEstablished(crd)).To(BeTrue(), "CRD %s is not established: %+v", crd.Name, crd.Status.Conditions)
			if byHelm {
				g.Expect(crd.Annotations).To(HaveKeyWithValue("helm.sh/resource-policy", "keep"), "CRD %s", crd.Name)
			}
		}
	}).WithTimeout(30 * time.Second).Should(Succeed())

	// Every replica's webhook server is ready (readiness includes it), not only the leader's.
	g.Expect(localcluster.WaitPodsReady(t.Context(), e.c, namespace, managerPods, 2, time.Minute)).To(Succeed())
	var pods corev1.PodList
	g.Expect(e.c.List(t.Context(), &pods, client.InNamespace(namespace), managerPods)).To(Succeed())
	for _, p := range pods.Items {
		g.Expect(e.nodes.Process(p.Namespace, p.Name)).NotTo(BeNil(), "pod %s runs no manager", p.Name)
		g.Expect(p.Spec.ServiceAccountName).To(Equal(release))
	}
	lease := &coordinationv1.Lease{}
	g.Eventually(func(g Gomega) {
		g.Expect(e.c.Get(t.Context(), client.ObjectKey{Namespace: namespace, Name: leaseName}, lease)).To(Succeed())
		g.Expect(lease.Spec.HolderIdentity).NotTo(BeNil())
	}).WithTimeout(time.Minute).Should(Succeed(), "no replica leads")

	secret := &corev1.Secret{}
	g.Eventually(func(g Gomega) {
		g.Expect(e.c.Get(t.Context(), client.ObjectKey{Namespace: namespace, Name: webhookSecret}, secret)).To(Succeed())
		g.Expect(secret.Data).To(HaveKey("ca.crt"))
	}).WithTimeout(time.Minute).Should(Succeed(), "no rotated certificate")
	g.Expect(e.c.Get(t.Context(), client.ObjectKey{Namespace: namespace, Name: webhookSecret}, secret)).To(Succeed())
	g.Expect(secret.Data).To(HaveKey("ca.crt"))
	for _, obj := range webhookConfigurations {
		g.Expect(e.c.Get(t.Context(), client.ObjectKeyFromObject(obj), obj)).To(Succeed())
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
	samples, err := localcluster.ReadManifests(filepath.Join(e.root, "config", "samples"))
	g.Expect(err).NotTo(HaveOccurred())
	// Namespaced samples wait for their Cluster's namespace.
	g.Eventually(func(g Gomega) {
		for _, m := range samples {
			u := m.Object.DeepCopy()
			g.Expect(e.c.Apply(t.Context(), client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("install-test"), client.ForceOwnership)).
				To(Succeed(), "%s", m.Source)
		}
	}).WithTimeout(time.Minute).WithPolling(500 * time.Millisecond).Should(Succeed())

	var services ecsv1.ServiceList
	g.Eventually(func(g Gomega) {
		var clusters ecsv1.ClusterList
		g.Expect(e.c.List(t.Context(), &clusters)).To(Succeed())
		g.Expect(clusters.Items).NotTo(BeEmpty())
		for _, cl := range clusters.Items {
			g.Expect(cl.Status.Status).To(Equal(ecsv1.ClusterActive), "cluster %s", cl.Name)
		}
		g.Expect(e.c.List(t.Context(), &services)).To(Succeed())
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
	err = e.c.Create(t.Context(), hostPod)
	g.Expect(apierrors.IsForbidden(err) || apierrors.IsInvalid(err)).To(BeTrue(), "want a refusal, got %v", err)
	g.Expect(err.Error()).To(ContainSubstring("hostNetwork"))
}

func testUpgrade(t *testing.T, e *installEnv) {
	g := NewWithT(t)
	chart := filepath.Join(t.TempDir(), "ecs-operator")
	g.Expect(os.CopyFS(chart, os.DirFS(filepath.Join(e.root, "charts", "ecs-operator")))).To(Succeed())
	// The next version of the chart: a new printer column on the Service CRD.
	editFile(t, filepath.Join(chart, "Chart.yaml"), "\nversion: 0.1.0\n", "\nversion: 0.1.1\n")
	editFile(t, filepath.Join(chart, "templates", "crds", "ecs.operator.dev_services.yaml"),
		"  versions:\n  - additionalPrinterColumns:\n",
		"  versions:\n  - additionalPrinterColumns:\n    - jsonPath: .spec.launchType\n      name: "+upgradeColumn+"\n      type: string\n")
	e.runHelm(t, append([]string{"upgrade", release, chart, "--namespace", namespace, "--wait", "--timeout", "3m"}, e.values...)...)

	crd := &apiextensionsv1.CustomResourceDefinition{}
	g.Expect(e.c.Get(t.Context(), client.ObjectKey{Name: "services.ecs.operator.dev"}, crd)).To(Succeed())
	var columns []string
	for _, c := range crd.Spec.Versions[0].AdditionalPrinterColumns {
		columns = append(columns, c.Name)
	}
	g.Expect(columns).To(ContainElement(upgradeColumn))
	g.Expect(crdEstablished(crd)).To(BeTrue())

	for _, obj := range webhookConfigurations {
		g.Expect(e.c.Get(t.Context(), client.ObjectKeyFromObject(obj), obj)).To(Succeed())
		for _, cc := range clientConfigs(obj) {
			g.Expect(cc.CABundle).NotTo(BeEmpty(), "the upgrade removed the CA bundle of %s", obj.GetName())
		}
	}
	g.Expect(localcluster.WaitPodsReady(t.Context(), e.c, namespace, managerPods, 2, 2*time.Minute)).To(Succeed())
	var services ecsv1.ServiceList
	g.Expect(e.c.List(t.Context(), &services)).To(Succeed())
	for _, s := range services.Items {
		g.Expect(meta.IsStatusConditionTrue(s.Status.Conditions, "Ready")).To(BeTrue(), "service %s/%s after the upgrade", s.Namespace, s.Name)
	}
}

func testUninstall(t *testing.T, e *installEnv) {
	g := NewWithT(t)
	// The pre-delete hook Job runs the manager with --delete-webhook-configurations as its own
	// ServiceAccount; a failed hook fails the uninstall.
	e.runHelm(t, "uninstall", release, "--namespace", namespace, "--wait", "--timeout", "3m")

	for _, obj := range webhookConfigurations {
		err := e.c.Get(t.Context(), client.ObjectKeyFromObject(obj), obj)
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%s is left behind (%v)", obj.GetName(), err)
	}
	g.Expect(e.c.Get(t.Context(), client.ObjectKey{Namespace: namespace, Name: release}, &appsv1.Deployment{})).
		To(Satisfy(apierrors.IsNotFound), "the Deployment is left behind")
	g.Eventually(func(g Gomega) {
		var pods corev1.PodList
		g.Expect(e.c.List(t.Context(), &pods, client.InNamespace(namespace))).To(Succeed())
		g.Expect(pods.Items).To(BeEmpty())
	}).WithTimeout(time.Minute).Should(Succeed(), "the chart's Pods are left behind")

	crds, err := localcluster.ReadManifests(filepath.Join(e.root, "config", "crd", "bases"))
	g.Expect(err).NotTo(HaveOccurred())
	for _, m := range crds {
		g.Expect(e.c.Get(t.Context(), client.ObjectKey{Name: m.Object.GetName()}, &apiextensionsv1.CustomResourceDefinition{})).
			To(Succeed(), "CRD %s was deleted (crds.keep is the default)", m.Object.GetName())
	}
	var services ecsv1.ServiceList
	g.Expect(e.c.List(t.Context(), &services)).To(Succeed())
	g.Expect(services.Items).NotTo(BeEmpty(), "the users' Services went with the release")
	var clusters ecsv1.ClusterList
	g.Expect(e.c.List(t.Context(), &clusters)).To(Succeed())
	g.Expect(clusters.Items).NotTo(BeEmpty(), "the users' Clusters went with the release")
}

// nothingForbidden fails for every refusal of the API server in the output of the Pods whose
// names start with prefix: the chart's RBAC must be enough for everything they do.
func (e *installEnv) nothingForbidden(t *testing.T, prefix string) {
	b, err := os.ReadFile(e.podLog)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		if strings.Contains(line, "forbidden") || strings.Contains(line, "Forbidden") {
			t.Errorf("the API server refused the chart's ServiceAccount: %s", line)
		}
	}
}

func (e *installEnv) runHelm(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(e.helm, append(args, "--kubeconfig", e.cluster.Kubeconfig)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// Helm keeps its caches and configuration here, not in the user's home.
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+filepath.Join(e.dir, "helm", "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(e.dir, "helm", "config"), "HELM_DATA_HOME="+filepath.Join(e.dir, "helm", "data"))
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	t.Logf("helm %s took %s", args[0], time.Since(start).Round(100*time.Millisecond))
}

func helmBinary(t *testing.T, root string) string {
	t.Helper()
	if bin := os.Getenv("HELM"); bin != "" {
		return bin
	}
	matches, _ := filepath.Glob(filepath.Join(root, "bin", "helm-*"))
	if len(matches) == 0 {
		t.Fatal("no Helm in bin/: run make helm-lint first, which builds it")
	}
	return matches[len(matches)-1]
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

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
