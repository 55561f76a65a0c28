package ecs

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseSecretValueFromReadsEveryFormECSAccepts(t *testing.T) {
	const sm = "arn:aws:secretsmanager:us-east-1:111122223333:secret:"
	for _, tc := range []struct {
		in   string
		want SecretSource
	}{
		{sm + "db-AbCdEf", SecretSource{Kind: SecretsManager, ARN: sm + "db-AbCdEf", Name: "db-AbCdEf"}},
		{sm + "db", SecretSource{Kind: SecretsManager, ARN: sm + "db", Name: "db"}},
		{sm + "prod/db-AbCdEf:password::", SecretSource{Kind: SecretsManager, ARN: sm + "prod/db-AbCdEf", Name: "prod/db-AbCdEf", JSONKey: "password"}},
		{sm + "db-AbCdEf::AWSPREVIOUS:", SecretSource{Kind: SecretsManager, ARN: sm + "db-AbCdEf", Name: "db-AbCdEf", VersionStage: "AWSPREVIOUS"}},
		{sm + "db-AbCdEf:user:AWSCURRENT:0123-abcd", SecretSource{Kind: SecretsManager, ARN: sm + "db-AbCdEf", Name: "db-AbCdEf", JSONKey: "user", VersionStage: "AWSCURRENT", VersionID: "0123-abcd"}},
		{sm + "db:user", SecretSource{Kind: SecretsManager, ARN: sm + "db", Name: "db", JSONKey: "user"}},
		{"arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:a+b=c@d.e_f", SecretSource{Kind: SecretsManager, ARN: "arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:a+b=c@d.e_f", Name: "a+b=c@d.e_f"}},
		{"arn:aws:ssm:us-east-1:111122223333:parameter/app/db/password", SecretSource{Kind: SSMParameter, ARN: "arn:aws:ssm:us-east-1:111122223333:parameter/app/db/password", Name: "app/db/password"}},
		{"arn:aws:ssm:us-east-1:111122223333:parameter/app-key", SecretSource{Kind: SSMParameter, ARN: "arn:aws:ssm:us-east-1:111122223333:parameter/app-key", Name: "app-key"}},
		{"/app/key", SecretSource{Kind: SSMParameter, Name: "app/key"}},
		{"app-key", SecretSource{Kind: SSMParameter, Name: "app-key"}},
		{"App_Key.v2", SecretSource{Kind: SSMParameter, Name: "App_Key.v2"}},
	} {
		got, err := ParseSecretValueFrom(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSecretValueFrom(%q) =\n  %+v, %v\nwant\n  %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseSecretValueFromRejectsWhatECSRejectsQuotingTheInput(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"", "Secrets Manager secret ARN"},
		{"arn:aws:s3:::bucket/key", "is an ARN of s3"},
		{"arn:aws:kms:us-east-1:111122223333:key/1234", "Secrets Manager secret ARN"},
		{"arn:aws:secretsmanager:us-east-1:111122223333:db", "not of a secret"},
		{"arn:aws:secretsmanager:us-east-1:111122223333:secret:", "empty secret name"},
		{"arn:aws:secretsmanager:us-east-1:111122223333:secret::key::", "empty secret name"},
		{"arn:aws:secretsmanager:us-east-1:111122223333:secret:db:a:b:c:d", "at most json-key:version-stage:version-id"},
		{"arn:aws:secretsmanager:us-east-1:111122223333:secret:db%x", "may contain only"},
		{"arn:aws:ssm:us-east-1:111122223333:document/x", "not of a parameter"},
		{"arn:aws:ssm:us-east-1:111122223333:parameter/", "empty SSM parameter name"},
		{"arn:aws:ssm:us-east-1:111122223333:parameter/a b", "not an SSM parameter name"},
		{"/", "empty SSM parameter name"},
		{"app key", "not an SSM parameter name"},
		{"app:key", "not an SSM parameter name"},
		{"/app//key", "empty path segment"},
		{"/app/", "empty path segment"},
		{"arn:aws:ssm", "is not an ARN"},
	} {
		_, err := ParseSecretValueFrom(tc.in)
		if err == nil {
			t.Errorf("ParseSecretValueFrom(%q) succeeded; want an error containing %q", tc.in, tc.want)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, tc.want) || !strings.Contains(msg, strconv.Quote(tc.in)) {
			t.Errorf("ParseSecretValueFrom(%q) error %q; want it to contain %q and the quoted input", tc.in, msg, tc.want)
		}
	}
}
