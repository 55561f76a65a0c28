package service

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// messageKind is the kind of an ECS service message; it is the Kubernetes Event reason the
// message is recorded with. Each kind has its own reason: the events library merges Events of
// one object with the same reason and action into a series that keeps the first note.
type messageKind string

const (
	kindSteadyState         messageKind = "SteadyState"
	kindDeploymentCompleted messageKind = "DeploymentCompleted"
	kindDeploymentFailed    messageKind = "DeploymentFailed"
	kindRollingBack         messageKind = "RollingBack"
	kindTasksStarted        messageKind = "TasksStarted"
	kindTasksStopped        messageKind = "TasksStopped"
	kindUnableToPlaceTask   messageKind = "UnableToPlaceTask"
	kindFailedToLaunchTask  messageKind = "FailedToLaunchTask"
	kindUnableToStartTasks  messageKind = "UnableToStartTasks"
	kindTaskFailed          messageKind = "TaskFailed"
)

// message is one ECS service message ("(service web) has reached a steady state."), as
// DescribeServices lists them, with the kind it was made as.
type message struct {
	kind messageKind
	text string
}

func newMessage(kind messageKind, format string, args ...any) message {
	return message{kind: kind, text: boundMessage(fmt.Sprintf(format, args...))}
}

func (m message) warning() bool {
	switch m.kind {
	case kindDeploymentFailed, kindUnableToPlaceTask, kindFailedToLaunchTask, kindUnableToStartTasks, kindTaskFailed:
		return true
	}
	return false
}

// importance orders the kinds for the one Kubernetes Event a reconcile records: what needs the
// user's attention first, then where the Service ended up.
var importance = []messageKind{
	kindDeploymentFailed, kindRollingBack, kindUnableToStartTasks, kindFailedToLaunchTask, kindUnableToPlaceTask,
	kindTaskFailed, kindSteadyState, kindDeploymentCompleted, kindTasksStopped, kindTasksStarted,
}

// maxEventNote is the most a Kubernetes Event's note may hold (events.k8s.io/v1).
const maxEventNote = 1024

// eventFor folds the messages of one reconcile into one Kubernetes Event: the reason of the most
// important message, every message in the note (all of them are in status.events in full). A
// new Service's "deployment completed" and "steady state" thus cost one Event, not two.
func eventFor(msgs []message) (eventType, reason, note string) {
	if len(msgs) == 0 {
		return "", "", ""
	}
	best := len(importance)
	eventType = corev1.EventTypeNormal
	texts := make([]string, 0, len(msgs))
	for _, m := range msgs {
		for i, k := range importance {
			if k == m.kind && i < best {
				best = i
			}
		}
		if m.warning() {
			eventType = corev1.EventTypeWarning
		}
		texts = append(texts, m.text)
	}
	reason = string(msgs[0].kind)
	if best < len(importance) {
		reason = string(importance[best])
	}
	return eventType, reason, truncate(strings.Join(texts, " "), maxEventNote)
}

// maxMessage bounds one message below the schema's 2,048 bytes for status.events[].message,
// whatever the text it quotes (a Pod condition, an admission error).
const maxMessage = 2000

func boundMessage(s string) string { return truncate(s, maxMessage) }

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = " …"
	cut := n - len(mark)
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// maxTasksPerMessage is how many task ids one started/stopped message names, the way ECS batches
// them; the rest are counted ("and 4990 more"), so a Service scaled to thousands of tasks writes
// a status of bounded size.
const maxTasksPerMessage = 10

// taskList names at most maxTasksPerMessage tasks, sorted, and counts the others.
func taskList(names []string) string {
	parts := make([]string, 0, min(len(names), maxTasksPerMessage)+1)
	for i, n := range names {
		if i == maxTasksPerMessage {
			parts = append(parts, fmt.Sprintf("and %d more", len(names)-maxTasksPerMessage))
			break
		}
		parts = append(parts, "(task "+n+")")
	}
	return strings.Join(parts, " ")
}
