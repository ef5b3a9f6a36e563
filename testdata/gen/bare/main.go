// Command bare is the floor the CLI's process benchmark compares runbook
// with: it reads a generated runbook (package gen), parses it with hcl and
// evaluates every attribute of every block once, with node.NAME, var.target,
// each and license bound, and does nothing else: no references checked, no
// rolling block expanded, no checks run.
package main

import (
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

func main() {
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		return diags
	}
	body := f.Body.(*hclsyntax.Body)
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{
		"var": cty.ObjectVal(map[string]cty.Value{"target": cty.StringVal("6.5")}),
	}}
	decode := func(b *hclsyntax.Body) (map[string]cty.Value, error) {
		out := make(map[string]cty.Value, len(b.Attributes))
		for name, a := range b.Attributes {
			v, diags := a.Expr.Value(ctx)
			if diags.HasErrors() {
				return nil, diags
			}
			out[name] = v
		}
		return out, nil
	}
	nodes := map[string]cty.Value{}
	for _, b := range body.Blocks {
		if b.Type != "node" {
			continue
		}
		v, err := decode(b.Body)
		if err != nil {
			return err
		}
		v["name"] = cty.StringVal(b.Labels[0])
		nodes[b.Labels[0]] = cty.ObjectVal(v)
	}
	ctx.Variables["node"] = cty.MapVal(nodes)
	ctx.Variables["each"] = cty.ObjectVal(map[string]cty.Value{"node": nodes["N0"], "index": cty.NumberIntVal(0)})
	ctx.Variables["license"] = cty.DynamicVal
	count := 0
	for _, b := range body.Blocks {
		if b.Type == "node" || b.Type == "variable" {
			continue
		}
		if _, err := decode(b.Body); err != nil {
			return err
		}
		for _, inner := range b.Body.Blocks {
			if _, err := decode(inner.Body); err != nil {
				return err
			}
		}
		count++
	}
	fmt.Printf("%d nodes, %d other blocks\n", len(nodes), count)
	return nil
}
