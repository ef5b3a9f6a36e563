package lang

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbookhq/runbook/drivers"
	driverbuiltin "github.com/runbookhq/runbook/drivers/builtin"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/runbookhq/runbook/steps/builtin"
	storebuiltin "github.com/runbookhq/runbook/stores/builtin"
	"github.com/runbookhq/runbook/testdata/gen"
)

// dumpLoad is everything Load gives that a caller can see, and what the
// abstract run was given, as text: the diagnostics as the CLI renders them
// with their structured fields, the cluster, the variables and each step
// instance.
func dumpLoad(rb *Runbook, diags hcl.Diagnostics) string {
	var b strings.Builder
	if rb != nil {
		hcl.NewDiagnosticTextWriter(&b, rb.Files, 100, false).WriteDiagnostics(diags)
	}
	for _, d := range diags {
		fmt.Fprintf(&b, "diag %d %q %q %v %+v\n", d.Severity, d.Summary, d.Detail, d.Subject, d.Extra)
	}
	if rb == nil {
		return b.String()
	}
	fmt.Fprintf(&b, "runbook %q %q %q %q %q\n", rb.Name, rb.Description, rb.Version, rb.ClusterName, rb.Driver)
	if c := rb.Cluster; c != nil {
		fmt.Fprintf(&b, "cluster %q\nnodes %#v\nresources %#v\nlicenses %#v\n", c.Name, c.Nodes, c.Resources, c.Licenses)
	}
	for _, v := range rb.Variables {
		fmt.Fprintf(&b, "var %s %#v\n", v.Name, v.Value)
	}
	for _, s := range rb.Steps {
		fmt.Fprintf(&b, "step %#v %v %q %q %v known=%v\n", s.Instance, s.When, s.Roll, s.Node, s.Range, s.known)
		for _, name := range []string{"node", "nodes", "to", "on", "resource", "license", "timeout"} {
			fmt.Fprintf(&b, "  %s at %v\n", name, s.AttrRange(name))
		}
	}
	return b.String()
}

// repoRunbooks are every runbook of the repository: the examples, the
// language's fixtures and the CLI's.
func repoRunbooks(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"../runbooks/*.hcl", "../testdata/lang/*/*.hcl*", "../cmd/runbook/testdata/*/*.hcl*", "../cmd/runbook/testdata/*/*/*.hcl*"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 50 {
		t.Fatalf("only %d runbooks found", len(files))
	}
	return files
}

// repoOptions are the options file is loaded with: a fixture's own.
func repoOptions(t *testing.T, file string) Options {
	if strings.Contains(file, "testdata/lang") {
		return fixtureOptions(t, file)
	}
	return Options{Registry: builtin.Registry(), Drivers: driverbuiltin.Registry(), StateKinds: storebuiltin.Stores().BlockSettings()}
}

// loadBoth loads src both ways, with and without the fast paths, and
// reports where the two differ.
func loadBoth(t *testing.T, name string, src []byte, opts Options) {
	t.Helper()
	fast, fdiags := loadSources(name, []string{name}, [][]byte{src}, opts)
	opts.slow = true
	slow, sdiags := loadSources(name, []string{name}, [][]byte{src}, opts)
	if diff := cmp.Diff(dumpLoad(slow, sdiags), dumpLoad(fast, fdiags)); diff != "" {
		t.Errorf("%s: fast paths differ from the general ones (-slow +fast):\n%s", name, diff)
	}
}

// TestFastPathsAgree holds the fast paths of Load (content, the direct
// decoding of references) to the general ones on every runbook of the
// repository, the generated ones and a few made to take each turn off them.
func TestFastPathsAgree(t *testing.T) {
	for _, file := range repoRunbooks(t) {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		opts := repoOptions(t, file)
		loadBoth(t, filepath.Base(file), src, opts)
		opts.RequireValues = true
		loadBoth(t, filepath.Base(file), src, opts)
	}
	opts := Options{Registry: builtin.Registry(), Drivers: driverbuiltin.Registry()}
	for _, n := range []int{1, 2, 3, 40} {
		loadBoth(t, fmt.Sprintf("gen%d.hcl", n), gen.Runbook(n), opts)
		loadBoth(t, fmt.Sprintf("invalid%d.hcl", n), gen.Invalid(n), opts)
	}
	// Enough declarations that their references are found in two halves
	// at once (parallelRefs), with mistakes in both.
	big := gen.Runbook(parallelRefs / 2)
	big = bytes.Replace(big, []byte("node.N3,"), []byte("node.X3,"), 1)
	big = bytes.Replace(big, []byte("[node.N"+fmt.Sprint(parallelRefs/2-5)), []byte("[resource.R1, node.Y"), 1)
	big = bytes.Replace(big, []byte(`address = "10.0.0.5"`), []byte(`address = resource.R7.name`), 1)
	loadBoth(t, "big.hcl", big, opts)
	for i, src := range fastPathCases {
		loadBoth(t, fmt.Sprintf("case%d.hcl", i), []byte(src), opts)
	}
}

// fastPathCases take each turn off the fast paths: bodies with blocks,
// unknown and missing attributes, references to what is not declared or
// not evaluated yet (a cycle), lists with other elements, values of the
// wrong kind.
var fastPathCases = []string{
	`runbook "r" {}
cluster "c" {}
node "A" {
  address = "10.0.0.1"
  version = "6.0"
  colour = "red"
}
node "B" {
  address = "10.0.0.2"
  inner {}
}
node "C" {
  version = "6.0"
}
resource "R" {
  preferred = [node.A, node.X, "B", node.B]
}
resource "S" {
  preferred = node.A
}
resource "T" {
  preferred = []
}
resource "U" {
  preferred = [node.A, node.A]
  shared    = "yes"
}
rolling "r" {
  nodes = [node.A, node.C]
  step "upgrade-node" "u" {
    node = each.index
    to   = "6.5"
  }
  step "await-failback" "b" {
    node = node.A
  }
}
`,
	`runbook "r" {}
cluster "c" {}
node "A" {
  address = resource.R.name
  version = "6.0"
}
resource "R" {
  preferred = [node.A]
}
node "B" {
  address = "10.0.0.2"
  version = "6.0"
}
resource "S" {
  preferred = [node["B"], node.A]
}
locals {
  all = [node.B]
  one = local.all[0]
}
rolling "r" {
  nodes = local.all
  step "upgrade-node" "u" {
    node = local.one
    to   = "6.5"
  }
}
rolling "s" {
  nodes = [node.B, node.A]
  step "upgrade-node" "u" {
    node = each.node
    to   = each.node.version
  }
  step "await-failback" "b" {
    node = resource.S
  }
}
step "media-upgrade" "m" {
  on = node.B
}
`,
	`runbook "r" {}
variable "n" {
  type = string
}
cluster "c" {}
node "A" {
  address = var.n
  version = var.n
}
node "B" {
  address = "10.0.0.2"
  version = "6.0"
}
resource "R" {
  preferred = [node.A, node.B]
  failback  = "manual"
}
license "L" {
  product = "p"
  version = "6.5"
  seats   = 1
}
step "install-license" "l" {
  license = license.L
}
rolling "r" {
  nodes = [node.A, node.B]
  step "upgrade-node" "u" {
    node = each.node
    to   = var.n
  }
}
`,
	`runbook "r" {}
cluster "c" {}
node "A" {
  address = node.C.address
  version = node.B.version
}
node "B" {
  address = "10.0.0.2"
  version = "six"
}
node "C" {
  address = 3
  version = "6.0"
}
`,
}

// TestVariablesAgree holds variables to hcl's own walk on every expression
// of the repository's runbooks.
func TestVariablesAgree(t *testing.T) {
	files, _ := filepath.Glob("../testdata/lang/*/*.hcl")
	more, _ := filepath.Glob("../runbooks/*.hcl")
	files = append(append(files, more...), "")
	n := 0
	for _, file := range files {
		src := gen.Runbook(5)
		if file != "" {
			var err error
			if src, err = os.ReadFile(file); err != nil {
				t.Fatal(err)
			}
		}
		f, diags := hclsyntax.ParseConfig(src, file, hcl.InitialPos)
		if diags.HasErrors() {
			continue
		}
		hclsyntax.VisitAll(f.Body.(*hclsyntax.Body), func(node hclsyntax.Node) hcl.Diagnostics {
			if e, ok := node.(hclsyntax.Expression); ok {
				n++
				want, got := e.Variables(), variables(e)
				if !bytes.Equal([]byte(fmt.Sprint(want)), []byte(fmt.Sprint(got))) && !(len(want) == 0 && len(got) == 0) {
					t.Errorf("%s: variables %v, hcl finds %v", e.Range(), got, want)
				}
			}
			return nil
		})
	}
	if n < 100 {
		t.Fatalf("only %d expressions", n)
	}
}

// TestCheckNodeSetDuplicates holds the scan of short lists and the map of
// long ones to the same findings: each repeat at its element, with the
// position of the first.
func TestCheckNodeSetDuplicates(t *testing.T) {
	for _, n := range []int{3, 8, 9, 20} {
		var names []string
		var b strings.Builder
		b.WriteString("runbook \"r\" {}\ncluster \"c\" {}\n")
		for i := range n {
			fmt.Fprintf(&b, "node \"N%d\" {\n  address = \"10.0.0.%d\"\n  version = \"6.0\"\n}\n", i, i)
			names = append(names, fmt.Sprintf("node.N%d", i))
		}
		// The first node again at the end, the second twice more.
		list := append(append(names, names[0], names[1]), names[1])
		fmt.Fprintf(&b, "resource \"R\" {\n  preferred = [%s]\n}\n", strings.Join(list, ", "))
		_, diags := loadSources("d.hcl", []string{"d.hcl"}, [][]byte{[]byte(b.String())}, Options{Registry: builtin.Registry(), Drivers: driverbuiltin.Registry()})
		var got []string
		for _, d := range diags {
			if d.Summary == "Duplicate node in list" {
				got = append(got, fmt.Sprintf("%s @%d", d.Detail, d.Subject.Start.Column))
			}
		}
		col := func(i int) int { return len("  preferred = [") + 1 + len(strings.Join(list[:i], ", ")) + min(i, 1)*2 }
		want := []string{
			fmt.Sprintf("The preferred of resource R lists node N0 twice (positions 1 and %d). List each node once. @%d", n+1, col(n)),
			fmt.Sprintf("The preferred of resource R lists node N1 twice (positions 2 and %d). List each node once. @%d", n+2, col(n+1)),
			fmt.Sprintf("The preferred of resource R lists node N1 twice (positions 2 and %d). List each node once. @%d", n+3, col(n+2)),
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%d nodes (-want +got):\n%s", n, diff)
		}
	}
}

// TestDropSyntax keeps the files' text and what the run reads.
func TestDropSyntax(t *testing.T) {
	src := gen.Runbook(3)
	rb, diags := loadSources("d.hcl", []string{"d.hcl"}, [][]byte{src}, Options{Registry: builtin.Registry(), Drivers: driverbuiltin.Registry()})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	before := dumpLoad(rb, nil)
	rb.DropSyntax()
	if f := rb.Files["d.hcl"]; f.Body != nil || f.Nav != nil || !bytes.Equal(f.Bytes, src) {
		t.Errorf("file after DropSyntax: body %v, nav %v, %d bytes", f.Body, f.Nav, len(f.Bytes))
	}
	if after := dumpLoad(rb, nil); after != before {
		t.Errorf("the runbook changed:\n%s", cmp.Diff(before, after))
	}
}

// TestDeclRefsFound holds evalDeclarations to finding the references of
// every declaration's expressions where their evaluation looks for them
// (declRefs), with a few declarations and with enough that they are found
// in two halves at once (parallelRefs), rather than walking the
// expressions again.
func TestDeclRefsFound(t *testing.T) {
	for _, n := range []int{40, parallelRefs / 2} {
		src := gen.Runbook(n)
		// A node that refers to a resource, which refers to nodes.
		src = bytes.Replace(src, []byte(`address = "10.0.0.5"`), []byte(`address = resource.R7.name`), 1)
		rb := &Runbook{Path: "gen.hcl", Dir: ".", Files: map[string]*hcl.File{}, blocks: map[string]*drivers.Config{}}
		f, diags := parseFile(src, "gen.hcl")
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		opts := Options{Registry: builtin.Registry(), Drivers: driverbuiltin.Registry()}
		rb.Driver = opts.Drivers.Default().Name()
		p := newParser(rb, opts)
		p.decode([]hcl.Body{f.Body})
		if len(p.diags) > 0 {
			t.Fatal(p.diags)
		}
		if p.declMisses > 0 {
			t.Errorf("%d nodes: the references of %d expressions of declarations were found again", n, p.declMisses)
		}
	}
}
