package e2e

import (
	"context"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/localcluster"
)

// ECS evaluates memberOf when it places a task: a node joining or leaving rolls no Service, and
// a task waiting for a matching node lands on one as soon as it joins.
func TestPlacement_ANodeJoiningOrLeavingRollsNoServiceAndTasksLandOnANewMatchingNode(t *testing.T) {
	g := NewWithT(t)
	ns := namespaceA
	apply(t, asA, taskDefinition(ns, "batch", "batch", "nginx"))
	apply(t, asA, service(ns, "batch", "batch", 1, `  placementConstraints:
  - type: memberOf
    expression: attribute:ecs.instance-type =~ c6i.*
`))
	// No node of tenant A is a c6i: the task waits, unplaced.
	waitService(t, ns, "batch", converge, func(g Gomega, st ecsv1.ServiceStatus) {
		g.Expect(st.PendingCount).To(Equal(int32(1)))
		g.Expect(strings.Join(eventMessages(st), "\n")).To(ContainSubstring("was unable to place a task"))
	})
	deployment := &appsv1.Deployment{}
	g.Expect(admin.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "batch"}, deployment)).To(Succeed())
	generation := deployment.Generation

	node := localcluster.TenantNodes(tenantA, 1)[0]
	node.Name = tenantA + "-c6i"
	node.Labels[corev1.LabelInstanceTypeStable] = "c6i.2xlarge"
	g.Expect(localcluster.AddNodes(t.Context(), admin, []localcluster.Node{node})).To(Succeed())
	removeNode := func() {
		err := admin.Delete(context.Background(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node.Name}})
		g.Expect(client.IgnoreNotFound(err)).To(Succeed())
	}
	t.Cleanup(removeNode)

	waitService(t, ns, "batch", converge, func(g Gomega, st ecsv1.ServiceStatus) {
		steady(g, st)
		g.Expect(st.RunningCount).To(Equal(int32(1)))
	})
	tasks := tasksOf(t.Context(), g, ns, "batch")
	g.Expect(tasks).To(HaveLen(1))
	g.Expect(tasks[0].Spec.NodeName).To(Equal(node.Name), "the task runs on the node that joined")
	g.Expect(admin.Get(t.Context(), client.ObjectKeyFromObject(deployment), deployment)).To(Succeed())
	g.Expect(deployment.Generation).To(Equal(generation), "a joining node changed the task template")

	removeNode()
	g.Eventually(func() bool {
		return apierrors.IsNotFound(admin.Get(t.Context(), client.ObjectKey{Name: node.Name}, &corev1.Node{}))
	}, converge, poll).Should(BeTrue())
	g.Consistently(func(g Gomega) {
		g.Expect(admin.Get(t.Context(), client.ObjectKeyFromObject(deployment), deployment)).To(Succeed())
		g.Expect(deployment.Generation).To(Equal(generation), "a leaving node changed the task template")
	}, "2s", poll).Should(Succeed())
	apply(t, asA, service(ns, "batch", "batch", 0, `  placementConstraints:
  - type: memberOf
    expression: attribute:ecs.instance-type =~ c6i.*
`))
}
