package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/drivers/sim"
)

// Load reads, decodes, evaluates and checks the runbook at path: a .hcl or
// .hcl.json file, or a directory of them read in name order.
//
// The Runbook is non-nil whenever any file was read, with Files set, even
// when the diagnostics have errors, so that they can be rendered with
// their source. Its other fields are complete only when there are no errors.
func Load(path string, opts Options) (*Runbook, hcl.Diagnostics) {
	names, diags := runbookFiles(path)
	if len(names) == 0 {
		return nil, diags
	}
	srcs := make([][]byte, 0, len(names))
	read := names[:0:0]
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read runbook file",
				Detail: fmt.Sprintf("Reading %s failed: %v.", name, err)})
			continue
		}
		read = append(read, name)
		srcs = append(srcs, src)
	}
	if len(read) == 0 {
		return nil, diags
	}
	rb, ldiags := loadSources(path, read, srcs, opts)
	return rb, append(diags, ldiags...)
}

// loadSources is Load on files already read: names in order, with their
// contents.
func loadSources(path string, names []string, srcs [][]byte, opts Options) (*Runbook, hcl.Diagnostics) {
	rb := &Runbook{Path: path, Dir: filepath.Dir(names[0]), Files: map[string]*hcl.File{}, blocks: map[string]*drivers.Config{}}
	if k := opts.Drivers.Default(); k != nil {
		rb.Driver = k.Name()
	}
	var diags hcl.Diagnostics
	var bodies []hcl.Body
	for i, name := range names {
		f, fdiags := parseFile(srcs[i], name)
		diags = append(diags, fdiags...)
		if f != nil {
			rb.Files[name] = f
			bodies = append(bodies, f.Body)
		} else {
			rb.Files[name] = &hcl.File{Bytes: srcs[i]}
		}
	}
	if diags.HasErrors() {
		return rb, diags
	}
	p := newParser(rb, opts)
	p.load(bodies)
	diags = append(diags, dedupe(p.diags)...)
	p.release()
	return rb, diags
}

// dedupe drops repeated diagnostics: a step of a rolling block is decoded
// once per node, and a mistake that does not depend on the node would
// otherwise be reported once per node. The one kept names every node.
func dedupe(diags hcl.Diagnostics) hcl.Diagnostics {
	type key struct {
		sev             hcl.DiagnosticSeverity
		summary, detail string
		rng             hcl.Range
	}
	seen := make(map[key]*hcl.Diagnostic, len(diags))
	out := diags[:0]
	for _, d := range diags {
		k := key{sev: d.Severity, summary: d.Summary, detail: d.Detail}
		if d.Subject != nil {
			k.rng = *d.Subject
		}
		if first := seen[k]; first != nil {
			fi, _ := first.Extra.(*DiagnosticInfo)
			di, _ := d.Extra.(*DiagnosticInfo)
			if fi != nil && di != nil && fi.Node != "" && di.Node != "" {
				if len(fi.Nodes) == 0 {
					fi.Nodes = []string{fi.Node}
				}
				fi.Nodes = append(fi.Nodes, di.Node)
			}
			continue
		}
		seen[k] = d
		out = append(out, d)
	}
	return out
}

// runbookFiles lists the files of the runbook at path.
func runbookFiles(path string) ([]string, hcl.Diagnostics) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read runbook",
			Detail: fmt.Sprintf("%v. Give the path of a .hcl file or of a directory of them.", err)}}
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read runbook",
			Detail: fmt.Sprintf("%v.", err)}}
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if strings.HasSuffix(e.Name(), ".hcl") || strings.HasSuffix(e.Name(), ".hcl.json") {
			names = append(names, filepath.Join(path, e.Name()))
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No runbook files",
			Detail: fmt.Sprintf("The directory %s has no .hcl or .hcl.json files. Give the path of a runbook file or of a directory of them.", path)}}
	}
	return names, nil
}

func isJSONFile(name string) bool { return strings.HasSuffix(name, ".json") }

// parseFile checks the input limits, then parses native or JSON syntax.
func parseFile(src []byte, name string) (*hcl.File, hcl.Diagnostics) {
	if diags := guard(src, name); diags.HasErrors() {
		return nil, diags
	}
	if isJSONFile(name) {
		return hcljson.Parse(src, name)
	}
	return parseNative(src, name)
}

// parser holds the state of one Load: the declarations as they are found,
// then their values as they are evaluated.
type parser struct {
	rb    *Runbook
	opts  Options
	diags hcl.Diagnostics
	funcs map[string]function.Function

	runbookBlocks []*hcl.Block
	clusterBlocks []*hcl.Block
	stateBlocks   []*hcl.Block

	variables map[string]*Variable
	locals    map[string]*localDecl
	localList []*localDecl
	nodes     map[string]*nodeDecl
	nodeList  []*nodeDecl
	resources map[string]*resourceDecl
	resList   []*resourceDecl
	licenses  map[string]*licenseDecl
	licList   []*licenseDecl
	rollings  map[string]*hcl.Block
	// items are the top-level step and rolling blocks in order.
	items []*hcl.Block
	// broken are the items whose labels were wrong (reported): each is a
	// hole in the abstract run.
	broken map[*hcl.Block]bool
	// seq is the sequence the abstract run follows: the step instances of
	// Runbook.Steps with the holes left by steps that failed to decode.
	seq []*Step
	// originReported holds the places of the values already reported by
	// valueOrigin, by range.
	originReported map[string]bool
	// detached is set while a block that is in error but can be decoded
	// is: its steps go to the abstract run alone.
	detached bool
	// findings are the abstract run's diagnostics about steps, merged
	// across the nodes of a roll when they are the same.
	findings []*stepFinding

	allNodes, allResources, allLicenses cty.Value
	schemas                             map[string]*hcl.BodySchema
	// declRefs are the references of the declarations' expressions, found
	// valid (and not none) when their order was worked out; cur is the
	// declaration being evaluated, whose are declRefs[cur.refFrom:cur.refTo].
	// declMisses counts the expressions of declarations whose references
	// were found again (none should be).
	declRefs   []exprRefs
	cur        *declItem
	declMisses int
	// attrSlab and stepSlab are where content and newStep take what they
	// return from.
	attrSlab attrList
	stepSlab []Step
	// nodeSlab and resSlab hold a declaration for each node and resource
	// block, taken by declareNode and declareResource in order.
	nodeSlab []nodeDecl
	resSlab  []resourceDecl
	// rollRefs are the references of the expressions of the step blocks
	// of rolling blocks, found valid on their first node.
	rollRefs map[hcl.Expression][]ref
	// constCtx is the context of the expressions that refer to nothing:
	// expressions only read their context, so one serves them all.
	constCtx *hcl.EvalContext
	// built is the cluster buildCluster indexes, and model the abstract
	// run's model of it (nil if the run is not to run), both made while the
	// steps are decoded; clusterDone is closed once they are.
	built       *cluster.Cluster
	model       *sim.Sim
	clusterDone chan struct{}
	// clusterBroken is set when a node, resource or licence could not be
	// decoded: the abstract run needs the whole cluster.
	clusterBroken bool
	// frozen is set once Load has returned: values are no longer cached
	// in the declarations (the exec driver's commands evaluate on copies
	// of the parser, possibly at once).
	frozen bool
	// quiet is set on the copies that evaluate exec commands at run
	// time: their warnings were given at load time.
	quiet bool
	// shellWarned holds the commands already warned about (a step of a
	// rolling block is decoded once per node).
	shellWarned map[hcl.Range]bool
}

func newParser(rb *Runbook, opts Options) *parser {
	funcs := functions()
	return &parser{rb: rb, opts: opts, funcs: funcs, constCtx: &hcl.EvalContext{Functions: funcs},
		variables: map[string]*Variable{}, locals: map[string]*localDecl{}, nodes: map[string]*nodeDecl{},
		resources: map[string]*resourceDecl{}, licenses: map[string]*licenseDecl{}, rollings: map[string]*hcl.Block{},
		broken: map[*hcl.Block]bool{}, rollRefs: map[hcl.Expression][]ref{}}
}

var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "runbook", LabelNames: []string{"name"}},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "cluster", LabelNames: []string{"name"}},
		{Type: "node", LabelNames: []string{"name"}},
		{Type: "resource", LabelNames: []string{"name"}},
		{Type: "license", LabelNames: []string{"name"}},
		{Type: "step", LabelNames: []string{"type", "name"}},
		{Type: "rolling", LabelNames: []string{"name"}},
		{Type: "state", LabelNames: []string{"kind"}},
	},
}

func (p *parser) load(bodies []hcl.Body) {
	p.decode(bodies)
	if p.opts.Decoded != nil && !p.clusterBroken && p.rb.Cluster != nil && !p.diags.HasErrors() {
		p.opts.Decoded(p.rb)
	}
	if !p.clusterBroken {
		p.check()
	}
}

// decode is load up to the abstract run: the declarations, their values,
// the cluster and the step instances.
func (p *parser) decode(bodies []hcl.Body) {
	contents := make([]*hcl.BodyContent, len(bodies))
	counts := map[string]int{}
	for i, body := range bodies {
		content, diags := body.Content(rootSchema)
		p.diags = append(p.diags, diags...)
		contents[i] = content
		for _, block := range content.Blocks {
			counts[block.Type]++
		}
	}
	// The maps and lists of declarations have room for all at once.
	p.nodes, p.nodeList = make(map[string]*nodeDecl, counts["node"]), make([]*nodeDecl, 0, counts["node"])
	p.resources, p.resList = make(map[string]*resourceDecl, counts["resource"]), make([]*resourceDecl, 0, counts["resource"])
	p.nodeSlab, p.resSlab = make([]nodeDecl, counts["node"]), make([]resourceDecl, counts["resource"])
	for _, content := range contents {
		for _, block := range content.Blocks {
			p.declare(block)
		}
	}
	p.checkSingletons()
	p.decodeState()
	p.resolveVariables()
	p.evalDeclarations()
	p.decodeCluster()
	p.buildCluster()
	p.decodeSteps()
	p.awaitCluster()
}

// declare records one top-level block: the flat switch of the language.
func (p *parser) declare(block *hcl.Block) {
	switch block.Type {
	case "runbook":
		p.runbookBlocks = append(p.runbookBlocks, block)
	case "cluster":
		p.clusterBlocks = append(p.clusterBlocks, block)
	case "state":
		p.stateBlocks = append(p.stateBlocks, block)
	case "variable":
		p.declareVariable(block)
	case "locals":
		p.declareLocals(block)
	case "node":
		p.declareNode(block)
	case "resource":
		p.declareResource(block)
	case "license":
		p.declareLicense(block)
	case "step":
		p.broken[block] = !p.checkStepLabels(block)
		p.items = append(p.items, block)
	case "rolling":
		p.broken[block] = !p.declareRolling(block)
		p.items = append(p.items, block)
	}
}

// release drops what only loading needed: the parser lives on in the
// driver blocks' commands (evaluated when a step issues an operation), and
// needs no more than the declarations' values for that. What it keeps does
// not hold the syntax of the runbook's files, but for its locals and its
// driver blocks' commands.
func (p *parser) release() {
	p.frozen = true
	p.diags, p.findings, p.seq, p.items, p.broken = nil, nil, nil, nil, nil
	p.declRefs, p.rollRefs, p.schemas, p.rollings, p.attrSlab, p.stepSlab = nil, nil, nil, nil, nil, nil
	p.nodeSlab, p.resSlab, p.built, p.model = nil, nil, nil, nil
	p.runbookBlocks, p.clusterBlocks, p.stateBlocks = nil, nil, nil
	for _, d := range p.nodeList {
		d.block, d.attrs = nil, nil
	}
	for _, d := range p.resList {
		d.block, d.attrs = nil, nil
	}
	for _, d := range p.licList {
		d.block, d.attrs = nil, nil
	}
}

// checkSingletons requires exactly one runbook and one cluster block.
func (p *parser) checkSingletons() {
	p.decodeRunbook()
	if len(p.clusterBlocks) == 0 {
		p.diags = append(p.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing cluster block",
			Detail:  `A runbook declares its cluster in exactly one cluster block, such as cluster "CL1" { driver = "sim" }. Add one.`,
			Subject: p.fileStart()})
	}
	for _, b := range p.clusterBlocks[min(1, len(p.clusterBlocks)):] {
		p.diags = append(p.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate cluster block",
			Detail:  fmt.Sprintf("A runbook has exactly one cluster block; one was already declared at %s. Remove this one.", p.clusterBlocks[0].DefRange),
			Subject: b.DefRange.Ptr()})
	}
}

// fileStart is the start of the first file, for diagnostics about what is
// missing from the runbook as a whole.
func (p *parser) fileStart() *hcl.Range {
	var first string
	for name := range p.rb.Files {
		if first == "" || name < first {
			first = name
		}
	}
	return &hcl.Range{Filename: first, Start: hcl.InitialPos, End: hcl.InitialPos}
}

// checkName requires a block label to be an identifier, so that it can be
// referenced (node.NAME) and printed in addresses.
func (p *parser) checkName(block *hcl.Block, i int, what string) bool {
	name := block.Labels[i]
	if asciiIdentifier(name) || hclsyntax.ValidIdentifier(name) {
		return true
	}
	p.diags = append(p.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid name",
		Detail:  fmt.Sprintf("%q is not a valid %s name. A name starts with a letter or underscore and contains only letters, digits, underscores and dashes.", name, what),
		Subject: block.LabelRanges[i].Ptr()})
	return false
}

// asciiIdentifier reports whether name is an identifier made of ASCII
// letters, digits, underscores and dashes, starting with a letter or an
// underscore: the common case of hclsyntax.ValidIdentifier, which scans
// the name with hcl's tokenizer.
func asciiIdentifier(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// duplicate reports a second declaration of the same name.
func (p *parser) duplicate(what, name string, prev hcl.Range, block *hcl.Block) {
	p.diags = append(p.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate " + what,
		Detail:  fmt.Sprintf("A %s named %q was already declared at %s. Each %s name must be unique: rename or remove one of them.", what, name, prev, what),
		Subject: block.LabelRanges[len(block.LabelRanges)-1].Ptr()})
}

func (p *parser) errorf(rng hcl.Range, summary, format string, args ...any) {
	p.diags = append(p.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: rng.Ptr()})
}

func (p *parser) warnf(rng hcl.Range, summary, format string, args ...any) {
	p.diags = append(p.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: rng.Ptr()})
}
