// Package cluster holds the validating admission webhook of Clusters: the tenancy rules a CRD's
// CEL cannot express because they need other objects — the tenant's and the CellGroup's caps,
// the CellGroup a Cluster names, and the namespace it takes. One rule per file; every decision
// reads the manager's cache, except the lookup of one namespace, which the cache may not hold.
package cluster
