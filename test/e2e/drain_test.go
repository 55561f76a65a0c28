package e2e

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// TestDrain_EvictionsNeverTakeAServiceBelowItsMinimumHealthyPercent drains a node the way
// `kubectl drain` does — cordon, then evict every task through the eviction API, retrying
// what the disruption budget refuses — and watches the Service's healthy tasks meanwhile.
func TestDrain_EvictionsNeverTakeAServiceBelowItsMinimumHealthyPercent(t *testing.T) {
	g := NewWithT(t)
	ns := namespaceB
	apply(t, asB, taskDefinition(ns, "api", "api", "nginx:1.27"))
	apply(t, asB, service(ns, "api", "api", 4, `  deploymentConfiguration:
    maximumPercent: 200
    minimumHealthyPercent: 75
`))
	waitService(t, ns, "api", converge, func(g Gomega, st ecsv1.ServiceStatus) {
		steady(g, st)
		g.Expect(st.RunningCount).To(Equal(int32(4)))
	})
	// Drain the node holding the most tasks.
	perNode := map[string]int{}
	for _, p := range tasksOf(t.Context(), g, ns, "api") {
		perNode[p.Spec.NodeName]++
	}
	drained := ""
	for n, c := range perNode {
		if drained == "" || c > perNode[drained] {
			drained = n
		}
	}
	t.Logf("tasks per node %v; draining %s", perNode, drained)

	// The budget the operator keeps: 3 of 4 available, so the disruption controller allows one
	// disruption at a time. (Whether a second eviction is refused depends on how soon kwok makes
	// the first one's replacement ready — milliseconds — so the test counts refusals but does
	// not require one; what it requires is that the Service never drops below 3 ready tasks.)
	g.Eventually(func(g Gomega) {
		pdb := &policyv1.PodDisruptionBudget{}
		g.Expect(admin.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "api"}, pdb)).To(Succeed())
		g.Expect(pdb.Spec.MinAvailable.IntValue()).To(Equal(3))
		g.Expect(pdb.Status.DisruptionsAllowed).To(Equal(int32(1)))
	}, converge, poll).Should(Succeed())
	w := watchRollout(t, ns, "api")
	var node corev1.Node
	g.Expect(admin.Get(t.Context(), client.ObjectKey{Name: drained}, &node)).To(Succeed())
	patch := client.MergeFrom(node.DeepCopy())
	node.Spec.Unschedulable = true
	g.Expect(admin.Patch(t.Context(), &node, patch)).To(Succeed())
	defer func() {
		patch := client.MergeFrom(node.DeepCopy())
		node.Spec.Unschedulable = false
		_ = admin.Patch(t.Context(), &node, patch)
	}()

	refused := 0
	g.Eventually(func(g Gomega) {
		left := 0
		for _, p := range tasksOf(t.Context(), g, ns, "api") {
			if p.Spec.NodeName != drained {
				continue
			}
			left++
			err := admin.SubResource("eviction").Create(t.Context(), &p, &policyv1.Eviction{
				ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: p.Name},
			})
			switch {
			case err == nil, apierrors.IsNotFound(err):
			case apierrors.IsTooManyRequests(err), apierrors.IsConflict(err), apierrors.IsInternalError(err):
				// The budget said no (429), or it was being updated by another eviction at that
				// moment (the API server's conflict on the budget's status): not now, either way.
				refused++
			default:
				g.Expect(err).NotTo(HaveOccurred())
			}
		}
		g.Expect(left).To(BeZero())
	}).WithTimeout(converge).WithPolling(200 * time.Millisecond).Should(Succeed())

	waitService(t, ns, "api", converge, func(g Gomega, st ecsv1.ServiceStatus) {
		steady(g, st)
		g.Expect(st.RunningCount).To(Equal(int32(4)))
	})
	_, minReady := w.Stop()
	t.Logf("drain: %d evictions refused by the budget; at least %d of 4 tasks healthy throughout", refused, minReady)
	g.Expect(minReady).To(BeNumerically(">=", 3), "minimumHealthyPercent 75 of 4")

	for _, p := range tasksOf(t.Context(), g, ns, "api") {
		g.Expect(p.Spec.NodeName).NotTo(Equal(drained))
	}
}
