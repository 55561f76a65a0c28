// Package ecsapi serves the Amazon ECS API (AWS JSON 1.1, SigV4) from the operator, backed by
// the ecs-operator objects: the AWS CLI, the SDKs, Terraform and ecspresso work against it with
// only an endpoint change. It keeps no state of its own. Every request is signed with an access
// key that a Secret in the operator's namespace maps to a Kubernetes user or ServiceAccount, and
// is carried out as that identity (impersonation), so RBAC and the admission webhooks hold
// exactly as for kubectl: one tenant's key cannot see or touch another tenant's cluster.
package ecsapi
