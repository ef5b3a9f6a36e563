package cluster

import (
	"fmt"
	"testing"
)

// benchCluster is the generated runbook's cluster of n nodes: a shared
// resource homed on each node, failing over to the next.
func benchCluster(n int) ([]Node, []Resource) {
	nodes := make([]Node, n)
	res := make([]Resource, n)
	for i := range nodes {
		nodes[i] = Node{Name: fmt.Sprintf("N%d", i), Address: fmt.Sprintf("10.0.%d.%d", i/256, i%256), Version: "6.0"}
	}
	for i := range res {
		res[i] = Resource{Name: fmt.Sprintf("R%d", i), Shared: true, Preferred: []string{nodes[i].Name, nodes[(i+1)%n].Name}}
	}
	return nodes, res
}

func BenchmarkNewCluster(b *testing.B) {
	nodes, res := benchCluster(10000)
	b.ReportAllocs()
	for b.Loop() {
		NewCluster("C", nodes, res, nil)
	}
}

// BenchmarkNodeQueries asks of every node of a 10,000-node cluster what a
// roll's steps ask: the node, the declaration of a resource running on it,
// and the resources homed on it.
func BenchmarkNodeQueries(b *testing.B) {
	nodes, res := benchCluster(10000)
	c := NewCluster("C", nodes, res, nil)
	b.ReportAllocs()
	for b.Loop() {
		for i, n := range nodes {
			if _, ok := c.Node(n.Name); !ok {
				b.Fatal(n.Name)
			}
			if _, ok := c.ResourceOn(n.Name, res[i].Name); !ok {
				b.Fatal(res[i].Name)
			}
			if len(c.HomedResources(n.Name)) != 1 {
				b.Fatal(n.Name)
			}
		}
	}
}
