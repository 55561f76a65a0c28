package controllers

import (
	"crypto/sha256"
	"encoding/hex"

	"k8s.io/apimachinery/pkg/util/validation"
)

// labelValue makes s a valid label value: unchanged when it already is one, otherwise a
// readable prefix and a hash of s, so distinct inputs stay distinct.
func labelValue(s string) string {
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
