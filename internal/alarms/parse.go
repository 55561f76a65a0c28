package alarms

import "strings"

// AnnotationAlarmsInAlarm is the Service annotation that lists, comma-separated, the alarm
// names in ALARM state for that Service. Anything may set it: a human, a CD system, an
// Alertmanager webhook receiver. Read it with [Parse].
const AnnotationAlarmsInAlarm = "ecs.operator.dev/alarms-in-alarm"

// Parse returns the alarm names of a comma-separated list, such as the value of
// [AnnotationAlarmsInAlarm]: each name trimmed of surrounding spaces, empty names dropped,
// duplicates dropped, in the order of their first occurrence. It returns nil when the list
// holds no name.
func Parse(names string) []string {
	var out []string
	seen := map[string]bool{}
	for name := range strings.SplitSeq(names, ",") {
		name = strings.TrimSpace(name)
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, name)
	}
	return out
}
