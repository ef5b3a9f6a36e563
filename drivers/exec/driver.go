package execdriver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/runbookhq/runbook/cluster"
)

// Defaults of Config's tuning fields.
const (
	DefaultKillGrace = 5 * time.Second
	DefaultMaxOutput = 1 << 20
)

const statusWhat = "status"

// ErrNotDeclared marks an operation the runbook declares no command for.
var ErrNotDeclared = errors.New("no command declared for the operation")

// Config configures a Driver.
type Config struct {
	// Ops gives each operation's command, evaluated for its subject (the
	// runbook's exec block). A nil Ops declares none.
	Ops cluster.Commands
	// Status prints the cluster's status JSON. Required.
	Status cluster.Command
	// Dir is the working directory of the commands; "" is the runbook
	// process's own.
	Dir string
	// Env holds KEY=VALUE pairs added to the environment the commands inherit
	// from the runbook process.
	Env []string
	// Log, if set, receives every command line run, its captured output and
	// its exit status: the run's log of what was done to the cluster.
	Log io.Writer
	// Redact, if set, hides sensitive values in the words of a command
	// where it is shown (the log, errors); the command runs with them.
	Redact func(string) string
	// LogStatusChanges logs a successful status command only when its output
	// differs from the last one logged, so that the polls of a long wait do
	// not fill the log.
	LogStatusChanges bool

	// CommandTimeout, if positive, bounds each command's run time on top of
	// the caller's context (the step's deadline).
	CommandTimeout time.Duration
	// InDoubtExitCodes are exit statuses after which an operation's outcome
	// is unknown: ssh exits 255 when the connection drops, whatever the
	// remote command did. Such a failure is in doubt (cluster.ErrInDoubt),
	// so the next run settles the step from the cluster's status and never
	// issues the operation again blindly.
	InDoubtExitCodes []int
	// KillGrace is how long a stopped command's process group has between
	// SIGTERM and SIGKILL (DefaultKillGrace if zero).
	KillGrace time.Duration
	// GateDir is where each operation's command creates its Ran file
	// (cluster.StartedCommand) once past the gate; os.TempDir() if "".
	GateDir string
	// MaxOutput bounds the bytes kept of each of a command's output streams
	// (DefaultMaxOutput if zero); the rest is read and dropped. A status
	// larger than this is an error.
	MaxOutput int
}

// Driver is the exec driver. It is safe for concurrent use.
type Driver struct {
	cluster.WallClock
	cfg        Config
	grace      time.Duration
	maxOutput  int
	gateDir    string
	logMu      sync.Mutex
	lastStatus []byte // guarded by logMu
}

var _ cluster.Driver = (*Driver)(nil)

// New returns an exec driver.
func New(cfg Config) (*Driver, error) {
	if len(cfg.Status.Argv) == 0 && strings.TrimSpace(cfg.Status.Shell) == "" {
		return nil, errors.New(`the exec driver needs a status command: add status = ["COMMAND", "ARG", ...] (or a shell string) to the cluster's exec {} block; it must print the cluster's status JSON`)
	}
	d := &Driver{cfg: cfg, grace: cfg.KillGrace, maxOutput: cfg.MaxOutput, gateDir: cfg.GateDir}
	if d.gateDir == "" {
		d.gateDir = os.TempDir()
	}
	if d.grace <= 0 {
		d.grace = DefaultKillGrace
	}
	if d.maxOutput <= 0 {
		d.maxOutput = DefaultMaxOutput
	}
	return d, nil
}

// Status runs the status command and parses its output. A status command
// killed by a signal that stops a runbook (SIGINT, SIGTERM, SIGQUIT, SIGHUP)
// runs once more: such a signal sent to the runbook's process group (a
// terminal's Ctrl-C) also kills a command forked at that moment, before it
// has left the group for its own, and a status only reads the cluster.
func (d *Driver) Status(ctx context.Context) (*cluster.Status, error) {
	r, err := d.run(ctx, statusWhat, d.cfg.Status, false)
	if killedByStopSignal(err) && ctx.Err() == nil {
		r, err = d.run(ctx, statusWhat, d.cfg.Status, false)
	}
	if err != nil {
		return nil, err
	}
	cmd := displayCommand(d.cfg.Status)
	if r.stdout.dropped > 0 {
		return nil, fmt.Errorf("status: command %s printed more than %d bytes; the status JSON must be smaller (raise the exec driver's output limit)", cmd, d.maxOutput)
	}
	out := r.stdout.buf
	if len(bytes.TrimSpace(out)) == 0 {
		return nil, fmt.Errorf("status: command %s printed nothing; it must print the cluster's status JSON", cmd)
	}
	st, err := cluster.ParseStatus(out)
	if err != nil {
		return nil, fmt.Errorf("status: command %s: %w; its output begins %s", cmd, err, firstBytes(out, 120))
	}
	return st, nil
}

func firstBytes(b []byte, n int) string {
	b = bytes.TrimSpace(b)
	if len(b) > n {
		return fmt.Sprintf("%q...", b[:n])
	}
	return fmt.Sprintf("%q", b)
}

// InstallLicense runs install_license.
func (d *Driver) InstallLicense(ctx context.Context, l cluster.License) error {
	what := fmt.Sprintf("install licence %s (%s %s)", l.Name, l.Product, l.Version)
	return d.do(ctx, cluster.OpInstallLicense, what, cluster.Subject{License: &l})
}

// Leave runs leave.
func (d *Driver) Leave(ctx context.Context, n cluster.Node) error {
	return d.do(ctx, cluster.OpLeave, "leave "+n.Name, cluster.Subject{Node: &n})
}

// Upgrade runs upgrade.
func (d *Driver) Upgrade(ctx context.Context, n cluster.Node, to string) error {
	return d.do(ctx, cluster.OpUpgrade, fmt.Sprintf("upgrade %s to %s", n.Name, to), cluster.Subject{Node: &n, To: to})
}

// Migrate runs migrate.
func (d *Driver) Migrate(ctx context.Context, r cluster.Resource, n cluster.Node) error {
	return d.do(ctx, cluster.OpMigrate, fmt.Sprintf("migrate %s to %s", r.Name, n.Name), cluster.Subject{Resource: &r, Node: &n})
}

// Offline runs offline.
func (d *Driver) Offline(ctx context.Context, r cluster.Resource) error {
	return d.do(ctx, cluster.OpOffline, "offline "+r.Name, cluster.Subject{Resource: &r})
}

// Online runs online.
func (d *Driver) Online(ctx context.Context, r cluster.Resource, n cluster.Node) error {
	return d.do(ctx, cluster.OpOnline, fmt.Sprintf("online %s on %s", r.Name, n.Name), cluster.Subject{Resource: &r, Node: &n})
}

// MediaUpgrade runs media_upgrade.
func (d *Driver) MediaUpgrade(ctx context.Context, n cluster.Node) error {
	return d.do(ctx, cluster.OpMediaUpgrade, "media upgrade on "+n.Name, cluster.Subject{Node: &n})
}

// MediaRefresh runs media_refresh.
func (d *Driver) MediaRefresh(ctx context.Context, n cluster.Node) error {
	return d.do(ctx, cluster.OpMediaRefresh, "media refresh on "+n.Name, cluster.Subject{Node: &n})
}

func (d *Driver) do(ctx context.Context, op, what string, subj cluster.Subject) error {
	if d.cfg.Ops == nil {
		return notDeclared(op, what)
	}
	c, declared, err := d.cfg.Ops.Command(op, subj)
	if err != nil {
		return fmt.Errorf("%s: evaluating the %s command of the exec {} block: %w", what, op, err)
	}
	if !declared {
		return notDeclared(op, what)
	}
	_, err = d.run(ctx, what, c, true)
	return err
}

func notDeclared(op, what string) error {
	return fmt.Errorf("%s: %w: the runbook's exec driver has no %q command; add %s = [\"COMMAND\", \"ARG\", ...] (or a shell string) to the exec {} block of the cluster", what, ErrNotDeclared, op, op)
}

// logRun writes one command's record to the log.
func (d *Driver) logRun(what, display string, r *result, err error) {
	if d.cfg.Log == nil {
		return
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s: $ %s\n", time.Now().Format("2006-01-02T15:04:05.000Z07:00"), what, display)
	logStream(&b, "out| ", &r.stdout)
	logStream(&b, "err| ", &r.stderr)
	switch {
	case err != nil && r.exitCode < 0:
		fmt.Fprintf(&b, "  %v (after %s)\n", err, r.took.Round(time.Millisecond))
	default:
		fmt.Fprintf(&b, "  exit %d (after %s)\n", r.exitCode, r.took.Round(time.Millisecond))
	}
	d.logMu.Lock()
	defer d.logMu.Unlock()
	if d.cfg.LogStatusChanges && what == statusWhat && err == nil {
		if bytes.Equal(d.lastStatus, r.stdout.buf) {
			return
		}
		d.lastStatus = append(d.lastStatus[:0], r.stdout.buf...)
	}
	_, _ = d.cfg.Log.Write(b.Bytes())
}

func logStream(b *bytes.Buffer, prefix string, c *capture) {
	out := bytes.TrimRight(c.buf, "\n")
	if len(out) == 0 && c.dropped == 0 {
		return
	}
	for _, line := range bytes.Split(out, []byte("\n")) {
		b.WriteString("  ")
		b.WriteString(prefix)
		b.Write(line)
		b.WriteByte('\n')
	}
	if c.dropped > 0 {
		fmt.Fprintf(b, "  %s[%d more bytes not kept]\n", prefix, c.dropped)
	}
}

// hidden is c with Redact applied to its words, for display.
func hidden(c cluster.Command, redact func(string) string) cluster.Command {
	if redact == nil {
		return c
	}
	out := cluster.Command{Shell: redact(c.Shell)}
	if c.Argv != nil {
		out.Argv = make([]string, len(c.Argv))
		for i, w := range c.Argv {
			out.Argv[i] = redact(w)
		}
	}
	return out
}
