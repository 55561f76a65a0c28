//go:build tools

// Package helm pins helm.sh/helm/v4 for `go build helm.sh/helm/v4/cmd/helm` in this module.
package helm

import _ "helm.sh/helm/v4/cmd/helm"
