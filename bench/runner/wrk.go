package main

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

//go:embed wrk.lua
var wrkLua []byte

// call is one request shape the load runs repeat.
type call struct {
	key         string // push, token, users
	title       string
	method      string
	path        string
	contentType string
	body        []byte
}

// wrkResult is what one wrk run measured.
type wrkResult struct {
	Requests     int64
	Duration     time.Duration
	P50, P99     time.Duration
	Mean         time.Duration
	StatusErrors int64 // responses >= 400
	SocketErrors int64
	// ServerCPU is the CPU time (user+system) the server spent during the
	// run, and Wait the time its threads were runnable but not running: the
	// CPU figures hold when other work on the machine steals the core.
	ServerCPU, Wait time.Duration
	// Faults are the server's minor page faults during the run: a server
	// whose heap grows (a message store filling up) faults in fresh memory.
	Faults int64
}

// CPUPerRequest is the server's CPU time per request.
func (r wrkResult) CPUPerRequest() time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.ServerCPU / time.Duration(r.Requests)
}

// RPS is requests per second over the run.
func (r wrkResult) RPS() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Duration.Seconds()
}

// parseWrk finds the BENCH line the Lua script prints.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	for _, line := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "BENCH ")
		if !ok {
			continue
		}
		vals := map[string]int64{}
		for _, f := range strings.Fields(rest) {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				return r, fmt.Errorf("wrk: malformed field %q", f)
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return r, fmt.Errorf("wrk: field %s: %w", k, err)
			}
			vals[k] = n
		}
		for _, k := range []string{"requests", "duration_us", "p50_us", "p99_us", "mean_us", "status_errors", "socket_errors"} {
			if _, ok := vals[k]; !ok {
				return r, fmt.Errorf("wrk: summary lacks %s", k)
			}
		}
		us := func(k string) time.Duration { return time.Duration(vals[k]) * time.Microsecond }
		return wrkResult{
			Requests: vals["requests"], Duration: us("duration_us"), P50: us("p50_us"), P99: us("p99_us"), Mean: us("mean_us"),
			StatusErrors: vals["status_errors"], SocketErrors: vals["socket_errors"],
		}, nil
	}
	return r, fmt.Errorf("wrk: no BENCH summary in output:\n%s", out)
}

// loader runs wrk.
type loader struct {
	wrk  string
	cpus string
	dir  string // holds the Lua script and the bodies
}

func newLoader(wrk, cpus, dir string) (*loader, error) {
	if err := os.WriteFile(filepath.Join(dir, "wrk.lua"), wrkLua, 0o644); err != nil {
		return nil, err
	}
	return &loader{wrk: wrk, cpus: cpus, dir: dir}, nil
}

// run loads base+c.path with conns connections for d (one wrk thread), or
// until stopAfter responses when stopAfter > 0 (d is then only a bound).
func (l *loader) run(ctx context.Context, base string, c call, auth string, conns int, d time.Duration, stopAfter int) (wrkResult, error) {
	env := []string{"BENCH_METHOD=" + c.method, "BENCH_CT=" + c.contentType, "BENCH_AUTH=" + auth,
		"BENCH_STOP_AFTER=" + strconv.Itoa(stopAfter)}
	if len(c.body) > 0 {
		f := filepath.Join(l.dir, c.key+".body")
		if err := os.WriteFile(f, c.body, 0o644); err != nil {
			return wrkResult{}, err
		}
		env = append(env, "BENCH_BODY_FILE="+f)
	}
	secs := max(1, int((d+time.Second-1)/time.Second))
	argv := pinned(l.cpus, []string{l.wrk, "-t1", "-c" + strconv.Itoa(conns), "-d" + strconv.Itoa(secs) + "s",
		"--timeout", "5s", "-s", filepath.Join(l.dir, "wrk.lua"), base + c.path})
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return wrkResult{}, err
	}
	if err := cmd.Start(); err != nil {
		return wrkResult{}, fmt.Errorf("start wrk: %w", err)
	}
	var out strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if line == "BENCH_STOPPED" {
			// wrk sleeps out -d even when its thread stopped; SIGINT ends the sleep.
			_ = cmd.Process.Signal(syscall.SIGINT)
		}
	}
	_, _ = io.Copy(io.Discard, stdout)
	if err := cmd.Wait(); err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %w: %s%s", err, stderr.String(), out.String())
	}
	return parseWrk(out.String())
}
