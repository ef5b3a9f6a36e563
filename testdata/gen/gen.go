// Package gen writes the generated runbooks the benchmarks measure: a
// cluster of n nodes with a resource homed on each, a licence, one rolling
// block over every node and the media upgrade. It lives under testdata so
// that only tests import it.
package gen

import (
	"fmt"
	"strings"
)

// Runbook returns a valid runbook for a cluster of n nodes: a resource homed
// on each node (failing over to the next), a licence and its
// install-license, one rolling block over every node with upgrade-node and
// await-failback, and the media upgrade.
func Runbook(n int) []byte {
	var b strings.Builder
	b.WriteString("runbook \"bench\" {\n  version = \"1.0.0\"\n}\n\nvariable \"target\" {\n  type    = string\n  default = \"6.5\"\n}\n\ncluster \"big\" {}\n\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "node \"N%d\" {\n  address = \"10.%d.%d.%d\"\n  version = \"6.0\"\n}\n\n", i, i>>16&255, i>>8&255, i&255)
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "resource \"R%d\" {\n  shared    = true\n  preferred = [node.N%d, node.N%d]\n}\n\n", i, i, (i+1)%n)
	}
	fmt.Fprintf(&b, "license \"ncs65\" {\n  product = \"NetWare 6.5 Cluster Server\"\n  version = var.target\n  seats   = %d\n}\n\n", n)
	b.WriteString("step \"install-license\" \"ncs65\" {\n  license = license.ncs65\n}\n\nrolling \"all\" {\n  nodes = [")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "node.N%d", i)
	}
	b.WriteString("]\n\n  step \"upgrade-node\" \"up\" {\n    node = each.node\n    to   = var.target\n  }\n\n  step \"await-failback\" \"back\" {\n    node = each.node\n  }\n}\n\n")
	b.WriteString("step \"media-upgrade\" \"pools\" {\n  on = node.N0\n}\n")
	return []byte(b.String())
}

// Invalid returns a runbook with n errors, each in its own node block (a
// version that is not a version), after a valid cluster of two nodes: what
// the diagnostics renderer is measured on.
func Invalid(n int) []byte {
	var b strings.Builder
	b.WriteString("runbook \"bad\" {\n  version = \"1.0.0\"\n}\n\ncluster \"big\" {}\n\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "node \"N%d\" {\n  address = \"10.%d.%d.%d\"\n  version = \"six\"\n}\n\n", i, i>>16&255, i>>8&255, i&255)
	}
	return []byte(b.String())
}
