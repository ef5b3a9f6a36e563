package execdriver

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/internal/standin/standincheck"
)

// hclOps evaluates the exec {} block's expressions as the language does, with
// node, resource, license and to bound: a stand-in for the language's
// ExecConfig, enough to run the example runbook.
type hclOps map[string]hcl.Expression

func (o hclOps) Command(op string, s cluster.Subject) (cluster.Command, bool, error) {
	expr, ok := o[op]
	if !ok {
		return cluster.Command{}, false, nil
	}
	vars := map[string]cty.Value{"to": cty.StringVal(s.To)}
	if s.Node != nil {
		vars["node"] = cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(s.Node.Name), "address": cty.StringVal(s.Node.Address), "version": cty.StringVal(s.Node.Version)})
	}
	if s.Resource != nil {
		vars["resource"] = cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(s.Resource.Name), "failback": cty.StringVal(s.Resource.Failback)})
	}
	if s.License != nil {
		vars["license"] = cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(s.License.Name), "product": cty.StringVal(s.License.Product), "version": cty.StringVal(s.License.Version)})
	}
	v, diags := expr.Value(&hcl.EvalContext{Variables: vars})
	if diags.HasErrors() {
		return cluster.Command{}, true, diags
	}
	return commandOf(v)
}

func commandOf(v cty.Value) (cluster.Command, bool, error) {
	switch {
	case v.Type() == cty.String:
		return cluster.Command{Shell: v.AsString()}, true, nil
	case v.Type().IsTupleType() || v.Type().IsListType():
		argv := []string{}
		for _, e := range v.AsValueSlice() {
			if e.Type() != cty.String {
				return cluster.Command{}, true, fmt.Errorf("command word of type %s", e.Type().FriendlyName())
			}
			argv = append(argv, e.AsString())
		}
		return cluster.Command{Argv: argv}, true, nil
	}
	return cluster.Command{}, true, fmt.Errorf("a command is a string or a list of strings, not %s", v.Type().FriendlyName())
}

// loadExample parses testdata/ncs.hcl and returns its exec {} attributes.
func loadExample(t *testing.T) hcl.Attributes {
	t.Helper()
	src, err := os.ReadFile("testdata/ncs.hcl")
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclsyntax.ParseConfig(src, "ncs.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type != "cluster" {
			continue
		}
		for _, e := range b.Body.Blocks {
			if e.Type == "exec" {
				attrs, diags := e.Body.JustAttributes()
				if diags.HasErrors() {
					t.Fatal(diags)
				}
				return attrs
			}
		}
	}
	t.Fatal("ncs.hcl has no cluster { exec {} } block")
	return nil
}

// TestExampleRunbook runs the reference procedure with the commands of
// testdata/ncs.hcl, against the stand-in started from testdata/cluster.json.
func TestExampleRunbook(t *testing.T) {
	attrs := loadExample(t)
	var names, operations []string
	for _, op := range cluster.Operations {
		operations = append(operations, op.Name)
	}
	ops := hclOps{}
	for name, a := range attrs {
		names = append(names, name)
		if slices.Contains(operations, name) {
			ops[name] = a.Expr
		}
	}
	slices.Sort(names)
	want := append([]string{"poll", "status"}, operations...)
	slices.Sort(want)
	if diff := cmp.Diff(want, names); diff != "" {
		t.Fatalf("exec {} attributes (-want +got):\n%s", diff)
	}
	statusVal, diags := attrs["status"].Expr.Value(nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	status, _, err := commandOf(statusVal)
	if err != nil {
		t.Fatal(err)
	}

	data, err := os.ReadFile("testdata/cluster.json")
	if err != nil {
		t.Fatal(err)
	}
	var desc standincheck.Description
	if err := json.Unmarshal(data, &desc); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(threeNodes, desc); diff != "" {
		t.Errorf("cluster.json differs from the tests' cluster (-want +got):\n%s", diff)
	}

	binDir := filepath.Dir(standinBin)
	s, d := newStandin(t, desc, Config{Ops: ops, Status: status}, "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	ctx := context.Background()
	errs := []error{d.InstallLicense(ctx, ncs65)}
	for _, n := range []cluster.Node{fs1, fs2, fs3} {
		errs = append(errs, d.Leave(ctx, n), d.Upgrade(ctx, n, "6.5"))
		if n.Name == "FS2" {
			errs = append(errs, d.Migrate(ctx, pool2, fs2))
		}
	}
	errs = append(errs, d.Offline(ctx, pool1), d.Offline(ctx, pool2), d.MediaUpgrade(ctx, fs1), d.MediaRefresh(ctx, fs2),
		d.MediaRefresh(ctx, fs3), d.Online(ctx, pool1, fs1), d.Online(ctx, pool2, fs2))
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Status(ctx); err != nil {
		t.Fatal(err)
	}
	if problems := standincheck.Audit(s.records(t), standincheck.AuditOptions{}); len(problems) > 0 {
		t.Errorf("audit:\n%s", strings.Join(problems, "\n"))
	}
	wantContains(t, "log", s.log.String(), "$ standin license add 'NetWare 6.5 Cluster Server' 6.5\n")
}
