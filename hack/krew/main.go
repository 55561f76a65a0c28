// Command krew packages kubectl-ecs for krew, the kubectl plugin manager: it cross-builds the
// plugin for each platform into a .tar.gz (the binary and the LICENSE), and writes the krew
// plugin manifest (ecs.yaml) naming each archive's download URL and SHA-256, so that
// `kubectl krew install --manifest=dist/krew/ecs.yaml --archive=…` or a krew index entry
// installs it as `kubectl ecs`.
//
//	go run ./hack/krew --version v0.1.0 --out dist/krew
package main

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

func main() {
	version := flag.String("version", "v0.1.0", "The plugin's version (a release tag).")
	out := flag.String("out", "dist/krew", "Where the archives and ecs.yaml go.")
	platforms := flag.String("platforms", "linux/amd64,linux/arm64,darwin/amd64,darwin/arm64,windows/amd64", "GOOS/GOARCH pairs.")
	baseURL := flag.String("base-url", "https://github.com/ecs-operator/ecs-operator/releases/download", "Where releases are downloaded from.")
	flag.Parse()
	if err := run(*version, *out, strings.Split(*platforms, ","), *baseURL); err != nil {
		fmt.Fprintln(os.Stderr, "krew:", err)
		os.Exit(1)
	}
}

func run(version, out string, platforms []string, baseURL string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var archives []archive
	for _, p := range platforms {
		goos, goarch, ok := strings.Cut(strings.TrimSpace(p), "/")
		if !ok {
			return fmt.Errorf("platform %q: want GOOS/GOARCH", p)
		}
		bin := filepath.Join(out, "build", goos+"-"+goarch, binaryName(goos))
		build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "./cmd/kubectl-ecs")
		build.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building for %s: %w", p, err)
		}
		a, err := pack(bin, "LICENSE", filepath.Join(out, fmt.Sprintf("kubectl-ecs_%s_%s_%s.tar.gz", version, goos, goarch)))
		if err != nil {
			return err
		}
		a.goos, a.goarch = goos, goarch
		archives = append(archives, a)
	}
	manifest, err := krewManifest(version, baseURL, archives)
	if err != nil {
		return err
	}
	path := filepath.Join(out, "ecs.yaml")
	if err := os.WriteFile(path, manifest, 0o644); err != nil {
		return err
	}
	fmt.Println("wrote", path)
	return os.RemoveAll(filepath.Join(out, "build"))
}

func binaryName(goos string) string {
	if goos == "windows" {
		return "kubectl-ecs.exe"
	}
	return "kubectl-ecs"
}

// archive is one platform's .tar.gz.
type archive struct {
	path, sha256, bin string
	goos, goarch      string
}

// pack writes a reproducible .tar.gz of the binary and the license and returns its SHA-256.
func pack(bin, license, dest string) (archive, error) {
	f, err := os.Create(dest)
	if err != nil {
		return archive{}, err
	}
	defer func() { _ = f.Close() }()
	h := sha256.New()
	gz := gzip.NewWriter(io.MultiWriter(f, h))
	tw := tar.NewWriter(gz)
	for _, file := range []string{bin, license} {
		data, err := os.ReadFile(file)
		if err != nil {
			if os.IsNotExist(err) && file == license {
				continue // a checkout without a LICENSE file packs the binary alone
			}
			return archive{}, err
		}
		mode := int64(0o644)
		if file == bin {
			mode = 0o755
		}
		hdr := &tar.Header{Name: filepath.Base(file), Mode: mode, Size: int64(len(data)), ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return archive{}, err
		}
		if _, err := tw.Write(data); err != nil {
			return archive{}, err
		}
	}
	if err := tw.Close(); err != nil {
		return archive{}, err
	}
	if err := gz.Close(); err != nil {
		return archive{}, err
	}
	return archive{path: dest, sha256: hex.EncodeToString(h.Sum(nil)), bin: filepath.Base(bin)}, nil
}

// krewManifest is the krew Plugin manifest for the archives.
func krewManifest(version, baseURL string, archives []archive) ([]byte, error) {
	var platforms []any
	for _, a := range archives {
		platforms = append(platforms, map[string]any{
			"selector": map[string]any{"matchLabels": map[string]string{"os": a.goos, "arch": a.goarch}},
			"uri":      fmt.Sprintf("%s/%s/%s", strings.TrimSuffix(baseURL, "/"), version, filepath.Base(a.path)),
			"sha256":   a.sha256,
			"bin":      a.bin,
		})
	}
	return yaml.Marshal(map[string]any{
		"apiVersion": "krew.googlecontainertools.github.com/v1alpha2",
		"kind":       "Plugin",
		"metadata":   map[string]any{"name": "ecs"},
		"spec": map[string]any{
			"version":          version,
			"homepage":         "https://github.com/ecs-operator/ecs-operator",
			"shortDescription": "Carry ECS task definitions and services between Amazon ECS and Kubernetes",
			"description": `Imports ECS task definitions and services (API JSON, AWS CLI output, CloudFormation,
Terraform, ecspresso) as ecs-operator objects, exports them (and plain Deployments) back as
ECS input, diffs files against the cluster, and answers the AWS CLI's ECS verbs
(describe-services, list-tasks, run-task, update-service, wait services-stable…) against
ecs-operator, with the AWS CLI's JSON.`,
			"platforms": platforms,
		},
	})
}
