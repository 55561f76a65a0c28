package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
)

// ecspressoConfig is the configuration when data is an ecspresso.yml (or .json): a map naming
// a task_definition or service_definition file.
func ecspressoConfig(data []byte) (map[string]any, bool) {
	doc, err := ecsjson.Decode(data)
	if err != nil {
		return nil, false
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, false
	}
	_, td := m["task_definition"].(string)
	_, sd := m["service_definition"].(string)
	return m, td || sd
}

// readEcspresso reads the task and service definitions an ecspresso configuration names, as
// ecspresso renders them: template variables from --parameter, then the environment
// ({{ must_env `X` }}). It returns the sources and the files it read.
func readEcspresso(path string, cfg map[string]any, o ecsjson.ReadOptions) ([]source, []string, error) {
	params := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			params[k] = v
		}
	}
	for k, v := range o.Parameters {
		params[k] = v
	}
	o.Parameters = params
	dir := filepath.Dir(path)
	service, _ := cfg["service"].(string)
	cluster, _ := cfg["cluster"].(string)
	var out []source
	var refs []string
	for _, key := range []string{"task_definition", "service_definition"} {
		ref, ok := cfg[key].(string)
		if !ok || ref == "" {
			continue
		}
		file := ref
		if !filepath.IsAbs(file) {
			file = filepath.Join(dir, ref)
		}
		if ext := filepath.Ext(file); ext == ".jsonnet" || ext == ".libsonnet" {
			return nil, nil, fmt.Errorf("%s: %s is Jsonnet, which import does not evaluate: render it first (ecspresso render %s > file.json)", path, ref, strings.TrimSuffix(key, "_definition")+"def")
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %s: %w", path, key, err)
		}
		objs, err := ecsjson.Read(data, o)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", file, err)
		}
		refs = append(refs, file)
		src := source{name: file, objs: objs}
		if key == "service_definition" {
			src.serviceName, src.cluster = service, cluster
		}
		out = append(out, src)
	}
	return out, refs, nil
}
