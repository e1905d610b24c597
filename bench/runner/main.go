// Command runner measures mockeko against the machine's limit and against
// Prism, and writes the table of BENCHMARKS.md. scripts/bench.sh installs the
// tools, builds the binaries and runs it; run that, not this.
//
// Usage:
//
//	runner [flags]                 run every measurement and write -out
//	runner inproc-memory [flags]   (internal) push in-process and print memory figures
//
// In -smoke mode every measurement runs for about a second with tiny counts:
// it checks the plumbing, not the numbers, and fails if any measurement
// produced no result.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "runner:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "inproc-memory" {
		return inprocMemoryMain(args[1:], stdout, stderr)
	}
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := measure(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	res.Elapsed = time.Since(start)
	if err := writeReport(cfg, res); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "runner: wrote %s in %s\n", cfg.out, res.Elapsed.Round(time.Second))
	if err := res.check(cfg); err != nil {
		return fmt.Errorf("results incomplete or with errors (see %s): %w", cfg.out, err)
	}
	return nil
}

// config is what the flags say.
type config struct {
	mockeko    string // mockeko binary
	baseline   string // an older mockeko binary to compare with; empty: none
	bare       string // bare binary
	prism      string // Prism's CLI; empty: Prism rows are n/a
	spec       string // OpenAPI document Prism mocks
	wrk        string
	goBin      string // the go command, for the in-process Go benchmarks; empty skips them
	modDir     string // module root, for go test
	self       string // this binary, re-run for inproc-memory
	out        string
	command    string // the command line to quote in the report
	smoke      bool
	dur        time.Duration
	warmup     time.Duration
	reps       int
	conns      []int
	coldRuns   int
	coldPrism  int
	pushes     int // loopback and in-process pushes for the memory figures
	capMsgs    int // retention cap for the bounded-RSS figure
	cpuServer  string
	cpuLoad    string
	gomaxprocs int
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("runner", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.mockeko, "mockeko", "bin/mockeko", "mockeko binary")
	fs.StringVar(&c.baseline, "baseline", "", "an older mockeko binary measured beside -mockeko (before/after figures)")
	fs.StringVar(&c.bare, "bare", "bin/bare", "bare net/http server binary (bench/bare)")
	fs.StringVar(&c.prism, "prism", "", "Prism CLI (bench/node_modules/.bin/prism); empty skips Prism")
	fs.StringVar(&c.spec, "spec", "", "OpenAPI document for Prism")
	fs.StringVar(&c.wrk, "wrk", "wrk", "wrk binary")
	fs.StringVar(&c.goBin, "go", "go", "go command for the in-process Go benchmarks; empty skips them")
	fs.StringVar(&c.modDir, "module", ".", "module root (for go test)")
	fs.StringVar(&c.out, "out", "BENCHMARKS.md", "report to write (the generated section between the markers)")
	fs.StringVar(&c.command, "command", "scripts/bench.sh", "command quoted in the report")
	fs.BoolVar(&c.smoke, "smoke", false, "run everything for about a second with tiny counts (checks plumbing, not numbers)")
	fs.DurationVar(&c.dur, "d", 3*time.Second, "duration of one load run")
	fs.DurationVar(&c.warmup, "warmup", 2*time.Second, "warm-up load before a target's first run of a call")
	fs.IntVar(&c.reps, "reps", 3, "runs per cell; the table gives the median")
	fs.IntVar(&c.coldRuns, "cold", 21, "cold starts of mockeko (median)")
	fs.IntVar(&c.coldPrism, "cold-prism", 7, "cold starts of Prism (median)")
	fs.IntVar(&c.pushes, "pushes", 1_000_000, "pushes for the memory figures")
	fs.IntVar(&c.capMsgs, "cap", 10_000, "retention cap (--message-cap) for the bounded-RSS figure")
	fs.StringVar(&c.cpuServer, "cpu-server", "1", "CPU list the server under test is pinned to (taskset); empty: no pinning")
	fs.StringVar(&c.cpuLoad, "cpu-load", "0", "CPU list wrk is pinned to (taskset); empty: no pinning")
	fs.IntVar(&c.gomaxprocs, "gomaxprocs", 1, "GOMAXPROCS of the Go servers under load")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.conns = []int{16, 64}
	if c.smoke {
		c.dur, c.warmup, c.reps = time.Second, 0, 1
		c.coldRuns, c.coldPrism = 3, 1
		c.pushes, c.capMsgs = 20_000, 1_000
	}
	if c.reps < 1 || c.coldRuns < 1 || c.coldPrism < 1 || c.pushes < 4 || c.capMsgs < 1 {
		return nil, errors.New("-reps, -cold, -cold-prism and -cap must be at least 1, -pushes at least 4")
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	c.self = self
	return c, nil
}
