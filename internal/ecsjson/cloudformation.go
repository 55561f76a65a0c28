package ecsjson

import (
	"fmt"
)

const (
	cfnTaskDefinition = "AWS::ECS::TaskDefinition"
	cfnService        = "AWS::ECS::Service"
	cfnCluster        = "AWS::ECS::Cluster"
)

// cfnServiceAliases are the CloudFormation property names of AWS::ECS::Service that differ from
// the CreateService input's (normalised keys).
var cfnServiceAliases = map[string]string{
	"placementstrategies": "placementstrategy",
}

// resourcesOfType counts a template's resources whose type starts with prefix.
func resourcesOfType(d map[string]any, prefix string) int {
	resources, _ := d["Resources"].(map[string]any)
	n := 0
	for _, r := range resources {
		if m, ok := r.(map[string]any); ok {
			if t, _ := m["Type"].(string); len(t) >= len(prefix) && t[:len(prefix)] == prefix {
				n++
			}
		}
	}
	return n
}

// readCloudFormation reads the task definitions and services of a template. Parameters take
// their defaults unless given; a Ref to a task definition or cluster of the template is its
// family or cluster name; other intrinsics are resolved from the parameters or reported.
func (objs *Objects) readCloudFormation(d map[string]any, o ReadOptions) error {
	params := map[string]string{}
	if ps, ok := d["Parameters"].(map[string]any); ok {
		for name, p := range ps {
			if pm, ok := p.(map[string]any); ok {
				if def, ok := pm["Default"]; ok {
					if s, ok := (&normalizer{report: &Report{}}).normalize("", def, stringType); ok {
						params[name] = s.(string)
					}
				}
			}
		}
	}
	for k, v := range o.Parameters {
		params[k] = v
	}
	resources, _ := d["Resources"].(map[string]any)
	// What a Ref to the template's own task definitions and clusters stands for.
	for _, id := range sortedKeys(resources) {
		r, _ := resources[id].(map[string]any)
		props, _ := r["Properties"].(map[string]any)
		switch r["Type"] {
		case cfnTaskDefinition:
			family := id
			if f, ok := (&resolver{params: params, report: &Report{}}).resolve("", props["Family"]); ok {
				if s, ok := f.(string); ok && s != "" {
					family = s
				}
			}
			if _, given := params[id]; !given {
				params[id] = family
			}
		case cfnCluster:
			name := id
			if c, ok := (&resolver{params: params, report: &Report{}}).resolve("", props["ClusterName"]); ok {
				if s, ok := c.(string); ok && s != "" {
					name = s
				}
			}
			if _, given := params[id]; !given {
				params[id] = name
			}
		}
	}
	for _, id := range sortedKeys(resources) {
		r, ok := resources[id].(map[string]any)
		if !ok {
			continue
		}
		path := "Resources." + id
		typ, _ := r["Type"].(string)
		for _, k := range sortedKeys(r) {
			switch k {
			case "Type", "Properties":
			case "DependsOn", "Metadata", "UpdateReplacePolicy", "DeletionPolicy", "Condition":
				if typ == cfnTaskDefinition || typ == cfnService {
					objs.Report.note(join(path, k), "a CloudFormation resource attribute, not carried")
				}
			}
		}
		props, _ := r["Properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
		}
		var report Report
		res := &resolver{params: params, report: &report}
		resolved, _ := res.resolve(path+".Properties", props)
		pm, _ := resolved.(map[string]any)
		switch typ {
		case cfnTaskDefinition:
			if _, ok := pm["Family"]; !ok {
				pm["Family"] = params[id]
				report.note(path+".Properties.Family", "no Family: the logical ID %s is the family", id)
			}
			td := TaskDefinition{Report: report}
			if err := td.read(path+".Properties", pm, nil); err != nil {
				return err
			}
			objs.TaskDefinitions = append(objs.TaskDefinitions, td)
		case cfnService:
			s := Service{Report: report}
			if err := s.read(path+".Properties", pm, cfnServiceAliases); err != nil {
				return err
			}
			if s.Name == "" {
				s.ECSName, s.Name = id, ObjectName(id)
				s.Report.note(path+".Properties.ServiceName", "no ServiceName: named after the logical ID %s", id)
			}
			objs.Services = append(objs.Services, s)
		}
	}
	if len(objs.TaskDefinitions)+len(objs.Services) == 0 {
		return fmt.Errorf("the template has no %s or %s resource", cfnTaskDefinition, cfnService)
	}
	return nil
}
