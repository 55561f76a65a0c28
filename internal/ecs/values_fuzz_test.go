package ecs

import (
	"reflect"
	"testing"
)

// FuzzParseValues: the parsers of the values ECS writes as strings never panic, and what they
// read prints back to what they read (references and ARNs round-trip through String); sizes
// they accept are positive.
func FuzzParseValues(f *testing.F) {
	for _, s := range []string{
		"256", "1024", "1 vCPU", ".25 vcpu", "0.5 vCPU", "16 vCPU", "512", "2 GB", "0.5GB", "30 GiB", "1024 MiB",
		"web", "web:3", "ns/web:12", "arn:aws:ecs:us-east-1:111122223333:task-definition/web:3",
		"arn:aws-cn:ecs:cn-north-1:111122223333:task-definition/web", "arn:aws:iam::111122223333:role/ecs",
		"", ":", "a:0", "a:-1", "arn:", "arn:aws:ecs", "1e3", "9999999999999999999999 vCPU", "\x00", "web:3:4",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if units, err := ParseTaskCPU(s); err == nil && units <= 0 {
			t.Fatalf("ParseTaskCPU(%q) = %d", s, units)
		}
		if mib, err := ParseTaskMemory(s); err == nil && mib <= 0 {
			t.Fatalf("ParseTaskMemory(%q) = %d", s, mib)
		}
		if ref, err := ParseReference(s); err == nil {
			again, err := ParseReference(ref.String())
			if err != nil || !reflect.DeepEqual(again, ref) {
				t.Fatalf("ParseReference(%q) = %+v, whose String %q reads back as %+v (%v)", s, ref, ref.String(), again, err)
			}
		}
		if arn, err := ParseARN(s); err == nil {
			again, err := ParseARN(arn.String())
			if err != nil || again != arn {
				t.Fatalf("ParseARN(%q) = %+v, whose String %q reads back as %+v (%v)", s, arn, arn.String(), again, err)
			}
		}
		_, _ = ParseSecretValueFrom(s)
	})
}
