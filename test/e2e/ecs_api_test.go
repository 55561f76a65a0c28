package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecsapi"
	"github.com/ecs-operator/ecs-operator/internal/ecsjson"
	"github.com/ecs-operator/ecs-operator/internal/localcluster"
	"github.com/ecs-operator/ecs-operator/internal/sdkjson"
)

// accessKey stores an ECS API access key for a user, as a platform team issues one.
func accessKey(t *testing.T, id, secret, user, groups, defaultCluster string) {
	t.Helper()
	ctx := t.Context()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: localcluster.OperatorNamespace}}
	if err := admin.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: localcluster.OperatorNamespace, Name: "ecs-api-key-" + strings.ToLower(id),
			Labels: map[string]string{ecsapi.LabelAccessKey: "true"}},
		StringData: map[string]string{"accessKeyId": id, "secretAccessKey": secret, "user": user, "groups": groups, "defaultCluster": defaultCluster},
	}
	if err := admin.Create(ctx, s); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// ecsClient is the official SDK's ECS client pointed at the operator, with a key.
func ecsClient(id, secret string) *awsecs.Client {
	return awsecs.New(awsecs.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(ecsAPIURL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, nil
		}),
		HTTPClient: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ecsAPIRoots, MinVersion: tls.VersionTLS12}}},
	})
}

func errorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// TestECSAPI_TheSDKDrivesATenantsServiceAndTasks: tenant A's tools, speaking the ECS API with
// the official SDK, register a task definition, create a service and wait for it to be stable,
// scale it, run and stop a task and wait for it to stop, tag, list and describe — and the same
// calls with tenant B's key cannot see or touch tenant A's cluster.
func TestECSAPI_TheSDKDrivesATenantsServiceAndTasks(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	accessKey(t, "AKIATENANTA000000001", "secret-a", developerA, developerAGroup, namespaceA)
	accessKey(t, "AKIATENANTB000000001", "secret-b", developerB, "", namespaceB)
	api := ecsClient("AKIATENANTA000000001", "secret-a")

	var td *awsecs.RegisterTaskDefinitionOutput
	g.Eventually(func(g Gomega) { // the operator's informer sees the key Secret
		var err error
		td, err = api.RegisterTaskDefinition(ctx, &awsecs.RegisterTaskDefinitionInput{
			Family: aws.String("api_web"), Cpu: aws.String("256"), Memory: aws.String("512"), NetworkMode: types.NetworkModeAwsvpc,
			RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
			ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("nginx:1.27"), Essential: aws.Bool(true),
				PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080), Protocol: types.TransportProtocolTcp}}}},
			Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}},
		})
		g.Expect(err).NotTo(HaveOccurred())
	}).WithTimeout(30 * time.Second).WithPolling(500 * time.Millisecond).Should(Succeed())
	g.Expect(td.TaskDefinition.Revision).To(BeEquivalentTo(1))
	g.Expect(*td.TaskDefinition.TaskDefinitionArn).To(Equal("arn:aws:ecs:us-east-1:111122223333:task-definition/api_web:1"))

	created, err := api.CreateService(ctx, &awsecs.CreateServiceInput{
		Cluster: aws.String(namespaceA), ServiceName: aws.String("api-web"), TaskDefinition: aws.String("api_web"), DesiredCount: aws.Int32(2),
		DeploymentConfiguration: &types.DeploymentConfiguration{MaximumPercent: aws.Int32(200), MinimumHealthyPercent: aws.Int32(50)},
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(*created.Service.ServiceArn).To(Equal("arn:aws:ecs:us-east-1:111122223333:service/" + namespaceA + "/api-web"))

	stable := awsecs.NewServicesStableWaiter(api, func(o *awsecs.ServicesStableWaiterOptions) { o.MinDelay, o.MaxDelay = time.Second, 2*time.Second })
	g.Expect(stable.Wait(ctx, &awsecs.DescribeServicesInput{Cluster: aws.String(namespaceA), Services: []string{"api-web"}}, converge)).To(Succeed())

	_, err = api.UpdateService(ctx, &awsecs.UpdateServiceInput{Cluster: aws.String(namespaceA), Service: aws.String("api-web"), DesiredCount: aws.Int32(3)})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(stable.Wait(ctx, &awsecs.DescribeServicesInput{Cluster: aws.String(namespaceA), Services: []string{"api-web"}}, converge)).To(Succeed())
	described, err := api.DescribeServices(ctx, &awsecs.DescribeServicesInput{Cluster: aws.String(namespaceA), Services: []string{"api-web", "nope"}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(described.Services[0].RunningCount).To(BeEquivalentTo(3))
	g.Expect(*described.Failures[0].Reason).To(Equal("MISSING"))

	listed, err := api.ListTasks(ctx, &awsecs.ListTasksInput{Cluster: aws.String(namespaceA), ServiceName: aws.String("api-web"), MaxResults: aws.Int32(2)})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(listed.TaskArns).To(HaveLen(2))
	g.Expect(listed.NextToken).NotTo(BeNil(), "three tasks, pages of two")
	more, err := api.ListTasks(ctx, &awsecs.ListTasksInput{Cluster: aws.String(namespaceA), ServiceName: aws.String("api-web"), NextToken: listed.NextToken})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(more.TaskArns).To(HaveLen(1))

	ran, err := api.RunTask(ctx, &awsecs.RunTaskInput{Cluster: aws.String(namespaceA), TaskDefinition: aws.String("api_web:1"), StartedBy: aws.String("sdk")})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ran.Tasks).To(HaveLen(1))
	running := awsecs.NewTasksRunningWaiter(api, func(o *awsecs.TasksRunningWaiterOptions) { o.MinDelay, o.MaxDelay = time.Second, 2*time.Second })
	g.Expect(running.Wait(ctx, &awsecs.DescribeTasksInput{Cluster: aws.String(namespaceA), Tasks: []string{*ran.Tasks[0].TaskArn}}, converge)).To(Succeed())
	_, err = api.StopTask(ctx, &awsecs.StopTaskInput{Cluster: aws.String(namespaceA), Task: ran.Tasks[0].TaskArn, Reason: aws.String("done")})
	g.Expect(err).NotTo(HaveOccurred())
	stopped := awsecs.NewTasksStoppedWaiter(api, func(o *awsecs.TasksStoppedWaiterOptions) { o.MinDelay, o.MaxDelay = time.Second, 2*time.Second })
	g.Expect(stopped.Wait(ctx, &awsecs.DescribeTasksInput{Cluster: aws.String(namespaceA), Tasks: []string{*ran.Tasks[0].TaskArn}}, converge)).To(Succeed())
	tasks, err := api.DescribeTasks(ctx, &awsecs.DescribeTasksInput{Cluster: aws.String(namespaceA), Tasks: []string{*ran.Tasks[0].TaskArn}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tasks.Tasks[0].StopCode).To(Equal(types.TaskStopCodeUserInitiated))
	g.Expect(*tasks.Tasks[0].StoppedReason).To(Equal("done"))

	// StartTask places a task on the container instance named: a node with that instance ID.
	node := &corev1.Node{}
	g.Expect(admin.Get(ctx, client.ObjectKey{Name: tenantA + "-2"}, node)).To(Succeed())
	patch := client.MergeFrom(node.DeepCopy())
	node.Labels["ecs.operator.dev/instance-id"] = "i-0e2e000000000002"
	g.Expect(admin.Patch(ctx, node, patch)).To(Succeed())
	started, err := api.StartTask(ctx, &awsecs.StartTaskInput{Cluster: aws.String(namespaceA), TaskDefinition: aws.String("api_web"),
		ContainerInstances: []string{"arn:aws:ecs:us-east-1:111122223333:container-instance/" + namespaceA + "/i-0e2e000000000002"}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(running.Wait(ctx, &awsecs.DescribeTasksInput{Cluster: aws.String(namespaceA), Tasks: []string{*started.Tasks[0].TaskArn}}, converge)).To(Succeed())
	startedID := (*started.Tasks[0].TaskArn)[strings.LastIndex(*started.Tasks[0].TaskArn, "/")+1:]
	g.Eventually(func(g Gomega) {
		var taskObjs ecsv1.TaskList
		g.Expect(admin.List(ctx, &taskObjs, client.InNamespace(namespaceA))).To(Succeed())
		name := ""
		for _, tk := range taskObjs.Items {
			if strings.ReplaceAll(string(tk.UID), "-", "") == startedID {
				name = tk.Name
			}
		}
		g.Expect(name).NotTo(BeEmpty())
		var pods corev1.PodList
		g.Expect(admin.List(ctx, &pods, client.InNamespace(namespaceA), client.MatchingLabels{ecsv1.LabelTask: name})).To(Succeed())
		g.Expect(pods.Items).To(HaveLen(1))
		g.Expect(pods.Items[0].Spec.NodeName).To(Equal(tenantA + "-2"))
	}).WithTimeout(converge).Should(Succeed())

	// Every answer is the SDK's output type member for member (the SDK itself ignores extras).
	for action, out := range map[string]any{
		"ListClusters": &awsecs.ListClustersOutput{}, "DescribeServices": &awsecs.DescribeServicesOutput{},
		"ListServices": &awsecs.ListServicesOutput{}, "ListTasks": &awsecs.ListTasksOutput{}, "DescribeTasks": &awsecs.DescribeTasksOutput{},
		"DescribeTaskDefinition": &awsecs.DescribeTaskDefinitionOutput{}, "ListTaskDefinitions": &awsecs.ListTaskDefinitionsOutput{},
		"DescribeClusters": &awsecs.DescribeClustersOutput{},
	} {
		input := map[string]any{"cluster": namespaceA, "services": []string{"api-web"}, "tasks": []string{*started.Tasks[0].TaskArn, *ran.Tasks[0].TaskArn},
			"taskDefinition": "api_web", "include": []string{"TAGS"}}
		switch action {
		case "ListClusters", "ListTaskDefinitions":
			input = map[string]any{}
		case "ListServices", "ListTasks", "DescribeClusters":
			input = map[string]any{"cluster": namespaceA}
		}
		body := signedCall(t, "AKIATENANTA000000001", "secret-a", action, input)
		g.Expect(sdkjson.Decode(body, out)).To(Succeed(), "%s answered %v", action, body)
	}

	_, err = api.TagResource(ctx, &awsecs.TagResourceInput{ResourceArn: created.Service.ServiceArn, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("e2e")}}})
	g.Expect(err).NotTo(HaveOccurred())
	tags, err := api.ListTagsForResource(ctx, &awsecs.ListTagsForResourceInput{ResourceArn: created.Service.ServiceArn})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tags.Tags).To(HaveLen(1))
	families, err := api.ListTaskDefinitionFamilies(ctx, &awsecs.ListTaskDefinitionFamiliesInput{FamilyPrefix: aws.String("api")})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(families.Families).To(ConsistOf("api_web"))
	desc, err := api.DescribeTaskDefinition(ctx, &awsecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("api_web"), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(desc.Tags).To(HaveLen(1))

	// Errors as ECS gives them.
	_, err = api.DescribeServices(ctx, &awsecs.DescribeServicesInput{Cluster: aws.String("no-such-cluster"), Services: []string{"x"}})
	g.Expect(errorCode(err)).To(Equal("ClusterNotFoundException"))
	_, err = api.UpdateService(ctx, &awsecs.UpdateServiceInput{Cluster: aws.String(namespaceA), Service: aws.String("nope"), DesiredCount: aws.Int32(1)})
	g.Expect(errorCode(err)).To(Equal("ServiceNotFoundException"))
	_, err = api.DeleteService(ctx, &awsecs.DeleteServiceInput{Cluster: aws.String(namespaceA), Service: aws.String("api-web")})
	g.Expect(errorCode(err)).To(Equal("InvalidParameterException"), "a service scaled above 0 is not deleted without force")
	_, err = ecsClient("AKIATENANTA000000001", "wrong").ListClusters(ctx, &awsecs.ListClustersInput{})
	g.Expect(errorCode(err)).To(Equal("InvalidSignatureException"))
	_, err = ecsClient("AKIAUNKNOWN000000001", "x").ListClusters(ctx, &awsecs.ListClustersInput{})
	g.Expect(errorCode(err)).To(Equal("UnrecognizedClientException"))

	// The tenant wall: tenant B's key sees no service of tenant A and cannot change one.
	other := ecsClient("AKIATENANTB000000001", "secret-b")
	g.Eventually(func(g Gomega) {
		_, err := other.DescribeServices(ctx, &awsecs.DescribeServicesInput{Cluster: aws.String(namespaceA), Services: []string{"api-web"}})
		g.Expect(errorCode(err)).To(Equal("AccessDeniedException"))
	}).WithTimeout(30 * time.Second).WithPolling(500 * time.Millisecond).Should(Succeed())
	_, err = other.UpdateService(ctx, &awsecs.UpdateServiceInput{Cluster: aws.String(namespaceA), Service: aws.String("api-web"), DesiredCount: aws.Int32(0)})
	g.Expect(errorCode(err)).To(Equal("AccessDeniedException"))
	_, err = other.StopTask(ctx, &awsecs.StopTaskInput{Cluster: aws.String(namespaceA), Task: aws.String(listed.TaskArns[0])})
	g.Expect(errorCode(err)).To(Equal("AccessDeniedException"))

	// Force-delete, as Terraform destroys a service.
	deleted, err := api.DeleteService(ctx, &awsecs.DeleteServiceInput{Cluster: aws.String(namespaceA), Service: aws.String("api-web"), Force: aws.Bool(true)})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(*deleted.Service.Status).To(Equal("DRAINING"))

	// Terraform's destroy: the service is gone (MISSING), then the revision is deregistered;
	// an INACTIVE revision runs no new task.
	g.Eventually(func(g Gomega) {
		out, err := api.DescribeServices(ctx, &awsecs.DescribeServicesInput{Cluster: aws.String(namespaceA), Services: []string{"api-web"}})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(out.Failures).To(HaveLen(1))
	}).WithTimeout(converge).WithPolling(500 * time.Millisecond).Should(Succeed())
	dereg, err := api.DeregisterTaskDefinition(ctx, &awsecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("api_web:1")})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dereg.TaskDefinition.Status).To(Equal(types.TaskDefinitionStatusInactive))
	inactive, err := api.ListTaskDefinitions(ctx, &awsecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("api_web"), Status: types.TaskDefinitionStatusInactive})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(inactive.TaskDefinitionArns).To(ConsistOf("arn:aws:ecs:us-east-1:111122223333:task-definition/api_web:1"))
	_, err = api.RunTask(ctx, &awsecs.RunTaskInput{Cluster: aws.String(namespaceA), TaskDefinition: aws.String("api_web:1")})
	g.Expect(errorCode(err)).To(Equal("ClientException"))
}

// TestECSAPI_EveryActionRefusesBadInputAsECSDoes: one bad call of every action served, with
// the ECS error type it gets.
func TestECSAPI_EveryActionRefusesBadInputAsECSDoes(t *testing.T) {
	ctx := t.Context()
	accessKey(t, "AKIATENANTA000000002", "secret-a2", developerA, developerAGroup, namespaceA)
	api := ecsClient("AKIATENANTA000000002", "secret-a2")
	g := NewWithT(t)
	g.Eventually(func() error { _, err := api.ListClusters(ctx, &awsecs.ListClustersInput{}); return err }).
		WithTimeout(30 * time.Second).WithPolling(500 * time.Millisecond).Should(Succeed())
	cluster := aws.String(namespaceA)
	badToken := aws.String("not-a-token")
	for _, tt := range []struct {
		action string
		call   func() error
		want   string
	}{
		{"ListClusters", func() error {
			_, err := api.ListClusters(ctx, &awsecs.ListClustersInput{MaxResults: aws.Int32(1000)})
			return err
		}, "InvalidParameterException"},
		{"DescribeClusters", func() error {
			_, err := api.DescribeClusters(ctx, &awsecs.DescribeClustersInput{Clusters: []string{namespaceB}})
			return missingAsError(err)
		}, "MISSING"},
		{"CreateCluster", func() error {
			_, err := api.CreateCluster(ctx, &awsecs.CreateClusterInput{ClusterName: aws.String("x")})
			return err
		}, "InvalidParameterException"},
		{"DeleteCluster", func() error {
			_, err := api.DeleteCluster(ctx, &awsecs.DeleteClusterInput{Cluster: cluster})
			return err
		}, "AccessDeniedException"},
		{"RegisterTaskDefinition", func() error {
			_, err := api.RegisterTaskDefinition(ctx, &awsecs.RegisterTaskDefinitionInput{Family: aws.String("bad family"), ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("a"), Image: aws.String("b")}}})
			return err
		}, "ClientException"},
		{"DescribeTaskDefinition", func() error {
			_, err := api.DescribeTaskDefinition(ctx, &awsecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("nope:9")})
			return err
		}, "ClientException"},
		{"ListTaskDefinitions", func() error {
			_, err := api.ListTaskDefinitions(ctx, &awsecs.ListTaskDefinitionsInput{NextToken: badToken})
			return err
		}, "InvalidParameterException"},
		{"ListTaskDefinitionFamilies", func() error {
			_, err := api.ListTaskDefinitionFamilies(ctx, &awsecs.ListTaskDefinitionFamiliesInput{NextToken: badToken})
			return err
		}, "InvalidParameterException"},
		{"DeregisterTaskDefinition", func() error {
			_, err := api.DeregisterTaskDefinition(ctx, &awsecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("nope")})
			return err
		}, "ClientException"},
		{"CreateService", func() error {
			_, err := api.CreateService(ctx, &awsecs.CreateServiceInput{Cluster: aws.String("nope"), ServiceName: aws.String("s"), TaskDefinition: aws.String("x")})
			return err
		}, "ClusterNotFoundException"},
		{"UpdateService", func() error {
			_, err := api.UpdateService(ctx, &awsecs.UpdateServiceInput{Cluster: cluster, Service: aws.String("nope")})
			return err
		}, "ServiceNotFoundException"},
		{"DescribeServices", func() error {
			_, err := api.DescribeServices(ctx, &awsecs.DescribeServicesInput{Cluster: cluster, Services: strings.Split("a,b,c,d,e,f,g,h,i,j,k", ",")})
			return err
		}, "InvalidParameterException"},
		{"ListServices", func() error {
			_, err := api.ListServices(ctx, &awsecs.ListServicesInput{Cluster: aws.String("nope")})
			return err
		}, "ClusterNotFoundException"},
		{"DeleteService", func() error {
			_, err := api.DeleteService(ctx, &awsecs.DeleteServiceInput{Cluster: cluster, Service: aws.String("nope")})
			return err
		}, "ServiceNotFoundException"},
		{"RunTask", func() error {
			_, err := api.RunTask(ctx, &awsecs.RunTaskInput{Cluster: cluster, TaskDefinition: aws.String("x"), Count: aws.Int32(11)})
			return err
		}, "InvalidParameterException"},
		{"StopTask", func() error {
			_, err := api.StopTask(ctx, &awsecs.StopTaskInput{Cluster: cluster, Task: aws.String("0123456789abcdef0123456789abcdef")})
			return err
		}, "InvalidParameterException"},
		{"DescribeTasks", func() error {
			_, err := api.DescribeTasks(ctx, &awsecs.DescribeTasksInput{Cluster: cluster, Tasks: make([]string, 101)})
			return err
		}, "InvalidParameterException"},
		{"ListTasks", func() error {
			_, err := api.ListTasks(ctx, &awsecs.ListTasksInput{Cluster: cluster, NextToken: badToken})
			return err
		}, "InvalidParameterException"},
		{"TagResource", func() error {
			_, err := api.TagResource(ctx, &awsecs.TagResourceInput{ResourceArn: aws.String("not-an-arn"), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
			return err
		}, "InvalidParameterException"},
		{"UntagResource", func() error {
			_, err := api.UntagResource(ctx, &awsecs.UntagResourceInput{ResourceArn: aws.String("arn:aws:ecs:us-east-1:111122223333:cluster/" + namespaceA), TagKeys: []string{"a"}})
			return err
		}, "InvalidParameterException"},
		{"ListTagsForResource", func() error {
			_, err := api.ListTagsForResource(ctx, &awsecs.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:ecs:us-east-1:111122223333:service/" + namespaceA + "/nope")})
			return err
		}, "ServiceNotFoundException"},
	} {
		t.Run(tt.action, func(t *testing.T) {
			err := tt.call()
			got := errorCode(err)
			if tt.want == "MISSING" {
				got = fmt.Sprint(err)
			}
			if got != tt.want {
				t.Fatalf("%s: got %v (%s), want %s", tt.action, err, got, tt.want)
			}
		})
	}
}

// missingAsError is "MISSING" for a describe whose only answer is a MISSING failure.
func missingAsError(err error) error {
	if err != nil {
		return err
	}
	return errors.New("MISSING")
}

// signedCall makes one ECS API call signed as the SDK signs, and returns its decoded answer.
func signedCall(t *testing.T, id, secret, action string, input map[string]any) any {
	t.Helper()
	body, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ecsAPIURL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113."+action)
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(t.Context(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, req, hex.EncodeToString(sum[:]), "ecs", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	httpClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ecsAPIRoots, MinVersion: tls.VersionTLS12}}}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s (%v)", action, resp.StatusCode, raw, err)
	}
	v, err := ecsjson.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestECSAPI_APlatformKeyManagesClustersAndATenantKeyItsServicesTags: a platform team's key
// creates a tenant's second cluster and deletes it; a tenant's key lists its services and
// untags one.
func TestECSAPI_APlatformKeyManagesClustersAndATenantKeyItsServicesTags(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	accessKey(t, "AKIAPLATFORM00000001", "secret-p", "platform@example.com", "system:masters", "")
	platform := ecsClient("AKIAPLATFORM00000001", "secret-p")
	var created *awsecs.CreateClusterOutput
	g.Eventually(func(g Gomega) {
		var err error
		created, err = platform.CreateCluster(ctx, &awsecs.CreateClusterInput{ClusterName: aws.String("e2e-a-extra"), Tags: []types.Tag{
			{Key: aws.String("ecs.operator.dev/tenant"), Value: aws.String(tenantA)}, {Key: aws.String("ecs.operator.dev/cell-group"), Value: aws.String(cellGroup)}}})
		g.Expect(err).NotTo(HaveOccurred())
	}).WithTimeout(30 * time.Second).WithPolling(500 * time.Millisecond).Should(Succeed())
	g.Expect(*created.Cluster.ClusterArn).To(Equal("arn:aws:ecs:us-east-1:111122223333:cluster/e2e-a-extra"))
	g.Eventually(func(g Gomega) {
		out, err := platform.DescribeClusters(ctx, &awsecs.DescribeClustersInput{Clusters: []string{"e2e-a-extra"}})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(out.Clusters).To(HaveLen(1))
		g.Expect(*out.Clusters[0].Status).To(Equal("ACTIVE"))
	}).WithTimeout(converge).WithPolling(500 * time.Millisecond).Should(Succeed())
	listed, err := platform.ListClusters(ctx, &awsecs.ListClustersInput{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(listed.ClusterArns).To(ContainElement("arn:aws:ecs:us-east-1:111122223333:cluster/e2e-a-extra"))
	deleted, err := platform.DeleteCluster(ctx, &awsecs.DeleteClusterInput{Cluster: aws.String("e2e-a-extra")})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(*deleted.Cluster.Status).To(Equal("INACTIVE"))
	g.Eventually(func(g Gomega) {
		out, err := platform.DescribeClusters(ctx, &awsecs.DescribeClustersInput{Clusters: []string{"e2e-a-extra"}})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(out.Failures).To(HaveLen(1))
	}).WithTimeout(converge).WithPolling(500 * time.Millisecond).Should(Succeed())

	accessKey(t, "AKIATENANTA000000003", "secret-a3", developerA, developerAGroup, namespaceA)
	api := ecsClient("AKIATENANTA000000003", "secret-a3")
	var svc *awsecs.CreateServiceOutput
	g.Eventually(func(g Gomega) {
		var err error
		svc, err = api.CreateService(ctx, &awsecs.CreateServiceInput{Cluster: aws.String(namespaceA), ServiceName: aws.String("tagged"),
			TaskDefinition: aws.String("tagged"), DesiredCount: aws.Int32(0), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}})
		g.Expect(err).NotTo(HaveOccurred())
	}).WithTimeout(30 * time.Second).WithPolling(500 * time.Millisecond).Should(Succeed())
	services, err := api.ListServices(ctx, &awsecs.ListServicesInput{Cluster: aws.String(namespaceA), MaxResults: aws.Int32(100)})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(services.ServiceArns).To(ContainElement(*svc.Service.ServiceArn))
	_, err = api.UntagResource(ctx, &awsecs.UntagResourceInput{ResourceArn: svc.Service.ServiceArn, TagKeys: []string{"a"}})
	g.Expect(err).NotTo(HaveOccurred())
	tags, err := api.ListTagsForResource(ctx, &awsecs.ListTagsForResourceInput{ResourceArn: svc.Service.ServiceArn})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tags.Tags).To(HaveLen(1))
	g.Expect(*tags.Tags[0].Key).To(Equal("b"))
	_, err = api.DeleteService(ctx, &awsecs.DeleteServiceInput{Cluster: aws.String(namespaceA), Service: aws.String("tagged")})
	g.Expect(err).NotTo(HaveOccurred(), "a service scaled to 0 is deleted without force")
}
