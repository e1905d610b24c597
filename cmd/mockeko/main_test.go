package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The default bot of fixtures/default.yaml.
const (
	defaultClientID     = "7bcee21a-3f7e-4338-97af-a90842176849"
	defaultClientSecret = "3f1b9c6e2a8d4f7b0c5e9a1d6b2f8e4c7a0d3b5e"
)

// customFixtures is what a user mounts at /fixtures.yaml.
const customFixtures = `networks: [{id: 5ac20cd38c62770001530001, name: CI}]
bots:
  - {id: 5ac20cd38c62770001538b01, name: CI Bot, clientId: ci-bot, clientSecret: ci-secret}
users:
  - {id: 5ac20cd38c62770001538e01, username: erin@example.com, firstname: Erin}
`

// clearEnv unsets every MOCKEKO_* variable for the test, so that the
// developer's own environment cannot change the outcome.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "MOCKEKO_") {
			t.Setenv(name, "") // restores the value after the test
			os.Unsetenv(name)
		}
	}
}

// started is a running `mockeko serve`.
type started struct {
	url    string
	stderr *syncBuffer
	done   chan struct{} // closed when run returns
	err    error         // what run returned; read after done
}

// syncBuffer is a bytes.Buffer that the server goroutine writes while the
// test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServe runs `mockeko serve args...` until the test ends and returns
// once it has printed the URL it serves on.
func startServe(t *testing.T, args ...string) *started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &started{stderr: &syncBuffer{}, done: make(chan struct{})}
	go func() {
		err := run(ctx, append([]string{"serve"}, args...), pw, s.stderr)
		pw.Close()
		s.err = err
		close(s.done)
	}()
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "  EKO_HTTP_URI="); ok {
				urls <- u
			}
		}
		close(urls)
	}()
	t.Cleanup(func() {
		cancel()
		<-s.done
		if s.url != "" && s.err != nil {
			t.Errorf("serve returned %v", s.err)
		}
	})
	wait, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	select {
	case u, ok := <-urls:
		if !ok {
			<-s.done
			t.Fatalf("serve ended before printing its URL: %v\nstderr: %s", s.err, s.stderr)
		}
		s.url = u
	case <-wait.Done():
		t.Fatal("serve did not print its URL in time")
	}
	return s
}

// token asks srv for a token with the given credentials and returns the
// status and decoded body.
func token(t *testing.T, base, id, secret string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/oauth/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "scope": {"bot"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(id, secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("token response: %v", err)
	}
	return resp.StatusCode, body
}

func TestHelpListsEveryFlagWithItsVariable(t *testing.T) {
	clearEnv(t)
	serveFS, _ := newServeFlags(io.Discard)
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"-h"}, {"help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if err := run(context.Background(), args, &stdout, &stderr); err != nil {
				t.Fatalf("run(%q) = %v, want nil", args, err)
			}
			out := stdout.String() + stderr.String()
			for _, sub := range []string{"mockeko [serve]", "mockeko health", "mockeko version"} {
				if !strings.Contains(out, sub) {
					t.Errorf("help does not mention %q:\n%s", sub, out)
				}
			}
			serveFS.VisitAll(func(f *flag.Flag) {
				line := regexpLine(out, "--"+f.Name)
				if !strings.Contains(line, envName(f.Name)) {
					t.Errorf("help line for --%s = %q, want it to name %s", f.Name, line, envName(f.Name))
				}
			})
		})
	}
}

func TestHealthHelpListsItsVariables(t *testing.T) {
	clearEnv(t)
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"health", "--help"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--addr string", "MOCKEKO_ADDR", "--timeout duration", "MOCKEKO_TIMEOUT"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("health --help lacks %q:\n%s", want, stderr.String())
		}
	}
}

// regexpLine returns the line of out that starts (after spaces) with prefix+" ".
func regexpLine(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), prefix+" ") {
			return l
		}
	}
	return ""
}

// TestEnvAndFlags checks that every kind of setting reaches the server
// from MOCKEKO_* variables, and that a command-line flag wins.
func TestEnvAndFlags(t *testing.T) {
	fixturesFile := filepath.Join(t.TempDir(), "fixtures.yaml")
	if err := os.WriteFile(fixturesFile, []byte(customFixtures), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		env         map[string]string
		args        []string
		id, secret  string
		wantStatus  int
		wantExpires float64
	}{
		{name: "defaults", id: defaultClientID, secret: defaultClientSecret, wantStatus: 200, wantExpires: 3600},
		{name: "env sets token ttl", env: map[string]string{"MOCKEKO_TOKEN_TTL": "90s"}, id: defaultClientID, secret: defaultClientSecret, wantStatus: 200, wantExpires: 90},
		{name: "flag wins over env", env: map[string]string{"MOCKEKO_TOKEN_TTL": "90s"}, args: []string{"--token-ttl", "2m"}, id: defaultClientID, secret: defaultClientSecret, wantStatus: 200, wantExpires: 120},
		{name: "fixtures from env", env: map[string]string{"MOCKEKO_FIXTURES": fixturesFile}, id: "ci-bot", secret: "ci-secret", wantStatus: 200, wantExpires: 3600},
		{name: "fixtures from env replace the default bot", env: map[string]string{"MOCKEKO_FIXTURES": fixturesFile}, id: defaultClientID, secret: defaultClientSecret, wantStatus: 401},
		{name: "fixtures flag wins over env", env: map[string]string{"MOCKEKO_FIXTURES": "/does/not/exist.yaml"}, args: []string{"--fixtures", fixturesFile}, id: "ci-bot", secret: "ci-secret", wantStatus: 200, wantExpires: 3600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			t.Setenv("MOCKEKO_ADDR", "127.0.0.1:0")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			srv := startServe(t, tt.args...)
			status, body := token(t, srv.url, tt.id, tt.secret)
			if status != tt.wantStatus {
				t.Fatalf("token status = %d, want %d (body %v)", status, tt.wantStatus, body)
			}
			if tt.wantStatus == 200 {
				if diff := cmp.Diff(tt.wantExpires, body["expires_in"]); diff != "" {
					t.Errorf("expires_in (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestEnvReachesTheServer checks settings that are visible from outside:
// the success status of sends and the log format.
func TestEnvReachesTheServer(t *testing.T) {
	clearEnv(t)
	t.Setenv("MOCKEKO_ADDR", "127.0.0.1:0")
	t.Setenv("MOCKEKO_SUCCESS_STATUS", "200")
	t.Setenv("MOCKEKO_LOG_FORMAT", "json")
	srv := startServe(t)
	_, body := token(t, srv.url, defaultClientID, defaultClientSecret)
	tok, _ := body["access_token"].(string)

	req, _ := http.NewRequest(http.MethodPost, srv.url+"/bot/v1/direct/message", strings.NewReader(`{"uid":"5ac20cd38c62770001538e01","message":{"type":"text","data":"hi"}}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("MOCKEKO_SUCCESS_STATUS=200: direct message answered %d, want 200", resp.StatusCode)
	}
	// The log is JSON: every line so far (at least the token record) decodes.
	lines := strings.Split(strings.TrimSpace(srv.stderr.String()), "\n")
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec["msg"] == nil {
			t.Errorf("MOCKEKO_LOG_FORMAT=json: log line %q is not a JSON record (%v)", l, err)
		}
	}
}

func TestBadEnvValueFailsLoudly(t *testing.T) {
	tests := []struct {
		env, value string
		want       string
	}{
		{"MOCKEKO_TOKEN_TTL", "soon", `MOCKEKO_TOKEN_TTL="soon"`},
		{"MOCKEKO_SUCCESS_STATUS", "ok", `MOCKEKO_SUCCESS_STATUS="ok"`},
		{"MOCKEKO_FIXTURES", "/does/not/exist.yaml", "/does/not/exist.yaml"},
		{"MOCKEKO_LOG_LEVEL", "loud", `"loud"`},
		{"MOCKEKO_SEED", "-1", `"-1"`},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			clearEnv(t)
			t.Setenv("MOCKEKO_ADDR", "127.0.0.1:0")
			t.Setenv(tt.env, tt.value)
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := run(ctx, nil, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run with %s=%s = %v, want an error naming %s", tt.env, tt.value, err, tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("printed %q before failing: it must not start serving", stdout.String())
			}
		})
	}
}

func TestHealth(t *testing.T) {
	clearEnv(t)
	t.Setenv("MOCKEKO_ADDR", "127.0.0.1:0")
	srv := startServe(t)
	u, _ := url.Parse(srv.url)
	_, port, _ := net.SplitHostPort(u.Host)

	// A port nothing listens on: bind one, then close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := ln.Addr().String()
	ln.Close()

	tests := []struct {
		name     string
		envAddr  string
		args     []string
		wantCode int // 0: healthy
	}{
		{name: "flag address", args: []string{"--addr", u.Host}},
		{name: "base URL", args: []string{"--addr", srv.url + "/"}},
		{name: "container env 0.0.0.0 maps to loopback", envAddr: "0.0.0.0:" + port},
		{name: "empty host maps to loopback", envAddr: ":" + port},
		{name: "flag wins over env", envAddr: deadAddr, args: []string{"--addr", u.Host}},
		{name: "nothing listening", envAddr: deadAddr, wantCode: 1},
		{name: "not a mockeko", args: []string{"--addr", srv.url + "/oauth"}, wantCode: 1},
		{name: "bad flag", args: []string{"--bogus"}, wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("MOCKEKO_ADDR", tt.envAddr)
			if tt.envAddr == "" {
				os.Unsetenv("MOCKEKO_ADDR")
			}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"health", "--timeout", "5s"}, tt.args...), &stdout, &stderr)
			code := 0
			if err != nil {
				var ec exitCode
				if !errors.As(err, &ec) {
					t.Fatalf("health = %v, want nil or an exit code", err)
				}
				code = int(ec)
			}
			if code != tt.wantCode {
				t.Fatalf("health exit = %d, want %d (stdout %q, stderr %q)", code, tt.wantCode, stdout.String(), stderr.String())
			}
			if code == 0 && stdout.String() != "ok\n" {
				t.Errorf("health stdout = %q, want \"ok\\n\"", stdout.String())
			}
		})
	}
}

// TestDocsListEveryFlag keeps the configuration reference in
// docs/docker.md in step with the flags.
func TestDocsListEveryFlag(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "docker.md"))
	if err != nil {
		t.Fatal(err)
	}
	fs, _ := newServeFlags(io.Discard)
	fs.VisitAll(func(f *flag.Flag) {
		row := "| `--" + f.Name + "` | `" + envName(f.Name) + "` |"
		if !bytes.Contains(doc, []byte(row)) {
			t.Errorf("docs/docker.md has no row starting %q", row)
		}
	})
}
