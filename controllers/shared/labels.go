package shared

import (
	"crypto/sha256"
	"encoding/hex"

	"k8s.io/apimachinery/pkg/util/validation"
)

// LabelValue makes s a valid label value: unchanged when it already is one, otherwise a
// readable prefix and a hash of s, so distinct inputs stay distinct.
func LabelValue(s string) string {
	if len(validation.IsValidLabelValue(s)) == 0 {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	hash := hex.EncodeToString(sum[:])[:10]
	prefix := make([]byte, 0, 52)
	for i := 0; i < len(s) && len(prefix) < 52; i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			prefix = append(prefix, c)
		}
	}
	for len(prefix) > 0 && !isAlnum(prefix[0]) {
		prefix = prefix[1:]
	}
	if len(prefix) == 0 {
		return hash
	}
	return string(prefix) + "-" + hash
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func MergeLabels(base, extra map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(extra))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// DNSLabel lowercases s and replaces what a DNS label cannot hold with '-'.
func DNSLabel(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		default:
			b[i] = '-'
		}
	}
	return string(b)
}
