package ecs

import (
	"fmt"
	"strings"
)

// MiBPerGiB is how many MiB make the "GB" of ECS: its GB is a GiB.
const MiBPerGiB = 1024

// MaxTaskMemory is the largest task memory ParseTaskMemory accepts, in MiB: 4 TiB. No
// instance ECS runs on has more, so a larger value is a typo (a value in bytes or KiB, say).
const MaxTaskMemory = 4 * 1024 * MiBPerGiB

// ParseTaskMemory parses a task definition's memory, in any of ECS's forms, into MiB: a whole
// number of MiB ("512"), or a number followed by a unit in any case, with or without a space:
// "MiB" or "MB" for MiB ("512 MB") and "GiB" or "GB" for GiB ("1GB", "1 GB", "0.5 GB",
// "2 gb"). ECS's GB is a GiB, 1024 MiB, and so it is here. Surrounding whitespace is ignored.
//
// It refuses empty, zero and negative values, a bare number with a fraction ("512.5"), a size
// that is not a whole number of MiB ("0.1 GB"), other units ("1 TB"), and more than
// MaxTaskMemory.
func ParseTaskMemory(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("task memory %q is empty: write MiB such as \"2048\" or GB such as \"2 GB\"", s)
	}
	num, unit := splitQuantity(t)
	var scale int64
	switch strings.ToLower(unit) {
	case "":
		scale = 1
	case "mb", "mib":
		scale = 1
	case "gb", "gib":
		scale = MiBPerGiB
	default:
		return 0, fmt.Errorf("task memory %q: unknown unit %q; write MiB such as \"2048\" or \"2048 MiB\", or GB such as \"2 GB\"", s, unit)
	}
	if err := checkSign(num, "task memory", s); err != nil {
		return 0, err
	}
	if unit != "" && strings.HasPrefix(num, ".") {
		return 0, fmt.Errorf("task memory %q: write the leading zero, as in \"0%s %s\"", s, num, unit)
	}
	if unit == "" && strings.Contains(num, ".") && isDecimal(num) {
		return 0, fmt.Errorf("task memory %q: a size without a unit is in MiB and must be a whole number; write GB for fractions, as in \"0.5 GB\"", s)
	}
	mib, problem := scaleDecimal(num, scale, MaxTaskMemory)
	switch problem {
	case decimalNotNumber:
		return 0, fmt.Errorf("task memory %q is not a size in MiB such as \"2048\" or in GB such as \"2 GB\"", s)
	case decimalNotWhole:
		return 0, fmt.Errorf("task memory %q is not a whole number of MiB (1 GB is 1024 MiB)", s)
	case decimalTooLarge:
		return 0, fmt.Errorf("task memory %q is more than the %d MiB (4 TiB) a task can have", s, MaxTaskMemory)
	}
	if mib == 0 {
		return 0, fmt.Errorf("task memory %q must be greater than zero", s)
	}
	return mib, nil
}
