package ecs

import (
	"fmt"
	"strings"
)

// CPUUnitsPerVCPU is how many ECS cpu units make one vCPU.
const CPUUnitsPerVCPU = 1024

// MaxTaskCPU is the largest task cpu ParseTaskCPU accepts, in cpu units: 192 vCPU, the most
// ECS allows for a task on EC2. Anything larger is a typo (a value in millicores, say), and
// saying so beats asking the scheduler for a node that cannot exist.
const MaxTaskCPU = 192 * CPUUnitsPerVCPU

// ParseTaskCPU parses a task definition's cpu, in either of ECS's forms, into cpu units
// (1024 units are one vCPU): a whole number of units ("256", "1024") or a number of vCPUs
// followed by "vCPU" in any case, with or without a space ("0.25 vCPU", "1 vCPU", "2vcpu").
// Surrounding whitespace is ignored.
//
// It refuses what ECS would refuse or misread: empty, zero and negative values, fractional
// units ("256.5"), vCPU counts that are not a whole number of units ("0.3 vCPU"), more than
// MaxTaskCPU, and a vCPU count without its leading zero (".5 vCPU"), which the TaskDefinition
// schema does not admit either; the error suggests "0.5 vCPU". Launch-type limits (Fargate's
// fixed sizes, EC2's 128-unit minimum) are not checked here: they depend on where the task
// runs.
func ParseTaskCPU(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("task cpu %q is empty: write cpu units such as \"1024\" or vCPUs such as \"1 vCPU\"", s)
	}
	num, unit := splitQuantity(t)
	isVCPU := strings.EqualFold(unit, "vcpu")
	if unit != "" && !isVCPU {
		return 0, fmt.Errorf("task cpu %q: unknown unit %q; write cpu units such as \"1024\" or vCPUs such as \"1 vCPU\"", s, unit)
	}
	if err := checkSign(num, "task cpu", s); err != nil {
		return 0, err
	}
	if isVCPU && strings.HasPrefix(num, ".") {
		return 0, fmt.Errorf("task cpu %q: write the leading zero, as in \"0%s vCPU\"", s, num)
	}
	if !isVCPU && strings.Contains(num, ".") && isDecimal(num) {
		return 0, fmt.Errorf("task cpu %q: cpu units must be a whole number (1024 units are 1 vCPU)", s)
	}
	scale := int64(1)
	if isVCPU {
		scale = CPUUnitsPerVCPU
	}
	units, problem := scaleDecimal(num, scale, MaxTaskCPU)
	switch problem {
	case decimalNotNumber:
		return 0, fmt.Errorf("task cpu %q is not a number of cpu units such as \"1024\" or of vCPUs such as \"1 vCPU\"", s)
	case decimalNotWhole:
		return 0, fmt.Errorf("task cpu %q is not a whole number of cpu units (1 vCPU is 1024 units, so vCPUs go in steps of 1/1024)", s)
	case decimalTooLarge:
		return 0, fmt.Errorf("task cpu %q is more than the %d cpu units (192 vCPU) a task can have", s, MaxTaskCPU)
	}
	if units == 0 {
		return 0, fmt.Errorf("task cpu %q must be greater than zero", s)
	}
	return units, nil
}

// checkSign refuses a signed number with an error that says so, rather than calling "-1" not
// a number.
func checkSign(num, what, input string) error {
	if strings.HasPrefix(num, "-") {
		return fmt.Errorf("%s %q must be greater than zero, not negative", what, input)
	}
	if strings.HasPrefix(num, "+") {
		return fmt.Errorf("%s %q: write the number without a '+' sign", what, input)
	}
	return nil
}

// isDecimal reports whether s is digits, a '.', and digits.
func isDecimal(s string) bool {
	i, f, ok := strings.Cut(s, ".")
	return ok && isDigits(i) && isDigits(f)
}
