package ecsapi

// actions are the ECS actions served, by name.
var actions = map[string]handler{
	"ListClusters":               listClusters,
	"DescribeClusters":           describeClusters,
	"RegisterTaskDefinition":     registerTaskDefinition,
	"DescribeTaskDefinition":     describeTaskDefinition,
	"ListTaskDefinitions":        listTaskDefinitions,
	"ListTaskDefinitionFamilies": listTaskDefinitionFamilies,
	"DeregisterTaskDefinition":   deregisterTaskDefinition,
	"CreateCluster":              createCluster,
	"DeleteCluster":              deleteCluster,
	"CreateService":              createService,
	"UpdateService":              updateService,
	"DescribeServices":           describeServices,
	"ListServices":               listServices,
	"DeleteService":              deleteService,
	"RunTask":                    runTask,
	"StartTask":                  startTask,
	"StopTask":                   stopTask,
	"DescribeTasks":              describeTasks,
	"ListTasks":                  listTasks,
	"TagResource":                tagResource,
	"UntagResource":              untagResource,
	"ListTagsForResource":        listTagsForResource,
}

func maps(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func orDefault[T ~string](v, d T) T {
	if v == "" {
		return d
	}
	return v
}

func orEmpty(items []any) []any {
	if items == nil {
		return []any{}
	}
	return items
}
