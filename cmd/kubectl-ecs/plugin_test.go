package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
	"github.com/ecs-operator/ecs-operator/internal/testenv"
	"github.com/ecs-operator/ecs-operator/internal/translate"
)

var (
	env        *testenv.Env
	kubeconfig string
)

// realFilesDir holds ECS JSON written by public projects (index.tsv says where from) and the
// values that render the ones kept as templates (parameters.json).
var realFilesDir = filepath.Join("..", "..", "internal", "ecsjson", "testdata", "ecs")

func TestMain(m *testing.M) {
	var err error
	if env, err = testenv.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		dir, err := os.MkdirTemp("", "kubectl-ecs-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer func() { _ = os.RemoveAll(dir) }()
		if kubeconfig, err = writeKubeconfig(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}()
	_ = env.Stop()
	os.Exit(code)
}

func writeKubeconfig(dir string) (string, error) {
	cfg := env.Config
	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
	kc.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "admin", Namespace: "default"}
	kc.CurrentContext = "envtest"
	path := filepath.Join(dir, "kubeconfig")
	return path, clientcmd.WriteToFile(*kc, path)
}

// kubectlECS runs the plugin as kubectl would, with the test cluster's kubeconfig.
func kubectlECS(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newRootCommand(strings.NewReader(stdin), &out, &errOut)
	cmd.SetArgs(append(args, "--kubeconfig", kubeconfig))
	err := cmd.ExecuteContext(t.Context())
	var exit exitError
	switch {
	case errors.As(err, &exit):
		code = exit.code
	case err != nil:
		fmt.Fprintln(&errOut, "error:", err)
		code = 1
	}
	return out.String(), errOut.String(), code
}

func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "ecs-"}}
	if err := env.Client.Create(t.Context(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// objects parses the YAML documents import writes.
func objects(t *testing.T, out string) []*unstructured.Unstructured {
	t.Helper()
	var objs []*unstructured.Unstructured
	for _, doc := range strings.Split(out, "\n---\n") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatalf("import wrote %q: %v", doc, err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
	return objs
}

type realFile struct{ file, kind string }

func realFiles(t *testing.T) ([]realFile, map[string]map[string]string) {
	t.Helper()
	index, err := os.ReadFile(filepath.Join(realFilesDir, "index.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(index))
	r.Comma, r.LazyQuotes = '\t', true
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var files []realFile
	for _, row := range rows[1:] {
		files = append(files, realFile{file: row[0], kind: row[1]})
	}
	b, err := os.ReadFile(filepath.Join(realFilesDir, "parameters.json"))
	if err != nil {
		t.Fatal(err)
	}
	var params map[string]map[string]string
	if err := json.Unmarshal(b, &params); err != nil {
		t.Fatal(err)
	}
	return files, params
}

func parameterFlags(params map[string]string) []string {
	var out []string
	for k, v := range params {
		out = append(out, "--parameter", k+"="+v)
	}
	return out
}

// TestRealFilesImportApplyTranslateExportAndDiffEqual: every real file imports with nothing
// lost, the API server accepts what import writes, the task definitions translate into Pods the
// API server accepts, export gives back what was imported (normalised), and diff finds the live
// objects equal to the file — until one changes.
func TestRealFilesImportApplyTranslateExportAndDiffEqual(t *testing.T) {
	files, params := realFiles(t)
	for _, f := range files {
		t.Run(f.file, func(t *testing.T) {
			ns := newNamespace(t)
			path := filepath.Join(realFilesDir, f.file)
			flags := parameterFlags(params[f.file])
			out, stderr, code := kubectlECS(t, "", append([]string{"import", "-f", path, "-n", ns, "--strict"}, flags...)...)
			if code != 0 {
				t.Fatalf("import exited %d:\n%s", code, stderr)
			}
			objs := objects(t, out)
			if len(objs) != 1 {
				t.Fatalf("import wrote %d objects, want 1", len(objs))
			}
			u := objs[0]
			if strings.HasPrefix(f.kind, "service") {
				// A service definition alone names a task definition it does not carry.
				if _, ok, _ := unstructured.NestedString(u.Object, "spec", "taskDefinition"); !ok {
					_ = unstructured.SetNestedField(u.Object, "app", "spec", "taskDefinition")
				}
			}
			if err := env.Client.Create(t.Context(), u); err != nil {
				t.Fatalf("the API server refused what import wrote: %v", err)
			}
			kind := strings.ToLower(u.GetKind())
			if kind == "taskdefinition" {
				translatesToAPod(t, ns, u.GetName())
			}
			exported, stderr, code := kubectlECS(t, "", "export", kind+"/"+u.GetName(), "-n", ns)
			if code != 0 {
				t.Fatalf("export exited %d:\n%s", code, stderr)
			}
			var doc map[string]any
			if err := json.Unmarshal([]byte(exported), &doc); err != nil {
				t.Fatal(err)
			}
			if kind == "taskdefinition" {
				if doc["family"] == nil || doc["containerDefinitions"] == nil {
					t.Fatalf("export wrote no task definition: %s", exported)
				}
			} else if doc["serviceName"] != u.GetName() {
				t.Fatalf("export wrote no service: %s", exported)
			}
			if kind == "service" {
				return // diff compares the task definition a service names, which the file lacks
			}
			if out, stderr, code := kubectlECS(t, "", append([]string{"diff", "-f", path, "-n", ns}, flags...)...); code != 0 {
				t.Fatalf("diff of the imported file and the live object exited %d:\n%s%s", code, out, stderr)
			}
			td := &ecsv1.TaskDefinition{}
			if err := env.Client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: u.GetName()}, td); err != nil {
				t.Fatal(err)
			}
			td.Spec.ContainerDefinitions[0].Image = "changed:1"
			if err := env.Client.Update(t.Context(), td); err != nil {
				t.Fatal(err)
			}
			out, _, code = kubectlECS(t, "", append([]string{"diff", "-f", path, "-n", ns}, flags...)...)
			if code != 1 || !strings.Contains(out, `- `) || !strings.Contains(out, `"changed:1"`) {
				t.Fatalf("diff after changing the image: exit %d, want 1 and the image in:\n%s", code, out)
			}
		})
	}
}

// translatesToAPod translates the live task definition into a Pod and has the API server
// validate it (a dry run).
func translatesToAPod(t *testing.T, ns, name string) {
	t.Helper()
	td := &ecsv1.TaskDefinition{}
	if err := env.Client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, td); err != nil {
		t.Fatal(err)
	}
	out, err := translate.PodTemplate(translate.Input{TaskDefinition: &td.Spec, Namespace: ns,
		SelectorLabels: map[string]string{"app": name}, PodSecurity: ecsv1.PodSecurityPrivileged})
	if err != nil {
		t.Fatalf("translating %s: %v", name, err)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: out.Template.Labels}, Spec: out.Template.Spec}
	if err := env.Client.Create(t.Context(), pod, client.DryRunAll); err != nil {
		t.Fatalf("the API server refused the Pod of %s: %v", name, err)
	}
}

func TestImportReportsLossesAndStrictWritesNothing(t *testing.T) {
	doc := `{"family":"web","inferenceAccelerators":[{"deviceName":"d","deviceType":"t"}],"containerDefinitions":[{"name":"app","image":"nginx","memory":128}]}`
	out, stderr, code := kubectlECS(t, doc, "import", "-f", "-")
	if code != 0 || !strings.Contains(stderr, "lost: (stdin): inferenceAccelerators: ") || !strings.Contains(out, "kind: TaskDefinition") {
		t.Fatalf("import: exit %d, stdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	out, stderr, code = kubectlECS(t, doc, "import", "-f", "-", "--strict")
	if code != 2 || out != "" || !strings.Contains(stderr, "inferenceAccelerators") {
		t.Fatalf("import --strict: exit %d, want 2 and nothing written; stdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
}

func TestImportEcspressoConfiguration(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"ecspresso.yml":          "region: us-east-1\ncluster: prod\nservice: web-api\ntask_definition: ecs-task-def.json\nservice_definition: ecs-service-def.json\n",
		"ecs-task-def.json":      "{\"family\":\"web\",\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"repo:{{ must_env `TAG` }}\",\"memory\":128}]}",
		"ecs-service-def.json":   `{"desiredCount":2,"launchType":"FARGATE","deploymentConfiguration":{"maximumPercent":200,"minimumHealthyPercent":100}}`,
		"unrelated/ignored.json": `{"family":"other","containerDefinitions":[{"name":"a","image":"b","memory":64}]}`,
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, stderr, code := kubectlECS(t, "", "import", "-f", filepath.Join(dir, "ecspresso.yml"), "--parameter", "TAG=v7")
	if code != 0 {
		t.Fatalf("import exited %d:\n%s", code, stderr)
	}
	objs := objects(t, out)
	if len(objs) != 2 {
		t.Fatalf("%d objects, want the task definition and the service:\n%s", len(objs), out)
	}
	image, _, _ := unstructured.NestedSlice(objs[0].Object, "spec", "containerDefinitions")
	svcTD, _, _ := unstructured.NestedString(objs[1].Object, "spec", "taskDefinition")
	if image[0].(map[string]any)["image"] != "repo:v7" || objs[1].GetName() != "web-api" || svcTD != "web" {
		t.Fatalf("ecspresso import:\n%s", out)
	}
	// A directory reads the configuration and the files it does not name, once each.
	out, _, code = kubectlECS(t, "", "import", "-f", dir, "--parameter", "TAG=v7")
	if code != 0 || len(objects(t, out)) != 3 {
		t.Fatalf("import of the directory: exit %d\n%s", code, out)
	}
}

func TestExportDeploymentForTeamsGoingToECS(t *testing.T) {
	ns := newNamespace(t)
	labels := map[string]string{"app": "checkout"}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "checkout"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{
				Containers: []corev1.Container{{Name: "app", Image: "checkout:1", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}},
			}},
		},
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "checkout"}, Spec: corev1.ServiceSpec{
		Selector: labels, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intOrString("http")}}}}
	for _, o := range []client.Object{d, svc} {
		if err := env.Client.Create(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
	out, stderr, code := kubectlECS(t, "", "export", "deployment/checkout", "-n", ns)
	if code != 0 {
		t.Fatalf("export exited %d:\n%s", code, stderr)
	}
	var doc struct {
		TaskDefinition map[string]any `json:"taskDefinition"`
		Service        map[string]any `json:"service"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.TaskDefinition["family"] != "checkout" || doc.Service["serviceName"] != "checkout" || doc.Service["serviceConnectConfiguration"] == nil {
		t.Fatalf("export deployment:\n%s", out)
	}
	// And it comes back into ecs-operator with nothing lost.
	b, _ := json.Marshal(doc.TaskDefinition)
	objs, err := ecsjson.Read(b, ecsjson.ReadOptions{})
	if err != nil || len(objs.TaskDefinitions[0].Report.Losses) > 0 {
		t.Fatalf("reading the exported task definition: %v %v", err, objs.TaskDefinitions)
	}
	for _, format := range []string{"cloudformation", "terraform"} {
		if _, stderr, code := kubectlECS(t, "", "export", "deployment/checkout", "-n", ns, "--format", format); code != 0 {
			t.Fatalf("export --format %s exited %d:\n%s", format, code, stderr)
		}
	}
}

func intOrString(s string) intstr.IntOrString { return intstr.FromString(s) }

// TestExportRevisionReadsThatRevision: export --revision N writes revision N as it was
// registered, not the current spec.
func TestExportRevisionReadsThatRevision(t *testing.T) {
	ns := newNamespace(t)
	td := &ecsv1.TaskDefinition{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec:       ecsv1.TaskDefinitionSpec{Family: "web", ContainerDefinitions: []ecsv1.ContainerDefinition{{Name: "app", Image: "web:2"}}},
	}
	if err := env.Client.Create(t.Context(), td); err != nil {
		t.Fatal(err)
	}
	old := ecsv1.TaskDefinitionSpec{Family: "web", ContainerDefinitions: []ecsv1.ContainerDefinition{{Name: "app", Image: "web:1"}}}
	data, _ := json.Marshal(old)
	rev := &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web-1", Labels: map[string]string{ecsv1.LabelRevision: "1"},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(td, ecsv1.GroupVersion.WithKind("TaskDefinition"))}},
		Data: runtime.RawExtension{Raw: data}, Revision: 1,
	}
	if err := env.Client.Create(t.Context(), rev); err != nil {
		t.Fatal(err)
	}
	for rev, image := range map[string]string{"1": "web:1", "": "web:2"} {
		args := []string{"export", "taskdefinition/web", "-n", ns}
		if rev != "" {
			args = append(args, "--revision", rev)
		}
		out, stderr, code := kubectlECS(t, "", args...)
		if code != 0 || !strings.Contains(out, `"image": "`+image+`"`) {
			t.Fatalf("export %v: exit %d, want image %s:\n%s%s", args, code, image, out, stderr)
		}
	}
	if _, stderr, code := kubectlECS(t, "", "export", "taskdefinition/web", "-n", ns, "--revision", "7"); code == 0 || !strings.Contains(stderr, "no revision 7") {
		t.Fatalf("export of a missing revision: exit %d:\n%s", code, stderr)
	}
}
