package lang

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// attrList is a block's attributes in source order (as sortedAttrs orders
// them), looked up by name with get: a node, resource or licence block has
// a handful, so a scan costs less than the map hcl.Attributes is.
type attrList []*hcl.Attribute

// get returns the attribute called name, if set.
func (l attrList) get(name string) (*hcl.Attribute, bool) {
	for _, a := range l {
		if a.Name == name {
			return a, true
		}
	}
	return nil, false
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
	return sortedAttrs(content.Attributes), diags
}

// plainContent is content's fast path; ok is false when body is not one it
// takes.
func (p *parser) plainContent(body hcl.Body, schema *hcl.BodySchema) (attrList, bool) {
	b, ok := body.(*hclsyntax.Body)
	if !ok || p.opts.slow || len(b.Blocks) > 0 || len(b.Attributes) > len(schema.Attributes) {
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
		p.attrSlab = make([]hcl.Attribute, max(n, 256))
	}
	vals := p.attrSlab[:n:n]
	p.attrSlab = p.attrSlab[n:]
	out := make(attrList, 0, n)
	for _, a := range b.Attributes {
		v := &vals[len(out)]
		*v = hcl.Attribute{Name: a.Name, Expr: a.Expr, Range: a.SrcRange, NameRange: a.NameRange}
		// Insert in source order (sortedAttrs' order: file, then offset).
		i := len(out)
		out = append(out, v)
		for ; i > 0 && attrBefore(v, out[i-1]); i-- {
			out[i] = out[i-1]
		}
		out[i] = v
	}
	return out, true
}

func schemaHas(schema *hcl.BodySchema, name string) bool {
	for _, s := range schema.Attributes {
		if s.Name == name {
			return true
		}
	}
	return false
}

// attrBefore orders attributes as sortedAttrs does.
func attrBefore(x, y *hcl.Attribute) bool {
	if c := strings.Compare(x.Range.Filename, y.Range.Filename); c != 0 {
		return c < 0
	}
	return x.Range.Start.Byte < y.Range.Start.Byte
}
