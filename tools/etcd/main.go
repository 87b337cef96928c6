// etcd for the kind node image (scripts/kind-node-image.sh): the upstream server's own main
// (etcdmain), at the version kubeadm v1.33 deploys (registry.k8s.io/etcd:3.5.24-0), built from
// the Go module proxy — no image registry is reachable here.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
