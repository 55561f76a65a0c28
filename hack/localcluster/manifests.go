package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// fieldOwner is the server-side apply field manager of what localcluster applies.
const fieldOwner = client.FieldOwner("ecs-operator-local")

// manifest is one object read from a file.
type manifest struct {
	obj *unstructured.Unstructured
	// source is the file and the document's position in it, for errors.
	source string
}

// objectRef names an object.
type objectRef struct {
	GVK       schema.GroupVersionKind
	Namespace string
	Name      string
}

// readManifests reads the objects of every YAML or JSON file of dir (not of its
// subdirectories), in file name order and then document order. Files may hold several
// documents and List kinds; kustomization files are skipped.
func readManifests(dir string) ([]manifest, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the samples: %w", err)
	}
	var out []manifest
	for _, e := range entries { // sorted by file name
		name := e.Name()
		if e.IsDir() || !isManifestFile(name) {
			continue
		}
		ms, err := readManifestFile(filepath.Join(dir, name))
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

func readManifestFile(path string) ([]manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	var out []manifest
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
			out = append(out, manifest{obj: u, source: source})
			continue
		}
		if err := u.EachListItem(func(o runtime.Object) error {
			item := o.(*unstructured.Unstructured)
			if err := checkManifest(item, source); err != nil {
				return err
			}
			out = append(out, manifest{obj: item, source: source})
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

// applyManifests server-side-applies the cluster-scoped objects, creates the namespaces the
// namespaced objects name that do not exist yet, then applies the namespaced objects; each
// group in the order given. Namespaced objects without a namespace go to "default".
func applyManifests(ctx context.Context, c client.Client, ms []manifest) ([]objectRef, error) {
	var clusterScoped, namespaced []manifest
	var namespaces []string
	seenNS := map[string]bool{}
	for _, m := range ms {
		isNamespaced, err := c.IsObjectNamespaced(m.obj)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", m.source, m.obj.GroupVersionKind(), err)
		}
		if !isNamespaced {
			m.obj.SetNamespace("")
			clusterScoped = append(clusterScoped, m)
			continue
		}
		if m.obj.GetNamespace() == "" {
			m.obj.SetNamespace(metav1.NamespaceDefault)
		}
		if ns := m.obj.GetNamespace(); !seenNS[ns] {
			seenNS[ns] = true
			namespaces = append(namespaces, ns)
		}
		namespaced = append(namespaced, m)
	}

	var applied []objectRef
	for _, m := range clusterScoped {
		if err := applyManifest(ctx, c, m); err != nil {
			return nil, err
		}
		applied = append(applied, refOf(m.obj))
	}
	if err := ensureNamespaces(ctx, c, namespaces); err != nil {
		return nil, err
	}
	for _, m := range namespaced {
		if err := applyManifest(ctx, c, m); err != nil {
			return nil, err
		}
		applied = append(applied, refOf(m.obj))
	}
	return applied, nil
}

func applyManifest(ctx context.Context, c client.Client, m manifest) error {
	obj := m.obj.DeepCopy() // Apply overwrites it with the server's answer
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), fieldOwner, client.ForceOwnership); err != nil {
		return fmt.Errorf("%s: applying %s: %w", m.source, describe(refOf(m.obj)), err)
	}
	log.Info("applied", "object", describe(refOf(m.obj)))
	return nil
}

// ensureNamespaces creates the namespaces that do not exist yet.
func ensureNamespaces(ctx context.Context, c client.Client, names []string) error {
	for _, name := range names {
		err := c.Get(ctx, client.ObjectKey{Name: name}, &corev1.Namespace{})
		if err == nil {
			continue
		}
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("reading namespace %s: %w", name, err)
		}
		err = c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating namespace %s: %w", name, err)
		}
		log.Info("created namespace", "name", name)
	}
	return nil
}

// readBack gets each object from the API server and returns them as stored there, without
// duplicates.
func readBack(ctx context.Context, c client.Reader, refs []objectRef) ([]objectRef, error) {
	seen := map[objectRef]bool{}
	var out []objectRef
	for _, ref := range refs {
		if seen[ref] {
			continue
		}
		seen[ref] = true
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(ref.GVK)
		if err := c.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, u); err != nil {
			return nil, fmt.Errorf("reading back %s: %w", describe(ref), err)
		}
		out = append(out, refOf(u))
	}
	return out, nil
}

func refOf(u *unstructured.Unstructured) objectRef {
	return objectRef{GVK: u.GroupVersionKind(), Namespace: u.GetNamespace(), Name: u.GetName()}
}

// describe is "Kind namespace/name", or "Kind name" for a cluster-scoped object.
func describe(r objectRef) string {
	if r.Namespace == "" {
		return r.GVK.Kind + " " + r.Name
	}
	return r.GVK.Kind + " " + r.Namespace + "/" + r.Name
}
