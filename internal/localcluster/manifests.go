package localcluster

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Manifest is one object read from a file.
type Manifest struct {
	Object *unstructured.Unstructured
	// source is the file and the document's position in it, for errors.
	Source string
}

// ReadManifests reads the objects of every YAML or JSON file of dir (not of its
// subdirectories), in file name order and then document order. Files may hold several
// documents and List kinds; kustomization files are skipped.
func ReadManifests(dir string) ([]Manifest, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	var out []Manifest
	for _, e := range entries { // sorted by file name
		name := e.Name()
		if e.IsDir() || !isManifestFile(name) {
			continue
		}
		ms, err := ReadManifestFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	return out, nil
}

func isManifestFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	if ext != ".yaml" && ext != ".yml" && ext != ".json" {
		return false
	}
	return !strings.EqualFold(strings.TrimSuffix(name, filepath.Ext(name)), "kustomization")
}

func ReadManifestFile(path string) ([]Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	var out []Manifest
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	for doc := 1; ; doc++ {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("%s: document %d: %w", path, doc, err)
		}
		if len(m) == 0 { // empty or comments only
			continue
		}
		source := fmt.Sprintf("%s (document %d)", path, doc)
		u := &unstructured.Unstructured{Object: m}
		if !u.IsList() {
			if err := checkManifest(u, source); err != nil {
				return nil, err
			}
			out = append(out, Manifest{Object: u, Source: source})
			continue
		}
		if err := u.EachListItem(func(o runtime.Object) error {
			item := o.(*unstructured.Unstructured)
			if err := checkManifest(item, source); err != nil {
				return err
			}
			out = append(out, Manifest{Object: item, Source: source})
			return nil
		}); err != nil {
			return nil, err
		}
	}
}

func checkManifest(u *unstructured.Unstructured, source string) error {
	if u.GetAPIVersion() == "" || u.GetKind() == "" {
		return fmt.Errorf("%s: an object needs apiVersion and kind", source)
	}
	if u.GetName() == "" {
		return fmt.Errorf("%s: %s has no metadata.name", source, u.GetKind())
	}
	return nil
}
