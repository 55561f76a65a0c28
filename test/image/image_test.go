// Package image proves the operator's container image, built without a container engine by
// hack/image: an OCI layout that holds the manager and nothing else, runs it as the nonroot user
// and enters through it.
package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/ecs-operator/ecs-operator/internal/testenv"
)

type descriptor struct {
	MediaType   string                             `json:"mediaType"`
	Digest      string                             `json:"digest"`
	Platform    *struct{ Architecture, OS string } `json:"platform"`
	Annotations map[string]string                  `json:"annotations"`
}

type index struct {
	Manifests []descriptor `json:"manifests"`
}

type manifest struct {
	Config descriptor   `json:"config"`
	Layers []descriptor `json:"layers"`
}

type config struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Config       struct {
		User       string
		Entrypoint []string
		Labels     map[string]string
	} `json:"config"`
	RootFS struct {
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

// readLayout reads every file of an OCI layout tarball.
func readLayout(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	files := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[h.Name] = b
		}
	}
}

// blob reads a blob by digest and checks that its content has that digest.
func blob(t *testing.T, files map[string][]byte, d descriptor, into any) []byte {
	t.Helper()
	b, ok := files["blobs/sha256/"+strings.TrimPrefix(d.Digest, "sha256:")]
	if !ok {
		t.Fatalf("blob %s is missing", d.Digest)
	}
	sum := sha256.Sum256(b)
	if "sha256:"+hex.EncodeToString(sum[:]) != d.Digest {
		t.Fatalf("blob %s has another digest", d.Digest)
	}
	if into != nil {
		if err := json.Unmarshal(b, into); err != nil {
			t.Fatalf("blob %s: %v", d.Digest, err)
		}
	}
	return b
}

func TestImage_HoldsTheManagerAloneAndRunsItAsNonroot(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the manager")
	}
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "ecs-operator.tar")
	build := exec.Command("go", "run", "./hack/image", "--out", out, "--tag", "v0.0.0-test", "--revision", "abc123", "--platforms", "linux/"+runtime.GOARCH)
	build.Dir = root
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the image: %v\n%s", err, b)
	}
	files := readLayout(t, out)
	if string(files["oci-layout"]) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Fatalf("oci-layout %q", files["oci-layout"])
	}
	var top index
	if err := json.Unmarshal(files["index.json"], &top); err != nil || len(top.Manifests) != 1 {
		t.Fatalf("index.json: %v %+v", err, top)
	}
	if ref := top.Manifests[0].Annotations["org.opencontainers.image.ref.name"]; ref != "v0.0.0-test" {
		t.Fatalf("ref name %q", ref)
	}
	var platforms index
	blob(t, files, top.Manifests[0], &platforms)
	if len(platforms.Manifests) != 1 || platforms.Manifests[0].Platform.Architecture != runtime.GOARCH || platforms.Manifests[0].Platform.OS != "linux" {
		t.Fatalf("platform manifests %+v", platforms.Manifests)
	}
	var m manifest
	blob(t, files, platforms.Manifests[0], &m)
	var c config
	blob(t, files, m.Config, &c)
	if c.Config.User != "65532:65532" {
		t.Errorf("user %q, want the nonroot 65532:65532", c.Config.User)
	}
	if !slices.Equal(c.Config.Entrypoint, []string{"/manager"}) {
		t.Errorf("entrypoint %q, want [/manager]", c.Config.Entrypoint)
	}
	if c.Config.Labels["org.opencontainers.image.revision"] != "abc123" || c.Config.Labels["org.opencontainers.image.version"] != "v0.0.0-test" {
		t.Errorf("labels %v", c.Config.Labels)
	}
	if len(m.Layers) != 1 || len(c.RootFS.DiffIDs) != 1 {
		t.Fatalf("layers %+v diff_ids %v", m.Layers, c.RootFS.DiffIDs)
	}

	// The one layer: the manager and what a distroless static nonroot base gives it, nothing else.
	zr, err := gzip.NewReader(bytes.NewReader(blob(t, files, m.Layers[0], nil)))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(raw); "sha256:"+hex.EncodeToString(sum[:]) != c.RootFS.DiffIDs[0] {
		t.Fatal("the layer's diff ID is not the digest of its tar")
	}
	var names []string
	var manager []byte
	var passwd string
	tr := tar.NewReader(bytes.NewReader(raw))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		b, _ := io.ReadAll(tr)
		switch h.Name {
		case "manager":
			if h.Mode&0o111 == 0 || h.Uid != 0 {
				t.Errorf("manager mode %o uid %d", h.Mode, h.Uid)
			}
			manager = b
		case "etc/passwd":
			passwd = string(b)
		}
	}
	want := []string{"etc/", "etc/group", "etc/passwd", "home/", "home/nonroot/", "manager", "tmp/"}
	if !slices.Equal(names, want) {
		t.Fatalf("layer holds %q, want %q", names, want)
	}
	if !strings.Contains(passwd, "nonroot:x:65532:65532:") {
		t.Errorf("passwd %q has no nonroot user", passwd)
	}
	if !bytes.HasPrefix(manager, []byte("\x7fELF")) {
		t.Fatal("the manager is no ELF executable")
	}
	// It is the manager, statically linked: it runs here and knows its flags.
	bin := filepath.Join(t.TempDir(), "manager")
	if err := os.WriteFile(bin, manager, 0o755); err != nil {
		t.Fatal(err)
	}
	help, _ := exec.Command(bin, "--help").CombinedOutput()
	if !strings.Contains(string(help), "leader-elect") {
		t.Fatalf("the image's manager does not answer --help:\n%s", help)
	}
}
