package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"time"
)

// measureCold starts mockeko and Prism again and again: process start to
// first 2xx of the ready probe. The servers are not pinned and keep their
// default GOMAXPROCS: this is how a user starts them. For mockeko (with the
// contract off, and strict, its default) each start also times its first
// Eko API answer, a token (POST /oauth/token with the fixture bot's
// credentials), sent as soon as the health check answers: mockeko serves its
// control plane while it finishes compiling the contract, and an API request
// that comes meanwhile waits for it.
func measureCold(ctx context.Context, cfg *config, res *results, targets []*target, fx fixtureFacts, logf func(string, ...any)) error {
	for _, t := range targets {
		var runs int
		switch t.key {
		case tOff, tStrict:
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
			d, api, err := coldStart(ctx, t, fx)
			if err != nil {
				return err
			}
			res.Cold[t.key] = append(res.Cold[t.key], d)
			if api > 0 {
				res.ColdAPI[t.key] = append(res.ColdAPI[t.key], api)
			}
		}
		logf("cold start %s: median %v of %d; first API answer: median %v", t.title, median(res.Cold[t.key]), runs, median(res.ColdAPI[t.key]))
	}
	return nil
}

// coldStart starts t once: the time to its ready probe's first 2xx and,
// for mockeko, to its first token after that (0 for the others).
func coldStart(ctx context.Context, t *target, fx fixtureFacts) (ready, api time.Duration, err error) {
	port, err := freePort()
	if err != nil {
		return 0, 0, err
	}
	started := time.Now()
	srv, err := startServer(t.title, t.argv(port), nil, port)
	if err != nil {
		return 0, 0, err
	}
	defer srv.stop()
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if ready, err = srv.waitReady(rctx, readyProbe(t.key), started); err != nil || !isMockeko(t.key) || fx.basic == "" {
		return ready, 0, err
	}
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, srv.base+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", fx.basic)
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: first token: %w", t.title, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("%s: first token: status %d", t.title, resp.StatusCode)
	}
	return ready, time.Since(started), nil
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
