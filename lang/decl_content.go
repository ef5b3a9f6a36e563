package lang

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// attrList is a block's attributes in source order (as sortedAttrs orders
// them), looked up by name with get: a node, resource or licence block has
// a handful, so a scan costs less than the map hcl.Attributes is.
type attrList []declAttr

// declAttr is an attribute of a declaration: its name and expression, all
// that evaluating it and pointing at it takes.
type declAttr struct {
	Name string
	Expr hcl.Expression
}

// get returns the attribute called name, if set.
func (l attrList) get(name string) (declAttr, bool) {
	for _, a := range l {
		if a.Name == name {
			return a, true
		}
	}
	return declAttr{}, false
}

// content is body.Content(schema), the attributes in source order. A body
// of the native syntax as the parser made it that holds only attributes,
// each of them one the schema has, and every required one, is one Content
// finds nothing wrong with: its attributes are taken as they are, without
// the maps Content builds to find out. Anything else goes through Content,
// which reports what is wrong as it always does.
func (p *parser) content(body hcl.Body, schema *hcl.BodySchema) (attrList, hcl.Diagnostics) {
	if attrs, ok := p.plainContent(body, schema); ok {
		return attrs, nil
	}
	content, diags := body.Content(schema)
	sorted := sortedAttrs(content.Attributes)
	out := make(attrList, len(sorted))
	for i, a := range sorted {
		out[i] = declAttr{Name: a.Name, Expr: a.Expr}
	}
	return out, diags
}

// plainContent is content's fast path; ok is false when body is not one it
// takes.
func (p *parser) plainContent(body hcl.Body, schema *hcl.BodySchema) (attrList, bool) {
	b, ok := body.(*hclsyntax.Body)
	if !ok || p.opts.slow || len(b.Blocks) > 0 || len(b.Attributes) > len(schema.Attributes) || len(schema.Attributes) > maxPlainAttrs {
		return nil, false
	}
	for name := range b.Attributes {
		if !schemaHas(schema, name) {
			return nil, false
		}
	}
	for _, s := range schema.Attributes {
		if _, set := b.Attributes[s.Name]; s.Required && !set {
			return nil, false
		}
	}
	n := len(b.Attributes)
	if n == 0 {
		return attrList{}, true
	}
	if len(p.attrSlab) < n {
		p.attrSlab = make(attrList, max(n, 512))
	}
	out := p.attrSlab[:0:n]
	p.attrSlab = p.attrSlab[n:]
	// In source order (sortedAttrs' order: the body is in one file), by
	// insertion: a block has a handful.
	at := make([]int, 0, maxPlainAttrs)
	for _, a := range b.Attributes {
		i, pos := len(out), a.SrcRange.Start.Byte
		out, at = append(out, declAttr{Name: a.Name, Expr: a.Expr}), append(at, pos)
		for ; i > 0 && pos < at[i-1]; i-- {
			out[i], out[i-1] = out[i-1], out[i]
			at[i], at[i-1] = at[i-1], at[i]
		}
	}
	return out, true
}

// maxPlainAttrs bounds the schemas plainContent takes.
const maxPlainAttrs = 8

func schemaHas(schema *hcl.BodySchema, name string) bool {
	for _, s := range schema.Attributes {
		if s.Name == name {
			return true
		}
	}
	return false
}
