// Package workload holds the validating admission webhooks of the ECS workload kinds
// (TaskDefinition, Service, Task): the rules a CRD's CEL cannot express because they need
// other objects (the Cluster of the namespace, the tenant of a referenced namespace, quotas) or
// a real parser (memberOf expressions, dependsOn cycles, Fargate sizes). One rule per file;
// every decision reads only the informer cache.
package workload
