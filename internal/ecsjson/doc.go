// Package ecsjson carries ECS task definitions and services between the shapes they are
// written in — the ECS API's JSON (RegisterTaskDefinition and CreateService input, the AWS
// CLI's describe output), CloudFormation (JSON or YAML), Terraform and ecspresso — and the
// api types, both ways. Nothing is dropped silently: every field that cannot be carried is
// reported with its JSON path (Report.Losses), and every change of form with a note.
//
// The package is pure: it reads and writes values, never a client, a file or a clock.
package ecsjson
