package translate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
)

func secretRef(t *testing.T, valueFrom string) *corev1.EnvVarSource {
	t.Helper()
	src, err := ecs.ParseSecretValueFrom(valueFrom)
	if err != nil {
		t.Fatal(err)
	}
	name, key := ecs.KubernetesSecretRef(src)
	return &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key}}
}

func TestPodTemplate_secrets(t *testing.T) {
	const (
		sm    = "arn:aws:secretsmanager:ap-northeast-2:125951199018:secret:sbcntr/mysql-PihY9g:host::"
		ssm   = "arn:aws:ssm:eu-west-1:404100009949:parameter/cruddur/backend-flask/CONNECTION_URL"
		param = "/ecspresso-test/foo"
	)
	c := ctr("app", func(c *ecsv1.ContainerDefinition) {
		c.Environment = []ecsv1.KeyValuePair{{Name: "PLAIN", Value: "x"}}
		c.Secrets = []ecsv1.Secret{{Name: "DB_HOST", ValueFrom: sm}, {Name: "CONN", ValueFrom: ssm}, {Name: "FOO", ValueFrom: param}}
	})
	got := container(t, &mustTranslate(t, service(spec(c))).Template.Spec, "app").Env
	diff(t, "env", []corev1.EnvVar{
		{Name: "PLAIN", Value: "x"},
		{Name: "DB_HOST", ValueFrom: secretRef(t, sm)},
		{Name: "CONN", ValueFrom: secretRef(t, ssm)},
		{Name: "FOO", ValueFrom: secretRef(t, param)},
	}, got)
	if got[1].ValueFrom.SecretKeyRef.Key != "host" {
		t.Errorf("the JSON key selects the Secret's key: %+v", got[1].ValueFrom.SecretKeyRef)
	}
}

func TestPodTemplate_secretInvalid(t *testing.T) {
	wantError(t, service(spec(ctr("app", func(c *ecsv1.ContainerDefinition) {
		c.Secrets = []ecsv1.Secret{{Name: "X", ValueFrom: "arn:aws:s3:::bucket/key"}}
	}))), "containerDefinitions[app].secrets[X].valueFrom")
}

func TestPodTemplate_environmentFiles(t *testing.T) {
	const arn = "arn:aws:s3:::bako-safe-env/bako-safe-worker.env"
	got := container(t, &mustTranslate(t, service(spec(ctr("app", func(c *ecsv1.ContainerDefinition) {
		c.EnvironmentFiles = []ecsv1.EnvironmentFile{{Value: arn, Type: "s3"}}
	})))).Template.Spec, "app").EnvFrom
	name, _ := EnvironmentFileSecretName(arn)
	diff(t, "envFrom", []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}}}, got)

	wantError(t, service(spec(ctr("app", func(c *ecsv1.ContainerDefinition) {
		c.EnvironmentFiles = []ecsv1.EnvironmentFile{{Value: "s3://bucket/file.env", Type: "s3"}}
	}))), "containerDefinitions[app].environmentFiles[0].value")
}

func TestPodTemplate_repositoryCredentials(t *testing.T) {
	const a = "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-AbCdEf"
	const b = "arn:aws:secretsmanager:us-east-1:123456789012:secret:other-XyZ123"
	creds := func(p string) func(*ecsv1.ContainerDefinition) {
		return func(c *ecsv1.ContainerDefinition) {
			c.RepositoryCredentials = &ecsv1.RepositoryCredentials{CredentialsParameter: p}
		}
	}
	pod := mustTranslate(t, service(spec(ctr("x", creds(b)), ctr("y", creds(a)), ctr("z", creds(b)), ctr("plain")))).Template.Spec
	na, _ := RepositoryCredentialsSecretName(a)
	nb, _ := RepositoryCredentialsSecretName(b)
	want := []corev1.LocalObjectReference{{Name: na}, {Name: nb}}
	if nb < na {
		want = []corev1.LocalObjectReference{{Name: nb}, {Name: na}}
	}
	diff(t, "imagePullSecrets, sorted and once", want, pod.ImagePullSecrets)
	src, _ := ecs.ParseSecretValueFrom(a)
	if base, _ := ecs.KubernetesSecretRef(src); na != base+"-regcred" {
		t.Errorf("pull secret %q, want the secret's Secret name + -regcred (%q)", na, base)
	}
}
