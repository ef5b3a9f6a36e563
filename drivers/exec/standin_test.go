package execdriver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/internal/standin/standincheck"
)

// standinBin is the stand-in cluster manager, built once by TestMain.
var standinBin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "execdriver-standin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	standinBin, err = standincheck.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// threeNodes is the README's example cluster CL1 (three nodes on 6.0), with
// a manual resource and one that is not on shared storage.
var threeNodes = standincheck.Description{
	Nodes: []standincheck.Node{{Name: "FS1", Version: "6.0"}, {Name: "FS2", Version: "6.0"}, {Name: "FS3", Version: "6.0"}},
	Resources: []standincheck.Resource{
		{Name: "POOL1_SERVER", Preferred: []string{"FS1", "FS2", "FS3"}, Failback: "auto", Shared: true},
		{Name: "POOL2_SERVER", Preferred: []string{"FS2", "FS3", "FS1"}, Failback: "manual", Shared: true},
		{Name: "WEB", Preferred: []string{"FS3", "FS1", "FS2"}},
	},
	Licenses: []standincheck.License{{Product: "NetWare 6.5 Cluster Server", Version: "6.5", MinNodes: 3}},
}

var (
	fs1   = cluster.Node{Name: "FS1", Address: "10.10.0.11", Version: "6.0"}
	fs2   = cluster.Node{Name: "FS2", Address: "10.10.0.12", Version: "6.0"}
	fs3   = cluster.Node{Name: "FS3", Address: "10.10.0.13", Version: "6.0"}
	pool1 = cluster.Resource{Name: "POOL1_SERVER", Shared: true, Preferred: []string{"FS1", "FS2", "FS3"}, Failback: "auto"}
	pool2 = cluster.Resource{Name: "POOL2_SERVER", Shared: true, Preferred: []string{"FS2", "FS3", "FS1"}, Failback: "manual"}
	web   = cluster.Resource{Name: "WEB", Preferred: []string{"FS3", "FS1", "FS2"}}
	ncs65 = cluster.License{Name: "ncs65", Product: "NetWare 6.5 Cluster Server", Version: "6.5", Seats: 3, MinNodes: 3}
)

// standinOps maps each operation to the stand-in, as testdata/ncs.hcl does.
func standinOps(bin string) cluster.CommandsFunc {
	return func(op string, s cluster.Subject) (cluster.Command, bool, error) {
		args := standincheck.Args(op, s.Node, s.Resource, s.License, s.To)
		if args == nil {
			return cluster.Command{}, false, nil
		}
		return cluster.Command{Argv: append([]string{bin}, args...)}, true, nil
	}
}

// syncBuffer is a bytes.Buffer safe for the driver's log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// standin is one stand-in cluster in a temporary directory.
type standin struct {
	dir string
	log *syncBuffer
}

// newStandin starts a stand-in cluster from desc and returns it with an exec
// driver for it; env adds to the commands' environment (STANDIN_FAULTS...).
func newStandin(t *testing.T, desc standincheck.Description, cfg Config, env ...string) (*standin, *Driver) {
	t.Helper()
	s := &standin{dir: t.TempDir(), log: &syncBuffer{}}
	data, err := json.Marshal(desc)
	if err != nil {
		t.Fatal(err)
	}
	descFile := filepath.Join(s.dir, "desc.json")
	if err := os.WriteFile(descFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	clusterDir := filepath.Join(s.dir, "cluster")
	if out, err := runStandin(clusterDir, "init", descFile); err != nil {
		t.Fatalf("standin init: %v\n%s", err, out)
	}
	s.dir = clusterDir
	if cfg.Ops == nil {
		cfg.Ops = standinOps(standinBin)
	}
	if cfg.Status.Argv == nil && cfg.Status.Shell == "" {
		cfg.Status = cluster.Command{Argv: []string{standinBin, "status"}}
	}
	cfg.Env = append([]string{"STANDIN_DIR=" + clusterDir}, env...)
	cfg.Log = s.log
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, d
}

func runStandin(dir string, args ...string) ([]byte, error) {
	return execCombined(append([]string{standinBin, "-dir", dir}, args...)...)
}

func (s *standin) records(t *testing.T) []standincheck.Record {
	t.Helper()
	recs, err := standincheck.ReadLog(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func mustStatus(t *testing.T, d *Driver) *cluster.Status {
	t.Helper()
	st, err := d.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func wantContains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}

// TestStandinGate: a block fault holds the stand-in's command at a gate,
// before its effect (block) or after it (block-after), until the test opens
// it; the command reports its process group there, and a second command the
// fault matches passes.
func TestStandinGate(t *testing.T) {
	for _, tc := range []struct {
		fault, point string
		state        string // offline_as
	}{{"block", "before", ""}, {"block-after", "after", "offline"}} {
		t.Run(tc.fault, func(t *testing.T) {
			gate := t.TempDir()
			desc := threeNodes
			desc.OfflineAs = tc.state
			// Every node at 6.5: the media await their upgrade.
			desc.Nodes = []standincheck.Node{{Name: "FS1", Version: "6.5"}, {Name: "FS2", Version: "6.5"}, {Name: "FS3", Version: "6.5"}}
			desc.MediaVersion = "6.0"
			_, d := newStandin(t, desc, Config{}, "STANDIN_FAULTS="+tc.fault+":offline:POOL1_SERVER", "STANDIN_GATE="+gate)
			var pgid atomic.Int64
			ctx := cluster.WithCommandStarted(context.Background(), func(c cluster.StartedCommand) { pgid.Store(int64(c.Pgid)) })
			done := make(chan error, 1)
			go func() { done <- d.Offline(ctx, pool1) }()
			marker := filepath.Join(gate, "offline:POOL1_SERVER."+tc.point)
			deadline := time.Now().Add(10 * time.Second)
			for {
				if data, err := os.ReadFile(marker); err == nil && strings.HasSuffix(string(data), "\n") && pgid.Load() != 0 {
					if got, _ := strconv.Atoi(strings.TrimSpace(string(data))); int64(got) != pgid.Load() {
						t.Errorf("the gate holds process group %q; the driver reported %d", data, pgid.Load())
					}
					break
				}
				select {
				case err := <-done:
					t.Fatalf("the command did not wait at the gate: %v", err)
				default:
				}
				if time.Now().After(deadline) {
					t.Fatal("the command never reached the gate")
				}
				time.Sleep(5 * time.Millisecond)
			}
			st, err := d.Status(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"before": cluster.ResourceRunning, "after": cluster.ResourceUpgrade}[tc.point]
			if tc.state != "" {
				want = tc.state
			}
			if got := st.Resources["POOL1_SERVER"].State; got != want {
				t.Errorf("POOL1_SERVER at the gate %s its effect: %s; want %s", tc.point, got, want)
			}
			if err := os.WriteFile(marker+".go", nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			// Once through: the same command again does not wait.
			if err := d.Offline(context.Background(), pool1); err != nil {
				t.Fatal(err)
			}
		})
	}
}
