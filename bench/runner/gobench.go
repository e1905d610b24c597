package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// goBench is one line of go test -bench output.
type goBench struct {
	Name    string // without the Benchmark prefix and the -GOMAXPROCS suffix
	Procs   int
	N       int64
	Metrics []metric // in the order printed: ns/op, B/op, allocs/op, then custom ones
}

type metric struct {
	Value float64
	Unit  string
}

// Metric returns the value of unit, if printed.
func (b goBench) Metric(unit string) (float64, bool) {
	for _, m := range b.Metrics {
		if m.Unit == unit {
			return m.Value, true
		}
	}
	return 0, false
}

// parseGoBench reads the benchmark lines of go test -bench output.
func parseGoBench(out string) ([]goBench, error) {
	var bs []goBench
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue // a log line that starts with Benchmark
		}
		b := goBench{Name: strings.TrimPrefix(f[0], "Benchmark"), Procs: 1, N: n}
		if i := strings.LastIndexByte(b.Name, '-'); i > 0 {
			if p, err := strconv.Atoi(b.Name[i+1:]); err == nil {
				b.Name, b.Procs = b.Name[:i], p
			}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("go bench line %q: %w", line, err)
			}
			b.Metrics = append(b.Metrics, metric{v, f[i+1]})
		}
		bs = append(bs, b)
	}
	return bs, nil
}

// runGoBench runs package mockeko's benchmarks (this harness's 1,000
// parallel servers, and whatever other in-process benchmarks exist there).
func runGoBench(ctx context.Context, cfg *config) ([]goBench, error) {
	benchtime := "1s"
	if cfg.smoke {
		benchtime = "1x"
	}
	cmd := exec.CommandContext(ctx, cfg.goBin, "test", "-run", "^$", "-bench", ".", "-benchmem", "-benchtime", benchtime, "-count", "1", "./mockeko/")
	cmd.Dir = cfg.modDir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go test -bench: %w\n%s", err, out.String())
	}
	bs, err := parseGoBench(out.String())
	if err != nil {
		return nil, err
	}
	if len(bs) == 0 {
		return nil, fmt.Errorf("go test -bench printed no benchmark:\n%s", out.String())
	}
	return bs, nil
}
