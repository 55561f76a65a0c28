package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ecs-operator/ecs-operator/internal/localcluster"
)

// The operator's requests are attributed with API Priority and Fairness: one FlowSchema per
// kind of write the operator makes, and one for everything else it asks, all matching only the
// operator's user (identity.go). Each request is counted under the first FlowSchema that
// matches it, in apiserver_flowcontrol_dispatched_requests_total{flow_schema=...}. Their
// precedence (50) is ahead of the suggested schemas that would otherwise take a ServiceAccount
// (service-accounts, 9000), and they send the requests to the same priority level those do
// (workload-low), so the operator is throttled exactly as when it is deployed.
const (
	flowSchemaPrefix   = "bench-operator-"
	flowSchemaPriority = "workload-low"
	flowSchemaReads    = flowSchemaPrefix + "reads"
	flowDispatched     = "apiserver_flowcontrol_dispatched_requests_total"
)

var writeVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}

// writeCategory is one kind of write, matched by API group and resource (with subresource).
type writeCategory struct {
	name   string
	groups []string
	// resources are "resource" or "resource/subresource"; "*" alone matches every one.
	resources []string
}

// writeCategories split the operator's writes by what they are, in matching order; "other"
// takes the writes the others do not.
var writeCategories = []writeCategory{
	{name: "service-status", groups: []string{"ecs.operator.dev"}, resources: []string{"services/status"}},
	{name: "taskdefinition-status", groups: []string{"ecs.operator.dev"}, resources: []string{"taskdefinitions/status"}},
	{name: "cluster-status", groups: []string{"ecs.operator.dev"}, resources: []string{"clusters/status"}},
	{name: "ecs-status", groups: []string{"ecs.operator.dev"}, resources: []string{"tasks/status", "cellgroups/status"}},
	{name: "ecs-objects", groups: []string{"ecs.operator.dev"}, resources: []string{"*"}},
	{name: "deployments", groups: []string{"apps"}, resources: []string{"deployments", "daemonsets"}},
	{name: "revisions", groups: []string{"apps"}, resources: []string{"controllerrevisions"}},
	{name: "events", groups: []string{"", "events.k8s.io"}, resources: []string{"events"}},
	// The serving certificate: the rotator's Secret and the CA it injects into the webhook
	// configurations.
	{name: "webhook-certificate", groups: []string{"admissionregistration.k8s.io"}, resources: []string{"*"}},
	{name: "secrets", groups: []string{""}, resources: []string{"secrets"}},
	// What a Cluster provisions in its namespace, and what a Service has besides its Deployment.
	{name: "cluster-children", groups: []string{"", "networking.k8s.io", "rbac.authorization.k8s.io"}, resources: []string{
		"namespaces", "resourcequotas", "limitranges", "networkpolicies", "roles", "rolebindings"}},
	{name: "service-children", groups: []string{"", "policy", "autoscaling"}, resources: []string{
		"services", "serviceaccounts", "poddisruptionbudgets", "horizontalpodautoscalers"}},
	{name: "leases", groups: []string{"coordination.k8s.io"}, resources: []string{"leases"}},
	{name: "reviews", groups: []string{"authentication.k8s.io", "authorization.k8s.io"}, resources: []string{"*"}},
	{name: "crds", groups: []string{"apiextensions.k8s.io"}, resources: []string{"*"}},
	{name: "configmaps", groups: []string{""}, resources: []string{"configmaps"}},
	{name: "other", groups: []string{"*"}, resources: []string{"*"}},
}

// installFlowSchemas creates the FlowSchemas and waits until the API server uses them (their
// Dangling condition is set once its APF controller has read them).
func installFlowSchemas(ctx context.Context, c client.Client) error {
	subject := flowcontrolv1.Subject{
		Kind: flowcontrolv1.SubjectKindServiceAccount,
		ServiceAccount: &flowcontrolv1.ServiceAccountSubject{
			Namespace: localcluster.OperatorNamespace, Name: operatorServiceAccount,
		},
	}
	var schemas []*flowcontrolv1.FlowSchema
	for i, cat := range writeCategories {
		schemas = append(schemas, flowSchema(flowSchemaPrefix+"writes-"+cat.name, int32(50+i),
			flowcontrolv1.PolicyRulesWithSubjects{
				Subjects: []flowcontrolv1.Subject{subject},
				ResourceRules: []flowcontrolv1.ResourcePolicyRule{{
					Verbs: writeVerbs, APIGroups: cat.groups, Resources: cat.resources,
					ClusterScope: true, Namespaces: []string{flowcontrolv1.NamespaceEvery},
				}},
			}))
	}
	schemas = append(schemas, flowSchema(flowSchemaReads, int32(50+len(writeCategories)),
		flowcontrolv1.PolicyRulesWithSubjects{
			Subjects: []flowcontrolv1.Subject{subject},
			ResourceRules: []flowcontrolv1.ResourcePolicyRule{{
				Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"},
				ClusterScope: true, Namespaces: []string{flowcontrolv1.NamespaceEvery},
			}},
			NonResourceRules: []flowcontrolv1.NonResourcePolicyRule{{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}},
		}))
	for _, fs := range schemas {
		if err := c.Create(ctx, fs); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating FlowSchema %s: %w", fs.Name, err)
		}
	}
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		for _, fs := range schemas {
			got := &flowcontrolv1.FlowSchema{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(fs), got); err != nil {
				return false, err
			}
			dangling := false
			seen := false
			for _, cond := range got.Status.Conditions {
				if cond.Type == flowcontrolv1.FlowSchemaConditionDangling {
					seen, dangling = true, cond.Status == flowcontrolv1.ConditionTrue
				}
			}
			if dangling {
				return false, fmt.Errorf("FlowSchema %s is dangling: priority level %s does not exist", fs.Name, flowSchemaPriority)
			}
			if !seen {
				return false, nil
			}
		}
		return true, nil
	})
}

func flowSchema(name string, precedence int32, rule flowcontrolv1.PolicyRulesWithSubjects) *flowcontrolv1.FlowSchema {
	return &flowcontrolv1.FlowSchema{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: flowcontrolv1.FlowSchemaSpec{
			PriorityLevelConfiguration: flowcontrolv1.PriorityLevelConfigurationReference{Name: flowSchemaPriority},
			MatchingPrecedence:         precedence,
			DistinguisherMethod:        &flowcontrolv1.FlowDistinguisherMethod{Type: flowcontrolv1.FlowDistinguisherMethodByUserType},
			Rules:                      []flowcontrolv1.PolicyRulesWithSubjects{rule},
		},
	}
}

// operatorRequests are the operator's requests the API server has dispatched so far: its
// writes by category, and its reads (gets, lists, watches).
type operatorRequests struct {
	Writes map[string]float64 `json:"writes"`
	Reads  float64            `json:"reads"`
}

func requestsOf(apiserver metricFamilies) operatorRequests {
	out := operatorRequests{Writes: map[string]float64{}}
	for _, cat := range writeCategories {
		name := flowSchemaPrefix + "writes-" + cat.name
		out.Writes[cat.name] = apiserver.sum(flowDispatched, func(l map[string]string) bool { return l["flow_schema"] == name })
	}
	out.Reads = apiserver.sum(flowDispatched, func(l map[string]string) bool { return l["flow_schema"] == flowSchemaReads })
	return out
}

// notStored are the categories of POSTs that store nothing (TokenReviews,
// SubjectAccessReviews): shown with the writes, not counted as writes.
var notStored = map[string]bool{"reviews": true}

// total is the number of writes.
func (r operatorRequests) total() float64 {
	t := 0.0
	for k, v := range r.Writes {
		if !notStored[k] {
			t += v
		}
	}
	return t
}

// since is what r counted after before.
func (r operatorRequests) since(before operatorRequests) operatorRequests {
	out := operatorRequests{Writes: map[string]float64{}, Reads: r.Reads - before.Reads}
	for k, v := range r.Writes {
		out.Writes[k] = v - before.Writes[k]
	}
	return out
}

// String lists the non-zero write categories, largest first.
func (r operatorRequests) String() string {
	type kv struct {
		k string
		v float64
	}
	var items []kv
	for k, v := range r.Writes {
		if v != 0 {
			items = append(items, kv{k, v})
		}
	}
	sort.Slice(items, func(i, j int) bool {
		return items[i].v > items[j].v || (items[i].v == items[j].v && items[i].k < items[j].k)
	})
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = fmt.Sprintf("%s %.0f", it.k, it.v)
		if notStored[it.k] {
			parts[i] += " (not counted: stores nothing)"
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
