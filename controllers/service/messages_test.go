package service

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTaskList_NamesTenTasksAndCountsTheRest(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{
		{1, "(task t-0000)"},
		{10, "(task t-0009)"},
		{11, "and 1 more"},
		{5000, "and 4990 more"},
	} {
		names := make([]string, tc.n)
		for i := range names {
			names[i] = fmt.Sprintf("t-%04d", i)
		}
		got := taskList(names)
		if !strings.HasSuffix(got, tc.want) || strings.Count(got, "(task ") != min(tc.n, maxTasksPerMessage) {
			t.Errorf("%d tasks: %q", tc.n, got)
		}
	}
}

func TestNewMessage_StaysUnderTheSchemaLimitWhateverItQuotes(t *testing.T) {
	reason := strings.Repeat("é", 3000) // a long Pod condition, multi-byte
	m := newMessage(kindUnableToPlaceTask, "(service web) was unable to place a task. Reason: %s", reason)
	if len(m.text) > 2048 || !utf8.ValidString(m.text) || !strings.HasSuffix(m.text, "…") {
		t.Fatalf("%d bytes, valid UTF-8 %v, ends %q", len(m.text), utf8.ValidString(m.text), m.text[len(m.text)-8:])
	}
}
