package alarms

import (
	"cmp"
	"slices"
)

// Key identifies firing alerts: the value of their alertname label and of their namespace
// label. An empty Namespace is a cluster-wide alert, one without a namespace label, which
// is the alarm AlertName of the Services of every namespace.
type Key struct {
	Namespace string
	AlertName string
}

// compareKeys orders keys by namespace, then by alert name; cluster-wide keys come first.
func compareKeys(a, b Key) int {
	if c := cmp.Compare(a.Namespace, b.Namespace); c != 0 {
		return c
	}
	return cmp.Compare(a.AlertName, b.AlertName)
}

// Set is the set of firing alarms at one point in time. It is an immutable value, safe to
// share between goroutines; the zero Set is empty.
type Set struct {
	keys map[Key]struct{}
}

// NewSet returns the Set of the given keys. Keys with an empty AlertName are ignored.
func NewSet(keys ...Key) Set {
	m := make(map[Key]struct{}, len(keys))
	for _, k := range keys {
		if k.AlertName != "" {
			m[k] = struct{}{}
		}
	}
	return Set{keys: m}
}

// InAlarm reports whether the alarm alarmName of a Service in namespace is in ALARM: whether
// an alert whose alertname label is alarmName fires either with no namespace label or with
// namespace as its namespace label.
func (s Set) InAlarm(namespace, alarmName string) bool {
	if alarmName == "" {
		return false
	}
	if _, ok := s.keys[Key{AlertName: alarmName}]; ok {
		return true
	}
	if namespace == "" {
		return false
	}
	_, ok := s.keys[Key{Namespace: namespace, AlertName: alarmName}]
	return ok
}

// Len returns the number of keys in the Set.
func (s Set) Len() int { return len(s.keys) }

// Keys returns the keys of the Set, sorted by namespace, then by alert name.
func (s Set) Keys() []Key {
	out := make([]Key, 0, len(s.keys))
	for k := range s.keys {
		out = append(out, k)
	}
	slices.SortFunc(out, compareKeys)
	return out
}

// Equal reports whether s and o hold the same keys.
func (s Set) Equal(o Set) bool {
	if len(s.keys) != len(o.keys) {
		return false
	}
	for k := range s.keys {
		if _, ok := o.keys[k]; !ok {
			return false
		}
	}
	return true
}

// Changed returns the keys that fire in one of old and new but not in the other, sorted by
// namespace, then by alert name; nil when the sets are equal. A change of a key with an
// empty Namespace concerns the Services of every namespace.
func Changed(old, new Set) []Key {
	var out []Key
	for k := range old.keys {
		if _, ok := new.keys[k]; !ok {
			out = append(out, k)
		}
	}
	for k := range new.keys {
		if _, ok := old.keys[k]; !ok {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, compareKeys)
	return out
}
