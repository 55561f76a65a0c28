package ecs

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// MaxFamilyLength is the longest task definition family ECS accepts.
const MaxFamilyLength = 255

// Reference names a task definition revision, as a Service or Task names the task definition
// it runs. Namespace is empty for a reference within the referrer's own namespace (and always
// for an ARN). Revision 0 means the latest ACTIVE revision of the family.
type Reference struct {
	Namespace string
	Family    string
	Revision  int64
}

// referenceForms is how errors spell what a reference looks like.
const referenceForms = `"family", "family:revision", "namespace/family[:revision]" or a task definition ARN`

// ParseReference parses a task definition reference in any of the forms ECS and ecs-operator
// accept: "family" and "family:3" as in ECS; "ns/family" and "ns/family:3" for a task
// definition in another namespace; and ECS task definition ARNs,
// "arn:aws:ecs:us-east-1:111122223333:task-definition/family:3", in any partition, with or
// without the revision. An ARN's region and account are ignored: in ecs-operator a namespace
// stands for the account and region, so the ARN names the family in the referrer's namespace,
// and a task definition exported from ECS can be imported unchanged.
//
// A family is 1 to 255 letters, digits, '_' and '-'; a revision is a whole number from 1; a
// namespace is a DNS label.
func ParseReference(s string) (Reference, error) {
	if s == "" {
		return Reference{}, fmt.Errorf("task definition reference %q is empty: want %s", s, referenceForms)
	}
	if strings.HasPrefix(s, "arn:") {
		return parseReferenceARN(s)
	}
	var r Reference
	rest := s
	if ns, after, ok := strings.Cut(s, "/"); ok {
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			return Reference{}, fmt.Errorf("task definition reference %q: namespace %q is not a valid namespace name: %s", s, ns, strings.Join(errs, "; "))
		}
		if strings.Contains(after, "/") {
			return Reference{}, fmt.Errorf("task definition reference %q has more than one '/': want %s", s, referenceForms)
		}
		r.Namespace, rest = ns, after
	}
	if err := r.parseFamilyRevision(s, rest); err != nil {
		return Reference{}, err
	}
	return r, nil
}

// parseReferenceARN parses "arn:partition:ecs:region:account:task-definition/family[:revision]".
func parseReferenceARN(s string) (Reference, error) {
	a, err := ParseARN(s)
	if err != nil {
		return Reference{}, fmt.Errorf("task definition reference: %w", err)
	}
	rest, ok := strings.CutPrefix(a.Resource, "task-definition/")
	if a.Service != "ecs" || !ok {
		return Reference{}, fmt.Errorf("task definition reference %q is not a task definition ARN: want arn:aws:ecs:region:account-id:task-definition/family[:revision]", s)
	}
	var r Reference
	if err := r.parseFamilyRevision(s, rest); err != nil {
		return Reference{}, err
	}
	return r, nil
}

// parseFamilyRevision fills Family and Revision from "family" or "family:revision"; input is
// the whole reference, for errors.
func (r *Reference) parseFamilyRevision(input, s string) error {
	family, rev, hasRev := strings.Cut(s, ":")
	if err := ValidateFamily(family); err != nil {
		return fmt.Errorf("task definition reference %q: %w", input, err)
	}
	r.Family = family
	if !hasRev {
		return nil
	}
	if !isDigits(rev) {
		return fmt.Errorf("task definition reference %q: revision %q is not a whole number from 1", input, rev)
	}
	n, err := strconv.ParseInt(rev, 10, 64)
	if err != nil {
		return fmt.Errorf("task definition reference %q: revision %q is too large", input, rev)
	}
	if n < 1 {
		return fmt.Errorf("task definition reference %q: revision %q must be 1 or more; leave it out for the latest revision", input, rev)
	}
	r.Revision = n
	return nil
}

// ValidateFamily checks a task definition family: 1 to 255 letters, digits, '_' and '-'.
func ValidateFamily(family string) error {
	if family == "" {
		return fmt.Errorf("family %q is empty", family)
	}
	if len(family) > MaxFamilyLength {
		return fmt.Errorf("family %q is longer than %d characters", family, MaxFamilyLength)
	}
	for _, c := range family {
		if !isAlnum(c) && c != '_' && c != '-' {
			return fmt.Errorf("family %q may contain only letters, digits, '_' and '-', not %q", family, c)
		}
	}
	return nil
}

// String is the reference in the short form ParseReference reads back: "family",
// "family:3" or "ns/family:3".
func (r Reference) String() string {
	s := r.Family
	if r.Namespace != "" {
		s = r.Namespace + "/" + s
	}
	if r.Revision > 0 {
		s += ":" + strconv.FormatInt(r.Revision, 10)
	}
	return s
}

// IsLatest reports whether the reference means the latest revision of its family.
func (r Reference) IsLatest() bool { return r.Revision == 0 }
