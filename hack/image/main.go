// Command image builds the operator's container image without a container engine: it
// cross-compiles the manager for each platform and writes a multi-platform OCI image layout,
// as a tarball, holding the manager and nothing else but the files a distroless static nonroot
// base carries for it (a passwd entry for the nonroot user 65532, its home, /tmp). The output is
// reproducible: every timestamp is the Unix epoch, every file sorted.
//
//	go run ./hack/image --out bin/image/ecs-operator.tar --tag v0.1.0
//
// Load it with `skopeo copy oci-archive:bin/image/ecs-operator.tar docker://REGISTRY/ecs-operator:TAG`,
// `crane push`, or `podman load`.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// The OCI media types the layout uses.
const (
	mediaIndex    = "application/vnd.oci.image.index.v1+json"
	mediaManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaConfig   = "application/vnd.oci.image.config.v1+json"
	mediaLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
)

// nonroot is distroless's nonroot user and group.
const nonroot = 65532

type options struct {
	out, tag, repository, revision, pkg string
	platforms                           []string
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	var o options
	var platforms string
	fs.StringVar(&o.out, "out", "bin/image/ecs-operator.tar", "The OCI image layout tarball to write.")
	fs.StringVar(&o.tag, "tag", "dev", "The image's tag (org.opencontainers.image.ref.name) and version.")
	fs.StringVar(&o.repository, "repository", "ghcr.io/ecs-operator/ecs-operator", "The repository the image is meant for, recorded in its annotations.")
	fs.StringVar(&o.revision, "revision", "", "The source revision, recorded in the image's labels.")
	fs.StringVar(&platforms, "platforms", "linux/amd64,linux/arm64", "Comma-separated os/arch pairs to build.")
	fs.StringVar(&o.pkg, "package", "./cmd/manager", "The Go package of the manager.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, p := range strings.Split(platforms, ",") {
		if p = strings.TrimSpace(p); p != "" {
			if !strings.HasPrefix(p, "linux/") || strings.Count(p, "/") != 1 {
				return fmt.Errorf("--platforms: %q is not linux/<arch>", p)
			}
			o.platforms = append(o.platforms, p)
		}
	}
	if len(o.platforms) == 0 {
		return errors.New("--platforms: none given")
	}
	return build(o)
}

// blobs are the content-addressed blobs of the layout.
type blobs map[string][]byte

func (b blobs) add(content []byte) descriptor {
	sum := sha256.Sum256(content)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	b[digest] = content
	return descriptor{Digest: digest, Size: int64(len(content))}
}

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Platform    *platform         `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

func build(o options) error {
	work, err := os.MkdirTemp("", "ecs-operator-image-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(work) }()
	store := blobs{}
	var manifests []descriptor
	for _, p := range o.platforms {
		arch := strings.TrimPrefix(p, "linux/")
		binary := filepath.Join(work, "manager-"+arch)
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -buildid=", "-o", binary, o.pkg)
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building the manager for %s: %w", p, err)
		}
		m, err := image(store, binary, arch, o)
		if err != nil {
			return err
		}
		manifests = append(manifests, m)
	}
	index, err := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": mediaIndex, "manifests": manifests,
		"annotations": annotations(o),
	})
	if err != nil {
		return err
	}
	top := store.add(index)
	top.MediaType = mediaIndex
	top.Annotations = map[string]string{
		"org.opencontainers.image.ref.name": o.tag,
		"io.containerd.image.name":          o.repository + ":" + o.tag,
	}
	layoutIndex, err := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": mediaIndex, "manifests": []descriptor{top}})
	if err != nil {
		return err
	}
	return writeLayout(o.out, store, layoutIndex)
}

// image adds one platform's layer, config and manifest to the store.
func image(store blobs, binary, arch string, o options) (descriptor, error) {
	manager, err := os.ReadFile(binary)
	if err != nil {
		return descriptor{}, err
	}
	layer, diffID, err := rootfs(manager)
	if err != nil {
		return descriptor{}, err
	}
	layerDesc := store.add(layer)
	layerDesc.MediaType = mediaLayer
	epoch := time.Unix(0, 0).UTC().Format(time.RFC3339)
	config, err := json.Marshal(map[string]any{
		"created": epoch, "architecture": arch, "os": "linux",
		"config": map[string]any{
			"User":       fmt.Sprintf("%d:%d", nonroot, nonroot),
			"Entrypoint": []string{"/manager"},
			"WorkingDir": "/",
			"Env":        []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/home/nonroot"},
			"Labels":     annotations(o),
		},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": []string{diffID}},
		"history": []map[string]any{{"created": epoch, "created_by": "hack/image: the manager, /etc/passwd, /etc/group, /home/nonroot, /tmp"}},
	})
	if err != nil {
		return descriptor{}, err
	}
	configDesc := store.add(config)
	configDesc.MediaType = mediaConfig
	manifest, err := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": mediaManifest,
		"config": configDesc, "layers": []descriptor{layerDesc},
	})
	if err != nil {
		return descriptor{}, err
	}
	d := store.add(manifest)
	d.MediaType = mediaManifest
	d.Platform = &platform{Architecture: arch, OS: "linux"}
	return d, nil
}

func annotations(o options) map[string]string {
	a := map[string]string{
		"org.opencontainers.image.title":       "ecs-operator",
		"org.opencontainers.image.description": "The Amazon ECS model on Kubernetes",
		"org.opencontainers.image.source":      "https://github.com/ecs-operator/ecs-operator",
		"org.opencontainers.image.version":     o.tag,
		"org.opencontainers.image.licenses":    "Apache-2.0",
	}
	if o.revision != "" {
		a["org.opencontainers.image.revision"] = o.revision
	}
	return a
}

// rootfs is the image's one layer, gzipped, and the digest of its uncompressed tar (its diff ID).
func rootfs(manager []byte) ([]byte, string, error) {
	type entry struct {
		name     string
		mode     int64
		uid      int
		dir      bool
		contents []byte
	}
	entries := []entry{
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/group", mode: 0o644, contents: fmt.Appendf(nil, "root:x:0:\nnonroot:x:%d:\n", nonroot)},
		{name: "etc/passwd", mode: 0o644, contents: fmt.Appendf(nil, "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", nonroot, nonroot)},
		{name: "home/", mode: 0o755, dir: true},
		{name: "home/nonroot/", mode: 0o700, uid: nonroot, dir: true},
		{name: "manager", mode: 0o755, contents: manager},
		{name: "tmp/", mode: 0o1777, dir: true},
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.uid, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		if e.dir {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.contents))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, "", err
		}
		if _, err := tw.Write(e.contents); err != nil {
			return nil, "", err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(raw.Bytes())
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return nil, "", err
	}
	if _, err := io.Copy(zw, &raw); err != nil {
		return nil, "", err
	}
	if err := zw.Close(); err != nil {
		return nil, "", err
	}
	return gz.Bytes(), "sha256:" + hex.EncodeToString(sum[:]), nil
}

// writeLayout writes the OCI image layout (oci-layout, index.json, blobs/sha256/…) as a tarball.
func writeLayout(out string, store blobs, index []byte) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	f, err := os.Create(out + ".tmp")
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	file := func(name string, content []byte) error {
		h := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(content)
		return err
	}
	dir := func(name string) error {
		return tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, ModTime: time.Unix(0, 0), Typeflag: tar.TypeDir, Format: tar.FormatPAX})
	}
	digests := make([]string, 0, len(store))
	for d := range store {
		digests = append(digests, d)
	}
	sort.Strings(digests)
	err = errors.Join(
		file("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)),
		file("index.json", index),
		dir("blobs/"), dir("blobs/sha256/"),
	)
	for _, d := range digests {
		err = errors.Join(err, file("blobs/sha256/"+strings.TrimPrefix(d, "sha256:"), store[d]))
	}
	err = errors.Join(err, tw.Close(), f.Close())
	if err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), out)
}
