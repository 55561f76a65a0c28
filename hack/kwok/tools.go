//go:build tools

// Package kwok pins sigs.k8s.io/kwok for `go build sigs.k8s.io/kwok/cmd/kwok` in this module.
package kwok

import _ "sigs.k8s.io/kwok/cmd/kwok"
