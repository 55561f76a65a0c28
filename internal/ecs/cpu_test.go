package ecs

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseTaskCPUReadsUnitsAndVCPUs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"256", 256},
		{"1024", 1024},
		{"0256", 256},
		{"196608", 196608},
		{"0.25 vCPU", 256},
		{"0.125 vCPU", 128},
		{"1 vCPU", 1024},
		{"1.0 vCPU", 1024},
		{"2vcpu", 2048},
		{"2 VCPU", 2048},
		{"0.5 vCPU", 512},
		{"0.0009765625 vCPU", 1},
		{"192 vCPU", 196608},
		{"  4 vCPU\t", 4096},
		{" 512 ", 512},
	} {
		got, err := ParseTaskCPU(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseTaskCPU(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestParseTaskCPURejectsWhatECSRejectsQuotingTheInput(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"", "is empty"},
		{"   ", "is empty"},
		{"0", "greater than zero"},
		{"0 vCPU", "greater than zero"},
		{"-256", "not negative"},
		{"-1 vCPU", "not negative"},
		{"+256", "'+' sign"},
		{"abc", "unknown unit"},
		{"1 core", `unknown unit "core"`},
		{"256.5", "whole number"},
		{"256.0", "whole number"},
		{"0.3 vCPU", "not a whole number of cpu units"},
		{"0.00000000000000001 vCPU", "not a whole number of cpu units"},
		{".5 vCPU", `"0.5 vCPU"`},
		{"1. vCPU", "is not a number"},
		{"1.2.3 vCPU", "is not a number"},
		{"vCPU", "is not a number"},
		{"196609", "more than the 196608"},
		{"193 vCPU", "more than the 196608"},
		{"99999999999999999999999", "more than the 196608"},
		{"1_024", "is not a number"},
	} {
		_, err := ParseTaskCPU(tc.in)
		if err == nil {
			t.Errorf("ParseTaskCPU(%q) succeeded; want an error containing %q", tc.in, tc.want)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, tc.want) || !strings.Contains(msg, strconv.Quote(tc.in)) {
			t.Errorf("ParseTaskCPU(%q) error %q; want it to contain %q and the quoted input", tc.in, msg, tc.want)
		}
	}
}
