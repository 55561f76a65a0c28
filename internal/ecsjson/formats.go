package ecsjson

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
)

// freeFormMaps are ECS fields whose keys are the user's (log options, labels), not field names:
// a format's key casing never applies inside them.
var freeFormMaps = map[string]bool{"options": true, "dockerLabels": true, "labels": true, "driverOpts": true}

// CloudFormationTemplate writes an exported task definition and/or service (ECS input, as
// TaskDefinitionToECS and ServiceToECS give) as a CloudFormation template: AWS::ECS::TaskDefinition
// and AWS::ECS::Service resources with PascalCase properties, the service referring to the
// task definition with Ref when both are given.
func CloudFormationTemplate(name string, taskDefinition, service map[string]any, report *Report) map[string]any {
	resources := map[string]any{}
	id := logicalID(name)
	if taskDefinition != nil {
		resources[id+"TaskDefinition"] = map[string]any{"Type": cfnTaskDefinition, "Properties": pascal(taskDefinition)}
	}
	if service != nil {
		svc := cloneMap(service)
		if c, ok := svc["cluster"].(string); !ok || c == "" {
			report.note("cluster", "no Cluster found for the namespace: set the service's Cluster property")
		}
		if ps, ok := svc["placementStrategy"]; ok {
			svc["placementStrategies"] = ps
			delete(svc, "placementStrategy")
		}
		props := pascal(svc).(map[string]any)
		if taskDefinition != nil {
			props["TaskDefinition"] = map[string]any{"Ref": id + "TaskDefinition"}
		}
		resources[id+"Service"] = map[string]any{"Type": cfnService, "Properties": props}
	}
	return map[string]any{
		"AWSTemplateFormatVersion": "2010-09-09",
		"Description":              fmt.Sprintf("%s, exported from ecs-operator by kubectl ecs export", name),
		"Resources":                resources,
	}
}

// pascal upper-cases the first letter of every key, except inside free-form maps.
func pascal(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if freeFormMaps[k] {
				out[upperFirst(k)] = e
				continue
			}
			out[upperFirst(k)] = pascal(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = pascal(e)
		}
		return out
	}
	return v
}

// TerraformJSON writes an exported task definition and/or service as Terraform's JSON syntax
// (a .tf.json file): aws_ecs_task_definition with container_definitions as the JSON string
// Terraform keeps, and aws_ecs_service, in Terraform's attribute and block names.
func TerraformJSON(name string, taskDefinition, service map[string]any, report *Report) map[string]any {
	resource := map[string]any{}
	id := strings.ReplaceAll(ObjectName(name), "-", "_")
	if taskDefinition != nil {
		resource["aws_ecs_task_definition"] = map[string]any{id: terraformTaskDefinitionOut(taskDefinition, report)}
	}
	if service != nil {
		svc := terraformServiceOut(service, report)
		if taskDefinition != nil {
			svc["task_definition"] = "${aws_ecs_task_definition." + id + ".arn}"
		}
		resource["aws_ecs_service"] = map[string]any{id: svc}
	}
	return map[string]any{"resource": resource}
}

func terraformTaskDefinitionOut(td map[string]any, report *Report) map[string]any {
	out := map[string]any{}
	for _, k := range sortedKeys(td) {
		v := td[k]
		switch k {
		case "containerDefinitions":
			b, err := json.Marshal(v)
			if err != nil {
				report.lose(k, "%v", err)
				continue
			}
			out["container_definitions"] = string(b)
		case "tags":
			out["tags"] = tagMap(v)
		case "volumes":
			list, _ := v.([]any)
			vols := make([]any, 0, len(list))
			for _, vol := range list {
				m, ok := vol.(map[string]any)
				if !ok {
					continue
				}
				m = cloneMap(m)
				if host, ok := m["host"].(map[string]any); ok {
					if sp, ok := host["sourcePath"]; ok {
						m["hostPath"] = sp
					}
					delete(m, "host")
				}
				vols = append(vols, snake(m))
			}
			out["volume"] = vols
		case "runtimePlatform", "ephemeralStorage", "proxyConfiguration":
			out[snakeKey(k)] = []any{snake(v)}
		default:
			out[snakeKey(k)] = snake(v)
		}
	}
	return out
}

func terraformServiceOut(svc map[string]any, report *Report) map[string]any {
	out := map[string]any{}
	for _, k := range sortedKeys(svc) {
		v := svc[k]
		switch k {
		case "serviceName":
			out["name"] = v
		case "role":
			out["iam_role"] = v
		case "tags":
			out["tags"] = tagMap(v)
		case "loadBalancers":
			out["load_balancer"] = snake(v)
		case "placementStrategy":
			out["ordered_placement_strategy"] = snake(v)
		case "serviceRegistries":
			out["service_registries"] = snake(v)
		case "deploymentController", "serviceConnectConfiguration":
			out[snakeKey(k)] = []any{snake(v)}
		case "networkConfiguration":
			nc, _ := v.(map[string]any)
			awsvpc, _ := nc["awsvpcConfiguration"].(map[string]any)
			m, _ := snake(awsvpc).(map[string]any)
			if m == nil {
				continue
			}
			if ip, ok := m["assign_public_ip"].(string); ok {
				m["assign_public_ip"] = ip == "ENABLED"
			}
			out["network_configuration"] = []any{m}
		case "deploymentConfiguration":
			dc, _ := v.(map[string]any)
			for _, dk := range sortedKeys(dc) {
				switch dk {
				case "maximumPercent":
					out["deployment_maximum_percent"] = dc[dk]
				case "minimumHealthyPercent":
					out["deployment_minimum_healthy_percent"] = dc[dk]
				case "deploymentCircuitBreaker":
					out["deployment_circuit_breaker"] = []any{snake(dc[dk])}
				case "alarms":
					out["alarms"] = []any{snake(dc[dk])}
				default:
					report.lose("deploymentConfiguration."+dk, "the aws provider's aws_ecs_service has no argument for it")
				}
			}
		default:
			out[snakeKey(k)] = snake(v)
		}
	}
	return out
}

// snake turns every key into snake_case, except inside free-form maps.
func snake(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if freeFormMaps[k] {
				out[snakeKey(k)] = e
				continue
			}
			out[snakeKey(k)] = snake(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = snake(e)
		}
		return out
	}
	return v
}

// snakeKey is a camelCase name in snake_case: sizeInGiB is size_in_gib, cpuArchitecture is
// cpu_architecture.
func snakeKey(k string) string {
	var b strings.Builder
	// GiB is one word to Terraform (size_in_gib).
	runes := []rune(strings.ReplaceAll(k, "GiB", "Gib"))
	for i, r := range runes {
		if unicode.IsUpper(r) {
			prevLower := i > 0 && unicode.IsLower(runes[i-1])
			nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1]) && i > 0 && unicode.IsUpper(runes[i-1])
			if prevLower || nextLower {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func tagMap(v any) map[string]any {
	out := map[string]any{}
	list, _ := v.([]any)
	for _, t := range list {
		if m, ok := t.(map[string]any); ok {
			k, _ := m["key"].(string)
			out[k] = m["value"]
		}
	}
	return out
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// logicalID is a CloudFormation logical ID made of name's letters and digits.
func logicalID(name string) string {
	var b strings.Builder
	up := true
	for _, r := range name {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if up {
				r = unicode.ToUpper(r)
			}
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	if b.Len() == 0 {
		return "Imported"
	}
	return b.String()
}
