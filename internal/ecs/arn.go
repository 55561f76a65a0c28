package ecs

import (
	"fmt"
	"strings"
)

// ARN is an Amazon Resource Name, "arn:partition:service:region:account-id:resource", split
// into its parts. Region and AccountID are empty for global resources (IAM roles, S3 objects).
// Resource is everything after the fifth ':' and may itself contain ':' and '/'
// ("task-definition/web:3", "secret:db-AbCdEf:password::").
type ARN struct {
	Partition string
	Service   string
	Region    string
	AccountID string
	Resource  string
}

// arnForm is how errors spell what an ARN looks like.
const arnForm = "arn:partition:service:region:account-id:resource"

// ParseARN splits an ARN into its parts. It checks the shape, not whether the service or the
// resource exists: the partition and service must be lowercase letters, digits and '-', the
// region too or empty, the account ID letters, digits and '-' or empty (AWS-managed IAM
// policies use "aws"), and the resource must be non-empty and free of control characters.
func ParseARN(s string) (ARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ARN{}, fmt.Errorf("%q is not an ARN: want %s", s, arnForm)
	}
	a := ARN{Partition: parts[1], Service: parts[2], Region: parts[3], AccountID: parts[4], Resource: parts[5]}
	switch {
	case a.Partition == "" || !isARNWord(a.Partition, false):
		return ARN{}, fmt.Errorf("ARN %q: partition %q must be lowercase letters, digits and '-', such as \"aws\" or \"aws-cn\"", s, a.Partition)
	case a.Service == "" || !isARNWord(a.Service, false):
		return ARN{}, fmt.Errorf("ARN %q: service %q must be lowercase letters, digits and '-', such as \"ecs\"", s, a.Service)
	case !isARNWord(a.Region, false):
		return ARN{}, fmt.Errorf("ARN %q: region %q must be lowercase letters, digits and '-', such as \"us-east-1\", or empty", s, a.Region)
	case !isARNWord(a.AccountID, true):
		return ARN{}, fmt.Errorf("ARN %q: account ID %q must be letters, digits and '-', such as \"111122223333\", or empty", s, a.AccountID)
	case a.Resource == "":
		return ARN{}, fmt.Errorf("ARN %q has no resource: want %s", s, arnForm)
	case strings.IndexFunc(a.Resource, isControl) >= 0:
		return ARN{}, fmt.Errorf("ARN %q: the resource contains a control character", s)
	}
	return a, nil
}

// String is the ARN as AWS writes it.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.AccountID + ":" + a.Resource
}

// isARNWord reports whether s is lowercase letters, digits and '-' (any case when upper is
// true). The empty string is one.
func isARNWord(s string, upper bool) bool {
	for i := 0; i < len(s); i++ {
		c := rune(s[i])
		if c >= 'A' && c <= 'Z' && !upper || !isAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

// isControl reports an ASCII control character.
func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
