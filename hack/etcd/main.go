// Command etcd is the upstream etcd server, built from the Go module proxy so that tests and
// the local cluster need no downloaded release binaries.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
