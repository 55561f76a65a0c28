package ecsjson

import (
	"testing"
)

func TestNormalizeMakesEqualDefinitionsEqual(t *testing.T) {
	read := func(doc string) map[string]any {
		t.Helper()
		objs, err := Read([]byte(doc), ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(objs.TaskDefinitions) == 1 {
			out, _, _ := TaskDefinitionToECS(objs.TaskDefinitions[0].Name, objs.TaskDefinitions[0].Spec)
			return Normalize(out)
		}
		out, _, _ := ServiceToECS("web", "", objs.Services[0].Spec)
		return Normalize(out)
	}
	for _, tt := range []struct {
		name  string
		a, b  string
		equal bool
	}{
		{"order of environment, ports and containers; defaults written out; size units", `{"family":"web","cpu":"1 vCPU","memory":"2 GB","networkMode":"awsvpc","containerDefinitions":[
			{"name":"b","image":"x","environment":[{"name":"Z","value":"1"},{"name":"A","value":"2"}],"portMappings":[{"containerPort":81},{"containerPort":80}]},
			{"name":"a","image":"y","essential":true}]}`,
			`{"family":"web","cpu":"1024","memory":"2048","networkMode":"awsvpc","containerDefinitions":[
			{"name":"a","image":"y"},
			{"name":"b","image":"x","essential":true,"environment":[{"name":"A","value":"2"},{"name":"Z","value":"1"}],
			 "portMappings":[{"containerPort":80,"hostPort":80,"protocol":"tcp"},{"containerPort":81,"protocol":"tcp"}]}]}`, true},
		{"a changed image differs", `{"family":"web","containerDefinitions":[{"name":"a","image":"x:1"}]}`, `{"family":"web","containerDefinitions":[{"name":"a","image":"x:2"}]}`, false},
		{"service defaults", `{"serviceName":"web","taskDefinition":"web","desiredCount":1}`,
			`{"serviceName":"web","taskDefinition":"web","desiredCount":1,"schedulingStrategy":"REPLICA","deploymentConfiguration":{"maximumPercent":200,"minimumHealthyPercent":100}}`, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := jsonEqual(t, read(tt.a), read(tt.b)); got != tt.equal {
				t.Fatalf("equal = %v, want %v:\n%s", got, tt.equal, diffJSON(t, read(tt.a), read(tt.b)))
			}
		})
	}
}
