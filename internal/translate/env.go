package translate

import (
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
)

// env maps environment (in ECS order; overrides were merged before), secrets (secretKeyRefs to
// the Secret that ecs.KubernetesSecretRef names) and environmentFiles (envFrom the Secret that
// EnvironmentFileSecretName names). Kubernetes gives env precedence over envFrom, as ECS gives
// environment precedence over environment files.
func (t *translation) env(c *ecsv1.ContainerDefinition) ([]corev1.EnvVar, []corev1.EnvFromSource, error) {
	var env []corev1.EnvVar
	for _, kv := range c.Environment {
		env = append(env, corev1.EnvVar{Name: kv.Name, Value: kv.Value})
	}
	for _, s := range c.Secrets {
		src, err := ecs.ParseSecretValueFrom(s.ValueFrom)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", containerField(c, "secrets["+s.Name+"].valueFrom"), err)
		}
		name, key := ecs.KubernetesSecretRef(src)
		env = append(env, corev1.EnvVar{Name: s.Name, ValueFrom: &corev1.EnvVarSource{
			SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key},
		}})
	}
	var from []corev1.EnvFromSource
	for j, f := range c.EnvironmentFiles {
		name, err := EnvironmentFileSecretName(f.Value)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", containerField(c, "environmentFiles["+itoa(j)+"].value"), err)
		}
		from = append(from, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}})
	}
	return env, from, nil
}

// imagePullSecrets gathers the repositoryCredentials of all containers. Kubernetes has image
// pull secrets per Pod, not per container; every container may use all of them, which only
// widens what a container can pull.
func (t *translation) imagePullSecrets() error {
	seen := map[string]bool{}
	var names []string
	for i := range t.spec.ContainerDefinitions {
		c := &t.spec.ContainerDefinitions[i]
		if c.RepositoryCredentials == nil {
			continue
		}
		name, err := RepositoryCredentialsSecretName(c.RepositoryCredentials.CredentialsParameter)
		if err != nil {
			return fmt.Errorf("%s: %w", containerField(c, "repositoryCredentials.credentialsParameter"), err)
		}
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		t.pod.ImagePullSecrets = append(t.pod.ImagePullSecrets, corev1.LocalObjectReference{Name: n})
	}
	return nil
}
