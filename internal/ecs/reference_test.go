package ecs

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseReferenceReadsEveryFormAndPrintsTheShortOne(t *testing.T) {
	for _, tc := range []struct {
		in     string
		want   Reference
		str    string
		latest bool
	}{
		{"web", Reference{Family: "web"}, "web", true},
		{"web:3", Reference{Family: "web", Revision: 3}, "web:3", false},
		{"team-a/web", Reference{Namespace: "team-a", Family: "web"}, "team-a/web", true},
		{"team-a/web:3", Reference{Namespace: "team-a", Family: "web", Revision: 3}, "team-a/web:3", false},
		{"My_Family-2:12", Reference{Family: "My_Family-2", Revision: 12}, "My_Family-2:12", false},
		{"web:007", Reference{Family: "web", Revision: 7}, "web:7", false},
		{"arn:aws:ecs:us-east-1:111122223333:task-definition/web:3", Reference{Family: "web", Revision: 3}, "web:3", false},
		{"arn:aws:ecs:us-east-1:111122223333:task-definition/web", Reference{Family: "web"}, "web", true},
		{"arn:aws-cn:ecs:cn-north-1:111122223333:task-definition/web:1", Reference{Family: "web", Revision: 1}, "web:1", false},
		{"arn:aws-us-gov:ecs:us-gov-west-1:111122223333:task-definition/web:9223372036854775807", Reference{Family: "web", Revision: 9223372036854775807}, "web:9223372036854775807", false},
		{strings.Repeat("f", 255), Reference{Family: strings.Repeat("f", 255)}, strings.Repeat("f", 255), true},
	} {
		got, err := ParseReference(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseReference(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			continue
		}
		if s := got.String(); s != tc.str {
			t.Errorf("ParseReference(%q).String() = %q; want %q", tc.in, s, tc.str)
		}
		if got.IsLatest() != tc.latest {
			t.Errorf("ParseReference(%q).IsLatest() = %v; want %v", tc.in, got.IsLatest(), tc.latest)
		}
		if back, err := ParseReference(got.String()); err != nil || back != got {
			t.Errorf("ParseReference(%q) = %+v, %v; want %+v back", got.String(), back, err, got)
		}
	}
}

func TestParseReferenceRejectsInvalidReferencesQuotingTheInput(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"", "is empty"},
		{"web:", `revision ""`},
		{"web:0", "must be 1 or more"},
		{"web:-1", "not a whole number"},
		{"web:latest", "not a whole number"},
		{"web:1:2", "not a whole number"},
		{"web:99999999999999999999", "too large"},
		{":3", `family "" is empty`},
		{"web app", "may contain only letters"},
		{"wéb", "may contain only letters"},
		{strings.Repeat("f", 256), "longer than 255"},
		{"Team/web", "namespace"},
		{"/web", "namespace"},
		{"a/b/c", "more than one '/'"},
		{"team-a/", `family "" is empty`},
		{"arn:aws:ecs:us-east-1:111122223333:service/web", "not a task definition ARN"},
		{"arn:aws:iam::111122223333:task-definition/web", "not a task definition ARN"},
		{"arn:aws:ecs:us-east-1:111122223333:task-definition/", `family "" is empty`},
		{"arn:aws:ecs:us-east-1:111122223333:task-definition/web:0", "must be 1 or more"},
		{"arn:aws:ecs", "is not an ARN"},
	} {
		_, err := ParseReference(tc.in)
		if err == nil {
			t.Errorf("ParseReference(%q) succeeded; want an error containing %q", tc.in, tc.want)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, tc.want) || !strings.Contains(msg, strconv.Quote(tc.in)) {
			t.Errorf("ParseReference(%q) error %q; want it to contain %q and the quoted input", tc.in, msg, tc.want)
		}
	}
}
