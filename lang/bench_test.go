package lang

import (
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"testing"
	"time"

	driverbuiltin "github.com/runbookhq/runbook/drivers/builtin"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/lang/abstract"
	"github.com/runbookhq/runbook/steps/builtin"
	"github.com/runbookhq/runbook/testdata/gen"
)

// genRunbook is the generated runbook the benchmarks measure, the one the
// CLI's process benchmark runs too.
func genRunbook(n int) []byte { return gen.Runbook(n) }

var benchSizes = []int{100, 1000, 10000}

func TestGeneratedRunbookIsValid(t *testing.T) {
	rb, diags := loadSources("gen.hcl", []string{"gen.hcl"}, [][]byte{genRunbook(50)}, Options{Registry: builtin.Registry(), Drivers: driverbuiltin.Registry()})
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	if got, want := len(rb.Steps), 2+2*50; got != want {
		t.Errorf("%d steps, want %d", got, want)
	}
}

// BenchmarkLoad is Load of the generated runbook. Its thread-ms/op is the
// CPU time of the goroutine that loads, locked to its thread (on Linux):
// what the goroutines Load starts cost on other processors is not in it.
func BenchmarkLoad(b *testing.B) {
	reg := builtin.Registry()
	for _, n := range benchSizes {
		src := genRunbook(n)
		path := filepath.Join(b.TempDir(), "bench.hcl")
		if err := os.WriteFile(path, src, 0o644); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(src)))
			goruntime.LockOSThread()
			defer goruntime.UnlockOSThread()
			cpu0 := threadCPU()
			for b.Loop() {
				_, diags := Load(path, Options{Registry: reg, Drivers: driverbuiltin.Registry()})
				if len(diags) > 0 {
					b.Fatal(diags)
				}
			}
			b.ReportMetric(float64((threadCPU()-cpu0).Nanoseconds())/float64(b.N)/1e6, "thread-ms/op")
		})
	}
}

// BenchmarkBareParseDecode is the floor Load is measured against: parsing
// the same file and decoding every block's body and expressions once, with
// no reference checks, no expansion of the rolling block and no checks.
func BenchmarkBareParseDecode(b *testing.B) {
	for _, n := range benchSizes {
		src := genRunbook(n)
		path := filepath.Join(b.TempDir(), "bench.hcl")
		if err := os.WriteFile(path, src, 0o644); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				data, err := os.ReadFile(path)
				if err != nil {
					b.Fatal(err)
				}
				bareDecode(b, data)
			}
		})
	}
}

func bareDecode(b *testing.B, src []byte) {
	f, diags := hclsyntax.ParseConfig(src, "bench.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	content, diags := f.Body.Content(rootSchema)
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	nodes := map[string]cty.Value{}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{
		"var": cty.ObjectVal(map[string]cty.Value{"target": cty.StringVal("6.5")}),
	}, Functions: functions()}
	decode := func(body hcl.Body, schema *hcl.BodySchema) map[string]cty.Value {
		c, diags := body.Content(schema)
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		out := make(map[string]cty.Value, len(c.Attributes))
		for name, a := range c.Attributes {
			v, diags := a.Expr.Value(ctx)
			if diags.HasErrors() {
				b.Fatal(diags)
			}
			out[name] = v
		}
		return out
	}
	for _, block := range content.Blocks {
		switch block.Type {
		case "node":
			v := decode(block.Body, nodeBlockSchema)
			v["name"] = cty.StringVal(block.Labels[0])
			nodes[block.Labels[0]] = cty.ObjectVal(v)
		}
	}
	ctx.Variables["node"] = cty.ObjectVal(nodes)
	ctx.Variables["each"] = cty.ObjectVal(map[string]cty.Value{"node": nodes["N0"], "index": cty.NumberIntVal(0)})
	ctx.Variables["license"] = cty.DynamicVal
	reg := builtin.Registry()
	for _, block := range content.Blocks {
		switch block.Type {
		case "resource":
			decode(block.Body, resourceBlockSchema)
		case "license":
			decode(block.Body, licenseBlockSchema)
		case "runbook":
			decode(block.Body, runbookBlockSchema)
		case "variable":
			block.Body.Content(variableBlockSchema)
		case "cluster":
			decode(block.Body, (&parser{opts: Options{Drivers: driverbuiltin.Registry()}}).clusterBlockSchema())
		case "step":
			decode(block.Body, stepSchema(reg[block.Labels[0]]))
		case "rolling":
			c, _ := block.Body.Content(rollingBlockSchema)
			c.Attributes["nodes"].Expr.Value(ctx)
			for _, sb := range c.Blocks {
				decode(sb.Body, stepSchema(reg[sb.Labels[0]]))
			}
		}
	}
}

// BenchmarkAbstractRun is validate's abstract run alone (parser.check) on
// the generated runbook, each time against a model made afresh. Its
// thread-ms/op is the CPU time of the goroutine that runs it, locked to
// its thread (on Linux): the model's side of the run, whatever the rules
// ahead of it cost on another processor, and whatever else the machine
// runs.
func BenchmarkAbstractRun(b *testing.B) {
	reg := builtin.Registry()
	for _, n := range benchSizes {
		src := genRunbook(n)
		f, diags := parseFile(src, "bench.hcl")
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		rb := &Runbook{Path: "bench.hcl", Dir: ".", Files: map[string]*hcl.File{"bench.hcl": f}, blocks: map[string]*drivers.Config{}}
		opts := Options{Registry: reg, Drivers: driverbuiltin.Registry()}
		rb.Driver = opts.Drivers.Default().Name()
		p := newParser(rb, opts)
		p.decode([]hcl.Body{f.Body})
		if len(p.diags) > 0 || p.clusterBroken {
			b.Fatal(p.diags)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			goruntime.LockOSThread()
			defer goruntime.UnlockOSThread()
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				p.model = abstract.Model(rb.Cluster, rb.Timings())
				b.StartTimer()
				cpu0 := threadCPU()
				p.check()
				cpu += threadCPU() - cpu0
				if len(p.diags) > 0 {
					b.Fatal(p.diags)
				}
			}
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1e6, "thread-ms/op")
		})
	}
}
