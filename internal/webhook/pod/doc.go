// Package pod holds the admission webhooks of Pods in ECS cluster namespaces, whoever creates
// them: the mutating webhook gives every container the tenant's TENANT_ID and ECS_CLUSTER and
// puts Pods the operator did not make on the cluster's capacity; the validating webhook keeps
// Pods on their tenant's side of the wall (rule 7 of the tenancy issue). One rule per file;
// decisions read only the informer cache.
package pod
