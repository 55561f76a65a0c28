package shared

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestEscapeText_ATenantsTextCannotStartAnotherLineOrHideItself(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain text is kept", "Essential container in task exited", "Essential container in task exited"},
		{"unicode letters are kept", "arrêt demandé — 停止", "arrêt demandé — 停止"},
		{"a newline forging another event", "done\nNormal SteadyState service/other-tenant reached a steady state", `done\nNormal SteadyState service/other-tenant reached a steady state`},
		{"a carriage return overwriting the line", "x\r(service other) ok", `x\r(service other) ok`},
		{"a terminal escape", "\x1b[2Kfake", `\x1b[2Kfake`},
		{"a right-to-left override", "abc\u202edcba", `abc\u202edcba`},
		{"a line separator", "a\u2028b", `a\u2028b`},
		{"a zero-width joiner", "a\u200db", `a\u200db`},
		{"invalid UTF-8", "a\xffb", `a\ufffdb`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := EscapeText(tc.in); got != tc.want {
				t.Errorf("EscapeText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

type noteRecorder struct{ notes []string }

func (r *noteRecorder) Eventf(_, _ runtime.Object, _, _, _, note string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(note, args...))
}

func TestEscapingRecorder_NotesAreOneLineAndAPercentIsText(t *testing.T) {
	inner := &noteRecorder{}
	r := EscapingRecorder(inner)
	r.Eventf(&corev1.Pod{}, nil, corev1.EventTypeNormal, "TaskStopped", "Stop", "%s", "by user\nWarning Forged  service/tenant-b")
	r.Eventf(&corev1.Pod{}, nil, corev1.EventTypeNormal, "Registered", "Register", "family %s at 100%%", "web")
	want := []string{`by user\nWarning Forged  service/tenant-b`, "family web at 100%"}
	if fmt.Sprint(inner.notes) != fmt.Sprint(want) {
		t.Errorf("notes %q, want %q", inner.notes, want)
	}
}
