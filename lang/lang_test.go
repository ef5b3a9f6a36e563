package lang

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	driverbuiltin "github.com/runbookhq/runbook/drivers/builtin"
	execdriver "github.com/runbookhq/runbook/drivers/exec"
	"github.com/runbookhq/runbook/drivers/pacemaker"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/steps"
	"github.com/runbookhq/runbook/steps/builtin"
)

// header is a minimal valid runbook: three nodes, one resource homed on
// each of FS1 and FS2.
const header = `
runbook "t" {}
cluster "c" {}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
node "FS2" {
  address = "10.0.0.2"
  version = "6.0"
}
node "FS3" {
  address = "10.0.0.3"
  version = "6.0"
}
resource "R1" {
  shared    = true
  preferred = [node.FS1, node.FS2]
}
resource "R2" {
  preferred = [node.FS2, node.FS3]
  failback  = "manual"
}
`

// load writes src to a file in a temporary directory and loads it.
func load(t *testing.T, src string, opts Options) (*Runbook, hcl.Diagnostics) {
	t.Helper()
	if opts.Registry == nil {
		opts.Registry = builtin.Registry()
	}
	if opts.Drivers.Default() == nil {
		opts.Drivers = driverbuiltin.Registry()
	}
	path := filepath.Join(t.TempDir(), "runbook.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(path, opts)
}

func summaries(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		out = append(out, d.Summary)
	}
	return out
}

func TestStepInstances(t *testing.T) {
	rb, diags := load(t, header+`
variable "skip_media" {
  type    = bool
  default = true
}
rolling "roll" {
  nodes = [node.FS2, node.FS1, node.FS3]
  step "upgrade-node" "up" {
    node    = each.node
    to      = "6.5"
    timeout = each.index == 0 ? "1h" : "30m"
  }
  step "await-failback" "back" {
    node = each.node
  }
}
step "media-upgrade" "pools" {
  on   = node.FS1
  when = !var.skip_media
}
`, Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	type inst struct {
		Address, Roll, Node string
		Timeout             time.Duration
		When                bool
		NodeArg             string
	}
	var got []inst
	for _, s := range rb.Steps {
		n := s.Args.Node("node").Name
		if s.Type == "media-upgrade" {
			n = s.Args.Node("on").Name
		}
		got = append(got, inst{s.Address, s.Roll, s.Node, s.Timeout, s.When, n})
	}
	failback := builtin.Registry()["await-failback"].DefaultTimeout()
	want := []inst{
		{"rolling.roll[FS2].upgrade-node.up", "roll", "FS2", time.Hour, true, "FS2"},
		{"rolling.roll[FS2].await-failback.back", "roll", "FS2", failback, true, "FS2"},
		{"rolling.roll[FS1].upgrade-node.up", "roll", "FS1", 30 * time.Minute, true, "FS1"},
		{"rolling.roll[FS1].await-failback.back", "roll", "FS1", failback, true, "FS1"},
		{"rolling.roll[FS3].upgrade-node.up", "roll", "FS3", 30 * time.Minute, true, "FS3"},
		{"rolling.roll[FS3].await-failback.back", "roll", "FS3", failback, true, "FS3"},
		{"step.media-upgrade.pools", "", "", rb.Steps[6].Timeout, false, "FS1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("instances (-want +got):\n%s", diff)
	}
}

func TestCluster(t *testing.T) {
	rb, diags := load(t, header+`
license "ncs65" {
  product = "NetWare 6.5 Cluster Server"
  version = "6.5"
  seats   = 3
}
`, Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	c := rb.Cluster
	want := &cluster.Cluster{
		Name: "c",
		Nodes: []cluster.Node{
			{Name: "FS1", Address: "10.0.0.1", Version: "6.0"},
			{Name: "FS2", Address: "10.0.0.2", Version: "6.0"},
			{Name: "FS3", Address: "10.0.0.3", Version: "6.0"},
		},
		Resources: []cluster.Resource{
			{Name: "R1", Shared: true, Preferred: []string{"FS1", "FS2"}, Failback: "auto"},
			{Name: "R2", Preferred: []string{"FS2", "FS3"}, Failback: "manual"},
		},
		Licenses: []cluster.License{{Name: "ncs65", Product: "NetWare 6.5 Cluster Server", Version: "6.5", Seats: 3, MinNodes: 3}},
	}
	if diff := cmp.Diff(want, c, cmp.AllowUnexported(cluster.Cluster{})); diff != "" && !strings.Contains(diff, "Idx") && !strings.Contains(diff, "assigned") {
		t.Errorf("cluster (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.Nodes, c.Nodes); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.Resources, c.Resources); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.Licenses, c.Licenses); diff != "" {
		t.Errorf("licenses (-want +got):\n%s", diff)
	}
	if rb.Name != "t" || rb.ClusterName != "c" || rb.Driver != "sim" {
		t.Errorf("name, cluster, driver = %q, %q, %q", rb.Name, rb.ClusterName, rb.Driver)
	}
}

// TestExpressions evaluates expressions through the message of an approve
// step, which is a plain string.
func TestExpressions(t *testing.T) {
	tests := []struct {
		expr string
		want string
	}{
		{`format("%d nodes", length(node))`, "3 nodes"},
		{`node.FS1.name`, "FS1"},
		{`node["FS2"].address`, "10.0.0.2"},
		{`resource.R1.preferred[1].name`, "FS2"},
		{`join(",", sort(keys(resource)))`, "R1,R2"},
		{`join(" ", [for n in node : n.address if n.name != "FS2"])`, "10.0.0.1 10.0.0.3"},
		{`local.greeting`, "hello FS3"},
		{`upper(var.who)`, "WORLD"},
		{`tostring(length(local.homes))`, "2"},
		{`"${license.l.product} ${license.l.min_nodes}"`, "P 3"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			rb, diags := load(t, header+`
variable "who" {
  default = "world"
}
locals {
  greeting = "hello ${local.last.name}"
  last     = node.FS3
  homes    = distinct([for r in resource : r.preferred[0].name])
}
license "l" {
  product = "P"
  version = "6.5"
}
step "approve" "a" {
  message = `+tt.expr+`
}
`, Options{})
			var errs hcl.Diagnostics
			for _, d := range diags {
				if d.Severity == hcl.DiagError {
					errs = append(errs, d)
				}
			}
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if got := rb.Steps[0].Args.String("message"); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVariableValues(t *testing.T) {
	tests := []struct {
		name    string
		decl    string
		varFile string // contents of a .hcl var file, if any
		env     []string
		vars    []string
		require bool
		want    cty.Value
		errs    []string
	}{
		{name: "default", decl: `default = "6.5"`, want: cty.StringVal("6.5")},
		{name: "env over default", decl: `default = "6.5"`, env: []string{"RUNBOOK_VAR_v=7.0"}, want: cty.StringVal("7.0")},
		{name: "file over env", decl: `default = "6.5"`, env: []string{"RUNBOOK_VAR_v=7.0"}, varFile: `v = "8.0"`, want: cty.StringVal("8.0")},
		{name: "var over file", decl: `default = "6.5"`, varFile: `v = "8.0"`, vars: []string{"v=9.0", "v=9.1"}, want: cty.StringVal("9.1")},
		{name: "number parsed", decl: `type = number`, vars: []string{"v=42"}, want: cty.NumberIntVal(42)},
		{name: "list parsed", decl: `type = list(string)`, vars: []string{`v=["a", "b"]`}, want: cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")})},
		{name: "any is a string", decl: ``, env: []string{"RUNBOOK_VAR_v=[1]"}, want: cty.StringVal("[1]")},
		{name: "no value, validate", decl: `type = number`, want: cty.UnknownVal(cty.Number)},
		{name: "no value, run", decl: `type = number`, require: true, errs: []string{"No value for required variable"}},
		{name: "bad number", decl: `type = number`, vars: []string{"v=many"}, errs: []string{"Invalid value for variable"}},
		{name: "bad syntax", decl: `type = number`, vars: []string{"v=1 +"}, errs: []string{"Invalid value for variable"}},
		{name: "file type mismatch", decl: `type = bool`, varFile: `v = "maybe"`, errs: []string{"Invalid value for variable"}},
		{name: "undeclared var", decl: `default = 1`, vars: []string{"w=1"}, errs: []string{"Value for undeclared variable"}},
		{name: "no equals", decl: `default = 1`, vars: []string{"v"}, errs: []string{"Invalid --var option"}},
		{name: "validation", decl: "type = number\nvalidation {\n condition = var.v > 2\n error_message = \"Too small.\"\n}", vars: []string{"v=1"}, errs: []string{"Invalid value for variable"}},
		{name: "validation holds", decl: "type = number\nvalidation {\n condition = var.v > 2\n error_message = \"Too small.\"\n}", vars: []string{"v=3"}, want: cty.NumberIntVal(3)},
		{name: "object defaults", decl: `type = object({a = optional(string, "x")})`, vars: []string{"v={}"}, want: cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("x")})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{Env: tt.env, Vars: tt.vars, RequireValues: tt.require}
			if tt.varFile != "" {
				f := filepath.Join(t.TempDir(), "vars.hcl")
				if err := os.WriteFile(f, []byte(tt.varFile), 0o644); err != nil {
					t.Fatal(err)
				}
				opts.VarFiles = []string{f}
			}
			rb, diags := load(t, header+"variable \"v\" {\n"+tt.decl+"\n}\n", opts)
			var errs []string
			for _, d := range diags {
				if d.Severity == hcl.DiagError {
					errs = append(errs, d.Summary)
				}
			}
			if diff := cmp.Diff(tt.errs, errs); diff != "" {
				t.Fatalf("errors (-want +got):\n%s\n%v", diff, diags)
			}
			if tt.errs != nil {
				return
			}
			got := rb.Variables[0].Value
			if !got.RawEquals(tt.want) {
				t.Errorf("value = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestVarFileJSON(t *testing.T) {
	f := filepath.Join(t.TempDir(), "vars.json")
	if err := os.WriteFile(f, []byte(`{"v": 5, "extra": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	rb, diags := load(t, header+"variable \"v\" {\n type = number\n}\n", Options{VarFiles: []string{f}})
	if diff := cmp.Diff([]string{"Value for undeclared variable"}, summaries(diags)); diff != "" {
		t.Fatalf("diagnostics (-want +got):\n%s", diff)
	}
	if got := rb.Variables[0].Value; !got.RawEquals(cty.NumberIntVal(5)) {
		t.Errorf("value = %#v", got)
	}
	if _, ok := rb.Files[f]; !ok {
		t.Errorf("the var file is not in Files, so its diagnostics cannot show their source")
	}
}

const execCluster = `
runbook "t" {}
variable "admin" {
  default = "ncs-admin"
}
cluster "c" {
  driver = "exec"
  exec {
    poll            = "5s"
    command_timeout = "2m"
    in_doubt_exit_codes = [255, 75]
    status          = "${var.admin} status --json"
    install_license = [var.admin, "license", "add", license.product, license.version]
    leave           = "ssh root@${node.address} cluster leave"
    upgrade         = ["ssh", "root@${node.address}", "/opt/upgrade", to]
    migrate         = "${var.admin} migrate ${resource.name} ${node.name}"
    online          = "${var.admin} online ${resource.name} ${node.name} # ${length(resource.preferred)} preferred"
  }
}
node "FS1" {
  address = "10.0.0.1"
  version = "6.0"
}
node "FS2" {
  address = "10.0.0.2"
  version = "6.0"
}
resource "R1" {
  preferred = [node.FS1, node.FS2]
}
`

func TestExecCommand(t *testing.T) {
	rb, diags := load(t, execCluster, Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg := rb.Block(execdriver.Name)
	if cfg == nil || !cfg.Declared {
		t.Fatal("no exec config")
	}
	e := cfg.Operations()
	status, _ := cfg.Command("status")
	if cfg.Duration("poll") != 5*time.Second || status.Shell != "ncs-admin status --json" || cfg.Duration("command_timeout") != 2*time.Minute || !slices.Equal(cfg.ExitCodes("in_doubt_exit_codes"), []int{255, 75}) {
		t.Errorf("poll, status, command_timeout, in_doubt_exit_codes = %s, %+v, %s, %v", cfg.Duration("poll"), status, cfg.Duration("command_timeout"), cfg.ExitCodes("in_doubt_exit_codes"))
	}
	fs1, _ := rb.Cluster.Node("FS1")
	r1, _ := rb.Cluster.Resource("R1")
	lic := &cluster.License{Name: "l", Product: "NCS", Version: "6.5"}
	tests := []struct {
		op   string
		subj cluster.Subject
		want cluster.Command
		ok   bool
		err  string
	}{
		{"leave", cluster.Subject{Node: fs1}, cluster.Command{Shell: "ssh root@10.0.0.1 cluster leave"}, true, ""},
		{"upgrade", cluster.Subject{Node: fs1, To: "6.5"}, cluster.Command{Argv: []string{"ssh", "root@10.0.0.1", "/opt/upgrade", "6.5"}}, true, ""},
		{"migrate", cluster.Subject{Node: fs1, Resource: r1}, cluster.Command{Shell: "ncs-admin migrate R1 FS1"}, true, ""},
		{"online", cluster.Subject{Node: fs1, Resource: r1}, cluster.Command{Shell: "ncs-admin online R1 FS1 # 2 preferred"}, true, ""},
		{"install_license", cluster.Subject{License: lic}, cluster.Command{Argv: []string{"ncs-admin", "license", "add", "NCS", "6.5"}}, true, ""},
		{"offline", cluster.Subject{Resource: r1}, cluster.Command{}, false, ""},
		{"leave", cluster.Subject{}, cluster.Command{}, true, "operation leave needs a node"},
	}
	for _, tt := range tests {
		cmd, ok, err := e.Command(tt.op, tt.subj)
		errText := ""
		if err != nil {
			errText = err.Error()
		}
		if diff := cmp.Diff(tt.want, cmd); diff != "" || ok != tt.ok || errText != tt.err {
			t.Errorf("%s: ok=%v err=%q, want ok=%v err=%q; command (-want +got):\n%s", tt.op, ok, errText, tt.ok, tt.err, diff)
		}
	}
	if !e.Declared("leave") || e.Declared("offline") {
		t.Errorf("Declared(leave)=%v Declared(offline)=%v", e.Declared("leave"), e.Declared("offline"))
	}
}

func TestPacemakerCommand(t *testing.T) {
	src := strings.Replace(header, `cluster "c" {}`, `cluster "c" {
  driver = "pacemaker"
  pacemaker {
    upgrade = "apt-get install -y netware=${to}"
  }
}`, 1)
	rb, diags := load(t, src, Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	fs2, _ := rb.Cluster.Node("FS2")
	prefix, ok, err := rb.Block(pacemaker.Name).Operations().Command("prefix", cluster.Subject{Node: fs2})
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if diff := cmp.Diff(cluster.Command{Argv: []string{"ssh", "root@10.0.0.2"}}, prefix); diff != "" {
		t.Errorf("prefix (-want +got):\n%s", diff)
	}
	up, _, err := rb.Block(pacemaker.Name).Operations().Command("upgrade", cluster.Subject{Node: fs2, To: "6.5"})
	if err != nil || up.Shell != "apt-get install -y netware=6.5" {
		t.Errorf("upgrade = %+v, %v", up, err)
	}
	if poll := rb.Block(pacemaker.Name).Duration("poll"); poll != 2*time.Second {
		t.Errorf("poll = %s", poll)
	}
}

func TestSimTimings(t *testing.T) {
	src := strings.Replace(header, `cluster "c" {}`, `cluster "c" {
  sim {
    upgrade = "1h"
    reboot  = "90s"
  }
}`, 1)
	rb, diags := load(t, src, Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if tm := rb.Timings(); tm.Upgrade != time.Hour || tm.Reboot != 90*time.Second || tm.Leave != 10*time.Second {
		t.Errorf("timings = %+v", tm)
	}
}

func TestDirectory(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a_cluster.hcl": header,
		"b_steps.hcl": `
step "upgrade-node" "one" {
  node = node.FS3
  to   = "6.5"
}`,
		"c_more.hcl.json": `{"step": {"approve": {"done": {"message": "${node.FS3.name} done"}}}}`,
		"notes.txt":       `not a runbook`,
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rb, diags := Load(dir, Options{Registry: builtin.Registry(), Drivers: driverbuiltin.Registry()})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var got []string
	for _, s := range rb.Steps {
		got = append(got, s.Address)
	}
	if diff := cmp.Diff([]string{"step.upgrade-node.one", "step.approve.done"}, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if rb.Steps[1].Args.String("message") != "FS3 done" {
		t.Errorf("message = %q", rb.Steps[1].Args.String("message"))
	}
	if len(rb.Files) != 3 || rb.Dir != dir {
		t.Errorf("files = %d, dir = %q", len(rb.Files), rb.Dir)
	}
}

func TestLoadErrors(t *testing.T) {
	if rb, diags := Load(filepath.Join(t.TempDir(), "missing.hcl"), Options{}); rb != nil || !diags.HasErrors() {
		t.Errorf("missing file: rb=%v diags=%v", rb, diags)
	}
	if rb, diags := Load(t.TempDir(), Options{}); rb != nil || summaries(diags)[0] != "No runbook files" {
		t.Errorf("empty dir: rb=%v diags=%v", rb, diags)
	}
	rb, diags := load(t, "runbook {", Options{})
	if rb == nil || len(rb.Files) != 1 || !diags.HasErrors() {
		t.Errorf("syntax error: rb=%v diags=%v", rb, diags)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		in, want string
		err      string
	}{
		{"node \"FS1\" {\naddress=\"a\"\n  version   = \"6.0\"\n}\n", "node \"FS1\" {\n  address = \"a\"\n  version = \"6.0\"\n}\n", ""},
		{"node \"FS1\" {\n", "", "Unclosed configuration block"},
		{"x = " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n", "", "Nesting too deep"},
	}
	for _, tt := range tests {
		got, diags := Format([]byte(tt.in), "f.hcl")
		errText := ""
		if diags.HasErrors() {
			errText = diags[0].Summary
		}
		if string(got) != tt.want || errText != tt.err {
			t.Errorf("Format(%q) = %q, %q; want %q, %q", tt.in, got, errText, tt.want, tt.err)
		}
	}
}

// fakeType is a step type of a test registry: it covers kinds the built-in
// types do not use, and records nothing in the cluster.
type fakeType struct{ mutates bool }

func (fakeType) Name() string { return "fake" }
func (fakeType) Doc() string  { return "A test step." }
func (fakeType) Attrs() []steps.Attr {
	return []steps.Attr{
		{Name: "count", Kind: steps.KindNumber, Required: true},
		{Name: "tags", Kind: steps.KindStringList},
		{Name: "run", Kind: steps.KindCommand},
		{Name: "nodes", Kind: steps.KindNodeList},
		{Name: "mode", Kind: steps.KindString, Enum: []string{"fast", "slow"}},
	}
}
func (fakeType) DefaultTimeout() time.Duration { return time.Minute }
func (f fakeType) Mutates() bool               { return f.mutates }
func (fakeType) Check(env *steps.Env, st *cluster.Status, in *steps.Instance) []steps.Problem {
	if in.Args.Int("count") > len(st.Nodes) {
		return []steps.Problem{{Attr: "count", Summary: "Count too high", Detail: "Lower it."}}
	}
	return nil
}
func (fakeType) Done(env *steps.Env, st *cluster.Status, in *steps.Instance) bool { return false }
func (fakeType) Run(ctx context.Context, env *steps.Env, in *steps.Instance, deadline time.Time) error {
	return nil
}

func TestFakeRegistry(t *testing.T) {
	reg := steps.Registry{"fake": fakeType{}}
	rb, diags := load(t, header+`
step "fake" "a" {
  count = 2
  tags  = ["x", "y"]
  run   = ["echo", node.FS1.address]
  nodes = [node.FS2, node.FS3]
  mode  = "fast"
}
step "fake" "b" {
  count = 7
  run   = "true"
}
`, Options{Registry: reg, Drivers: driverbuiltin.Registry()})
	if diff := cmp.Diff([]string{"Count too high"}, summaries(diags)); diff != "" {
		t.Fatalf("diagnostics (-want +got):\n%s\n%v", diff, diags)
	}
	got := rb.Steps[0].Args
	want := steps.Args{
		"count": 2,
		"tags":  []string{"x", "y"},
		"run":   cluster.Command{Argv: []string{"echo", "10.0.0.1"}},
		"nodes": []cluster.Node{{Name: "FS2", Address: "10.0.0.2", Version: "6.0"}, {Name: "FS3", Address: "10.0.0.3", Version: "6.0"}},
		"mode":  "fast",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	if diags[0].Subject.Start.Line != strings.Count(header, "\n")+10 {
		t.Errorf("problem at line %d", diags[0].Subject.Start.Line)
	}

	// A step type that changes nothing may continue after a failure.
	_, diags = load(t, header+"step \"fake\" \"c\" {\n count = 1\n on_failure = \"continue\"\n}\n", Options{Registry: reg, Drivers: driverbuiltin.Registry()})
	if diags.HasErrors() {
		t.Errorf("on_failure = continue on a non-mutating type: %v", diags)
	}
	_, diags = load(t, header+"step \"fake\" \"c\" {\n count = 1\n on_failure = \"continue\"\n}\n", Options{Registry: steps.Registry{"fake": fakeType{mutates: true}}})
	if diff := cmp.Diff([]string{"Invalid on_failure"}, summaries(diags)); diff != "" {
		t.Errorf("on_failure = continue on a mutating type (-want +got):\n%s", diff)
	}
}

// TestUnknownValues: at validate time a variable without a value is an
// unknown of its type; expressions using it are type-checked, and steps
// using it are left out of the abstract run without false findings.
func TestUnknownValues(t *testing.T) {
	rb, diags := load(t, header+`
variable "target" {
  type = string
}
variable "n" {
  type = number
}
rolling "roll" {
  nodes = [node.FS1, node.FS2, node.FS3]
  step "upgrade-node" "u" {
    node = each.node
    to   = var.target
  }
  step "await-failback" "f" {
    node = each.node
  }
}
step "approve" "a" {
  message = var.n # a number where a string is expected, even unknown
}
`, Options{})
	if diff := cmp.Diff([]string{"Incorrect attribute value type"}, summaries(diags)); diff != "" {
		t.Fatalf("diagnostics (-want +got):\n%s\n%v", diff, diags)
	}
	if _, unknown := rb.Steps[0].Args["to"].(steps.Unknown); !unknown {
		t.Errorf("to = %#v, want steps.Unknown", rb.Steps[0].Args["to"])
	}
}

// TestValueBounds: expressions that would exhaust memory (a product of
// ranges, locals that double a string) get a diagnostic instead; ordinary
// uses of the same functions still work.
func TestValueBounds(t *testing.T) {
	base := "runbook \"r\" {}\ncluster \"c\" {}\nnode \"A\" {\n  address = \"a\"\n  version = \"1.0\"\n}\n"
	doubling := "locals {\n  s0 = \"0123456789abcdef\"\n"
	for i := 1; i <= 40; i++ {
		doubling += fmt.Sprintf("  s%d = \"${local.s%d}${local.s%d}\"\n", i, i-1, i-1)
	}
	doubling += "}\n"
	for _, tc := range []struct {
		name, src, want string
	}{
		{"setproduct", "locals {\n  x = length(setproduct(range(1000), range(1000), range(1000)))\n}\n", "Error in function call"},
		{"doubling locals", doubling, "Value too large"},
		{"small setproduct", "locals {\n  x = length(setproduct([\"a\", \"b\"], [\"c\"]))\n}\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := load(t, base+tc.src, Options{})
			got := summaries(diags)
			if tc.want == "" && diags.HasErrors() || tc.want != "" && !slices.Contains(got, tc.want) {
				t.Fatalf("diagnostics %q; want %q", got, tc.want)
			}
		})
	}
}

// TestRunbookName: the name becomes a directory under .runbook/, so it is a
// plain name.
func TestRunbookName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"netware65-rolling-upgrade", true},
		{"CL1 upgrade 6.5", true},
		{"a..b", true},
		{"", false},
		{"../../x", false},
		{"..", false},
		{".", false},
		{".hidden", false},
		{"a/b", false},
		{`a\\b`, false},
		{"x@sim", false},
		{`a\tb`, false},
		{`a\u007fb`, false},
		{strings.Repeat("n", 201), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := load(t, strings.Replace(header, `runbook "t"`, `runbook "`+tt.name+`"`, 1), Options{})
			bad := slices.Contains(summaries(diags), "Invalid runbook name")
			if bad == tt.ok {
				t.Errorf("runbook %q: Invalid runbook name reported = %v; want %v (%v)", tt.name, bad, !tt.ok, diags)
			}
		})
	}
}

// TestDecoded: Options.Decoded is called once, before the abstract run, with
// the runbook's cluster and steps as Load returns them, when it decodes
// without an error, even if the abstract run then finds one; never when
// decoding finds one.
func TestDecoded(t *testing.T) {
	valid := string(genRunbook(3))
	for _, tc := range []struct {
		name, src     string
		called, valid bool
	}{
		{"valid", valid, true, true},
		{"invalid in the abstract run", strings.Replace(valid, "on = node.N0", "on = node.N0\n}\n\nstep \"media-upgrade\" \"again\" {\n  on = node.N1", 1), true, false},
		{"invalid when decoded", strings.Replace(valid, "on = node.N0", "on = node.NOPE", 1), false, false},
	} {
		var got []*Runbook
		var steps int
		rb, diags := load(t, tc.src, Options{Decoded: func(rb *Runbook) {
			got = append(got, rb)
			steps = len(rb.Steps)
			if rb.Cluster == nil {
				t.Errorf("%s: decoded without a cluster", tc.name)
			}
		}})
		if diags.HasErrors() == tc.valid {
			t.Fatalf("%s: diagnostics %v", tc.name, summaries(diags))
		}
		if !tc.called {
			if len(got) > 0 {
				t.Errorf("%s: Decoded called", tc.name)
			}
			continue
		}
		if len(got) != 1 || got[0] != rb || steps != len(rb.Steps) || rb.Cluster == nil {
			t.Errorf("%s: Decoded called %d times, with %d steps of %d", tc.name, len(got), steps, len(rb.Steps))
		}
	}
}
