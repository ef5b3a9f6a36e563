package lang

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// declItem is a local value, node, resource or licence to evaluate, or one
// of the maps node, resource and license (which depend on all their
// elements).
type declItem struct {
	root string
	// One of local, node, resource and license is the declaration; none
	// for a map.
	local    *localDecl
	node     *nodeDecl
	resource *resourceDecl
	license  *licenseDecl
	rng      hcl.Range
	// The items it refers to are evalDeclarations' deps[depFrom:depTo],
	// its expressions' references found valid (and not none) are the
	// parser's declRefs[refFrom:refTo].
	depFrom, depTo int32
	refFrom, refTo int32
	// state: 0 unvisited, 1 on the stack, 2 done
	state uint8
}

// exprRefs are the references of one expression.
type exprRefs struct {
	expr hcl.Expression
	refs []ref
}

// name is the item's key: root.name, or the map root.
func (it *declItem) name() string {
	switch {
	case it.local != nil:
		return it.local.name
	case it.node != nil:
		return it.node.name
	case it.resource != nil:
		return it.resource.name
	case it.license != nil:
		return it.license.name
	}
	return ""
}

func (it *declItem) String() string {
	if n := it.name(); n != "" {
		return it.root + "." + n
	}
	return it.root
}

func (p *parser) evalItem(it *declItem) {
	p.cur = it
	switch {
	case it.local != nil:
		p.evalLocal(it.local)
	case it.node != nil:
		p.evalNode(it.node)
	case it.resource != nil:
		p.evalResource(it.resource)
	case it.license != nil:
		p.evalLicense(it.license)
	}
	p.cur = nil
}

// itemRefs are the references of expr found when the order was worked out,
// if expr is one of the expressions of the item being evaluated.
func (p *parser) itemRefs(expr hcl.Expression) ([]ref, bool) {
	if p.cur == nil {
		return nil, false
	}
	for _, er := range p.declRefs[p.cur.refFrom:p.cur.refTo] {
		if er.expr == expr {
			return er.refs, true
		}
	}
	return nil, false
}

// evalDeclarations evaluates locals, nodes, resources and licences in
// dependency order, so that any of them may refer to any other, and
// reports cycles. It costs time linear in the size of the declarations.
func (p *parser) evalDeclarations() {
	n := len(p.localList) + len(p.nodeList) + len(p.resList) + len(p.licList)
	items := make([]declItem, n+3)
	// The maps come last: each depends on all its elements.
	nodeMap, resMap, licMap := &items[n], &items[n+1], &items[n+2]
	nodeMap.root, resMap.root, licMap.root = "node", "resource", "license"
	// itemOf is the index of the item a reference names; -1 for var and
	// each, and for what is not declared (reported when the expression is
	// evaluated).
	itemOf := func(r ref) int32 {
		switch r.root {
		case "local":
			if d := p.locals[r.name]; d != nil {
				return d.item
			}
		case "node":
			if r.name == "" {
				return int32(n)
			}
			if d := p.nodes[r.name]; d != nil {
				return d.item
			}
		case "resource":
			if r.name == "" {
				return int32(n + 1)
			}
			if d := p.resources[r.name]; d != nil {
				return d.item
			}
		case "license":
			if r.name == "" {
				return int32(n + 2)
			}
			if d := p.licenses[r.name]; d != nil {
				return d.item
			}
		}
		return -1
	}
	i := 0
	for _, d := range p.localList {
		items[i] = declItem{root: "local", local: d, rng: d.attr.NameRange}
		d.item = int32(i)
		i++
	}
	for _, d := range p.nodeList {
		items[i] = declItem{root: "node", node: d, rng: d.block.DefRange}
		d.item = int32(i)
		i++
	}
	for _, d := range p.resList {
		items[i] = declItem{root: "resource", resource: d, rng: d.block.DefRange}
		d.item = int32(i)
		i++
	}
	for _, d := range p.licList {
		items[i] = declItem{root: "license", license: d, rng: d.block.DefRange}
		d.item = int32(i)
		i++
	}
	// deps[i] is the index of the item of a reference.
	var deps []int32
	// The references of the items' expressions depend on nothing but the
	// declarations' names: those of a long list are found in two halves
	// at once, the second on another goroutine, and put after the first.
	h := n
	if n >= parallelRefs && !p.opts.slow && runtime.GOMAXPROCS(0) > 1 {
		h = n / 2
	}
	var deps2 []int32
	var refs2 []exprRefs
	done := make(chan struct{})
	if h < n {
		go func() {
			defer close(done)
			p.findItemRefs(items[h:n], itemOf, &deps2, &refs2)
		}()
	} else {
		close(done)
	}
	p.findItemRefs(items[:h], itemOf, &deps, &p.declRefs)
	<-done
	if h < n {
		d, r := int32(len(deps)), int32(len(p.declRefs))
		for i := range items[h:n] {
			it := &items[h+i]
			it.depFrom, it.depTo, it.refFrom, it.refTo = it.depFrom+d, it.depTo+d, it.refFrom+r, it.refTo+r
		}
		deps, p.declRefs = append(deps, deps2...), append(p.declRefs, refs2...)
	}
	mapDeps := func(m *declItem, list []int32) {
		m.depFrom = int32(len(deps))
		deps = append(deps, list...)
		m.depTo = int32(len(deps))
	}
	span := func(from, count int) []int32 {
		out := make([]int32, count)
		for j := range out {
			out[j] = int32(from + j)
		}
		return out
	}
	nl, rl := len(p.localList), len(p.nodeList)
	mapDeps(nodeMap, span(nl, rl))
	mapDeps(resMap, span(nl+rl, len(p.resList)))
	mapDeps(licMap, span(nl+rl+len(p.resList), len(p.licList)))

	var stack []*declItem
	var visit func(it *declItem)
	visit = func(it *declItem) {
		it.state = 1
		stack = append(stack, it)
		for _, di := range deps[it.depFrom:it.depTo] {
			dep := &items[di]
			switch dep.state {
			case 0:
				visit(dep)
			case 1:
				p.reportCycle(stack, dep)
			}
		}
		stack = stack[:len(stack)-1]
		it.state = 2
		p.evalItem(it)
	}
	for i := range items[:n] {
		if it := &items[i]; it.state == 0 {
			visit(it)
		}
	}
}

// parallelRefs is the least number of declarations whose references
// evalDeclarations finds in two halves at once.
const parallelRefs = 2048

// findItemRefs finds the references of the expressions of items: the indexes
// of the items they name (itemOf) go to deps, those found valid (and not
// none) to refs, each item's at [depFrom, depTo) and [refFrom, refTo) of
// them. It reports nothing, and changes nothing but items, deps and refs:
// two may run at once.
func (p *parser) findItemRefs(items []declItem, itemOf func(ref) int32, deps *[]int32, refs *[]exprRefs) {
	add := func(e hcl.Expression) {
		rs, ok := p.refs(e, declScope, false)
		if ok && len(rs) > 0 {
			// eval finds them here rather than walk e again.
			*refs = append(*refs, exprRefs{e, rs})
		}
		for _, r := range rs {
			if dep := itemOf(r); dep >= 0 {
				*deps = append(*deps, dep)
			}
		}
	}
	for i := range items {
		it := &items[i]
		it.depFrom, it.refFrom = int32(len(*deps)), int32(len(*refs))
		switch {
		case it.local != nil:
			add(it.local.attr.Expr)
		case it.node != nil:
			for _, a := range it.node.attrs {
				add(a.Expr)
			}
		case it.resource != nil:
			for _, a := range it.resource.attrs {
				add(a.Expr)
			}
		case it.license != nil:
			for _, a := range it.license.attrs {
				add(a.Expr)
			}
		}
		it.depTo, it.refTo = int32(len(*deps)), int32(len(*refs))
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
		path = append(path, it.String())
		if at == nil && it.rng.Filename != "" {
			at = it
		}
	}
	path = append(path, dep.String())
	if at == nil {
		at = dep
	}
	p.diags = append(p.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cycle in references",
		Detail: fmt.Sprintf("These values refer to each other in a cycle: %s. Break the cycle by writing one of them without referring to the others.",
			strings.Join(path, " → ")),
		Subject: at.rng.Ptr()})
	p.clusterBroken = true
}
