package lang

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns src in canonical form, as hclwrite formats it. It refuses
// input with syntax errors (or beyond the size and nesting limits), so that
// formatting never reshapes a file it does not understand. JSON files
// (.json) are returned unchanged.
func Format(src []byte, filename string) ([]byte, hcl.Diagnostics) {
	if diags := guard(src, filename); diags.HasErrors() {
		return nil, diags
	}
	if isJSONFile(filename) {
		return src, nil
	}
	if _, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos); diags.HasErrors() {
		return nil, diags
	}
	return hclwrite.Format(src), nil
}
