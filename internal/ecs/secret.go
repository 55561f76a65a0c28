package ecs

import (
	"fmt"
	"strings"
)

// SecretKind is the AWS service a secret's value comes from.
type SecretKind string

const (
	// SecretsManager is an AWS Secrets Manager secret.
	SecretsManager SecretKind = "secretsmanager"
	// SSMParameter is an AWS Systems Manager Parameter Store parameter.
	SSMParameter SecretKind = "ssm"
)

// SecretSource is where the value of an ECS secret (a container's secrets or a log
// configuration's secretOptions, or repositoryCredentials) comes from.
type SecretSource struct {
	// Kind is the service that holds the value.
	Kind SecretKind
	// ARN is the secret's or parameter's ARN: for Secrets Manager without the
	// ":json-key:version-stage:version-id" selectors. It is empty for a parameter named
	// without an ARN.
	ARN string
	// Name is the Secrets Manager secret's name exactly as in the ARN (with the "-AbCdEf"
	// suffix Secrets Manager adds, when the ARN has it), or the SSM parameter's name without
	// its leading '/'.
	Name string
	// JSONKey, VersionStage and VersionID are the Secrets Manager selectors: the key of the
	// JSON object the secret holds whose value is wanted, and which version of the secret.
	// Each may be empty.
	JSONKey      string
	VersionStage string
	VersionID    string
}

// secretForms is how errors spell what ECS accepts as a secret's valueFrom.
const secretForms = "a Secrets Manager secret ARN (arn:aws:secretsmanager:region:account-id:secret:name[:json-key:version-stage:version-id]), " +
	"an SSM parameter ARN (arn:aws:ssm:region:account-id:parameter/name) or an SSM parameter name (\"/app/key\" or \"app-key\")"

// ParseSecretValueFrom parses the valueFrom of an ECS secret, in the forms ECS accepts:
//
//   - a Secrets Manager secret ARN, "arn:aws:secretsmanager:region:account-id:secret:name",
//     optionally followed by ":json-key:version-stage:version-id", each of which may be empty
//     ("...:secret:db-AbCdEf:password::");
//   - an SSM parameter ARN, "arn:aws:ssm:region:account-id:parameter/name", where the name may
//     contain '/' ("parameter/app/db/password");
//   - an SSM parameter name, "/app/key" or "app-key", which ECS takes for a parameter in the
//     task's region.
//
// Anything else, another service's ARN or an empty string, is an error that says what ECS
// accepts.
func ParseSecretValueFrom(s string) (SecretSource, error) {
	if s == "" {
		return SecretSource{}, fmt.Errorf("secret valueFrom %q is empty: want %s", s, secretForms)
	}
	if !strings.HasPrefix(s, "arn:") {
		name, err := ssmParameterName(s, strings.TrimPrefix(s, "/"))
		if err != nil {
			return SecretSource{}, err
		}
		return SecretSource{Kind: SSMParameter, Name: name}, nil
	}
	a, err := ParseARN(s)
	if err != nil {
		return SecretSource{}, fmt.Errorf("secret valueFrom: %w", err)
	}
	switch a.Service {
	case "secretsmanager":
		return parseSecretsManagerARN(s, a)
	case "ssm":
		rest, ok := strings.CutPrefix(a.Resource, "parameter/")
		if !ok {
			return SecretSource{}, fmt.Errorf("secret valueFrom %q is an SSM ARN but not of a parameter: want arn:aws:ssm:region:account-id:parameter/name", s)
		}
		name, err := ssmParameterName(s, strings.TrimPrefix(rest, "/"))
		if err != nil {
			return SecretSource{}, err
		}
		return SecretSource{Kind: SSMParameter, ARN: s, Name: name}, nil
	}
	return SecretSource{}, fmt.Errorf("secret valueFrom %q is an ARN of %s: want %s", s, a.Service, secretForms)
}

// parseSecretsManagerARN splits "secret:name[:json-key[:version-stage[:version-id]]]".
func parseSecretsManagerARN(s string, a ARN) (SecretSource, error) {
	rest, ok := strings.CutPrefix(a.Resource, "secret:")
	if !ok {
		return SecretSource{}, fmt.Errorf("secret valueFrom %q is a Secrets Manager ARN but not of a secret: want arn:aws:secretsmanager:region:account-id:secret:name", s)
	}
	parts := strings.Split(rest, ":")
	if len(parts) > 4 {
		return SecretSource{}, fmt.Errorf("secret valueFrom %q has %d parts after the secret name; at most json-key:version-stage:version-id may follow it", s, len(parts)-1)
	}
	parts = append(parts, "", "", "")
	name := parts[0]
	if err := checkSecretsManagerName(s, name); err != nil {
		return SecretSource{}, err
	}
	a.Resource = "secret:" + name
	return SecretSource{
		Kind:         SecretsManager,
		ARN:          a.String(),
		Name:         name,
		JSONKey:      parts[1],
		VersionStage: parts[2],
		VersionID:    parts[3],
	}, nil
}

// checkSecretsManagerName checks a secret's name as Secrets Manager does: 1 to 512 ASCII
// letters, digits and "/_+=.@-".
func checkSecretsManagerName(input, name string) error {
	if name == "" {
		return fmt.Errorf("secret valueFrom %q has an empty secret name", input)
	}
	if len(name) > 512 {
		return fmt.Errorf("secret valueFrom %q: the secret name is longer than 512 characters", input)
	}
	for _, c := range name {
		if !isAlnum(c) && !strings.ContainsRune("/_+=.@-", c) {
			return fmt.Errorf("secret valueFrom %q: the secret name %q may contain only letters, digits and \"/_+=.@-\", not %q", input, name, c)
		}
	}
	return nil
}

// ssmParameterName checks a parameter name (without its leading '/') as Parameter Store does:
// 1 to 2048 ASCII letters, digits and "_.-/", with no empty path segment.
func ssmParameterName(input, name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("secret valueFrom %q has an empty SSM parameter name: want %s", input, secretForms)
	}
	if len(name) > 2048 {
		return "", fmt.Errorf("secret valueFrom %q: the SSM parameter name is longer than 2048 characters", input)
	}
	for _, c := range name {
		if !isAlnum(c) && !strings.ContainsRune("_.-/", c) {
			return "", fmt.Errorf("secret valueFrom %q is not an SSM parameter name, which may contain only letters, digits and \"_.-/\" (not %q): want %s", input, c, secretForms)
		}
	}
	if strings.Contains(name, "//") || strings.HasSuffix(name, "/") {
		return "", fmt.Errorf("secret valueFrom %q: the SSM parameter name %q has an empty path segment", input, name)
	}
	return name, nil
}

// isAlnum reports an ASCII letter or digit.
func isAlnum(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
