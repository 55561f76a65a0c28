package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	. "github.com/onsi/gomega"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
	"github.com/ecs-operator/ecs-operator/internal/sdkjson"
	"github.com/ecs-operator/ecs-operator/internal/testenv"
)

var buildPlugin = sync.OnceValues(func() (string, error) {
	root, err := testenv.RepoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(logDir, "kubectl-ecs")
	build := exec.Command("go", "build", "-o", bin, "./cmd/kubectl-ecs")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return "", errors.New(string(out))
	}
	return bin, nil
})

// pluginAs runs the kubectl-ecs binary as kubectl would for a user (impersonated, so that the
// tenant's RBAC applies), and returns its stdout, stderr and exit status.
func pluginAs(t *testing.T, kubeconfig, stdin string, args ...string) (string, string, int) {
	t.Helper()
	bin, err := buildPlugin()
	if err != nil {
		t.Fatalf("building kubectl-ecs: %v", err)
	}
	cmd := exec.Command(bin, append(args, "--kubeconfig", kubeconfig)...)
	var out, errOut bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &errOut
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return out.String(), errOut.String(), exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errOut.String(), 0
}

// userKubeconfig is the admin kubeconfig acting as user in groups (kubectl --as).
func userKubeconfig(t *testing.T, user string, groups ...string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(cluster.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range cfg.AuthInfos {
		a.Impersonate, a.ImpersonateGroups = user, append(groups, "system:authenticated")
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestKubectlECS_ATenantMovesAServiceFromECSAndDrivesItWithTheAWSCLIsVerbs: tenant A's
// developer imports an ECS task definition and service, applies them, waits for the service to
// be stable, and reads and drives it with describe-services, list-tasks, describe-tasks,
// update-service, stop-task, run-task and describe-task-definition, whose JSON is the AWS CLI's
// (it unmarshals into the SDK's output types member for member); then exports it back.
func TestKubectlECS_ATenantMovesAServiceFromECSAndDrivesItWithTheAWSCLIsVerbs(t *testing.T) {
	g := NewWithT(t)
	kc := userKubeconfig(t, developerA, developerAGroup)
	ns := []string{"-n", namespaceA}
	run := func(stdin string, args ...string) string {
		t.Helper()
		out, stderr, code := pluginAs(t, kc, stdin, append(args, ns...)...)
		g.Expect(code).To(BeZero(), "kubectl ecs %s:\n%s%s", strings.Join(args, " "), out, stderr)
		return out
	}
	// describeTask is describe-tasks of one task, as the AWS CLI's JSON.
	describeTask := func(g Gomega, arn string) awsecs.DescribeTasksOutput {
		var d awsecs.DescribeTasksOutput
		out, stderr, code := pluginAs(t, kc, "", append([]string{"describe-tasks", "--tasks", arn}, ns...)...)
		g.Expect(code).To(BeZero(), stderr)
		v, err := ecsjson.Decode([]byte(out))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(sdkjson.Decode(v, &d)).To(Succeed())
		return d
	}
	decode := func(out string, into any) {
		t.Helper()
		v, err := ecsjson.Decode([]byte(out))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(sdkjson.Decode(v, into)).To(Succeed(), "not the AWS CLI's shape:\n%s", out)
	}

	taskDef := `{"family":"plugin_web","cpu":"256","memory":"512","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],
		"containerDefinitions":[{"name":"app","image":"nginx:1.27","essential":true,"portMappings":[{"containerPort":8080,"protocol":"tcp"}]}],
		"tags":[{"key":"team","value":"a"}]}`
	serviceDef := `{"cluster":"e2e-a","serviceName":"plugin-web","taskDefinition":"plugin_web","desiredCount":2,
		"deploymentConfiguration":{"maximumPercent":200,"minimumHealthyPercent":50}}`
	apply(t, asA, run(taskDef, "import", "-f", "-", "--strict"))
	apply(t, asA, run(serviceDef, "import", "-f", "-", "--strict"))

	_, progress, code := pluginAs(t, kc, "", append([]string{"wait", "services-stable", "--services", "plugin-web", "--timeout", "90s", "--interval", "500ms"}, ns...)...)
	g.Expect(code).To(BeZero(), progress)
	g.Expect(progress).To(ContainSubstring("waiting for services to be stable"))

	var services awsecs.DescribeServicesOutput
	decode(run("", "describe-services", "--services", "plugin-web,missing"), &services)
	g.Expect(services.Services).To(HaveLen(1))
	g.Expect(services.Services[0].RunningCount).To(BeEquivalentTo(2))
	g.Expect(*services.Services[0].TaskDefinition).To(HaveSuffix(":task-definition/plugin_web:1"))
	g.Expect(services.Failures).To(HaveLen(1))
	g.Expect(*services.Failures[0].Reason).To(Equal("MISSING"))

	var list awsecs.ListTasksOutput
	decode(run("", "list-tasks", "--service-name", "plugin-web"), &list)
	g.Expect(list.TaskArns).To(HaveLen(2))
	var tasks awsecs.DescribeTasksOutput
	decode(run("", "describe-tasks", "--tasks", strings.Join(list.TaskArns, ",")), &tasks)
	g.Expect(tasks.Tasks).To(HaveLen(2))
	for _, task := range tasks.Tasks {
		g.Expect(*task.LastStatus).To(Equal("RUNNING"))
		g.Expect(*task.Group).To(Equal("service:plugin-web"))
		g.Expect(*task.Containers[0].Image).To(Equal("nginx:1.27"))
	}

	run("", "update-service", "--service", "plugin-web", "--desired-count", "3")
	run("", "wait", "services-stable", "--services", "plugin-web", "--timeout", "90s", "--interval", "500ms")
	decode(run("", "describe-services", "--services", "plugin-web"), &services)
	g.Expect(services.Services[0].RunningCount).To(BeEquivalentTo(3))

	// Stopping a service's task makes the service replace it, as in ECS.
	run("", "stop-task", "--task", list.TaskArns[0])
	run("", "wait", "services-stable", "--services", "plugin-web", "--timeout", "90s", "--interval", "500ms")
	decode(run("", "list-tasks", "--service-name", "plugin-web"), &list)
	g.Expect(list.TaskArns).To(HaveLen(3))

	var ran awsecs.RunTaskOutput
	decode(run("", "run-task", "--task-definition", "plugin_web", "--started-by", "e2e"), &ran)
	g.Expect(ran.Tasks).To(HaveLen(1))
	g.Eventually(func(g Gomega) {
		d := describeTask(g, *ran.Tasks[0].TaskArn)
		g.Expect(*d.Tasks[0].LastStatus).To(Equal("RUNNING"))
		g.Expect(*d.Tasks[0].StartedBy).To(Equal("e2e"))
	}).WithTimeout(converge).WithPolling(500 * time.Millisecond).Should(Succeed())
	decode(run("", "list-tasks", "--started-by", "e2e"), &list)
	g.Expect(list.TaskArns).To(ConsistOf(*ran.Tasks[0].TaskArn))
	run("", "stop-task", "--task", *ran.Tasks[0].TaskArn, "--reason", "done testing")
	// The stopped task stays, as ECS keeps it, with its code and reason.
	g.Eventually(func(g Gomega) {
		d := describeTask(g, *ran.Tasks[0].TaskArn)
		g.Expect(d.Tasks).To(HaveLen(1))
		g.Expect(*d.Tasks[0].LastStatus).To(Equal("STOPPED"))
		g.Expect(string(d.Tasks[0].StopCode)).To(Equal("UserInitiated"))
		g.Expect(*d.Tasks[0].StoppedReason).To(Equal("done testing"))
	}).WithTimeout(converge).WithPolling(500 * time.Millisecond).Should(Succeed())

	var td awsecs.DescribeTaskDefinitionOutput
	decode(run("", "describe-task-definition", "--task-definition", "plugin_web", "--include", "TAGS"), &td)
	g.Expect(td.TaskDefinition.Revision).To(BeEquivalentTo(1))
	g.Expect(td.Tags).To(HaveLen(1))
	var tds awsecs.ListTaskDefinitionsOutput
	decode(run("", "list-task-definitions", "--family-prefix", "plugin"), &tds)
	g.Expect(tds.TaskDefinitionArns).To(HaveLen(1))

	// And back to ECS: the export is CreateService input.
	var input awsecs.CreateServiceInput
	decode(run("", "export", "service/plugin-web"), &input)
	g.Expect(*input.DesiredCount).To(BeEquivalentTo(3))
	g.Expect(*input.TaskDefinition).To(Equal("plugin_web"))

	// A tenant cannot read another tenant's services, through the plugin as through kubectl.
	_, stderr, code := pluginAs(t, kc, "", "describe-services", "--services", "plugin-web", "-n", namespaceB)
	g.Expect(code).NotTo(BeZero())
	g.Expect(stderr).To(ContainSubstring("forbidden"))
	_ = os.Remove(kc)
}
