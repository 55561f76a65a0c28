package ecsjson

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/ecs-operator/ecs-operator/internal/ecs"
)

// Normalize puts an ECS input document (a RegisterTaskDefinition or CreateService input, as
// the exporters write it) in the form two equal definitions share, the way ECS and ecspresso
// compare them: lists whose order means nothing sorted (environment, secrets, ports, mount
// points, tags, containers, volumes, compatibilities), the defaults ECS fills in written out
// (essential, protocol tcp, hostPort in awsvpc, deployment 200/100 percent, REPLICA) and task
// sizes in cpu units and MiB. nil stays nil.
func Normalize(doc map[string]any) map[string]any {
	if doc == nil {
		return nil
	}
	out, err := asJSON(doc)
	if err != nil {
		return doc
	}
	awsvpc := out["networkMode"] == "awsvpc"
	if cpu, ok := out["cpu"].(string); ok {
		if units, err := ecs.ParseTaskCPU(cpu); err == nil {
			out["cpu"] = strconv.FormatInt(units, 10)
		}
	}
	if mem, ok := out["memory"].(string); ok {
		if mib, err := ecs.ParseTaskMemory(mem); err == nil {
			out["memory"] = strconv.FormatInt(mib, 10)
		}
	}
	containers, _ := out["containerDefinitions"].([]any)
	for _, c := range containers {
		cd, ok := c.(map[string]any)
		if !ok {
			continue
		}
		if _, ok := cd["essential"]; !ok {
			cd["essential"] = true
		}
		ports, _ := cd["portMappings"].([]any)
		for _, p := range ports {
			pm, ok := p.(map[string]any)
			if !ok {
				continue
			}
			if _, ok := pm["protocol"]; !ok {
				pm["protocol"] = "tcp"
			}
			if _, ok := pm["hostPort"]; !ok && awsvpc && pm["containerPort"] != nil {
				pm["hostPort"] = pm["containerPort"]
			}
		}
		for _, field := range []struct{ list, key string }{
			{"environment", "name"}, {"secrets", "name"}, {"portMappings", "containerPort"}, {"mountPoints", "containerPath"},
			{"dependsOn", "containerName"}, {"ulimits", "name"}, {"volumesFrom", "sourceContainer"}, {"extraHosts", "hostname"},
		} {
			sortBy(cd, field.list, field.key)
		}
	}
	sortBy(out, "containerDefinitions", "name")
	sortBy(out, "volumes", "name")
	sortBy(out, "tags", "key")
	sortBy(out, "placementConstraints", "expression")
	if list, ok := out["requiresCompatibilities"].([]any); ok {
		sort.Slice(list, func(i, j int) bool { return fmt.Sprint(list[i]) < fmt.Sprint(list[j]) })
	}
	if _, isService := out["serviceName"]; isService {
		if _, ok := out["schedulingStrategy"]; !ok {
			out["schedulingStrategy"] = "REPLICA"
		}
		dc, _ := out["deploymentConfiguration"].(map[string]any)
		if dc == nil {
			dc = map[string]any{}
		}
		if _, ok := dc["maximumPercent"]; !ok && out["schedulingStrategy"] == "REPLICA" {
			dc["maximumPercent"] = json.Number("200")
		}
		if _, ok := dc["minimumHealthyPercent"]; !ok && out["schedulingStrategy"] == "REPLICA" {
			dc["minimumHealthyPercent"] = json.Number("100")
		}
		out["deploymentConfiguration"] = dc
	}
	return out
}

// sortBy sorts the list m[list] of objects by their key.
func sortBy(m map[string]any, list, key string) {
	items, ok := m[list].([]any)
	if !ok {
		return
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, _ := items[i].(map[string]any)
		b, _ := items[j].(map[string]any)
		return fmt.Sprint(a[key]) < fmt.Sprint(b[key])
	})
}
