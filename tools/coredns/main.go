// CoreDNS for the local cluster (scripts/cluster.sh), with only the plugins its Corefile uses
// — a build of the upstream module from the Go module proxy without the cloud-provider
// plugins, so it compiles in a few minutes on 2 cores. CoreDNS's documented way to choose
// plugins at compile time: set dnsserver.Directives (in execution order) and import them.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

func init() {
	dnsserver.Directives = []string{
		"reload", "health", "ready", "errors", "log", "prometheus", "cache", "loop", "loadbalance",
		"kubernetes", "forward",
	}
}

func main() {
	coremain.Run()
}
