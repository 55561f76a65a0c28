package ecsjson

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ecs-operator/ecs-operator/internal/sdkjson"

	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
)

// realFile is one row of testdata/ecs/index.tsv: ECS JSON written by a public project.
type realFile struct{ file, kind, origin string }

func realFiles(t *testing.T) []realFile {
	t.Helper()
	index, err := os.ReadFile(filepath.Join("testdata", "ecs", "index.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(index))
	r.Comma, r.LazyQuotes = '\t', true
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []realFile
	for _, row := range rows[1:] {
		out = append(out, realFile{file: row[0], kind: row[1], origin: row[2] + "/" + row[3]})
	}
	return out
}

// TestRealFilesImportWithoutLossAndExportAsECSInput: every real task definition and service
// imports with nothing lost, exports as JSON the SDK's input type takes member for member,
// and imports again to the same spec.
func TestRealFilesImportWithoutLossAndExportAsECSInput(t *testing.T) {
	for _, f := range realFiles(t) {
		t.Run(f.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "ecs", f.file))
			if err != nil {
				t.Fatal(err)
			}
			objs, err := Read(raw, ReadOptions{Parameters: templateValues[f.file]})
			if err != nil {
				t.Fatalf("%s (%s): %v", f.file, f.origin, err)
			}
			for _, n := range objs.Report.Notes {
				if _, rendered := templateValues[f.file]; rendered && strings.Contains(n.Message, "unrendered") {
					t.Errorf("%s (templateValues should render it)", n)
				}
			}
			switch {
			case strings.HasPrefix(f.kind, "taskdef"):
				if len(objs.TaskDefinitions) != 1 || len(objs.Services) != 0 {
					t.Fatalf("read %d task definitions and %d services, want one task definition", len(objs.TaskDefinitions), len(objs.Services))
				}
				td := objs.TaskDefinitions[0]
				noLosses(t, td.Report)
				out, report, err := TaskDefinitionToECS(td.Name, td.Spec)
				if err != nil {
					t.Fatal(err)
				}
				noLosses(t, report)
				var input awsecs.RegisterTaskDefinitionInput
				if err := sdkjson.Decode(jsonRoundTrip(t, out), &input); err != nil {
					t.Fatalf("the export is not a RegisterTaskDefinition input: %v", err)
				}
				again, err := TaskDefinitionFromECS(out)
				if err != nil {
					t.Fatal(err)
				}
				if !jsonEqual(t, again.Spec, td.Spec) {
					t.Fatalf("import → export → import changed the spec:\n%s", diffJSON(t, td.Spec, again.Spec))
				}
			case strings.HasPrefix(f.kind, "service"):
				if len(objs.Services) != 1 || len(objs.TaskDefinitions) != 0 {
					t.Fatalf("read %d services and %d task definitions, want one service", len(objs.Services), len(objs.TaskDefinitions))
				}
				s := objs.Services[0]
				noLosses(t, s.Report)
				out, report, err := ServiceToECS(orElse(s.ECSName, "imported"), orElse(s.Cluster, "default"), s.Spec)
				if err != nil {
					t.Fatal(err)
				}
				noLosses(t, report)
				var input awsecs.CreateServiceInput
				if err := sdkjson.Decode(jsonRoundTrip(t, out), &input); err != nil {
					t.Fatalf("the export is not a CreateService input: %v", err)
				}
				again, err := ServiceFromECS(out)
				if err != nil {
					t.Fatal(err)
				}
				// platformFamily is ECS's to derive: the export leaves it out (a note).
				s.Spec.PlatformFamily = ""
				if !jsonEqual(t, again.Spec, s.Spec) {
					t.Fatalf("import → export → import changed the spec:\n%s", diffJSON(t, s.Spec, again.Spec))
				}
			default:
				t.Fatalf("unknown kind %q in index.tsv", f.kind)
			}
		})
	}
}

// TestRandomECSInputsRoundTrip fills every member of random RegisterTaskDefinition and
// CreateService inputs, imports and exports them: what comes back equals what went in, except
// what the import reported lost (by path) and the documented normalisations.
func TestRandomECSInputsRoundTrip(t *testing.T) {
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 11))
		t.Run(fmt.Sprintf("task definition %d", seed), func(t *testing.T) {
			var in awsecs.RegisterTaskDefinitionInput
			sdkjson.Fill(r, reflect.ValueOf(&in).Elem(), 0)
			in.Family = ptr("family-" + strconv.FormatUint(seed, 10))
			doc := sdkjson.Encode(reflect.ValueOf(in)).(map[string]any)
			td, err := TaskDefinitionFromECS(doc)
			if err != nil {
				t.Fatal(err)
			}
			out, report, err := TaskDefinitionToECS(td.Name, td.Spec)
			if err != nil {
				t.Fatal(err)
			}
			var back awsecs.RegisterTaskDefinitionInput
			if err := sdkjson.Decode(jsonRoundTrip(t, out), &back); err != nil {
				t.Fatalf("the export is not a RegisterTaskDefinition input: %v", err)
			}
			compareRoundTrip(t, doc, sdkjson.Encode(reflect.ValueOf(back)).(map[string]any), append(td.Report.Losses, report.Losses...))
		})
		t.Run(fmt.Sprintf("service %d", seed), func(t *testing.T) {
			var in awsecs.CreateServiceInput
			sdkjson.Fill(r, reflect.ValueOf(&in).Elem(), 0)
			in.ServiceName, in.Cluster = ptr("svc"), ptr("cluster")
			in.TaskDefinition = ptr("family:" + strconv.FormatUint(seed+1, 10))
			doc := sdkjson.Encode(reflect.ValueOf(in)).(map[string]any)
			s, err := ServiceFromECS(doc)
			if err != nil {
				t.Fatal(err)
			}
			out, report, err := ServiceToECS(s.ECSName, s.Cluster, s.Spec)
			if err != nil {
				t.Fatal(err)
			}
			var back awsecs.CreateServiceInput
			if err := sdkjson.Decode(jsonRoundTrip(t, out), &back); err != nil {
				t.Fatalf("the export is not a CreateService input: %v", err)
			}
			// clientToken is an idempotency token, dropped by design.
			delete(doc, "clientToken")
			compareRoundTrip(t, doc, sdkjson.Encode(reflect.ValueOf(back)).(map[string]any), append(s.Report.Losses, report.Losses...))
		})
	}
}

// compareRoundTrip compares what went in with what came back, after removing what was
// reported lost from the input.
func compareRoundTrip(t *testing.T, in, back map[string]any, losses []Issue) {
	t.Helper()
	for _, l := range losses {
		deletePath(in, l.Path)
	}
	if !reflect.DeepEqual(in, back) {
		t.Fatalf("the round trip changed what it did not report lost (losses: %v):\n%s", losses, diffJSON(t, in, back))
	}
}

var pathPart = regexp.MustCompile(`([^.\[\]]+)|\[(\d+)\]`)

// deletePath removes the value at a JSON path (a.b[2].c) from v.
func deletePath(v any, path string) {
	parts := pathPart.FindAllStringSubmatch(path, -1)
	var walk func(v any, parts [][]string)
	walk = func(v any, parts [][]string) {
		if len(parts) == 0 {
			return
		}
		last := len(parts) == 1
		switch x := v.(type) {
		case map[string]any:
			key := parts[0][1]
			if last {
				delete(x, key)
				return
			}
			walk(x[key], parts[1:])
		case []any:
			i, err := strconv.Atoi(parts[0][2])
			if err != nil || i >= len(x) {
				return
			}
			if last {
				x[i] = nil
				return
			}
			walk(x[i], parts[1:])
		}
	}
	walk(v, parts)
	pruneEmpty(v)
}

// pruneEmpty removes nil list items and objects left empty by deletePath.
func pruneEmpty(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e = pruneEmpty(e); e == nil {
				delete(x, k)
			} else {
				x[k] = e
			}
		}
		if len(x) == 0 {
			return nil
		}
	case []any:
		out := x[:0]
		for _, e := range x {
			if e = pruneEmpty(e); e != nil {
				out = append(out, e)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return v
}

// templateValues render the real files kept as templates, as --parameter does
// (testdata/ecs/parameters.json, by file).
var templateValues = func() map[string]map[string]string {
	b, err := os.ReadFile(filepath.Join("testdata", "ecs", "parameters.json"))
	if err != nil {
		panic(err)
	}
	var out map[string]map[string]string
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}()

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ja, jb)
}

func noLosses(t *testing.T, r Report) {
	t.Helper()
	for _, l := range r.Losses {
		t.Errorf("lost %s", l)
	}
}

// jsonRoundTrip is v as decoded JSON with exact numbers, as a file would give it.
func jsonRoundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffJSON(t *testing.T, a, b any) string {
	t.Helper()
	ja, _ := json.MarshalIndent(a, "", " ")
	jb, _ := json.MarshalIndent(b, "", " ")
	la, lb := strings.Split(string(ja), "\n"), strings.Split(string(jb), "\n")
	var out []string
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			out = append(out, fmt.Sprintf("line %d:\n  - %s\n  + %s", i+1, x, y))
			if len(out) > 10 {
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

func ptr[T any](v T) *T { return &v }

func orElse(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
