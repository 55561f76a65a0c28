package localcluster

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Labels and taints of the fake fleet, as EKS nodes carry them.
const (
	// LabelTenant and the NoSchedule taint of the same key mark a tenant's dedicated EC2 nodes;
	// the operator puts every EC2 task of the tenant there (api/v1alpha1.LabelTenant).
	LabelTenant = "ecs.operator.dev/tenant"
	// LabelCapacityType is Karpenter's on-demand/spot label, which the sample capacity
	// providers select.
	LabelCapacityType = "karpenter.sh/capacity-type"
	// LabelVirtualKubelet and TaintVirtualKubelet mark the shared FARGATE-like pool, as
	// virtual-kubelet-based serverless nodes do.
	LabelVirtualKubelet = "type"
	TaintVirtualKubelet = "virtual-kubelet.io/provider"
	// AnnotationKwokNode makes kwok manage a node.
	AnnotationKwokNode = "kwok.x-k8s.io/node"
)

// Node is one fake node.
type Node struct {
	Name   string
	Labels map[string]string
	Taints []corev1.Taint
	// CPU, Memory and Pods are its capacity.
	CPU, Memory, Pods string
	// LegacyKubelet makes the node declare no features, as every kubelet before v1.35 does
	// (and a newer one with the gates off): Pods that need a node feature are not placed on it.
	LegacyKubelet bool
}

// ec2Nodes are the shapes of a tenant's EC2 nodes, in the order they are added: x86 nodes in
// three zones, then a Graviton node, as mixed fleets run.
var ec2Nodes = []struct{ zone, instanceType, arch string }{
	{"us-east-1a", "m5.2xlarge", "amd64"},
	{"us-east-1b", "m5.2xlarge", "amd64"},
	{"us-east-1c", "m5.2xlarge", "amd64"},
	{"us-east-1a", "m7g.2xlarge", "arm64"},
}

// zones are the availability zones of the fleet.
var zones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

// TenantNodes are a tenant's dedicated EC2 nodes, n of them: three x86 nodes, one in each
// zone, then a Graviton node, and so on; labelled and tainted for the tenant and as on-demand
// capacity.
func TenantNodes(tenant string, n int) []Node {
	nodes := make([]Node, 0, n)
	for i := range n {
		z := ec2Nodes[i%len(ec2Nodes)]
		nodes = append(nodes, Node{
			Name: fmt.Sprintf("%s-%d", tenant, i+1),
			Labels: merge(baseLabels(z.zone, z.instanceType, z.arch), map[string]string{
				LabelTenant:       tenant,
				LabelCapacityType: "on-demand",
			}),
			Taints: []corev1.Taint{{Key: LabelTenant, Value: tenant, Effect: corev1.TaintEffectNoSchedule}},
			CPU:    "8", Memory: "32Gi", Pods: "110",
		})
	}
	return nodes
}

// FargateNodes are n nodes of the shared FARGATE-like pool, spread over three zones: large,
// labelled type=virtual-kubelet and tainted virtual-kubelet.io/provider, as the FARGATE
// capacity provider of the samples selects and tolerates.
func FargateNodes(n int) []Node {
	nodes := make([]Node, 0, n)
	for i := range n {
		zone := zones[i%len(zones)]
		nodes = append(nodes, Node{
			Name: fmt.Sprintf("fargate-%d", i+1),
			Labels: merge(baseLabels(zone, "fargate", "amd64"), map[string]string{
				LabelVirtualKubelet:              "virtual-kubelet",
				"eks.amazonaws.com/compute-type": "fargate",
			}),
			Taints: []corev1.Taint{{Key: TaintVirtualKubelet, Value: "kwok", Effect: corev1.TaintEffectNoSchedule}},
			CPU:    "1000", Memory: "4Ti", Pods: "1000",
		})
	}
	return nodes
}

// Fleet is the default fleet: four dedicated nodes for each tenant (three x86 in three zones,
// one Graviton) and three FARGATE-like nodes.
func Fleet(tenants ...string) []Node {
	var nodes []Node
	for _, t := range tenants {
		nodes = append(nodes, TenantNodes(t, len(ec2Nodes))...)
	}
	return append(nodes, FargateNodes(3)...)
}

func baseLabels(zone, instanceType, arch string) map[string]string {
	return map[string]string{
		"kubernetes.io/os":                 "linux",
		"kubernetes.io/arch":               arch,
		"topology.kubernetes.io/region":    "us-east-1",
		"topology.kubernetes.io/zone":      zone,
		"node.kubernetes.io/instance-type": instanceType,
	}
}

// merge is a and b in a new map, b winning.
func merge(a, b map[string]string) map[string]string {
	out := make(map[string]string, len(a)+len(b))
	maps.Copy(out, a)
	maps.Copy(out, b)
	return out
}

// kubeletDeclaredFeatures are the node features a v1.37 kubelet declares with its default
// feature gates (k8s.io/component-helpers/nodedeclaredfeatures), sorted. kube-scheduler only
// places a Pod that needs one (an essential container's RestartAllContainers rule, say) on a
// node that declares it, and kwok declares none.
var kubeletDeclaredFeatures = []string{
	"InPlacePodLevelResourcesVerticalScaling",
	"InPlacePodVerticalScalingInitContainers",
	"RestartAllContainersOnContainerExits",
}

func declaredFeatures(n Node) []string {
	if n.LegacyKubelet {
		return nil
	}
	return kubeletDeclaredFeatures
}

// desiredNode is the Node object of n, which kwok manages and initialises.
func desiredNode(n Node) (*corev1.Node, error) {
	capacity := corev1.ResourceList{}
	for name, v := range map[corev1.ResourceName]string{corev1.ResourceCPU: n.CPU, corev1.ResourceMemory: n.Memory, corev1.ResourcePods: n.Pods} {
		if v == "" {
			continue
		}
		q, err := resource.ParseQuantity(v)
		if err != nil {
			return nil, fmt.Errorf("node %s: %s capacity %q: %w", n.Name, name, v, err)
		}
		capacity[name] = q
	}
	labels := merge(n.Labels, map[string]string{"kubernetes.io/hostname": n.Name})
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        n.Name,
			Labels:      labels,
			Annotations: map[string]string{AnnotationKwokNode: "fake", "node.alpha.kubernetes.io/ttl": "0"},
		},
		Spec:   corev1.NodeSpec{Taints: n.Taints},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity, DeclaredFeatures: declaredFeatures(n)},
	}, nil
}

// AddNodes creates the nodes and waits until kwok has made every one Ready.
func AddNodes(ctx context.Context, c client.Client, nodes []Node) error {
	for _, n := range nodes {
		node, err := desiredNode(n)
		if err != nil {
			return err
		}
		status := node.Status
		if err := c.Create(ctx, node); err != nil {
			if apierrors.IsAlreadyExists(err) {
				continue
			}
			return fmt.Errorf("creating node %s: %w", n.Name, err)
		}
		// Capacity is status, which create drops; kwok may be writing the status already, so
		// patch only these fields.
		patch, err := json.Marshal(map[string]any{"status": map[string]any{
			"capacity": status.Capacity, "allocatable": status.Allocatable, "declaredFeatures": status.DeclaredFeatures,
		}})
		if err != nil {
			return err
		}
		if err := c.Status().Patch(ctx, node, client.RawPatch(types.MergePatchType, patch)); err != nil {
			return fmt.Errorf("setting the capacity of node %s: %w", n.Name, err)
		}
	}
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		for _, n := range nodes {
			node := &corev1.Node{}
			if err := c.Get(ctx, client.ObjectKey{Name: n.Name}, node); err != nil {
				return false, client.IgnoreNotFound(err)
			}
			if !nodeReady(node) {
				return false, nil
			}
		}
		return true, nil
	})
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
