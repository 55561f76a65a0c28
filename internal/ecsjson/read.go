package ecsjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Shape names the form a document was written in.
type Shape string

const (
	ShapeRegisterTaskDefinition Shape = "RegisterTaskDefinition input"
	ShapeDescribeTaskDefinition Shape = "describe-task-definition output"
	ShapeCreateService          Shape = "CreateService input"
	ShapeDescribeServices       Shape = "describe-services output"
	ShapeCloudFormation         Shape = "CloudFormation template"
	ShapeTerraformContainers    Shape = "Terraform container_definitions"
	ShapeTerraformPlan          Shape = "Terraform plan or state JSON"
)

// ReadOptions say how to read a document.
type ReadOptions struct {
	// Parameters resolve CloudFormation Ref/Fn::Sub and template variables (--parameter k=v).
	Parameters map[string]string
	// Family names the task definition of a Terraform container_definitions document, which
	// has none of its own.
	Family string
}

// Objects are what a document holds.
type Objects struct {
	Shape           Shape
	TaskDefinitions []TaskDefinition
	Services        []Service
	// Report holds what belongs to no single object.
	Report Report
}

// Read detects the shape of a JSON or YAML document and reads every task definition and
// service in it.
func Read(data []byte, o ReadOptions) (Objects, error) {
	doc, err := Decode(data)
	if err != nil {
		return Objects{}, err
	}
	var objs Objects
	if m, ok := doc.(map[string]any); !ok || detect(m) != ShapeCloudFormation {
		// CloudFormation says its variables with Fn::Sub and Ref, resolved there.
		doc = substitute("", doc, o.Parameters, &objs.Report)
	}
	switch d := doc.(type) {
	case []any:
		objs.Shape = ShapeTerraformContainers
		return objs, objs.readContainerList(d, o)
	case map[string]any:
		switch shape := detect(d); shape {
		case ShapeCloudFormation:
			objs.Shape = shape
			return objs, objs.readCloudFormation(d, o)
		case ShapeTerraformPlan:
			objs.Shape = shape
			return objs, objs.readTerraform(d, o)
		case ShapeDescribeServices:
			objs.Shape = shape
			return objs, objs.readDescribeServices(d)
		case ShapeRegisterTaskDefinition, ShapeDescribeTaskDefinition:
			objs.Shape = shape
			td, err := TaskDefinitionFromECS(d)
			if err != nil {
				return objs, err
			}
			objs.TaskDefinitions = append(objs.TaskDefinitions, td)
			return objs, nil
		case ShapeCreateService:
			objs.Shape = shape
			s, err := ServiceFromECS(d)
			if err != nil {
				return objs, err
			}
			objs.Services = append(objs.Services, s)
			return objs, nil
		}
		return objs, fmt.Errorf("not a task definition, service, CloudFormation template or Terraform document: found the keys %s", strings.Join(sortedKeys(d), ", "))
	}
	return objs, fmt.Errorf("expected a JSON or YAML object or list, got %s", describe(doc))
}

// detect says which shape a document object has, "" when none.
func detect(d map[string]any) Shape {
	has := func(k string) bool {
		for key := range d {
			if normalKey(key) == normalKey(k) {
				return true
			}
		}
		return false
	}
	switch {
	case has("Resources") && (has("AWSTemplateFormatVersion") || resourcesOfType(d, "AWS::ECS::") > 0):
		return ShapeCloudFormation
	case has("format_version") && (has("terraform_version") || has("planned_values") || has("values") || has("resource_changes")):
		return ShapeTerraformPlan
	case has("services"):
		if _, ok := d["services"].([]any); ok {
			return ShapeDescribeServices
		}
	case has("containerDefinitions"):
		return ShapeRegisterTaskDefinition
	}
	if inner, ok := d["taskDefinition"].(map[string]any); ok {
		if _, ok := inner["containerDefinitions"]; ok {
			return ShapeDescribeTaskDefinition
		}
	}
	for _, k := range []string{"serviceName", "taskDefinition", "desiredCount", "launchType", "schedulingStrategy",
		"deploymentConfiguration", "loadBalancers", "capacityProviderStrategy", "networkConfiguration", "deploymentController"} {
		if has(k) {
			return ShapeCreateService
		}
	}
	return ""
}

func (objs *Objects) readDescribeServices(d map[string]any) error {
	for _, k := range sortedKeys(d) {
		switch k {
		case "services":
		case "failures":
			if f, _ := d[k].([]any); len(f) > 0 {
				objs.Report.note(k, "%d failures of the describe call, not services", len(f))
			}
		default:
			objs.Report.note(k, "not part of a service, dropped")
		}
	}
	for i, item := range d["services"].([]any) {
		m, ok := item.(map[string]any)
		if !ok {
			return fmt.Errorf("services[%d]: expected an object, got %s", i, describe(item))
		}
		var s Service
		if err := s.read(fmt.Sprintf("services[%d]", i), m, nil); err != nil {
			return err
		}
		objs.Services = append(objs.Services, s)
	}
	return nil
}

// readContainerList reads Terraform's container_definitions (a JSON list of containers) as a
// task definition of the family given.
func (objs *Objects) readContainerList(list []any, o ReadOptions) error {
	if o.Family == "" {
		return fmt.Errorf("a list of container definitions (Terraform's container_definitions) names no family: give one (--family)")
	}
	var td TaskDefinition
	if err := td.read("", map[string]any{"family": o.Family, "containerDefinitions": list}, nil); err != nil {
		return err
	}
	objs.TaskDefinitions = append(objs.TaskDefinitions, td)
	return nil
}

// Decode reads JSON, or YAML with CloudFormation's short forms (!Ref, !Sub, !GetAtt …) turned
// into their long forms; numbers stay exact (json.Number).
func Decode(data []byte) (any, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("reading JSON: %w", err)
		}
		return v, nil
	}
	var node yaml.Node
	if err := yaml.Unmarshal(data, &node); err != nil {
		return nil, fmt.Errorf("reading YAML: %w", err)
	}
	if len(node.Content) == 0 {
		return nil, fmt.Errorf("the document is empty")
	}
	y := &yamlReader{budget: maxYAMLNodes}
	return y.value(node.Content[0], 0)
}

// maxYAMLNodes and maxYAMLDepth bound what a YAML document may expand to: aliases repeat
// nodes, and a few lines of nested aliases would otherwise expand to billions.
const (
	maxYAMLNodes = 1 << 20
	maxYAMLDepth = 256
)

type yamlReader struct{ budget int }

func (y *yamlReader) value(n *yaml.Node, depth int) (any, error) {
	if y.budget--; y.budget < 0 {
		return nil, fmt.Errorf("line %d: the document expands to more than %d values (aliases?)", n.Line, maxYAMLNodes)
	}
	if depth > maxYAMLDepth {
		return nil, fmt.Errorf("line %d: nested more than %d deep", n.Line, maxYAMLDepth)
	}
	if short := strings.TrimPrefix(n.Tag, "!"); n.Tag != "" && !strings.HasPrefix(n.Tag, "!!") && short != n.Tag {
		// A CloudFormation short form: !Ref X is {"Ref": "X"}, !Sub s is {"Fn::Sub": s},
		// !GetAtt a.b is {"Fn::GetAtt": ["a", "b"]}.
		plain := *n
		plain.Tag = ""
		v, err := y.value(&plain, depth+1)
		if err != nil {
			return nil, err
		}
		if short == "Ref" {
			return map[string]any{"Ref": v}, nil
		}
		if s, ok := v.(string); ok && short == "GetAtt" {
			parts := strings.SplitN(s, ".", 2)
			list := make([]any, len(parts))
			for i, p := range parts {
				list[i] = p
			}
			v = list
		}
		return map[string]any{"Fn::" + short: v}, nil
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return y.value(n.Content[0], depth+1)
	case yaml.AliasNode:
		return y.value(n.Alias, depth+1)
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if n.Content[i].Tag == "!!merge" {
				merged, err := y.value(n.Content[i+1], depth+1)
				if err != nil {
					return nil, err
				}
				if m, ok := merged.(map[string]any); ok {
					for mk, mv := range m {
						if _, has := out[mk]; !has {
							out[mk] = mv
						}
					}
				}
				continue
			}
			v, err := y.value(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := y.value(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int", "!!float":
			return json.Number(n.Value), nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return nil, err
			}
			return b, nil
		case "!!null":
			return nil, nil
		}
		return n.Value, nil
	}
	return nil, fmt.Errorf("line %d: unsupported YAML node", n.Line)
}
