package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/runtime/report"
)

// chromium finds Debian's Chromium (.ci/install-chromium installs it). It
// skips the test without it, and fails it under CI.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed: .ci/install-chromium installs it")
	}
	t.Skip("chromium is not installed: .ci/install-chromium installs it")
	return ""
}

// headless runs Chromium headless on a file:// URL with a fresh profile and
// nothing that reaches the network, bounded in time.
func headless(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir()}, args...)
	cmd := exec.CommandContext(ctx, bin, all...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// TestReportInBrowser loads the report of the seed runbook's run in a real
// browser: every node and resource has its lane in the timeline, and the
// downtime the page shows is that of `report --json`. Its screenshot is the
// README's picture of a report (rewritten with -update).
func TestReportInBrowser(t *testing.T) {
	bin := chromium(t)
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../../runbooks/netware65-rolling-upgrade.hcl")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "runbooks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "runbooks", "netware65-rolling-upgrade.hcl"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"run", "--auto-approve", "runbooks/netware65-rolling-upgrade.hcl"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("run exited %d:\n%s%s", code, stdout.String(), stderr.String())
	}
	page := filepath.Join(dir, "runbooks", ".runbook", "netware65-rolling-upgrade", runtime.ReportBlob)
	if !strings.Contains(stdout.String(), "Report: runbooks/.runbook/netware65-rolling-upgrade/report.html\n") {
		t.Errorf("run does not name its report:\n%s", stdout.String())
	}
	stdout.Reset()
	if code := run([]string{"report", "--json", "runbooks/netware65-rolling-upgrade.hcl"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("report --json exited %d:\n%s", code, stderr.String())
	}
	var rep report.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}

	url := "file://" + page
	dom, err := html.Parse(bytes.NewReader(headless(t, bin, "--dump-dom", url)))
	if err != nil {
		t.Fatal(err)
	}
	lanes := map[string]bool{}
	shown := map[string][2]string{} // resource: predicted, measured as shown
	walk(dom, func(n *html.Node) {
		switch {
		case n.Data == "g" && attr(n, "class") == "lane":
			lanes[attr(n, "data-kind")+" "+attr(n, "data-name")] = true
		case n.Data == "tr" && attr(n, "class") == "downtime":
			var cells [2]string
			walk(n, func(c *html.Node) {
				switch attr(c, "class") {
				case "num predicted":
					cells[0] = text(c) + " " + attr(c, "data-seconds")
				case "num measured":
					cells[1] = text(c) + " " + attr(c, "data-seconds")
				}
			})
			shown[attr(n, "data-resource")] = cells
		}
	})
	if len(rep.Nodes) != 3 || len(rep.Resources) != 4 {
		t.Fatalf("report --json has %d nodes and %d resources; want 3 and 4", len(rep.Nodes), len(rep.Resources))
	}
	for _, l := range rep.Nodes {
		if !lanes["node "+l.Name] {
			t.Errorf("no lane for node %s in the page's timeline", l.Name)
		}
	}
	for _, l := range rep.Resources {
		if !lanes["resource "+l.Name] {
			t.Errorf("no lane for resource %s in the page's timeline", l.Name)
		}
	}
	for _, d := range rep.Downtime {
		want := [2]string{fmtSeconds(d.PredictedSeconds) + " " + strconv.FormatFloat(d.PredictedSeconds, 'g', -1, 64),
			fmtSeconds(d.MeasuredSeconds) + " " + strconv.FormatFloat(d.MeasuredSeconds, 'g', -1, 64)}
		if got, ok := shown[d.Resource]; !ok {
			t.Errorf("the page shows no downtime for %s", d.Resource)
		} else if got != want {
			t.Errorf("the page shows the downtime of %s as %q (predicted, measured); report --json says %q", d.Resource, got, want)
		}
	}
	if len(shown) != len(rep.Downtime) {
		t.Errorf("the page shows the downtime of %d resources; report --json of %d", len(shown), len(rep.Downtime))
	}

	shot := filepath.Join(t.TempDir(), "report.png")
	headless(t, bin, "--window-size=1280,1000", "--screenshot="+shot, url)
	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the screenshot: %v", err)
	}
	if sz := img.Bounds().Size(); sz.X != 1280 || sz.Y != 1000 {
		t.Errorf("the screenshot is %v; want 1280x1000", sz)
	}
	if *update {
		if err := os.WriteFile(filepath.Join(testdata, "report.png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func walk(n *html.Node, f func(*html.Node)) {
	if n.Type == html.ElementNode {
		f(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
	}
	rec(n)
	return strings.TrimSpace(b.String())
}
