package localcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The cluster is started once for the package; each test uses its own namespace, because
// namespace deletion takes seconds.
var cluster *Cluster

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join("..", "..", "bin", "k8s", "1.37.2")
	}
	var err error
	cluster, err = Start(context.Background(), Options{Assets: assets, Nodes: Fleet("tenant-a")})
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting the local cluster: %v\n", err)
		return 1
	}
	code := m.Run()
	if err := cluster.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "stopping the local cluster: %v\n", err)
		return 1
	}
	return code
}

func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "lc-"}}
	if err := cluster.Client.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	// Pods wait for the namespace's default ServiceAccount (ServiceAccount admission is on).
	NewWithT(t).Eventually(func() error {
		return cluster.Client.Get(context.Background(), client.ObjectKey{Namespace: ns.Name, Name: "default"}, &corev1.ServiceAccount{})
	}).WithTimeout(30 * time.Second).Should(Succeed())
	return ns.Name
}

func TestFleet_NodesAreReadyAndLabelledLikeAnECSFleet(t *testing.T) {
	g := NewWithT(t)
	var nodes corev1.NodeList
	g.Expect(cluster.Client.List(context.Background(), &nodes)).To(Succeed())
	g.Expect(nodes.Items).To(HaveLen(7))
	byName := map[string]corev1.Node{}
	for _, n := range nodes.Items {
		byName[n.Name] = n
		g.Expect(nodeReady(&n)).To(BeTrue(), n.Name)
	}
	a1 := byName["tenant-a-1"]
	g.Expect(a1.Labels).To(HaveKeyWithValue(LabelTenant, "tenant-a"))
	g.Expect(a1.Labels).To(HaveKeyWithValue("topology.kubernetes.io/zone", "us-east-1a"))
	g.Expect(a1.Labels).To(HaveKeyWithValue("kubernetes.io/arch", "amd64"))
	g.Expect(a1.Spec.Taints).To(ContainElement(corev1.Taint{Key: LabelTenant, Value: "tenant-a", Effect: corev1.TaintEffectNoSchedule}))
	g.Expect(byName["tenant-a-4"].Labels).To(HaveKeyWithValue("kubernetes.io/arch", "arm64"))
	g.Expect(byName["tenant-a-4"].Status.NodeInfo.Architecture).To(Equal("arm64"))
	g.Expect(byName["fargate-1"].Labels).To(HaveKeyWithValue(LabelVirtualKubelet, "virtual-kubelet"))
	pods := byName["fargate-1"].Status.Allocatable[corev1.ResourcePods]
	g.Expect(pods.Value()).To(Equal(int64(1000)))
}

func TestDeployment_ReplicasAreScheduledOnTheTenantsNodesAndBecomeReady(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](5),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec: corev1.PodSpec{
					NodeSelector: map[string]string{LabelTenant: "tenant-a"},
					Tolerations:  []corev1.Toleration{{Key: LabelTenant, Operator: corev1.TolerationOpEqual, Value: "tenant-a", Effect: corev1.TaintEffectNoSchedule}},
					Containers:   []corev1.Container{{Name: "web", Image: "nginx"}},
				},
			},
		},
	}
	g.Expect(cluster.Client.Create(context.Background(), d)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(cluster.Client.Get(context.Background(), client.ObjectKeyFromObject(d), d)).To(Succeed())
		g.Expect(d.Status.ReadyReplicas).To(Equal(int32(5)))
	}).WithTimeout(time.Minute).Should(Succeed())
	var pods corev1.PodList
	g.Expect(cluster.Client.List(context.Background(), &pods, client.InNamespace(ns))).To(Succeed())
	for _, p := range pods.Items {
		g.Expect(p.Spec.NodeName).To(HavePrefix("tenant-a-"))
		g.Expect(p.Status.PodIP).NotTo(BeEmpty())
	}
}

// podWith runs one pod of the given containers and restart policy on a FARGATE-like node.
func podWith(t *testing.T, restart corev1.RestartPolicy, containers ...corev1.Container) *corev1.Pod {
	t.Helper()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: newNamespace(t), Name: "p"},
		Spec: corev1.PodSpec{
			RestartPolicy: restart,
			NodeSelector:  map[string]string{LabelVirtualKubelet: "virtual-kubelet"},
			Tolerations:   []corev1.Toleration{{Key: TaintVirtualKubelet, Operator: corev1.TolerationOpExists}},
			Containers:    containers,
		},
	}
	if err := cluster.Client.Create(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

func containerState(g Gomega, p *corev1.Pod, name string) corev1.ContainerStatus {
	g.Expect(cluster.Client.Get(context.Background(), client.ObjectKeyFromObject(p), p)).To(Succeed())
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == name {
			return cs
		}
	}
	g.Expect(p.Status.ContainerStatuses).To(ContainElement(HaveField("Name", name)))
	return corev1.ContainerStatus{}
}

func TestStages_ExitImagesStopContainersWithTheirCode(t *testing.T) {
	t.Run("a task's container exits and stays exited; the pod fails once all have", func(t *testing.T) {
		g := NewWithT(t)
		p := podWith(t, corev1.RestartPolicyNever,
			corev1.Container{Name: "app", Image: "kwok.local/exit-3:latest"},
			corev1.Container{Name: "side", Image: "kwok.local/exit-0"})
		g.Eventually(func(g Gomega) {
			app := containerState(g, p, "app")
			g.Expect(app.State.Terminated).NotTo(BeNil())
			g.Expect(app.State.Terminated.ExitCode).To(Equal(int32(3)))
			side := containerState(g, p, "side")
			g.Expect(side.State.Terminated).NotTo(BeNil())
			g.Expect(side.State.Terminated.ExitCode).To(Equal(int32(0)))
			g.Expect(p.Status.Phase).To(Equal(corev1.PodFailed))
		}).WithTimeout(30 * time.Second).Should(Succeed())
	})
	t.Run("a task whose containers all exit 0 succeeds", func(t *testing.T) {
		g := NewWithT(t)
		p := podWith(t, corev1.RestartPolicyNever, corev1.Container{Name: "job", Image: "kwok.local/exit-0"})
		g.Eventually(func(g Gomega) {
			g.Expect(containerState(g, p, "job").State.Terminated).NotTo(BeNil())
			g.Expect(p.Status.Phase).To(Equal(corev1.PodSucceeded))
		}).WithTimeout(30 * time.Second).Should(Succeed())
	})
	t.Run("one container exits while the other keeps running", func(t *testing.T) {
		g := NewWithT(t)
		p := podWith(t, corev1.RestartPolicyNever,
			corev1.Container{Name: "app", Image: "nginx"},
			corev1.Container{Name: "exits", Image: "kwok.local/exit-1"})
		g.Eventually(func(g Gomega) {
			g.Expect(containerState(g, p, "exits").State.Terminated).NotTo(BeNil())
			g.Expect(containerState(g, p, "app").State.Running).NotTo(BeNil())
			g.Expect(p.Status.Phase).To(Equal(corev1.PodRunning))
		}).WithTimeout(30 * time.Second).Should(Succeed())
	})
	t.Run("a service's container is restarted again and again", func(t *testing.T) {
		g := NewWithT(t)
		p := podWith(t, corev1.RestartPolicyAlways, corev1.Container{Name: "crash", Image: "kwok.local/exit-2"})
		g.Eventually(func(g Gomega) {
			cs := containerState(g, p, "crash")
			g.Expect(cs.RestartCount).To(BeNumerically(">=", 2))
			g.Expect(cs.LastTerminationState.Terminated).NotTo(BeNil())
			g.Expect(cs.LastTerminationState.Terminated.ExitCode).To(Equal(int32(2)))
		}).WithTimeout(45 * time.Second).Should(Succeed())
	})
}

func TestStages_HealthAndPullFailures(t *testing.T) {
	t.Run("an unready container runs but keeps its pod unready", func(t *testing.T) {
		g := NewWithT(t)
		p := podWith(t, corev1.RestartPolicyAlways,
			corev1.Container{Name: "app", Image: "nginx"},
			corev1.Container{Name: "sick", Image: "kwok.local/unready"})
		g.Eventually(func(g Gomega) {
			cs := containerState(g, p, "sick")
			g.Expect(cs.State.Running).NotTo(BeNil())
			g.Expect(cs.Ready).To(BeFalse())
			g.Expect(containerState(g, p, "app").Ready).To(BeTrue())
			g.Expect(p.Status.Phase).To(Equal(corev1.PodRunning))
		}).WithTimeout(30 * time.Second).Should(Succeed())
		g.Consistently(func(g Gomega) {
			g.Expect(cluster.Client.Get(context.Background(), client.ObjectKeyFromObject(p), p)).To(Succeed())
			g.Expect(p.Status.Conditions).To(ContainElement(And(HaveField("Type", corev1.PodReady), HaveField("Status", corev1.ConditionFalse))))
		}).WithTimeout(3 * time.Second).Should(Succeed())
	})
	t.Run("an unhealthy container is killed by its health check", func(t *testing.T) {
		g := NewWithT(t)
		p := podWith(t, corev1.RestartPolicyAlways, corev1.Container{Name: "sick", Image: "kwok.local/unhealthy"})
		g.Eventually(func(g Gomega) {
			cs := containerState(g, p, "sick")
			g.Expect(cs.RestartCount).To(BeNumerically(">=", 1))
			g.Expect(cs.LastTerminationState.Terminated).NotTo(BeNil())
			g.Expect(cs.LastTerminationState.Terminated.ExitCode).To(Equal(int32(137)))
		}).WithTimeout(30 * time.Second).Should(Succeed())
	})
	t.Run("an image that cannot be pulled keeps the pod pending", func(t *testing.T) {
		g := NewWithT(t)
		p := podWith(t, corev1.RestartPolicyAlways, corev1.Container{Name: "app", Image: "kwok.local/pull-error:1.0"})
		g.Eventually(func(g Gomega) {
			cs := containerState(g, p, "app")
			g.Expect(cs.State.Waiting).NotTo(BeNil())
			g.Expect(cs.State.Waiting.Reason).To(Equal("ErrImagePull"))
			g.Expect(p.Status.Phase).To(Equal(corev1.PodPending))
		}).WithTimeout(30 * time.Second).Should(Succeed())
	})
}

func TestStages_InitContainersCompleteAndSidecarsRunBeforeTheApp(t *testing.T) {
	g := NewWithT(t)
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: newNamespace(t), Name: "p"},
		Spec: corev1.PodSpec{
			NodeSelector: map[string]string{LabelVirtualKubelet: "virtual-kubelet"},
			Tolerations:  []corev1.Toleration{{Key: TaintVirtualKubelet, Operator: corev1.TolerationOpExists}},
			InitContainers: []corev1.Container{
				{Name: "migrate", Image: "busybox"},
				{Name: "envoy", Image: "envoy", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)},
			},
			Containers: []corev1.Container{{Name: "web", Image: "nginx"}},
		},
	}
	g.Expect(cluster.Client.Create(context.Background(), p)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(cluster.Client.Get(context.Background(), client.ObjectKeyFromObject(p), p)).To(Succeed())
		g.Expect(p.Status.Phase).To(Equal(corev1.PodRunning))
		g.Expect(p.Status.InitContainerStatuses).To(HaveLen(2))
	}).WithTimeout(30 * time.Second).Should(Succeed())
	migrate, envoy, web := p.Status.InitContainerStatuses[0], p.Status.InitContainerStatuses[1], p.Status.ContainerStatuses[0]
	g.Expect(migrate.State.Terminated).NotTo(BeNil())
	g.Expect(migrate.State.Terminated.ExitCode).To(BeZero())
	g.Expect(envoy.State.Running).NotTo(BeNil())
	g.Expect(envoy.Ready).To(BeTrue())
	g.Expect(web.State.Running).NotTo(BeNil())
	g.Expect(web.State.Running.StartedAt.Time).NotTo(BeTemporally("<", migrate.State.Terminated.FinishedAt.Time))
}

func TestStop_LeavesNoProcessBehind(t *testing.T) {
	g := NewWithT(t)
	c, err := Start(context.Background(), Options{Assets: cluster.assets, Nodes: FargateNodes(1)})
	g.Expect(err).NotTo(HaveOccurred())
	dir := c.Dir
	pids := []int{}
	for _, p := range c.Components() {
		pids = append(pids, p.Pid())
	}
	g.Expect(c.Stop()).To(Succeed())
	g.Expect(dir).NotTo(BeADirectory())
	for _, pid := range pids {
		_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
		g.Expect(os.IsNotExist(err)).To(BeTrue(), "process %d still runs", pid)
	}
	// etcd and kube-apiserver of the stopped cluster are gone too: only the package's own
	// cluster's remain.
	left, err := childPids("etcd", "kube-apiserver")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(left).To(HaveLen(2))
}
