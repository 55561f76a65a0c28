package ecs

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// WholeSecretKey is the Secret data key that holds a secret's whole value, when no JSON key
// selects a part of it.
const WholeSecretKey = "value"

// secretHashLen is how many hex digits of SHA-256 tell apart names that sanitizing or
// shortening made alike: 40 bits, so that a collision needs about a million different secrets
// in one namespace.
const secretHashLen = 10

// hashSeparator marks a hashed name. Names used verbatim never contain it (sanitizing
// collapses runs of '-'), so a hashed name can never equal a verbatim one.
const hashSeparator = "--"

// KubernetesSecretRef is the Kubernetes Secret, in the task's namespace, and the key in it
// that hold the value of an ECS secret. Whoever syncs secrets into the cluster and whoever
// reads them (the translation, the importer, kubectl-ecs) use this one rule, so they always
// meet on the same object.
//
// The Secret's name is "ecs-" + the kind ("secretsmanager" or "ssm") + "-" + the secret's or
// parameter's name. When that name is already lowercase letters and digits in '-'-separated
// words, and there is no version stage or version ID, it is used as it is: the parameter
// "db-url" gives "ecs-ssm-db-url". Otherwise the name is sanitized (lowercased; every run of other characters, '/' included,
// becomes one '-'; '-' trimmed from the ends), the version stage and version ID follow it
// sanitized the same way, shortened to fit, and "--" + 10 hex digits of the SHA-256 of the
// kind, name, version stage and version ID are appended:
// "arn:...:secret:db-AbCdEf::AWSPREVIOUS:" gives "ecs-secretsmanager-db-abcdef-awsprevious--"
// + hash, and the parameter "/app/db-url" gives "ecs-ssm-app-db-url--" + hash. A verbatim name never contains "--" and a hashed one always does, so two different
// sources never share a Secret (short of a hash collision), while different versions of a
// secret get different Secrets. The name is a DNS-1123 subdomain of at most 253 characters.
// The region and account of an ARN take no part: a namespace stands for one account and
// region, and a parameter named by ARN or by name is the same parameter.
//
// The key is WholeSecretKey ("value") when no JSON key is given, else the JSON key itself when
// it is a valid Secret data key ([-._a-zA-Z0-9]+, at most 253 characters, not "." or "..",
// not starting with "..") without "--" and is not "value"; otherwise the JSON key sanitized
// the same way (but keeping case, '.' and '_') + "--" + 10 hex digits of its SHA-256. So the
// whole value and every JSON key of one secret live side by side in one Secret.
func KubernetesSecretRef(src SecretSource) (secretName, key string) {
	return kubernetesSecretName(src), kubernetesSecretKey(src.JSONKey)
}

func kubernetesSecretName(src SecretSource) string {
	prefix := "ecs-" + sanitize(string(src.Kind), isDNSChar, true)
	if prefix == "ecs-" {
		prefix = "ecs-secret"
	}
	body := sanitize(src.Name, isDNSChar, true)
	exact := body == src.Name
	for _, v := range []string{src.VersionStage, src.VersionID} {
		if v == "" {
			continue
		}
		exact = false
		if part := sanitize(v, isDNSChar, true); part != "" {
			body = joinNonEmpty(body, part)
		}
	}
	if exact && body != "" && len(prefix)+1+len(body) <= validation.DNS1123SubdomainMaxLength {
		return prefix + "-" + body
	}
	h := shortHash(string(src.Kind), src.Name, src.VersionStage, src.VersionID)
	room := validation.DNS1123SubdomainMaxLength - len(prefix) - 1 - len(hashSeparator) - len(h)
	body = strings.TrimRight(truncate(body, room), "-")
	return joinNonEmpty(prefix, body) + hashSeparator + h
}

func kubernetesSecretKey(jsonKey string) string {
	if jsonKey == "" {
		return WholeSecretKey
	}
	if jsonKey != WholeSecretKey && !strings.Contains(jsonKey, hashSeparator) && len(validation.IsConfigMapKey(jsonKey)) == 0 {
		return jsonKey
	}
	h := shortHash("json-key", jsonKey)
	room := validation.DNS1123SubdomainMaxLength - len(hashSeparator) - len(h)
	body := strings.Trim(truncate(sanitize(jsonKey, isKeyChar, false), room), "-.")
	if body == "" {
		body = "key"
	}
	return body + hashSeparator + h
}

// sanitize maps s to the characters keep allows, lowercased if lower: every run of other
// characters (and of '-') becomes a single '-', and '-' and '.' are trimmed from both ends.
func sanitize(s string, keep func(rune) bool, lower bool) string {
	if lower {
		s = strings.ToLower(s)
	}
	var b strings.Builder
	dash := false
	for _, c := range s {
		if c == '-' || !keep(c) {
			dash = true
			continue
		}
		if dash && b.Len() > 0 {
			b.WriteByte('-')
		}
		dash = false
		b.WriteRune(c)
	}
	return strings.Trim(b.String(), "-.")
}

// isDNSChar is a character of a DNS label other than '-'.
func isDNSChar(c rune) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// isKeyChar is a character of a Secret data key other than '-'.
func isKeyChar(c rune) bool { return isAlnum(c) || c == '.' || c == '_' }

// shortHash is the first secretHashLen hex digits of the SHA-256 of the parts, each
// terminated by a NUL so that ("ab", "c") and ("a", "bc") differ.
func shortHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:secretHashLen]
}

// truncate cuts s to at most n bytes (s is ASCII here).
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// joinNonEmpty joins the non-empty parts with '-'.
func joinNonEmpty(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "-")
}
