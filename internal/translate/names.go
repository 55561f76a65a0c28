package translate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	ecsv1 "github.com/ecs-operator/ecs-operator/api/v1alpha1"
	"github.com/ecs-operator/ecs-operator/internal/ecs"
)

// shortHash is 8 hex digits of the SHA-256 of s: short enough for names, stable forever.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// dnsLabel turns s into an RFC 1123 label: lowercase letters, digits and '-', at most 63
// characters, starting and ending with a letter or digit. When that changes s, a hash of s is
// appended, so that names that differ only in what was changed ("Web" and "web", "a_b" and
// "a-b") never collide.
func dnsLabel(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == s && len(out) <= validation.DNS1123LabelMaxLength {
		return out
	}
	h := shortHash(s)
	if max := validation.DNS1123LabelMaxLength - 1 - len(h); len(out) > max {
		out = strings.TrimRight(out[:max], "-")
	}
	if out == "" {
		return h
	}
	return out + "-" + h
}

// ContainerName is the Kubernetes name of an ECS container. ECS names may hold uppercase
// letters and '_' and run to 255 characters; Kubernetes needs DNS labels. The name is
// lowercased, '_' (and anything else a label cannot hold) becomes '-', it is trimmed to 63
// characters, and when any of that changed it, a short stable hash of the ECS name is appended.
func ContainerName(ecsName string) string { return dnsLabel(ecsName) }

// containerNames maps every container to its Kubernetes name and rejects the (hash-collision
// or hash-lookalike) case of two ECS names mapping to one.
func containerNames(defs []ecsv1.ContainerDefinition) ([]string, error) {
	names := make([]string, len(defs))
	seen := map[string]string{}
	for i, c := range defs {
		n := ContainerName(string(c.Name))
		if other, ok := seen[n]; ok {
			return nil, fmt.Errorf("containerDefinitions[%s]: its Kubernetes name %q is also the name of container %q; rename one of them", c.Name, n, other)
		}
		seen[n] = string(c.Name)
		names[i] = n
	}
	return names, nil
}

// volumeName is the Kubernetes name of an ECS volume, by the same rule as ContainerName.
func volumeName(ecsName string) string { return dnsLabel(ecsName) }

// labelValue makes s a valid label value: unchanged when it already is one, otherwise reduced
// to the characters a label value may hold, trimmed, and suffixed with a hash of s.
func labelValue(s string) string {
	if len(validation.IsValidLabelValue(s)) == 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '-' || r == '_' || r == '.' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	h := shortHash(s)
	out := b.String()
	if max := validation.LabelValueMaxLength - 1 - len(h); len(out) > max {
		out = out[:max]
	}
	out = strings.TrimFunc(out, func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	if out == "" {
		return h
	}
	return out + "-" + h
}

// PortName is the Kubernetes port name of an ECS port mapping name: lowercased, '_' turned to
// '-', runs of '-' collapsed and the ends trimmed. The result must be a valid IANA service
// name (at most 15 characters, at least one letter); when it is not, ok is false and the port
// stays unnamed. Controllers that refer to ports by name (Service Connect, load balancers) use
// the same function.
func PortName(ecsName string) (name string, ok bool) {
	s := strings.ToLower(strings.ReplaceAll(ecsName, "_", "-"))
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "-")
	}
	s = strings.Trim(s, "-")
	if s == "" || len(validation.IsValidPortName(s)) > 0 {
		return "", false
	}
	return s, true
}

// EnvironmentFileSecretName is the Secret that holds the variables of an environment file,
// named from its S3 object ARN: "ecs-envfile-" + the object's base name made DNS-safe + "-" +
// 8 hex digits of the SHA-256 of the whole ARN, so that files with the same base name in
// different buckets or folders get different Secrets. The base name is shortened so that the
// whole name fits 63 characters.
func EnvironmentFileSecretName(s3ARN string) (string, error) {
	arn, err := ecs.ParseARN(s3ARN)
	if err != nil {
		return "", err
	}
	if arn.Service != "s3" {
		return "", fmt.Errorf("%q is not an S3 object ARN", s3ARN)
	}
	return prefixedName("ecs-envfile-", path.Base(arn.Resource), s3ARN), nil
}

// ServiceAccountName is the ServiceAccount of a task role, named from the role ARN:
// "ecs-role-" + the role's name made DNS-safe + "-" + 8 hex digits of the SHA-256 of the
// whole ARN, so that roles of the same name in different accounts or paths get different
// ServiceAccounts. The role name is shortened so that the whole name fits 63 characters.
func ServiceAccountName(roleARN string) (string, error) {
	arn, err := ecs.ParseARN(roleARN)
	if err != nil {
		return "", err
	}
	if arn.Service != "iam" || !strings.HasPrefix(arn.Resource, "role/") {
		return "", fmt.Errorf("%q is not an IAM role ARN", roleARN)
	}
	return prefixedName("ecs-role-", path.Base(arn.Resource), roleARN), nil
}

// RepositoryCredentialsSecretName is the kubernetes.io/dockerconfigjson Secret that stands for
// a container's repositoryCredentials: the Secret that ecs.KubernetesSecretRef names for the
// credentialsParameter, with "-regcred" appended (the same Secrets Manager secret may also feed
// environment variables, and an image pull Secret needs a type of its own).
func RepositoryCredentialsSecretName(credentialsParameter string) (string, error) {
	src, err := ecs.ParseSecretValueFrom(credentialsParameter)
	if err != nil {
		return "", err
	}
	name, _ := ecs.KubernetesSecretRef(src)
	const suffix = "-regcred"
	if len(name)+len(suffix) > validation.DNS1123SubdomainMaxLength {
		h := shortHash(name)
		name = strings.TrimRight(name[:validation.DNS1123SubdomainMaxLength-len(suffix)-len(h)-1], "-.") + "-" + h
	}
	return name + suffix, nil
}

// SharedVolumeClaimName is the PersistentVolumeClaim of a shared Docker volume:
// "ecs-volume-<name>", made a DNS label by the rule of ContainerName.
func SharedVolumeClaimName(volume string) string { return dnsLabel("ecs-volume-" + volume) }

// efsMount is what decides how an EFS volume is mounted, normalized: two ECS configurations
// that mount alike (rootDirectory "" and "/", transitEncryption "" and "DISABLED") are one.
type efsMount struct {
	fileSystemID  string
	subpath       string // cleaned rootDirectory; "" for the file system's root
	accessPointID string
	tls           bool // transitEncryption ENABLED
	iam           bool // authorizationConfig.iam ENABLED
}

func newEFSMount(e *ecsv1.EFSVolumeConfiguration) efsMount {
	m := efsMount{
		fileSystemID: e.FileSystemID,
		tls:          e.TransitEncryption == "ENABLED",
	}
	if e.RootDirectory != "" {
		// The driver cleans the path too; "/" is the root, which is no subpath.
		if p := path.Clean(e.RootDirectory); p != "/" && p != "." {
			m.subpath = p
		}
	}
	if ac := e.AuthorizationConfig; ac != nil {
		m.accessPointID = ac.AccessPointID
		m.iam = ac.IAM == "ENABLED"
	}
	return m
}

// volumeHandle is the EFS CSI driver's volume ID, "fileSystemId[:subpath[:accessPointId]]".
func (m efsMount) volumeHandle() string {
	switch {
	case m.accessPointID != "":
		return m.fileSystemID + ":" + m.subpath + ":" + m.accessPointID
	case m.subpath != "":
		return m.fileSystemID + ":" + m.subpath
	}
	return m.fileSystemID
}

// key encodes m (and namespace, when there is one) unambiguously, for hashing.
func (m efsMount) key(namespace ...string) string {
	parts := append([]string{m.fileSystemID, m.subpath, m.accessPointID, strconv.FormatBool(m.tls), strconv.FormatBool(m.iam)}, namespace...)
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(strconv.Quote(p))
	}
	return b.String()
}

// efsHash is 16 hex digits of the SHA-256 of s: EFS names are nothing but the hash, and two
// configurations with one name would mount one's file system for the other.
func efsHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// EFSClaimName is the PersistentVolumeClaim of an EFS volume: "ecs-efs-" + 16 hex digits of
// the SHA-256 of fileSystemId, rootDirectory, accessPointId, transitEncryption and
// authorizationConfig.iam (normalized: rootDirectory "/" is none, anything but ENABLED is
// DISABLED). Every task of a namespace that mounts the file system alike uses the one claim.
func EFSClaimName(e *ecsv1.EFSVolumeConfiguration) string {
	return "ecs-efs-" + efsHash(newEFSMount(e).key())
}

// EFSPersistentVolumeName is the PersistentVolume bound to the EFS claim of namespace: like
// EFSClaimName, with the namespace hashed in too, because PersistentVolumes are cluster-wide
// and each binds one claim.
func EFSPersistentVolumeName(namespace string, e *ecsv1.EFSVolumeConfiguration) string {
	return "ecs-efs-" + efsHash(newEFSMount(e).key(namespace))
}

// prefixedName is prefix + a DNS-safe base (shortened to fit a 63-character label) + "-" +
// the hash of whole.
func prefixedName(prefix, base, whole string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	h := shortHash(whole)
	if max := validation.DNS1123LabelMaxLength - len(prefix) - 1 - len(h); len(s) > max {
		s = strings.Trim(s[:max], "-")
	}
	if s == "" {
		return prefix + h
	}
	return prefix + s + "-" + h
}
