package shared

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
)

// EscapingRecorder records events whose note is one line of printable text: a note quotes
// text a tenant or its workload controls (a StopTask reason, a container's termination
// message, an image), and a newline, carriage return, terminal escape or bidirectional
// override in it would let that text pass, in `kubectl describe` or a terminal, for other
// events or other objects, another tenant's among them. Such characters are written as Go
// escapes (\n, \x1b, \u202e).
func EscapingRecorder(r events.EventRecorder) events.EventRecorder { return escapingRecorder{r} }

type escapingRecorder struct{ events.EventRecorder }

func (r escapingRecorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	r.EventRecorder.Eventf(regarding, related, eventtype, reason, action, "%s", EscapeText(fmt.Sprintf(note, args...)))
}

// EscapeText writes the control, format (bidirectional overrides, zero-width joiners) and
// line-separating characters of s as Go escapes, leaving every other character as it is.
func EscapeText(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if !unsafeRune(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRuneToASCII(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r == unicode.ReplacementChar || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r)
}
