package alarms

import (
	"slices"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  ", nil},
		{",, ,", nil},
		{"HighErrorRate", []string{"HighErrorRate"}},
		{" HighErrorRate , HighLatency ", []string{"HighErrorRate", "HighLatency"}},
		{"B,A,B,,A, C", []string{"B", "A", "C"}},
		{"a b,\tc\n", []string{"a b", "c"}},
		{"Name,name", []string{"Name", "name"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := Parse(tt.in)
			if !slices.Equal(got, tt.want) || (tt.want == nil) != (got == nil) {
				t.Errorf("Parse(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}
