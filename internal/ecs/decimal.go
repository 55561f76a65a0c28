package ecs

import (
	"strconv"
	"strings"
)

// decimalProblem says why scaleDecimal refused a number, so that each caller can word the
// error in its own units.
type decimalProblem int

const (
	decimalOK decimalProblem = iota
	// decimalNotNumber is anything but digits with at most one '.' between digits.
	decimalNotNumber
	// decimalNotWhole is a number whose scaled value has a fraction.
	decimalNotWhole
	// decimalTooLarge is a number whose scaled value exceeds the limit.
	decimalTooLarge
)

// maxFractionDigits bounds the fraction scaleDecimal reads. Scales are at most 1024 = 2^10, so
// a fraction that scales to a whole number has at most 10 significant decimal digits; 15 keeps
// fraction × scale inside int64.
const maxFractionDigits = 15

// scaleDecimal returns num × scale for a plain decimal number ("2", "0.25", "1.50") when the
// product is a whole number no greater than limit. It works on the digits rather than on a
// float so that "0.1 GB" is reported as not a whole number of MiB instead of silently becoming
// 102 MiB, and so that no rounding ever changes a size. scale must be between 1 and 1024.
func scaleDecimal(num string, scale, limit int64) (int64, decimalProblem) {
	intPart, frac, hasDot := strings.Cut(num, ".")
	if !isDigits(intPart) || (hasDot && !isDigits(frac)) {
		return 0, decimalNotNumber
	}
	intPart = strings.TrimLeft(intPart, "0")
	frac = strings.TrimRight(frac, "0")
	if len(intPart) > 18 {
		return 0, decimalTooLarge
	}
	var whole int64
	if intPart != "" {
		whole, _ = strconv.ParseInt(intPart, 10, 64) // at most 18 digits: cannot overflow
	}
	if whole > limit/scale {
		return 0, decimalTooLarge
	}
	total := whole * scale
	if frac != "" {
		if len(frac) > maxFractionDigits {
			return 0, decimalNotWhole
		}
		f, _ := strconv.ParseInt(frac, 10, 64)
		den := int64(1)
		for range len(frac) {
			den *= 10
		}
		if f*scale%den != 0 {
			return 0, decimalNotWhole
		}
		total += f * scale / den
	}
	if total > limit {
		return 0, decimalTooLarge
	}
	return total, decimalOK
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// splitQuantity splits a size such as "1.5 GB" into its number and its unit, both trimmed: the
// unit starts at the first letter. "512" has no unit.
func splitQuantity(s string) (num, unit string) {
	i := strings.IndexFunc(s, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' })
	if i < 0 {
		return strings.TrimSpace(s), ""
	}
	return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i:])
}
