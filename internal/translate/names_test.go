package translate

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestContainerName_dnsLabel(t *testing.T) {
	long := strings.Repeat("a", 70)
	for _, tc := range []struct {
		ecs    string
		want   string // exact, or the prefix before the hash when hashed
		hashed bool
	}{
		{"web", "web", false},
		{"log-router", "log-router", false},
		{"Web", "web", true},
		{"log_router", "log-router", true},
		{"_sidecar_", "sidecar", true},
		{"widget-$APP_ENV", "widget--app-env", true},
		{long, strings.Repeat("a", 54), true},
		{"___", "", true},
	} {
		got := ContainerName(tc.ecs)
		if errs := validation.IsDNS1123Label(got); len(errs) > 0 {
			t.Errorf("ContainerName(%q) = %q: %v", tc.ecs, got, errs)
		}
		if got != ContainerName(tc.ecs) {
			t.Errorf("ContainerName(%q) is not deterministic", tc.ecs)
		}
		switch {
		case !tc.hashed && got != tc.want:
			t.Errorf("ContainerName(%q) = %q, want %q", tc.ecs, got, tc.want)
		case tc.hashed && tc.want == "" && len(got) != 8:
			t.Errorf("ContainerName(%q) = %q, want only the hash", tc.ecs, got)
		case tc.hashed && tc.want != "" && (!strings.HasPrefix(got, tc.want+"-") || len(got) != len(tc.want)+9):
			t.Errorf("ContainerName(%q) = %q, want %q + a hash", tc.ecs, got, tc.want)
		}
	}
	if ContainerName("Web") == ContainerName("web") || ContainerName("a_b") == ContainerName("a-b") {
		t.Error("names that differ only in case or '_' must not collide")
	}
}

func TestPortName_ianaServiceName(t *testing.T) {
	for _, tc := range []struct {
		ecs  string
		want string
		ok   bool
	}{
		{"http", "http", true},
		{"p-3063", "p-3063", true},
		{"HTTP_Alt", "http-alt", true},
		{"web__api", "web-api", true},
		{"backend-flask", "backend-flask", true},
		{"a-very-long-port-name", "", false}, // 21 characters
		{"8080", "", false},                  // no letter
		{"_", "", false},
	} {
		got, ok := PortName(tc.ecs)
		if got != tc.want || ok != tc.ok {
			t.Errorf("PortName(%q) = %q, %v; want %q, %v", tc.ecs, got, ok, tc.want, tc.ok)
		}
	}
}

func TestLabelValue_truncatedWithHash(t *testing.T) {
	for _, s := range []string{"web", "my_family-1", strings.Repeat("f", 255), "widget-$APP_ENV", "-x-", "__"} {
		got := labelValue(s)
		if errs := validation.IsValidLabelValue(got); len(errs) > 0 {
			t.Errorf("labelValue(%q) = %q: %v", s, got, errs)
		}
		if len(validation.IsValidLabelValue(s)) == 0 && got != s {
			t.Errorf("labelValue(%q) = %q changed a valid value", s, got)
		}
	}
	if labelValue(strings.Repeat("f", 64)) == labelValue(strings.Repeat("f", 65)) {
		t.Error("long families must not collide")
	}
}

func TestServiceAccountName_fromRoleARN(t *testing.T) {
	a, err := ServiceAccountName("arn:aws:iam::123456789012:role/ecsTaskRole")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ServiceAccountName("arn:aws:iam::210987654321:role/ecsTaskRole")
	c, _ := ServiceAccountName("arn:aws:iam::123456789012:role/team/" + strings.Repeat("VeryLongRoleName", 8))
	for _, n := range []string{a, b, c} {
		if errs := validation.IsDNS1123Label(n); len(errs) > 0 || !strings.HasPrefix(n, "ecs-role-") {
			t.Errorf("%q is not a good ServiceAccount name: %v", n, errs)
		}
	}
	if !strings.HasPrefix(a, "ecs-role-ecstaskrole-") || a == b {
		t.Errorf("names %q, %q: want ecs-role-ecstaskrole-<hash>, different per account", a, b)
	}
	for _, bad := range []string{"ecsTaskRole", "arn:aws:s3:::bucket/key", "<TASK_ROLE_ARN>"} {
		if _, err := ServiceAccountName(bad); err == nil {
			t.Errorf("ServiceAccountName(%q): want an error", bad)
		}
	}
}

func TestEnvironmentFileSecretName_fromS3ARN(t *testing.T) {
	a, err := EnvironmentFileSecretName("arn:aws:s3:::bako-safe-env/bako-safe-worker.env")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := EnvironmentFileSecretName("arn:aws:s3:::other-bucket/bako-safe-worker.env")
	if !strings.HasPrefix(a, "ecs-envfile-bako-safe-worker-env-") || a == b || len(validation.IsDNS1123Label(a)) > 0 {
		t.Errorf("names %q, %q", a, b)
	}
	if _, err := EnvironmentFileSecretName("arn:aws:ssm:us-east-1:123456789012:parameter/x"); err == nil {
		t.Error("not S3: want an error")
	}
}

func TestSharedVolumeClaimName_dnsLabel(t *testing.T) {
	if got := SharedVolumeClaimName("data"); got != "ecs-volume-data" {
		t.Errorf("got %q", got)
	}
	if got := SharedVolumeClaimName("Data_1"); !strings.HasPrefix(got, "ecs-volume-data-1-") || len(validation.IsDNS1123Label(got)) > 0 {
		t.Errorf("got %q", got)
	}
}
