package lang

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// declItem is a local value, node, resource or licence to evaluate, or one
// of the maps node, resource and license (which depend on all their
// elements).
type declItem struct {
	key  declKey
	rng  hcl.Range
	deps []declKey
	eval func()
	// state: 0 unvisited, 1 on the stack, 2 done
	state uint8
}

// declKey names a declItem: root.name, or the map root when name is "".
type declKey struct{ root, name string }

func (k declKey) String() string {
	if k.name == "" {
		return k.root
	}
	return k.root + "." + k.name
}

// evalDeclarations evaluates locals, nodes, resources and licences in
// dependency order, so that any of them may refer to any other, and
// reports cycles. It costs time linear in the size of the declarations.
func (p *parser) evalDeclarations() {
	items := map[declKey]*declItem{}
	var order []*declItem
	add := func(key declKey, rng hcl.Range, exprs []hcl.Expression, eval func()) {
		it := &declItem{key: key, rng: rng, eval: eval}
		for _, e := range exprs {
			refs, ok := p.refs(e, declScope, false)
			if ok {
				// eval finds them here rather than walk e again.
				p.declRefs[e] = refs
			}
			for _, r := range refs {
				if r.root == "var" || r.root == "each" {
					continue
				}
				it.deps = append(it.deps, declKey{r.root, r.name})
			}
		}
		items[key] = it
		order = append(order, it)
	}
	attrExprs := func(attrs hcl.Attributes) []hcl.Expression {
		out := make([]hcl.Expression, 0, len(attrs))
		for _, a := range sortedAttrs(attrs) {
			out = append(out, a.Expr)
		}
		return out
	}
	for _, d := range p.localList {
		d := d
		add(declKey{"local", d.name}, d.attr.NameRange, []hcl.Expression{d.attr.Expr}, func() { p.evalLocal(d) })
	}
	nodeKeys := make([]declKey, 0, len(p.nodeList))
	for _, d := range p.nodeList {
		d := d
		key := declKey{"node", d.name}
		add(key, d.block.DefRange, attrExprs(d.attrs), func() { p.evalNode(d) })
		nodeKeys = append(nodeKeys, key)
	}
	resKeys := make([]declKey, 0, len(p.resList))
	for _, d := range p.resList {
		d := d
		key := declKey{"resource", d.name}
		add(key, d.block.DefRange, attrExprs(d.attrs), func() { p.evalResource(d) })
		resKeys = append(resKeys, key)
	}
	licKeys := make([]declKey, 0, len(p.licList))
	for _, d := range p.licList {
		d := d
		key := declKey{"license", d.name}
		add(key, d.block.DefRange, attrExprs(d.attrs), func() { p.evalLicense(d) })
		licKeys = append(licKeys, key)
	}
	items[declKey{root: "node"}] = &declItem{key: declKey{root: "node"}, deps: nodeKeys, eval: func() {}}
	items[declKey{root: "resource"}] = &declItem{key: declKey{root: "resource"}, deps: resKeys, eval: func() {}}
	items[declKey{root: "license"}] = &declItem{key: declKey{root: "license"}, deps: licKeys, eval: func() {}}

	var stack []*declItem
	var visit func(it *declItem)
	visit = func(it *declItem) {
		it.state = 1
		stack = append(stack, it)
		for _, dk := range it.deps {
			dep := items[dk]
			if dep == nil {
				continue // undeclared: reported when the expression is evaluated
			}
			switch dep.state {
			case 0:
				visit(dep)
			case 1:
				p.reportCycle(stack, dep)
			}
		}
		stack = stack[:len(stack)-1]
		it.state = 2
		it.eval()
	}
	for _, it := range order {
		if it.state == 0 {
			visit(it)
		}
	}
}

// reportCycle reports the cycle that closes at dep, at the item that
// starts it; the values in it are evaluated with unknowns.
func (p *parser) reportCycle(stack []*declItem, dep *declItem) {
	i := len(stack) - 1
	for i > 0 && stack[i] != dep {
		i--
	}
	var path []string
	var at *declItem
	for _, it := range stack[i:] {
		path = append(path, it.key.String())
		if at == nil && it.rng.Filename != "" {
			at = it
		}
	}
	path = append(path, dep.key.String())
	if at == nil {
		at = dep
	}
	p.diags = append(p.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cycle in references",
		Detail: fmt.Sprintf("These values refer to each other in a cycle: %s. Break the cycle by writing one of them without referring to the others.",
			strings.Join(path, " → ")),
		Subject: at.rng.Ptr()})
	p.clusterBroken = true
}
