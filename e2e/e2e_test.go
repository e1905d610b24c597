package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestBinary builds cmd/mockeko once and runs every end-to-end scenario
// against fresh processes of it, in parallel.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tests build and run the binary; skipped with -short")
	}
	bin := buildMockeko(t)
	t.Run("oauth2", func(t *testing.T) { t.Parallel(); testOAuth2(t, bin) })
	t.Run("node", func(t *testing.T) { t.Parallel(); testNode(t, bin) })
	t.Run("nodeWebhook", func(t *testing.T) { t.Parallel(); testNodeWebhook(t, bin) })
	t.Run("curl", func(t *testing.T) { t.Parallel(); testCurl(t, bin) })
	t.Run("badInput", func(t *testing.T) { t.Parallel(); testBadInput(t, bin) })
	t.Run("sigterm", func(t *testing.T) { t.Parallel(); testSIGTERM(t, bin) })
	t.Run("sigtermInFlight", func(t *testing.T) { t.Parallel(); testSIGTERMInFlight(t, bin) })
}

// buildMockeko builds cmd/mockeko into a temporary directory, with -race when
// the tests run with -race.
func buildMockeko(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mockeko")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "github.com/mockeko/mockeko/cmd/mockeko")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = ".." // the module root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin
}

// testContext returns a context that ends before the test's deadline.
func testContext(t *testing.T) context.Context {
	t.Helper()
	d := 3 * time.Minute
	if dl, ok := t.Deadline(); ok {
		if left := time.Until(dl) - 5*time.Second; left < d {
			d = left
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// syncBuffer is a goroutine-safe buffer that tells waiters when it grows.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{changed: make(chan struct{})} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	close(b.changed)
	b.changed = make(chan struct{})
	return n, err
}

// snapshot returns the contents and a channel closed at the next write.
func (b *syncBuffer) snapshot() (string, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String(), b.changed
}

func (b *syncBuffer) String() string { s, _ := b.snapshot(); return s }

// mockeko is a running mockeko process.
type mockeko struct {
	URL          string // EKO_HTTP_URI as printed
	ClientID     string // the default bot's, as printed
	ClientSecret string

	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	exited         chan struct{} // closed when the process has been waited for
	waitErr        error

	mu      sync.Mutex
	secrets []string // must never appear in the logs
}

var printed = regexp.MustCompile(`(?m)^\s*(EKO_HTTP_URI|EKO_OAUTH_CLIENT_ID|EKO_OAUTH_CLIENT_SECRET)=(\S+)\s*$`)

// startMockeko runs the binary on a free loopback port with the embedded
// fixtures, reads the printed base URL and credentials, and waits until
// /_mockeko/health answers. At cleanup it stops the process with SIGTERM and
// checks that it exited 0 and logged no secret and no data race.
func startMockeko(t *testing.T, bin string, args ...string) *mockeko {
	t.Helper()
	p := &mockeko{stdout: newSyncBuffer(), stderr: newSyncBuffer(), exited: make(chan struct{})}
	// --contract warn: these tests check the fake's own answers to bad input;
	// strict mode (the default) is covered by the mockeko and contract tests.
	p.cmd = exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-level", "debug", "--contract", "warn"}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MOCKEKO_") { // the flags, not the environment, configure the process
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { p.waitErr = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { p.stopAndCheck(t) })

	ctx, cancel := context.WithTimeout(testContext(t), time.Minute)
	defer cancel()
	vals := map[string]string{}
	for len(vals) < 3 {
		out, changed := p.stdout.snapshot()
		for _, m := range printed.FindAllStringSubmatch(out, -1) {
			vals[m[1]] = m[2]
		}
		if len(vals) == 3 {
			break
		}
		select {
		case <-changed:
		case <-p.exited:
			t.Fatalf("mockeko exited before printing its URL (%v)\nstdout:\n%s\nstderr:\n%s", p.waitErr, p.stdout, p.stderr)
		case <-ctx.Done():
			t.Fatalf("mockeko printed no EKO_HTTP_URI: %v\nstdout:\n%s\nstderr:\n%s", ctx.Err(), p.stdout, p.stderr)
		}
	}
	p.URL, p.ClientID, p.ClientSecret = vals["EKO_HTTP_URI"], vals["EKO_OAUTH_CLIENT_ID"], vals["EKO_OAUTH_CLIENT_SECRET"]
	if !strings.HasPrefix(p.URL, "http://127.0.0.1:") || strings.HasSuffix(p.URL, ":0") {
		t.Fatalf("EKO_HTTP_URI=%s: want http://127.0.0.1:<the port it listens on>", p.URL)
	}
	p.noLeak(p.ClientSecret)
	p.waitHealthy(t, ctx)
	return p
}

// waitHealthy polls /_mockeko/health until it answers {"status":"ok"}.
func (p *mockeko) waitHealthy(t *testing.T, ctx context.Context) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/_mockeko/health", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			var body struct{ Status string }
			derr := json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && derr == nil && body.Status == "ok" {
				return
			}
			last = fmt.Sprintf("%s %+v %v", resp.Status, body, derr)
		} else {
			last = err.Error()
		}
		select {
		case <-tick.C:
		case <-p.exited:
			t.Fatalf("mockeko exited while waiting for health (%v)\nstderr:\n%s", p.waitErr, p.stderr)
		case <-ctx.Done():
			t.Fatalf("mockeko never became healthy: %v (last: %s)\nstderr:\n%s", ctx.Err(), last, p.stderr)
		}
	}
}

// noLeak registers values that must never appear in the process's logs.
func (p *mockeko) noLeak(vals ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, v := range vals {
		if v != "" {
			p.secrets = append(p.secrets, v)
		}
	}
}

// terminate sends SIGTERM and waits for the process to exit, bounded by ctx.
func (p *mockeko) terminate(ctx context.Context) error {
	select {
	case <-p.exited:
		return p.waitErr
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-p.exited:
		return p.waitErr
	case <-ctx.Done():
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("no exit within the deadline after SIGTERM: %w", ctx.Err())
	}
}

func (p *mockeko) stopAndCheck(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := p.terminate(ctx); err != nil {
		t.Errorf("mockeko did not exit cleanly on SIGTERM: %v\nstderr:\n%s", err, p.stderr)
	}
	logs := p.stderr.String()
	if strings.Contains(logs, "DATA RACE") {
		t.Errorf("the race detector reported a data race in the binary:\n%s", logs)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log output holds a secret or access token (%.6s…)", s)
		}
	}
	if t.Failed() {
		t.Logf("mockeko stderr:\n%s", logs)
	}
}

// response is an HTTP answer, read whole.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// request is an HTTP request the helpers send.
type request struct {
	Method      string
	URL         string
	ContentType string
	Body        []byte
	Header      http.Header
}

// do sends req with c (http.DefaultClient when nil) and reads the whole answer.
func do(t *testing.T, ctx context.Context, c *http.Client, req request) response {
	t.Helper()
	if c == nil {
		c = http.DefaultClient
	}
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	r, err := http.NewRequestWithContext(ctx, req.Method, req.URL, body)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	for k, v := range req.Header {
		r.Header[k] = v
	}
	if req.ContentType != "" {
		r.Header.Set("Content-Type", req.ContentType)
	}
	resp, err := c.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL, err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// getJSON GETs url (a control-plane or API path under p.URL) with c and
// decodes a 200 answer into v.
func (p *mockeko) getJSON(t *testing.T, ctx context.Context, c *http.Client, path string, v any) {
	t.Helper()
	r := do(t, ctx, c, request{Method: http.MethodGet, URL: p.URL + path})
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	r.decode(t, v)
}

// postJSON POSTs v as JSON to path with c and returns the answer.
func (p *mockeko) postJSON(t *testing.T, ctx context.Context, c *http.Client, path string, v any, hdr ...string) response {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Set(hdr[i], hdr[i+1])
	}
	return do(t, ctx, c, request{Method: http.MethodPost, URL: p.URL + path, ContentType: "application/json", Body: b, Header: h})
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decoding %d answer %q: %v", r.Status, r.Body, err)
	}
}

// want checks the status and decodes the body into v (if not nil).
func (r response) want(t *testing.T, what string, status int, v any) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d; body %s", what, r.Status, status, r.Body)
	}
	if v != nil {
		r.decode(t, v)
	}
}

// envelope is mockeko's error body; decoding with DisallowUnknownFields
// makes sure it holds these four fields and nothing else.
type envelope struct {
	Status           int    `json:"status"`
	Message          string `json:"message"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// checkEnvelope checks that r is an error in the documented envelope with
// the status and code, and returns it.
func checkEnvelope(t *testing.T, what string, r response, status int, code string) envelope {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: status %d, want %d; body %s", what, r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q, want application/json", what, ct)
	}
	var e envelope
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Errorf("%s: body %s is not the envelope: %v", what, r.Body, err)
		return e
	}
	if e.Status != r.Status || e.Error != code || e.Message == "" || e.ErrorDescription != e.Message {
		t.Errorf("%s: envelope %+v, want status %d, error %q and a message repeated in error_description", what, e, r.Status, code)
	}
	return e
}
