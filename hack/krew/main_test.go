package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestManifestNamesEachArchiveWithItsChecksum: krew refuses an archive whose SHA-256 differs
// from the manifest's; the manifest must name the archive written.
func TestManifestNamesEachArchiveWithItsChecksum(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "kubectl-ecs")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho ecs\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	a, err := pack(bin, filepath.Join(dir, "LICENSE"), filepath.Join(dir, "kubectl-ecs_v1.2.3_linux_amd64.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := pack(bin, filepath.Join(dir, "LICENSE"), filepath.Join(dir, "again.tar.gz"))
	if err != nil || again.sha256 != a.sha256 {
		t.Fatalf("packing twice gave %s and %s (%v): archives must be reproducible", a.sha256, again.sha256, err)
	}
	a.goos, a.goarch = "linux", "amd64"
	out, err := krewManifest("v1.2.3", "https://example.com/releases", []archive{a})
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Kind     string                `json:"kind"`
		Metadata struct{ Name string } `json:"metadata"`
		Spec     struct {
			Version   string `json:"version"`
			Platforms []struct {
				URI, Sha256, Bin string
				Selector         struct {
					MatchLabels map[string]string `json:"matchLabels"`
				}
			} `json:"platforms"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(a.path)
	sum := sha256.Sum256(data)
	p := m.Spec.Platforms[0]
	if m.Kind != "Plugin" || m.Metadata.Name != "ecs" || m.Spec.Version != "v1.2.3" || p.Sha256 != hex.EncodeToString(sum[:]) ||
		p.URI != "https://example.com/releases/v1.2.3/kubectl-ecs_v1.2.3_linux_amd64.tar.gz" || p.Bin != "kubectl-ecs" || p.Selector.MatchLabels["os"] != "linux" {
		t.Fatalf("manifest:\n%s", out)
	}
}
