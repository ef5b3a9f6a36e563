// Package standincheck is the test side of the stand-in cluster manager
// (the program in the parent directory): the JSON description it starts
// from, the log it keeps, and an audit of that log against the rules of the
// reference procedure (rules R1-R7 of the README's "What validate checks").
package standincheck

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/runbookhq/runbook/cluster"
)

// Files in the stand-in's directory.
const (
	StateFile = "state.json"
	LogFile   = "log.jsonl"
	LockFile  = "lock"
)

// Package is the stand-in program's import path, for go build.
const Package = "github.com/runbookhq/runbook/internal/standin"

// Description is the cluster the stand-in starts from (`standin init FILE`).
type Description struct {
	Nodes     []Node     `json:"nodes"`
	Resources []Resource `json:"resources"`
	Licenses  []License  `json:"licenses,omitempty"`
	// MediaVersion defaults to the lowest node version.
	MediaVersion string `json:"media_version,omitempty"`
	// RebootDelay is how long an upgraded node stays down before it rejoins,
	// a Go duration; "" or "0s" rejoins at once. STANDIN_REBOOT_DELAY
	// overrides it.
	RebootDelay string `json:"reboot_delay,omitempty"`
	// OfflineAs is how status reports a shared resource taken offline for
	// the media upgrade: "upgrade" (the default), or "offline", on no node,
	// as a status command that knows no upgrade state would.
	OfflineAs string `json:"offline_as,omitempty"`
}

// Node is a node of a Description, in the version it runs at first.
type Node struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Resource is a resource of a Description; it starts running on its home
// node, the first of Preferred.
type Resource struct {
	Name      string   `json:"name"`
	Preferred []string `json:"preferred"`
	Failback  string   `json:"failback,omitempty"` // "auto" (default) or "manual"
	Shared    bool     `json:"shared,omitempty"`
}

// License is a licence requirement of a Description: a node upgraded to a
// version Version covers does not rejoin a cluster of at least MinNodes
// (default 3) nodes unless the licence is installed.
type License struct {
	Product  string `json:"product"`
	Version  string `json:"version"`
	MinNodes int    `json:"min_nodes,omitempty"`
}

// DescriptionOf describes a declared cluster.
func DescriptionOf(c *cluster.Cluster) Description {
	var d Description
	for _, n := range c.Nodes {
		d.Nodes = append(d.Nodes, Node{Name: n.Name, Version: n.Version})
	}
	for _, r := range c.Resources {
		d.Resources = append(d.Resources, Resource{Name: r.Name, Preferred: append([]string(nil), r.Preferred...), Failback: r.Failback, Shared: r.Shared})
	}
	for _, l := range c.Licenses {
		d.Licenses = append(d.Licenses, License{Product: l.Product, Version: l.Version, MinNodes: l.MinNodes})
	}
	return d
}

// Record kinds.
const (
	KindInit    = "init"    // the log's first record: the description
	KindCommand = "command" // a command the stand-in received
	KindEvent   = "event"   // something that happened between commands (a node rejoined)
)

// Record is one line of the stand-in's log.
type Record struct {
	Seq  int       `json:"seq"`
	Time time.Time `json:"time"`
	Kind string    `json:"kind"`
	// Args are a command's arguments ("leave", "FS1").
	Args []string `json:"args,omitempty"`
	// Exit is the command's exit status.
	Exit int `json:"exit"`
	// Error is the message of a failed command.
	Error string `json:"error,omitempty"`
	// Fault names the injected fault that applied, if any.
	Fault string `json:"fault,omitempty"`
	// Runner is the runbook process the command was run by (the nearest
	// ancestor named runbook), 0 if none: who was acting on the cluster.
	Runner int `json:"runner,omitempty"`
	// Events say what the command or event changed ("failover POOL1 FS1->FS2").
	Events      []string     `json:"events,omitempty"`
	Description *Description `json:"description,omitempty"`
	// Snapshot is the cluster's status after the record.
	Snapshot *cluster.Status `json:"snapshot"`
}

// Op is the record's command as one string ("leave FS1"), or "".
func (r *Record) Op() string {
	if r.Kind != KindCommand {
		return ""
	}
	return strings.Join(r.Args, " ")
}

// ReadLog reads the log of the stand-in kept in dir.
func ReadLog(dir string) ([]Record, error) {
	data, err := os.ReadFile(filepath.Join(dir, LogFile))
	if err != nil {
		return nil, err
	}
	var out []Record
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 64<<20)
	for line := 1; sc.Scan(); line++ {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", LogFile, line, err)
		}
		if r.Snapshot != nil {
			r.Snapshot.Reindex()
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

// Operations returns the successful cluster operations of the log in order,
// one string each ("leave FS1"): every command but status and fault.
func Operations(recs []Record) []string {
	var out []string
	for i := range recs {
		r := &recs[i]
		if r.Kind != KindCommand || r.Exit != 0 || len(r.Args) == 0 || r.Args[0] == "status" || r.Args[0] == "fault" {
			continue
		}
		out = append(out, r.Op())
	}
	return out
}

// Canonical returns ops with each run of consecutive media refreshes
// sorted: the media-upgrade step issues them at once, so their order is not
// the procedure's.
func Canonical(ops []string) []string {
	out := append([]string(nil), ops...)
	for i := 0; i < len(out); {
		j := i
		for j < len(out) && strings.HasPrefix(out[j], "media-refresh ") {
			j++
		}
		if j > i {
			slices.Sort(out[i:j])
			i = j
			continue
		}
		i++
	}
	return out
}

// Build builds the stand-in program into dir and returns its path. It must
// run inside the module (any test of it does).
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "standin")
	out, err := exec.Command("go", "build", "-o", bin, Package).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", Package, err, out)
	}
	return bin, nil
}

// Args returns the stand-in's arguments for a driver operation on its
// subject, as drivers/exec/testdata/ncs.hcl declares them; nil for an
// operation the stand-in does not know.
func Args(op string, node *cluster.Node, res *cluster.Resource, lic *cluster.License, to string) []string {
	switch op {
	case cluster.OpInstallLicense:
		return []string{"license", "add", lic.Product, lic.Version}
	case cluster.OpLeave:
		return []string{"leave", node.Name}
	case cluster.OpUpgrade:
		return []string{"upgrade", node.Name, to}
	case cluster.OpMigrate:
		return []string{"migrate", res.Name, node.Name}
	case cluster.OpOffline:
		return []string{"offline", res.Name}
	case cluster.OpOnline:
		return []string{"online", res.Name, node.Name}
	case cluster.OpMediaUpgrade:
		return []string{"media-upgrade", node.Name}
	case cluster.OpMediaRefresh:
		return []string{"media-refresh", node.Name}
	}
	return nil
}

// CL1Operations is the order of operations the reference procedure sends the
// stand-in for the example cluster CL1 as the tests declare it (FS1-FS3,
// POOL1_SERVER auto and POOL2_SERVER manual on shared storage, WEB not
// shared), upgraded to 6.5 with the media upgraded from FS1.
var CL1Operations = []string{
	"license add NetWare 6.5 Cluster Server 6.5",
	"leave FS1", "upgrade FS1 6.5",
	"leave FS2", "upgrade FS2 6.5", "migrate POOL2_SERVER FS2",
	"leave FS3", "upgrade FS3 6.5",
	"offline POOL1_SERVER", "offline POOL2_SERVER",
	"media-upgrade FS1", "media-refresh FS2", "media-refresh FS3",
	"online POOL1_SERVER FS1", "online POOL2_SERVER FS2",
}
