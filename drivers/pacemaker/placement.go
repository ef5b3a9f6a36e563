package pacemaker

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Where a resource goes is Pacemaker's choice, made from scores: each
// location constraint that applies to a node adds its score there (an
// operator's `crm_resource --ban` is a cli-ban constraint of -INFINITY, a
// `--move` a cli-prefer of INFINITY), the node a resource runs on adds its
// resource-stickiness, and a fail count at the resource's
// migration-threshold is -INFINITY. A resource runs on the available node
// with the highest score, never on one whose score is negative. The driver
// computes the same from the CIB, so that it can refuse a leave or a move
// that would strand a resource, or send it elsewhere than the runbook's
// preferred list says, before it is made, and name the constraint that
// decides. Colocation and ordering constraints, groups, clones and
// utilization are not modelled.

// infinity is Pacemaker's INFINITY score.
const infinity = 1000000

// parseScore reads a Pacemaker score: a whole number, or [+-]INFINITY;
// values beyond INFINITY are INFINITY.
func parseScore(s string) (int, bool) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "INFINITY", "+INFINITY":
		return infinity, true
	case "-INFINITY":
		return -infinity, true
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, false
	}
	return max(-infinity, min(infinity, n)), true
}

// addScore adds scores as Pacemaker does: -INFINITY wins over INFINITY.
func addScore(a, b int) int {
	switch {
	case a <= -infinity || b <= -infinity:
		return -infinity
	case a >= infinity || b >= infinity:
		return infinity
	}
	return max(-infinity, min(infinity, a+b))
}

func scoreString(n int) string {
	switch {
	case n >= infinity:
		return "INFINITY"
	case n <= -infinity:
		return "-INFINITY"
	}
	return strconv.Itoa(n)
}

// term is one contribution to a resource's score on a node.
type term struct {
	What  string // "cli-ban-rA-on-n2", "resource-stickiness", ...
	Score int
}

func (t term) String() string { return t.What + " " + scoreString(t.Score) }

// nodeScore is a resource's score on one node.
type nodeScore struct {
	Node  string
	Score int
	Terms []term
	// Out says why the node cannot host the resource whatever its score
	// ("offline", "in standby", "leaving"), "" if it can.
	Out string
	// Enabled is false in an asymmetric cluster (symmetric-cluster=false)
	// when no constraint enables the node for the resource.
	Enabled bool
}

// Allowed reports whether Pacemaker may place the resource on the node.
func (n nodeScore) Allowed() bool { return n.Out == "" && n.Enabled && n.Score >= 0 }

func (n nodeScore) String() string {
	var why []string
	for _, t := range n.Terms {
		why = append(why, t.String())
	}
	s := n.Node + " " + scoreString(n.Score)
	if len(why) > 0 {
		s += " (" + strings.Join(why, ", ") + ")"
	} else {
		s += " (no location constraint)"
	}
	switch {
	case n.Out != "":
		s += ", " + n.Out
	case !n.Enabled:
		s += ", not enabled by any constraint (symmetric-cluster=false)"
	case n.Score < 0:
		s += ", not allowed"
	}
	return s
}

// placement is where Pacemaker would run a resource.
type placement struct {
	Resource string
	Nodes    []nodeScore
	// Best are the allowed nodes of the highest score: one, or several
	// of equal score (Pacemaker picks one of them); none when the
	// resource would have nowhere to run.
	Best []string
}

func (p placement) scores() string {
	var s []string
	for _, n := range p.Nodes {
		s = append(s, n.String())
	}
	return strings.Join(s, "; ")
}

func (p placement) node(name string) nodeScore {
	for _, n := range p.Nodes {
		if n.Node == name {
			return n
		}
	}
	return nodeScore{Node: name, Out: "not in the cluster"}
}

// placeOpts is the situation a placement is computed for.
type placeOpts struct {
	// Nodes are the cluster's nodes, in the order to list them.
	Nodes []string
	// Out says why a node cannot host resources ("" if it can).
	Out func(node string) string
	// Current is the node the resource runs on, whose stickiness counts
	// ("" for none).
	Current string
	// Skip leaves out the constraints whose id it accepts (the driver's
	// own, while judging what the cluster's configuration allows).
	Skip func(id string) bool
	Now  time.Time
}

// place computes where Pacemaker would run rsc.
func (c *crmConfig) place(rsc string, o placeOpts) placement {
	p := placement{Resource: rsc}
	best := -infinity - 1
	for _, n := range o.Nodes {
		ns := nodeScore{Node: n, Enabled: c.Symmetric}
		if o.Out != nil {
			ns.Out = o.Out(n)
		}
		if c.nodeAttr(n, "maintenance") != "" && isTrue(c.nodeAttr(n, "maintenance")) && ns.Out == "" {
			ns.Out = "in maintenance"
		}
		for _, l := range c.Locations {
			if o.Skip != nil && o.Skip(l.ID) || !l.appliesTo(rsc) || !roleStarted(l.Role) {
				continue
			}
			if l.Node != "" {
				if l.Node != n {
					continue
				}
				if s, ok := parseScore(l.Score); ok {
					ns.Terms = append(ns.Terms, term{l.ID, s})
					ns.Enabled = ns.Enabled || s >= 0
				}
				continue
			}
			for _, r := range l.Rules {
				if !roleStarted(r.Role) || !c.ruleMatches(r, n, o.Now) {
					continue
				}
				s, ok := parseScore(r.Score)
				if r.ScoreAttribute != "" {
					s, ok = parseScore(c.nodeAttr(n, r.ScoreAttribute))
				}
				if ok {
					ns.Terms = append(ns.Terms, term{l.ID, s})
					ns.Enabled = ns.Enabled || s >= 0
				}
			}
		}
		if n == o.Current {
			if s, ok := parseScore(c.Stickiness[rsc]); ok && s != 0 {
				ns.Terms = append(ns.Terms, term{"resource-stickiness", s})
			}
		}
		if fails := c.failCount(rsc, n); fails > 0 {
			threshold := infinity
			if v, ok := parseScore(c.Meta[rsc]["migration-threshold"]); ok {
				threshold = v
			}
			if threshold > 0 && fails >= threshold {
				ns.Terms = append(ns.Terms, term{fmt.Sprintf("fail count %s reached migration-threshold %s (crm_resource --cleanup -r %s clears it)", scoreString(fails), scoreString(threshold), rsc), -infinity})
			}
		}
		for _, t := range ns.Terms {
			ns.Score = addScore(ns.Score, t.Score)
		}
		p.Nodes = append(p.Nodes, ns)
		if !ns.Allowed() {
			continue
		}
		switch {
		case ns.Score > best:
			best, p.Best = ns.Score, []string{n}
		case ns.Score == best:
			p.Best = append(p.Best, n)
		}
	}
	return p
}

// nodeAttr is a node attribute as location rules see it: the built-in
// #uname, #id and #kind, the transient attributes, then the permanent ones.
func (c *crmConfig) nodeAttr(node, name string) string {
	switch name {
	case "#uname":
		return node
	case "#id":
		return c.NodeIDs[node]
	case "#kind":
		return "cluster"
	}
	if v, ok := c.Transient[node][name]; ok {
		return v
	}
	return c.NodeAttrs[node][name]
}

// failCount sums the resource's fail counts on the node (one transient
// attribute per operation: fail-count-rA#start_0).
func (c *crmConfig) failCount(rsc, node string) int {
	total := 0
	for k, v := range c.Transient[node] {
		if strings.HasPrefix(k, "fail-count-"+rsc+"#") {
			if s, ok := parseScore(v); ok {
				total = addScore(total, s)
			}
		}
	}
	return total
}

func roleStarted(role string) bool {
	switch role {
	case "", "Started", "started":
		return true
	}
	return false
}

func (l location) appliesTo(rsc string) bool {
	if l.Rsc != "" {
		return l.Rsc == rsc
	}
	if l.RscPattern != "" {
		re, err := regexp.Compile(l.RscPattern)
		return err == nil && re.MatchString(rsc)
	}
	return false
}

// ruleMatches evaluates a location rule for a node: node attribute
// expressions, date expressions (the lifetime of a `crm_resource --ban
// --lifetime`) and nested rules, joined by boolean-op (and by default). A
// date it cannot read counts as true: a ban then stays in force.
func (c *crmConfig) ruleMatches(r xmlRule, node string, now time.Time) bool {
	var results []bool
	for _, e := range r.Exprs {
		results = append(results, exprMatches(c.nodeAttr(node, e.Attribute), e.Attribute != "" && c.hasAttr(node, e.Attribute), e.Operation, e.Value, e.Type))
	}
	for _, d := range r.Dates {
		results = append(results, dateMatches(d.Operation, d.Start, d.End, now))
	}
	for _, sub := range r.Rules {
		results = append(results, c.ruleMatches(sub, node, now))
	}
	if len(results) == 0 {
		return false
	}
	if r.BooleanOp == "or" {
		return slices.Contains(results, true)
	}
	return !slices.Contains(results, false)
}

func (c *crmConfig) hasAttr(node, name string) bool {
	if strings.HasPrefix(name, "#") {
		return c.nodeAttr(node, name) != ""
	}
	if _, ok := c.Transient[node][name]; ok {
		return true
	}
	_, ok := c.NodeAttrs[node][name]
	return ok
}

func exprMatches(v string, defined bool, op, want, typ string) bool {
	switch op {
	case "defined":
		return defined
	case "not_defined":
		return !defined
	}
	if !defined {
		return op == "ne"
	}
	cmp := strings.Compare(v, want)
	if typ == "integer" || typ == "number" || typ == "version" {
		a, errA := strconv.ParseFloat(v, 64)
		b, errB := strconv.ParseFloat(want, 64)
		if typ == "version" {
			cmp = compareDotted(v, want)
		} else if errA == nil && errB == nil {
			switch {
			case a < b:
				cmp = -1
			case a > b:
				cmp = 1
			default:
				cmp = 0
			}
		}
	}
	switch op {
	case "eq":
		return cmp == 0
	case "ne":
		return cmp != 0
	case "lt":
		return cmp < 0
	case "lte":
		return cmp <= 0
	case "gt":
		return cmp > 0
	case "gte":
		return cmp >= 0
	}
	return false
}

func compareDotted(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// dateMatches evaluates a date_expression.
func dateMatches(op, start, end string, now time.Time) bool {
	s, sok := parseCIBTime(start)
	e, eok := parseCIBTime(end)
	switch op {
	case "lt":
		return !eok || now.Before(e)
	case "gt":
		return !sok || now.After(s)
	case "in_range", "":
		return (!sok || !now.Before(s)) && (!eok || !now.After(e))
	}
	return true
}

// parseCIBTime reads the ISO 8601 times crm_resource writes ("2026-11-29
// 18:00:00Z", or with an offset).
func parseCIBTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{"2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05Z0700", "2006-01-02 15:04:05Z", "2006-01-02T15:04:05Z07:00", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
