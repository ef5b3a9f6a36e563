// Package scripts holds the example runbooks' helper scripts; its test runs
// them against fake hosts.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/cluster"
)

// fakeSSH stands for ssh: `ssh -o K=V ... root@HOST COMMAND` runs COMMAND
// with /bin/sh as if on HOST, whose files are $FAKE_ROOT/HOST/etc/...; a
// host with no directory does not answer (exit 255, as ssh).
const fakeSSH = `#!/bin/sh
while [ "$1" = -o ]; do shift 2; done
host=${1#root@}
shift
[ -d "$FAKE_ROOT/$host" ] || { echo "ssh: connect to host $host port 22: No route to host" >&2; exit 255; }
cmd=$(printf '%s' "$*" | sed "s#/etc/#$FAKE_ROOT/$host/etc/#g")
FAKE_HOST=$host PATH=$FAKE_ROOT/bin:$PATH exec /bin/sh -c "$cmd"
`

// fakeCluster stands for NCS's cluster command: `cluster view` and
// `cluster status` print the host's files cluster-view and cluster-status.
const fakeCluster = `#!/bin/sh
cat "$FAKE_ROOT/$FAKE_HOST/cluster-$1"
`

const clusterView = `Cluster CL1
This node FS1 [epoch 7 master node FS1]
Cluster nodes [ FS1, FS2, FS3 ]
`

// host is what one fake host holds.
type host struct {
	release, mediaRead, mediaVersion string
}

func writeHosts(t *testing.T, root string, hosts map[string]*host, status string) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(root, "hosts")); err != nil {
		t.Fatal(err)
	}
	for addr, h := range hosts {
		dir := filepath.Join(root, "hosts", addr)
		files := map[string]string{"cluster-view": clusterView, "cluster-status": status}
		if h.release != "" {
			files["etc/novell-release"] = "Open Enterprise Server\nVERSION = " + h.release + "\nPATCHLEVEL = 0\n"
		}
		if h.mediaRead != "" {
			files["etc/opt/novell/ncs/media-read"] = h.mediaRead + "\n"
		}
		if h.mediaVersion != "" {
			files["etc/opt/novell/ncs/media-version"] = h.mediaVersion + "\n"
		}
		for name, data := range files {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestNCSStatusJSON runs ncs-status-json through a whole media upgrade on
// fake hosts, and reads what it prints as the exec driver does: each
// node's version and the media it has read, the cluster's media, and the
// last values seen of a node that stops answering.
func TestNCSStatusJSON(t *testing.T) {
	if _, err := exec.LookPath("awk"); err != nil {
		t.Skip("no awk")
	}
	root := t.TempDir()
	bin := filepath.Join(root, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{"ssh": fakeSSH, "cluster": fakeCluster} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(src), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script, err := filepath.Abs("ncs-status-json")
	if err != nil {
		t.Fatal(err)
	}
	running := `Master_IP_Address_Resource  Running  FS1  1
POOL1_SERVER                Running  FS1  3
POOL2_SERVER                Running  FS2  2
`
	offline := `Master_IP_Address_Resource  Running  FS1  1
POOL1_SERVER                Offline  FS1  3
POOL2_SERVER                Offline  FS2  2
`
	node := func(v, state, media string) cluster.NodeStatus {
		return cluster.NodeStatus{Version: v, State: state, Media: media}
	}
	for _, tc := range []struct {
		name   string
		hosts  map[string]*host
		status string
		want   cluster.Status
	}{{
		name:   "before the roll: no media file, the lowest version",
		hosts:  map[string]*host{"fs1": {release: "23.4"}, "fs2": {release: "23.4"}, "fs3": {release: "23.4"}},
		status: running,
		want: cluster.Status{
			Nodes:        map[string]cluster.NodeStatus{"FS1": node("23.4", "up", ""), "FS2": node("23.4", "up", ""), "FS3": node("23.4", "up", "")},
			Resources:    map[string]cluster.ResourceStatus{"POOL1_SERVER": {State: "running", Node: "FS1"}, "POOL2_SERVER": {State: "running", Node: "FS2"}},
			MediaVersion: "23.4",
		},
	}, {
		name:   "every node upgraded, pools offline for the media upgrade, not yet upgraded",
		hosts:  map[string]*host{"fs1": {release: "24.4"}, "fs2": {release: "24.4"}, "fs3": {release: "24.4"}},
		status: offline,
		want: cluster.Status{
			Nodes:        map[string]cluster.NodeStatus{"FS1": node("24.4", "up", ""), "FS2": node("24.4", "up", ""), "FS3": node("24.4", "up", "")},
			Resources:    map[string]cluster.ResourceStatus{"POOL1_SERVER": {State: "upgrade", Node: "FS1"}, "POOL2_SERVER": {State: "upgrade", Node: "FS2"}},
			MediaVersion: "23.4",
		},
	}, {
		name: "media upgraded from FS1, FS2 refreshed, FS3 not yet",
		hosts: map[string]*host{"fs1": {release: "24.4", mediaRead: "24.4", mediaVersion: "24.4"},
			"fs2": {release: "24.4", mediaRead: "24.4"}, "fs3": {release: "24.4", mediaRead: "23.4"}},
		status: offline,
		want: cluster.Status{
			Nodes:        map[string]cluster.NodeStatus{"FS1": node("24.4", "up", "24.4"), "FS2": node("24.4", "up", "24.4"), "FS3": node("24.4", "up", "23.4")},
			Resources:    map[string]cluster.ResourceStatus{"POOL1_SERVER": {State: "offline", Node: "FS1"}, "POOL2_SERVER": {State: "offline", Node: "FS2"}},
			MediaVersion: "24.4",
		},
	}, {
		name:   "FS3 stops answering: its last version and media are kept",
		hosts:  map[string]*host{"fs1": {release: "24.4", mediaRead: "24.4", mediaVersion: "24.4"}, "fs2": {release: "24.4", mediaRead: "24.4"}},
		status: running,
		want: cluster.Status{
			Nodes:        map[string]cluster.NodeStatus{"FS1": node("24.4", "up", "24.4"), "FS2": node("24.4", "up", "24.4"), "FS3": node("24.4", "up", "23.4")},
			Resources:    map[string]cluster.ResourceStatus{"POOL1_SERVER": {State: "running", Node: "FS1"}, "POOL2_SERVER": {State: "running", Node: "FS2"}},
			MediaVersion: "24.4",
		},
	}} {
		// The cases run in order: each sees the cache the one before left.
		writeHosts(t, root, tc.hosts, tc.status)
		cmd := exec.Command(script, "-m", "23.4", "fs1", "FS1=fs1", "FS2=fs2", "FS3=fs3")
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "FAKE_ROOT="+filepath.Join(root, "hosts"),
			"XDG_CACHE_HOME="+filepath.Join(root, "cache"))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.name, err, out)
		}
		got, err := cluster.ParseStatus(out)
		if err != nil {
			t.Fatalf("%s: the exec driver cannot read it: %v\n%s", tc.name, err, out)
		}
		if diff := cmp.Diff(tc.want.Nodes, got.Nodes); diff != "" {
			t.Errorf("%s: nodes (-want +got):\n%s\n%s", tc.name, diff, out)
		}
		if diff := cmp.Diff(tc.want.Resources, got.Resources); diff != "" {
			t.Errorf("%s: resources (-want +got):\n%s\n%s", tc.name, diff, out)
		}
		if got.MediaVersion != tc.want.MediaVersion {
			t.Errorf("%s: media_version %q, want %q\n%s", tc.name, got.MediaVersion, tc.want.MediaVersion, out)
		}
	}
}
