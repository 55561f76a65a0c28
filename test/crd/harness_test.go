package crd

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// crdCase is one object sent to the API server, optionally followed by an update, and what the
// API server must answer: nothing (accepted) or an error containing wantErr.
type crdCase struct {
	name string
	// mutate changes a valid object before it is created.
	mutate func(o obj)
	// update, when set, changes the created object and sends it as an update; wantErr then
	// applies to the update, and the create must succeed.
	update func(o obj)
	// wantErr is a substring of the API server's error; empty means the write must succeed.
	wantErr string
	// check, when set, inspects the object as stored after a successful write.
	check func(t *testing.T, stored obj)
}

// obj is an object as generic JSON, so cases can write values of any type, valid or not.
type obj map[string]any

var nameSeq atomic.Int64

// runCases sends each case's object, made from valid(), to the API server.
func runCases(t *testing.T, valid func() obj, cases []crdCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := valid()
			if tc.mutate != nil {
				tc.mutate(o)
			}
			u := &unstructured.Unstructured{Object: o}
			if u.GetName() == "" {
				u.SetName(fmt.Sprintf("obj-%d", nameSeq.Add(1)))
			}
			err := k8s.Create(ctx(t), u)
			if tc.update != nil {
				if err != nil {
					t.Fatalf("create before update: %v", err)
				}
				tc.update(obj(u.Object))
				err = k8s.Update(ctx(t), u)
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("want the write accepted, got: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("want an error containing %q, the write was accepted", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("want an error containing %q, got: %v", tc.wantErr, err)
			}
			if tc.check != nil && err == nil {
				tc.check(t, obj(u.Object))
			}
		})
	}
}

// newNamespace creates a namespace for namespaced objects of one test.
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "crd-test-"}}
	if err := env.Client.Create(ctx(t), ns); err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	return ns.Name
}

// fromYAML parses a manifest into an obj.
func fromYAML(s string) obj {
	o := obj{}
	if err := yaml.Unmarshal([]byte(s), &o); err != nil {
		panic(fmt.Sprintf("bad test manifest: %v\n%s", err, s))
	}
	return o
}

var segment = regexp.MustCompile(`^([^\[]+)((?:\[\d+\])*)$`)

// set sets a value at a path like "spec.containerDefinitions[0].healthCheck.interval",
// creating maps on the way. A value of `deleted` removes the key instead.
func (o obj) set(path string, value any) {
	var cur any = map[string]any(o)
	parts := strings.Split(path, ".")
	for i, part := range parts {
		m := segment.FindStringSubmatch(part)
		if m == nil {
			panic("bad path " + path)
		}
		key, idx := m[1], indexes(m[2])
		last := i == len(parts)-1
		parent := cur.(map[string]any)
		if len(idx) == 0 {
			if last {
				if value == deleted {
					delete(parent, key)
				} else {
					parent[key] = value
				}
				return
			}
			next, ok := parent[key].(map[string]any)
			if !ok {
				next = map[string]any{}
				parent[key] = next
			}
			cur = next
			continue
		}
		list := parent[key].([]any)
		for j, n := range idx {
			if last && j == len(idx)-1 {
				if value == deleted {
					parent[key] = append(list[:n:n], list[n+1:]...)
				} else {
					list[n] = value
				}
				return
			}
			cur = list[n]
			if j < len(idx)-1 {
				list = cur.([]any)
			}
		}
	}
}

// get reads the value at a path written like set's.
func (o obj) get(path string) any {
	var cur any = map[string]any(o)
	for _, part := range strings.Split(path, ".") {
		m := segment.FindStringSubmatch(part)
		mp, ok := cur.(map[string]any)
		if m == nil || !ok {
			return nil
		}
		cur = mp[m[1]]
		for _, n := range indexes(m[2]) {
			list, ok := cur.([]any)
			if !ok || n >= len(list) {
				return nil
			}
			cur = list[n]
		}
	}
	return cur
}

type deletedMarker struct{}

// deleted, passed to set, removes the key.
var deleted = deletedMarker{}

func indexes(s string) []int {
	var out []int
	for _, p := range strings.Split(strings.Trim(s, "[]"), "][") {
		if p == "" {
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			panic(err)
		}
		out = append(out, n)
	}
	return out
}

// setTo returns a mutation that sets path to value.
func setTo(path string, value any) func(obj) {
	return func(o obj) { o.set(path, value) }
}

// remove returns a mutation that deletes path.
func remove(path string) func(obj) {
	return func(o obj) { o.set(path, deleted) }
}

// all combines mutations.
func all(fs ...func(obj)) func(obj) {
	return func(o obj) {
		for _, f := range fs {
			f(o)
		}
	}
}

// expect returns a check that the stored object has want at path.
func expect(path string, want any) func(*testing.T, obj) {
	return func(t *testing.T, o obj) {
		t.Helper()
		if got := o.get(path); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: want %v, got %v", path, want, got)
		}
	}
}
