package shared

import (
	"fmt"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
)

// Notes for settings that only AWS acts on, shared by Services and Tasks: each names the field,
// as translation notes do, for the UnsupportedSettings condition.
const (
	noteNetwork         = "networkConfiguration: awsvpc subnets, security groups and public IPs have no Kubernetes equivalent; tasks get Pod IPs on the cluster network and the Cluster's NetworkPolicies isolate the tenant"
	notePlatformVersion = "platformVersion: Fargate platform versions do not apply; the nodes' kubelet and runtime decide"
	noteManagedTags     = "enableECSManagedTags: AWS resource tags are not written; tasks carry the ecs.operator.dev labels instead"
	notePropagateTags   = "propagateTags: tags are kept on this object and not copied to the tasks"
)

// ServiceSettingNotes names the Service's settings that ecs-operator keeps but does not act on.
func ServiceSettingNotes(spec *ecsv1.ServiceSpec) []string {
	var notes []string
	if spec.NetworkConfiguration != nil {
		notes = append(notes, noteNetwork)
	}
	if spec.PlatformVersion != "" {
		notes = append(notes, notePlatformVersion)
	}
	if spec.PlatformFamily != "" {
		notes = append(notes, "platformFamily: the task definition's runtimePlatform picks the nodes; the Fargate platform family does not apply")
	}
	if spec.EnableECSManagedTags != nil && *spec.EnableECSManagedTags {
		notes = append(notes, noteManagedTags)
	}
	if spec.PropagateTags != "" && spec.PropagateTags != "NONE" {
		notes = append(notes, notePropagateTags)
	}
	for i, lb := range spec.LoadBalancers {
		if lb.LoadBalancerName != "" {
			notes = append(notes, fmt.Sprintf("loadBalancers[%d].loadBalancerName: a Classic Load Balancer is not created; the container port gets a Kubernetes Service", i))
		}
	}
	if sc := spec.ServiceConnectConfiguration; sc != nil {
		if sc.LogConfiguration != nil {
			notes = append(notes, "serviceConnectConfiguration.logConfiguration: there is no Service Connect proxy whose logs it could configure")
		}
		for i, s := range sc.Services {
			if s.Timeout != nil {
				notes = append(notes, fmt.Sprintf("serviceConnectConfiguration.services[%d].timeout: there is no Service Connect proxy to enforce it; Kubernetes Services do not time out requests", i))
			}
		}
	}
	return notes
}

// TaskSettingNotes names the Task's settings that ecs-operator keeps but does not act on.
func TaskSettingNotes(spec *ecsv1.TaskSpec) []string {
	var notes []string
	if spec.NetworkConfiguration != nil {
		notes = append(notes, noteNetwork)
	}
	if spec.PlatformVersion != "" {
		notes = append(notes, notePlatformVersion)
	}
	if spec.EnableECSManagedTags != nil && *spec.EnableECSManagedTags {
		notes = append(notes, noteManagedTags)
	}
	if spec.PropagateTags != "" && spec.PropagateTags != "NONE" {
		notes = append(notes, notePropagateTags)
	}
	return notes
}

// TaskSetSettingNotes names the TaskSet's settings that ecs-operator keeps but does not act on.
func TaskSetSettingNotes(spec *ecsv1.TaskSetSpec) []string {
	var notes []string
	if spec.NetworkConfiguration != nil {
		notes = append(notes, noteNetwork)
	}
	if spec.PlatformVersion != "" {
		notes = append(notes, notePlatformVersion)
	}
	for i, lb := range spec.LoadBalancers {
		if lb.LoadBalancerName != "" {
			notes = append(notes, fmt.Sprintf("loadBalancers[%d].loadBalancerName: a Classic Load Balancer is not created; the container port gets a Kubernetes Service", i))
		}
	}
	return notes
}
