package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"time"
)

// measureCold starts mockeko and Prism again and again: process start to
// first 2xx of the ready probe. The servers are not pinned and keep their
// default GOMAXPROCS: this is how a user starts them.
func measureCold(ctx context.Context, cfg *config, res *results, targets []*target, logf func(string, ...any)) error {
	for _, t := range targets {
		var runs int
		switch t.key {
		case tOff:
			runs = cfg.coldRuns
		case tPrism:
			runs = cfg.coldPrism
		default:
			continue
		}
		if t.na != "" {
			res.ColdNA[t.key] = t.na
			continue
		}
		for range runs {
			d, err := coldStart(ctx, t)
			if err != nil {
				return err
			}
			res.Cold[t.key] = append(res.Cold[t.key], d)
		}
		logf("cold start %s: median %v of %d", t.title, median(res.Cold[t.key]), runs)
	}
	return nil
}

func coldStart(ctx context.Context, t *target) (time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	started := time.Now()
	srv, err := startServer(t.title, t.argv(port), nil, port)
	if err != nil {
		return 0, err
	}
	defer srv.stop()
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	return srv.waitReady(rctx, readyProbe(t.key), started)
}

// runInproc runs "runner inproc-memory" in a fresh process.
func runInproc(ctx context.Context, cfg *config, n, capMsgs int) (*inprocMemory, error) {
	cmd := exec.CommandContext(ctx, cfg.self, "inproc-memory", "-n", fmt.Sprint(n), "-cap", fmt.Sprint(capMsgs), "-text", "950")
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return nil, fmt.Errorf("inproc-memory: %w: %s", err, ee.Stderr)
		}
		return nil, fmt.Errorf("inproc-memory: %w", err)
	}
	var m inprocMemory
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("inproc-memory output %q: %w", out, err)
	}
	return &m, nil
}
