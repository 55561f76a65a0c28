package ecs

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseARNSplitsPartsAndPrintsThemBack(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ARN
	}{
		{"arn:aws:ecs:us-east-1:111122223333:task-definition/web:3", ARN{"aws", "ecs", "us-east-1", "111122223333", "task-definition/web:3"}},
		{"arn:aws-cn:ecs:cn-north-1:111122223333:task-definition/web", ARN{"aws-cn", "ecs", "cn-north-1", "111122223333", "task-definition/web"}},
		{"arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf:password::", ARN{"aws", "secretsmanager", "us-east-1", "111122223333", "secret:db-AbCdEf:password::"}},
		{"arn:aws:iam::111122223333:role/path/app", ARN{"aws", "iam", "", "111122223333", "role/path/app"}},
		{"arn:aws:iam::aws:policy/ReadOnlyAccess", ARN{"aws", "iam", "", "aws", "policy/ReadOnlyAccess"}},
		{"arn:aws:s3:::bucket/folder/env file.env", ARN{"aws", "s3", "", "", "bucket/folder/env file.env"}},
	} {
		got, err := ParseARN(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseARN(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			continue
		}
		if s := got.String(); s != tc.in {
			t.Errorf("ParseARN(%q).String() = %q; want the input back", tc.in, s)
		}
	}
}

func TestParseARNRejectsMalformedARNsQuotingTheInput(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"", "is not an ARN"},
		{"web:3", "is not an ARN"},
		{"arn:aws:ecs:us-east-1:111122223333", "is not an ARN"},
		{"ARN:aws:ecs:us-east-1:1:x", "is not an ARN"},
		{"arn::ecs:us-east-1:1:x", "partition"},
		{"arn:AWS:ecs:us-east-1:1:x", "partition"},
		{"arn:aws::us-east-1:1:x", "service"},
		{"arn:aws:ecs:US_EAST:1:x", "region"},
		{"arn:aws:ecs:us-east-1:1 2:x", "account ID"},
		{"arn:aws:ecs:us-east-1:1:", "no resource"},
		{"arn:aws:ecs:us-east-1:1:a\nb", "control character"},
	} {
		_, err := ParseARN(tc.in)
		if err == nil {
			t.Errorf("ParseARN(%q) succeeded; want an error containing %q", tc.in, tc.want)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, tc.want) || !strings.Contains(msg, strconv.Quote(tc.in)) {
			t.Errorf("ParseARN(%q) error %q; want it to contain %q and the quoted input", tc.in, msg, tc.want)
		}
	}
}
