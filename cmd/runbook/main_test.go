package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmdtest"

	"github.com/runbookhq/runbook/runtime"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.ct transcripts with the output of this run")

// fixtureDirs are copied into each transcript's ${ROOTDIR} before it runs,
// each to the folder named by its key, so that the transcripts use short
// relative paths and print them the same on every machine.
var fixtureDirs = map[string]string{
	".":            "testdata/fixtures",           // this command's own fixtures
	"runbooks":     "../../runbooks",              // the example runbooks
	"lang/invalid": "../../testdata/lang/invalid", // lang's invalid fixtures, one per check
}

// TestTranscripts runs the go-cmdtest transcripts in testdata/*.ct: each is a
// sequence of `$ runbook ...` lines and the output they must print (stdout
// and stderr merged), `--> FAIL N` marking an expected exit code N. Run
// `go test ./cmd/runbook -update` to regenerate them, then read the diff.
//
// Every command runs in this process (cmdtest v0.4.0 has no parallel mode),
// in a fresh temporary directory per .ct file; only that directory is
// scrubbed from the output (as ${ROOTDIR}), so output must not include wall
// clock times or random names.
func TestTranscripts(t *testing.T) {
	ts, err := cmdtest.Read("testdata")
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]string{}
	for dst, src := range fixtureDirs {
		abs, err := filepath.Abs(src)
		if err != nil {
			t.Fatal(err)
		}
		sources[dst] = abs
	}
	ts.Setup = func(rootDir string) error {
		// setenv persists for the whole process: start every file clean.
		for _, kv := range os.Environ() {
			if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "RUNBOOK_") {
				os.Unsetenv(name)
			}
		}
		for dst, src := range sources {
			if _, err := os.Stat(src); os.IsNotExist(err) {
				continue
			}
			if err := copyTree(src, filepath.Join(rootDir, dst)); err != nil {
				return err
			}
		}
		return nil
	}
	runbook := cmdtest.InProcessProgram("runbook", func() int {
		return run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	})
	ts.Commands["runbook"] = func(args []string, inputFile string) ([]byte, error) {
		out, err := runbook(args, inputFile)
		return scrubWho(out), err
	}
	ts.Commands["unsetenv"] = func(args []string, _ string) ([]byte, error) {
		if len(args) != 1 {
			return nil, fmt.Errorf("need exactly 1 argument")
		}
		return nil, os.Unsetenv(args[0])
	}
	ts.Run(t, *update)
}

// copyTree copies the regular files under src to dst, keeping their modes.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			if path != src && d.Name() == ".runbook" {
				return filepath.SkipDir // a state directory left by a manual run
			}
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() || strings.HasSuffix(path, ".go") {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
}

// scrubWho replaces, in indented JSON output (report --json), the user and
// host that ran the transcript with ${USER} and ${HOST}, which differ from
// one machine to the next.
func scrubWho(out []byte) []byte {
	h := runtime.CurrentHolder("")
	for key, val := range map[string]string{"user": h.User, "host": h.Host} {
		if val == "" {
			continue
		}
		old, _ := json.Marshal(val)
		out = bytes.ReplaceAll(out, []byte(`"`+key+`": `+string(old)), []byte(`"`+key+`": "${`+strings.ToUpper(key)+`}"`))
	}
	return out
}
