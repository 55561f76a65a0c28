package ecsjson

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// ObjectName turns an ECS name (a family or a service name: letters, digits, '_' and '-', up to
// 255) into a Kubernetes object name: lower case, '_' as '-', at most 63 characters, starting
// and ending with a letter or digit. The ECS name itself stays in the spec (family) or is
// reported (service names).
func ObjectName(ecsName string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(ecsName) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	name := b.String()
	if len(name) > validation.DNS1123LabelMaxLength {
		name = name[:validation.DNS1123LabelMaxLength]
	}
	name = strings.Trim(name, "-")
	if name == "" {
		return "imported"
	}
	return name
}
