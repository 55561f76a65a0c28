package ecsjson

import (
	"fmt"
	"strings"
)

// Terraform attributes of aws_ecs_task_definition and aws_ecs_service that are state or
// Terraform's own, not the resource's input.
var (
	terraformTaskDefinitionState = []string{"arn", "arn_without_revision", "revision", "id", "tags_all", "skip_destroy", "track_latest", "region"}
	terraformServiceState        = []string{"id", "tags_all", "triggers", "wait_for_steady_state", "force_new_deployment", "force_delete", "region"}
)

// terraformTaskDefinitionAliases are aws_ecs_task_definition names that differ from ECS's.
var terraformTaskDefinitionAliases = map[string]string{"volume": "volumes"}

// readTerraform reads the aws_ecs_task_definition and aws_ecs_service resources of
// `terraform show -json` output (a plan's planned_values or a state's values), modules too.
func (objs *Objects) readTerraform(d map[string]any, _ ReadOptions) error {
	var resources []map[string]any
	var collect func(module map[string]any)
	collect = func(module map[string]any) {
		rs, _ := module["resources"].([]any)
		for _, r := range rs {
			if m, ok := r.(map[string]any); ok {
				resources = append(resources, m)
			}
		}
		children, _ := module["child_modules"].([]any)
		for _, c := range children {
			if m, ok := c.(map[string]any); ok {
				collect(m)
			}
		}
	}
	for _, top := range []string{"planned_values", "values"} {
		if v, ok := d[top].(map[string]any); ok {
			if root, ok := v["root_module"].(map[string]any); ok {
				collect(root)
			}
		}
	}
	for _, r := range resources {
		addr, _ := r["address"].(string)
		values, _ := r["values"].(map[string]any)
		path := "resource " + addr
		switch r["type"] {
		case "aws_ecs_task_definition":
			var report Report
			doc := terraformTaskDefinition(path, values, &report)
			td := TaskDefinition{Report: report}
			if err := td.read(path, doc, terraformTaskDefinitionAliases); err != nil {
				return err
			}
			objs.TaskDefinitions = append(objs.TaskDefinitions, td)
		case "aws_ecs_service":
			var report Report
			doc := terraformService(path, values, &report)
			s := Service{Report: report}
			if err := s.read(path, doc, nil); err != nil {
				return err
			}
			objs.Services = append(objs.Services, s)
		}
	}
	if len(objs.TaskDefinitions)+len(objs.Services) == 0 {
		return fmt.Errorf("the Terraform document has no aws_ecs_task_definition or aws_ecs_service resource")
	}
	return nil
}

// terraformTaskDefinition turns aws_ecs_task_definition's attributes into ECS's input shape.
func terraformTaskDefinition(path string, values map[string]any, report *Report) map[string]any {
	doc := map[string]any{}
	for _, k := range sortedKeys(values) {
		v := values[k]
		p := join(path, k)
		switch {
		case v == nil:
		case contains(terraformTaskDefinitionState, k):
			report.note(p, "Terraform state, dropped")
		case k == "container_definitions":
			s, ok := v.(string)
			if !ok {
				report.lose(p, "expected the JSON string Terraform keeps, got %s", describe(v))
				continue
			}
			list, err := Decode([]byte(s))
			if err != nil {
				report.lose(p, "not JSON: %v", err)
				continue
			}
			doc["containerDefinitions"] = list
		case k == "tags":
			doc["tags"] = terraformTags(v)
		case k == "volume":
			vols, _ := v.([]any)
			out := make([]any, 0, len(vols))
			for _, vol := range vols {
				m, ok := vol.(map[string]any)
				if !ok {
					continue
				}
				m = cloneMap(m)
				// Terraform flattens host.sourcePath into host_path.
				if hp, ok := m["host_path"].(string); ok {
					if hp != "" {
						m["host"] = map[string]any{"sourcePath": hp}
					}
					delete(m, "host_path")
				}
				// Terraform writes empty lists for unset blocks and null for unset values.
				dropEmpty(m)
				out = append(out, m)
			}
			doc["volumes"] = out
		default:
			if isEmpty(v) {
				continue
			}
			doc[k] = v
		}
	}
	return doc
}

// terraformService turns aws_ecs_service's attributes into the CreateService input's shape.
func terraformService(path string, values map[string]any, report *Report) map[string]any {
	doc := map[string]any{}
	deployment := map[string]any{}
	for _, k := range sortedKeys(values) {
		v := values[k]
		p := join(path, k)
		if v == nil || isEmpty(v) {
			continue
		}
		switch {
		case contains(terraformServiceState, k):
			report.note(p, "Terraform's own setting, dropped")
		case k == "name":
			doc["serviceName"] = v
		case k == "iam_role":
			doc["role"] = v
		case k == "tags":
			doc["tags"] = terraformTags(v)
		case k == "deployment_maximum_percent":
			deployment["maximumPercent"] = v
		case k == "deployment_minimum_healthy_percent":
			deployment["minimumHealthyPercent"] = v
		case k == "deployment_circuit_breaker":
			deployment["deploymentCircuitBreaker"] = v
		case k == "alarms":
			deployment["alarms"] = v
		case k == "load_balancer":
			doc["loadBalancers"] = v
		case k == "ordered_placement_strategy":
			doc["placementStrategy"] = v
		case k == "service_registries":
			doc["serviceRegistries"] = v
		case k == "network_configuration":
			nc, _ := v.([]any)
			if len(nc) == 1 {
				if m, ok := nc[0].(map[string]any); ok {
					m = cloneMap(m)
					if b, ok := m["assign_public_ip"].(bool); ok {
						m["assign_public_ip"] = map[bool]string{true: "ENABLED", false: "DISABLED"}[b]
					}
					doc["networkConfiguration"] = map[string]any{"awsvpcConfiguration": m}
				}
			}
		default:
			doc[k] = v
		}
	}
	if len(deployment) > 0 {
		doc["deploymentConfiguration"] = deployment
	}
	return doc
}

// terraformTags turns Terraform's tag map into ECS's list of key/value pairs.
func terraformTags(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make([]any, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, map[string]any{"key": k, "value": m[k]})
	}
	return out
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// dropEmpty removes null, "" and empty lists or objects from m, recursively.
func dropEmpty(m map[string]any) {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			dropEmpty(sub)
		}
		if list, ok := v.([]any); ok {
			for _, e := range list {
				if sub, ok := e.(map[string]any); ok {
					dropEmpty(sub)
				}
			}
		}
		if isEmpty(m[k]) {
			delete(m, k)
		}
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if strings.EqualFold(e, s) {
			return true
		}
	}
	return false
}
