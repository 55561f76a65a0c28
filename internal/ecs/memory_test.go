package ecs

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseTaskMemoryReadsMiBAndGBAsGiB(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"512", 512},
		{"1GB", 1024},
		{"1 GB", 1024},
		{"0.5 GB", 512},
		{"2 gb", 2048},
		{"1.5GiB", 1536},
		{"512 MB", 512},
		{"512MiB", 512},
		{"512.0 MB", 512},
		{"0.25 gib", 256},
		{"4096 GB", 4194304},
		{"4194304", 4194304},
		{" 30 GB ", 30720},
	} {
		got, err := ParseTaskMemory(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseTaskMemory(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestParseTaskMemoryRejectsWhatIsNotWholeMiBQuotingTheInput(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"", "is empty"},
		{"0", "greater than zero"},
		{"0 GB", "greater than zero"},
		{"-512", "not negative"},
		{"512.5", "must be a whole number"},
		{"0.1 GB", "not a whole number of MiB"},
		{"512.5 MB", "not a whole number of MiB"},
		{"1 TB", `unknown unit "TB"`},
		{"1 KB", `unknown unit "KB"`},
		{".5 GB", `"0.5 GB"`},
		{"GB", "is not a size"},
		{"1..5 GB", "is not a size"},
		{"4194305", "more than the 4194304"},
		{"4097 GB", "more than the 4194304"},
	} {
		_, err := ParseTaskMemory(tc.in)
		if err == nil {
			t.Errorf("ParseTaskMemory(%q) succeeded; want an error containing %q", tc.in, tc.want)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, tc.want) || !strings.Contains(msg, strconv.Quote(tc.in)) {
			t.Errorf("ParseTaskMemory(%q) error %q; want it to contain %q and the quoted input", tc.in, msg, tc.want)
		}
	}
}
