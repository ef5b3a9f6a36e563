package lang

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/steps"
)

// licenseDecl is a license block: a licence requirement. Upgrading a
// cluster of at least min_nodes nodes to version needs it installed first
// (R1).
type licenseDecl struct {
	name    string
	block   *hcl.Block
	attrs   attrList
	license cluster.License
	val     cty.Value
	// item is its place among the declarations to evaluate.
	item int32
}

// defaultMinNodes is the cluster size from which licences are needed.
const defaultMinNodes = 3

var licenseBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "product", Required: true},
		{Name: "version", Required: true},
		{Name: "seats"},
		{Name: "min_nodes"},
	},
}

func (p *parser) declareLicense(block *hcl.Block) {
	name := block.Labels[0]
	if !p.checkName(block, 0, "license") {
		return
	}
	if prev, ok := p.licenses[name]; ok {
		p.duplicate("license", name, prev.block.DefRange, block)
		return
	}
	attrs, diags := p.content(block.Body, licenseBlockSchema)
	p.diags = append(p.diags, diags...)
	if diags.HasErrors() {
		p.clusterBroken = true
	}
	d := &licenseDecl{name: name, block: block, attrs: attrs,
		license: cluster.License{Name: name, MinNodes: defaultMinNodes}}
	p.licenses[name] = d
	p.licList = append(p.licList, d)
}

func (p *parser) evalLicense(d *licenseDecl) {
	l := &d.license
	product, version := cty.UnknownVal(cty.String), cty.UnknownVal(cty.String)
	seats, minNodes := cty.NumberIntVal(0), cty.NumberIntVal(defaultMinNodes)
	if a, ok := d.attrs.get("product"); ok {
		if x, _ := p.decodeValue(a.Expr, steps.KindString, nil, declScope, "product"); x != nil {
			if s, ok := x.(string); ok {
				l.Product, product = s, cty.StringVal(s)
			} else {
				p.clusterBroken = true
			}
		}
	}
	if a, ok := d.attrs.get("version"); ok {
		if x, _ := p.decodeValue(a.Expr, steps.KindVersion, nil, declScope, "version"); x != nil {
			if s, ok := x.(string); ok {
				l.Version, version = s, cty.StringVal(s)
			} else {
				p.clusterBroken = true
			}
		}
	}
	count := func(attr string, dst *int, val *cty.Value) {
		a, ok := d.attrs.get(attr)
		if !ok {
			return
		}
		switch x, _ := p.decodeValue(a.Expr, steps.KindNumber, nil, declScope, attr); x := x.(type) {
		case int:
			if x < 1 {
				p.errorf(a.Expr.Range(), "Invalid number", "The %s of license %s must be at least 1; it is %d.", attr, d.name, x)
				return
			}
			*dst, *val = x, cty.NumberIntVal(int64(x))
		case steps.Unknown:
			*val = cty.UnknownVal(cty.Number)
			p.clusterBroken = true
		}
	}
	count("seats", &l.Seats, &seats)
	count("min_nodes", &l.MinNodes, &minNodes)
	d.val = cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(d.name), "product": product, "version": version,
		"seats": seats, "min_nodes": minNodes})
}
