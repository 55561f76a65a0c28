package ecs

import (
	"regexp"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

var hashedName = regexp.MustCompile(`--[0-9a-f]{10}$`)

func TestKubernetesSecretRefUsesPlainNamesVerbatim(t *testing.T) {
	for _, tc := range []struct {
		src       SecretSource
		name, key string
	}{
		{SecretSource{Kind: SSMParameter, Name: "db-url"}, "ecs-ssm-db-url", "value"},
		{SecretSource{Kind: SecretsManager, Name: "db"}, "ecs-secretsmanager-db", "value"},
		{SecretSource{Kind: SecretsManager, Name: "db", JSONKey: "password"}, "ecs-secretsmanager-db", "password"},
		{SecretSource{Kind: SecretsManager, Name: "db", JSONKey: "DB_User.name"}, "ecs-secretsmanager-db", "DB_User.name"},
	} {
		name, key := KubernetesSecretRef(tc.src)
		if name != tc.name || key != tc.key {
			t.Errorf("KubernetesSecretRef(%+v) = %q, %q; want %q, %q", tc.src, name, key, tc.name, tc.key)
		}
	}
}

func TestKubernetesSecretRefHashesNamesThatSanitizingChanges(t *testing.T) {
	for _, tc := range []struct {
		src      SecretSource
		readable string // the name before "--" and the hash
	}{
		{SecretSource{Kind: SSMParameter, Name: "app/db-url"}, "ecs-ssm-app-db-url"},
		{SecretSource{Kind: SecretsManager, Name: "prod/db-AbCdEf"}, "ecs-secretsmanager-prod-db-abcdef"},
		{SecretSource{Kind: SecretsManager, Name: "a--b"}, "ecs-secretsmanager-a-b"},
		{SecretSource{Kind: SecretsManager, Name: "-db-"}, "ecs-secretsmanager-db"},
		{SecretSource{Kind: SecretsManager, Name: "@@"}, "ecs-secretsmanager"},
		{SecretSource{Kind: SecretsManager, Name: "db", VersionStage: "AWSPREVIOUS"}, "ecs-secretsmanager-db-awsprevious"},
		{SecretSource{Kind: SecretsManager, Name: "db", VersionID: "EXAMPLE1-90ab"}, "ecs-secretsmanager-db-example1-90ab"},
		{SecretSource{Kind: SecretsManager, Name: "db", VersionStage: "AWSCURRENT", VersionID: "v1"}, "ecs-secretsmanager-db-awscurrent-v1"},
	} {
		name, _ := KubernetesSecretRef(tc.src)
		if !hashedName.MatchString(name) || strings.TrimSuffix(name, name[len(name)-12:]) != tc.readable {
			t.Errorf("KubernetesSecretRef(%+v) name = %q; want %q + \"--\" + 10 hex digits", tc.src, name, tc.readable)
		}
	}
}

func TestKubernetesSecretRefKeysTheWholeValueAndEachJSONKeyApart(t *testing.T) {
	for _, tc := range []struct {
		jsonKey, readable string
	}{
		{"value", "value"},
		{"db password", "db-password"},
		{"a--b", "a-b"},
		{".", "key"},
		{"..x", "x"},
		{"ключ", "key"},
		{strings.Repeat("k", 300), strings.Repeat("k", 241)},
	} {
		_, key := KubernetesSecretRef(SecretSource{Kind: SecretsManager, Name: "db", JSONKey: tc.jsonKey})
		if !hashedName.MatchString(key) || key[:len(key)-12] != tc.readable {
			t.Errorf("key for JSON key %q = %q; want %q + \"--\" + 10 hex digits", tc.jsonKey, key, tc.readable)
		}
	}
}

// TestKubernetesSecretRefNeverCollides feeds sources that sanitize alike, or that a careless
// rule would confuse with one another, and wants a different Secret or key for each.
func TestKubernetesSecretRefNeverCollides(t *testing.T) {
	long := strings.Repeat("a", 300)
	sources := []SecretSource{
		{Kind: SSMParameter, Name: "app-key"},
		{Kind: SSMParameter, Name: "app/key"},
		{Kind: SSMParameter, Name: "App/Key"},
		{Kind: SSMParameter, Name: "app_key"},
		{Kind: SSMParameter, Name: "app.key"},
		{Kind: SSMParameter, Name: "app--key"},
		{Kind: SecretsManager, Name: "app-key"},
		{Kind: SecretsManager, Name: "db-awsprevious"},
		{Kind: SecretsManager, Name: "db", VersionStage: "AWSPREVIOUS"},
		{Kind: SecretsManager, Name: "db", VersionID: "AWSPREVIOUS"},
		{Kind: SecretsManager, Name: "db", VersionStage: "a", VersionID: "b"},
		{Kind: SecretsManager, Name: "db", VersionStage: "a-b"},
		{Kind: SecretsManager, Name: long},
		{Kind: SecretsManager, Name: long + "b"},
		{Kind: SecretsManager, Name: long + "c"},
	}
	seen := map[string]SecretSource{}
	for _, src := range sources {
		name, _ := KubernetesSecretRef(src)
		if other, ok := seen[name]; ok {
			t.Errorf("%+v and %+v both map to Secret %q", other, src, name)
		}
		seen[name] = src
	}
	keys := map[string]string{}
	for _, k := range []string{"", "value", "a-b", "a--b", "a b", "a/b", long, long + "x"} {
		_, key := KubernetesSecretRef(SecretSource{Kind: SecretsManager, Name: "db", JSONKey: k})
		if other, ok := keys[key]; ok {
			t.Errorf("JSON keys %q and %q both map to key %q", other, k, key)
		}
		keys[key] = k
	}
}

func TestKubernetesSecretRefGivesValidNamesAndKeysDeterministically(t *testing.T) {
	const sm = "arn:aws:secretsmanager:us-east-1:111122223333:secret:"
	inputs := []string{
		sm + "db-AbCdEf",
		sm + "prod/app/DB_Password+x=y@z.w-AbCdEf:my key:AWSPREVIOUS:EXAMPLE1-90ab-cdef",
		sm + strings.Repeat("Long/Name.", 50) + ":" + strings.Repeat("j", 400) + "::",
		"arn:aws:ssm:us-east-1:111122223333:parameter/" + strings.Repeat("deep/", 300) + "x",
		"/app/key",
		"x",
		"...",
	}
	for _, in := range inputs {
		src, err := ParseSecretValueFrom(in)
		if err != nil {
			t.Fatalf("ParseSecretValueFrom(%q): %v", in, err)
		}
		name, key := KubernetesSecretRef(src)
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			t.Errorf("Secret name %q for %q is not a DNS-1123 subdomain: %v", name, in, errs)
		}
		if errs := validation.IsConfigMapKey(key); len(errs) > 0 {
			t.Errorf("key %q for %q is not a Secret data key: %v", key, in, errs)
		}
		if name2, key2 := KubernetesSecretRef(src); name2 != name || key2 != key {
			t.Errorf("KubernetesSecretRef(%+v) gave %q, %q then %q, %q", src, name, key, name2, key2)
		}
	}
}
