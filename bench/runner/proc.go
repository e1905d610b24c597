package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is a server process under test.
type server struct {
	name string
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port
	logs *limitedWriter
	done chan struct{}
	err  error // Wait's error, set before done is closed
}

// probe is a request that succeeds (2xx) once a server is ready.
type probe struct {
	path   string
	header http.Header
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// pinned prefixes argv with taskset when cpus is set.
func pinned(cpus string, argv []string) []string {
	if cpus == "" {
		return argv
	}
	return append([]string{"taskset", "-c", cpus}, argv...)
}

// startServer starts argv (which must listen on port) with extra
// environment variables. The process keeps its pid through taskset and env,
// which exec, so RSS is read from the server itself.
func startServer(name string, argv, env []string, port int) (*server, error) {
	s := &server{name: name, base: fmt.Sprintf("http://127.0.0.1:%d", port), done: make(chan struct{}), logs: &limitedWriter{max: 64 << 10}}
	s.cmd = exec.Command(argv[0], argv[1:]...)
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.Stdout = s.logs
	s.cmd.Stderr = s.cmd.Stdout
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	return s, nil
}

// waitReady polls p until it answers 2xx, the process exits or ctx ends.
// It returns the time from start to the first 2xx.
func (s *server) waitReady(ctx context.Context, p probe, started time.Time) (time.Duration, error) {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}, Timeout: time.Second}
	defer client.CloseIdleConnections()
	tick := time.NewTicker(500 * time.Microsecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+p.path, nil)
		if err != nil {
			return 0, err
		}
		req.Header = p.header.Clone()
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return time.Since(started), nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("%s not ready: %w; output:\n%s", s.name, ctx.Err(), s.logs.String())
		case <-s.done:
			return 0, fmt.Errorf("%s exited before it was ready (%v); output:\n%s", s.name, s.err, s.logs.String())
		case <-tick.C:
		}
	}
}

// stop sends SIGTERM and waits; after 10 s it kills the process group.
func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// rss returns the process's resident set size and its peak (VmHWM) in bytes.
func (s *server) rss() (cur, peak int64, err error) {
	return procRSS(s.cmd.Process.Pid)
}

func procRSS(pid int) (cur, peak int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *int64
		switch k {
		case "VmRSS":
			dst = &cur
		case "VmHWM":
			dst = &peak
		default:
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/%d/status %s: %w", pid, k, err)
		}
		*dst = n << 10
	}
	if cur == 0 {
		return 0, 0, errors.New("no VmRSS in /proc status")
	}
	return cur, peak, sc.Err()
}

// usage is a process's CPU time, run-queue wait and minor page faults so far.
type usage struct {
	cpu, wait time.Duration
	faults    int64
}

// usage sums the CPU time and scheduler wait of every thread of the server
// (/proc/PID/task/*/schedstat: nanoseconds on CPU, nanoseconds runnable but
// waiting). Threads that exited are missed; Go and Node keep theirs.
func (s *server) usage() (usage, error) {
	return procUsage(s.cmd.Process.Pid)
}

func procUsage(pid int) (usage, error) {
	var u usage
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		return u, fmt.Errorf("no schedstat for pid %d", pid)
	}
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread exited
		}
		var run, wait int64
		if _, err := fmt.Sscan(string(b), &run, &wait); err != nil {
			return u, fmt.Errorf("%s: %w", f, err)
		}
		u.cpu += time.Duration(run)
		u.wait += time.Duration(wait)
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, err
	}
	u.faults, err = minorFaults(string(stat))
	return u, err
}

// minorFaults reads the minor page faults of a process, all its threads,
// from its /proc/PID/stat line: the tenth field, the eighth after the
// command name, which is in parentheses and may hold spaces and ')'.
func minorFaults(stat string) (int64, error) {
	var f []string
	if i := strings.LastIndexByte(stat, ')'); i >= 0 {
		f = strings.Fields(stat[i+1:])
	}
	if len(f) < 8 {
		return 0, fmt.Errorf("short /proc stat line %q", stat)
	}
	return strconv.ParseInt(f[7], 10, 64)
}

// limitedWriter keeps the first max bytes written to it.
type limitedWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (w *limitedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
