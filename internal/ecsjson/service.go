package ecsjson

import (
	"fmt"
	"reflect"
	"strings"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
)

// readOnlyServiceFields are what describe-services adds to the input: the service's state.
var readOnlyServiceFields = []string{
	"serviceArn", "clusterArn", "status", "runningCount", "pendingCount", "events", "deployments",
	"createdAt", "createdBy", "taskSets", "currentServiceDeployment", "currentServiceRevisions",
	"resourceManagementType",
}

// Service is a service read from ECS JSON.
type Service struct {
	// Name is the object's name, made from serviceName (empty when the input names none).
	Name string
	// ECSName is the serviceName as ECS spells it; Cluster the cluster it names, if any.
	ECSName, Cluster string
	Spec             ecsv1.ServiceSpec
	Report           Report
}

// ServiceFromECS reads a CreateService input or one service of a describe-services output.
func ServiceFromECS(doc map[string]any) (Service, error) {
	var s Service
	return s, s.read("", doc, nil)
}

func (s *Service) read(path string, doc map[string]any, aliases map[string]string) error {
	doc, err := asJSON(doc)
	if err != nil {
		return fmt.Errorf("%s: %w", orRoot(path), err)
	}
	for _, k := range sortedKeys(doc) {
		p := join(path, k)
		switch normalKey(k) {
		case "servicename":
			s.ECSName, _ = doc[k].(string)
			delete(doc, k)
		case "cluster", "clusterarn":
			if c, ok := doc[k].(string); ok && c != "" {
				s.Cluster = clusterName(c)
				s.Report.note(p, "the cluster is the namespace of the object (the Cluster %s)", s.Cluster)
			}
			delete(doc, k)
		case "clienttoken":
			s.Report.note(p, "an idempotency token of the ECS API, dropped")
			delete(doc, k)
		case "rolearn":
			// describe-services names the role it was created with roleArn.
			if _, has := doc["role"]; !has {
				doc["role"] = doc[k]
			}
			delete(doc, k)
		default:
			for _, ro := range readOnlyServiceFields {
				if normalKey(k) == normalKey(ro) {
					s.Report.note(p, "read-only state of the service, dropped")
					delete(doc, k)
				}
			}
		}
	}
	n := &normalizer{report: &s.Report, aliases: aliases}
	norm, ok := n.normalize(path, doc, reflect.TypeFor[ecsv1.ServiceSpec]())
	if !ok {
		return fmt.Errorf("%s: not a service", orRoot(path))
	}
	if err := remarshal(norm, &s.Spec); err != nil {
		return fmt.Errorf("%s: %w", orRoot(path), err)
	}
	if td := string(s.Spec.TaskDefinition); td != "" {
		ref, err := ecs.ParseReference(td)
		if err != nil {
			return fmt.Errorf("%s: %w", join(path, "taskDefinition"), err)
		}
		if short := ref.String(); short != td {
			s.Report.note(join(path, "taskDefinition"), "%s is %s in the service's namespace", td, short)
			s.Spec.TaskDefinition = ecsv1.TaskDefinitionReference(short)
		}
	}
	if s.ECSName != "" {
		s.Name = ObjectName(s.ECSName)
		if s.Name != s.ECSName {
			s.Report.note(join(path, "serviceName"), "%q is named %q in Kubernetes", s.ECSName, s.Name)
		}
	}
	return nil
}

// clusterName is the name of a cluster given by name or ARN.
func clusterName(s string) string {
	if arn, err := ecs.ParseARN(s); err == nil {
		if name, ok := strings.CutPrefix(arn.Resource, "cluster/"); ok {
			return name
		}
	}
	return s
}

// serviceExtensions are ServiceSpec fields with no place in CreateService, and why.
var serviceExtensions = map[string]string{
	"primaryTaskSet": "ECS sets the primary task set with UpdateServicePrimaryTaskSet, not in CreateService",
	"revisionPolicy": "ECS runs the revision it is given; following the latest revision is ecs-operator's",
	"autoScaling":    "ECS scales services with Application Auto Scaling (register-scalable-target), not in CreateService",
}

// serviceDerived are ServiceSpec fields ECS derives rather than takes in CreateService.
var serviceDerived = map[string]string{
	"platformFamily": "ECS derives the platform family from the task definition; CreateService takes none",
}

// ServiceToECS writes a spec as the CreateService input that
// `aws ecs create-service --cli-input-json` accepts, for the service name and cluster given.
func ServiceToECS(name, cluster string, spec ecsv1.ServiceSpec) (map[string]any, Report, error) {
	var report Report
	out, err := toMap(spec)
	if err != nil {
		return nil, report, err
	}
	dropExtensions(out, serviceExtensions, "", &report)
	for key, why := range serviceDerived {
		if _, ok := out[key]; ok {
			report.note(key, "%s", why)
			delete(out, key)
		}
	}
	out["serviceName"] = name
	if cluster != "" {
		out["cluster"] = cluster
	}
	return out, report, nil
}
