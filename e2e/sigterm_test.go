package e2e

import (
	"context"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testSIGTERM checks that the binary exits 0 promptly on SIGTERM, with a
// keep-alive connection open, and says so in its log.
func testSIGTERM(t *testing.T, bin string) {
	p := startMockeko(t, bin)
	ctx := testContext(t)
	hc := &http.Client{Transport: &http.Transport{}} // keeps its connection open
	t.Cleanup(hc.CloseIdleConnections)
	var bots struct{ Bots []botJSON }
	p.getJSON(t, ctx, hc, "/_mockeko/bots", &bots)

	stopCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := p.terminate(stopCtx); err != nil {
		t.Fatalf("after SIGTERM: %v (want exit status 0 within 5s)\nstderr:\n%s", err, p.stderr)
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	t.Logf("exited %v after SIGTERM", time.Since(start).Round(time.Millisecond))
	if logs := p.stderr.String(); !strings.Contains(logs, "stopped") {
		t.Errorf("the log does not say the server stopped:\n%s", logs)
	}
}

// testSIGTERMInFlight checks that SIGTERM lets an in-flight request finish:
// a push held in the server by an injected latency fault is answered after
// the shutdown has begun, then the binary exits 0.
func testSIGTERMInFlight(t *testing.T, bin string) {
	p := startMockeko(t, bin)
	ctx := testContext(t)
	w := p.world(t, ctx)
	tok := p.token(t, ctx, p.ClientID, p.ClientSecret)
	const latency = 3 * time.Second
	p.postJSON(t, ctx, nil, "/_mockeko/faults", map[string]any{"operation": "pushGroupMessage", "latencyMs": latency.Milliseconds()}).
		want(t, "POST /_mockeko/faults", http.StatusCreated, nil)

	type result struct {
		status int
		body   []byte
		err    error
	}
	done := make(chan result, 1)
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(hc.CloseIdleConnections)
	go func() {
		body := `{"gid":"` + w.team.ID + `","message":{"type":"text","data":"in flight at SIGTERM"}}`
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL+"/bot/v1/group/message", strings.NewReader(body))
		if err != nil {
			done <- result{err: err}
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := hc.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- result{resp.StatusCode, b, err}
	}()

	// The push is in flight once the fault has counted it.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		var faults struct{ Faults []struct{ Hits int } }
		p.getJSON(t, ctx, nil, "/_mockeko/faults", &faults)
		if len(faults.Faults) == 1 && faults.Faults[0].Hits == 1 {
			break
		}
		select {
		case <-tick.C:
		case r := <-done:
			t.Fatalf("the push finished before the fault held it: %d %s %v", r.status, r.body, r.err)
		case <-ctx.Done():
			t.Fatalf("the push never reached the server: %v", ctx.Err())
		}
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for {
		logs, changed := p.stderr.snapshot()
		if strings.Contains(logs, "shutting down") {
			break
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("no shutdown logged after SIGTERM: %v", ctx.Err())
		}
	}
	select {
	case r := <-done:
		t.Fatalf("the push was answered before the shutdown began (%d %s %v): the test needs a longer latency", r.status, r.body, r.err)
	default:
	}
	select {
	case r := <-done:
		if r.err != nil || r.status != http.StatusCreated {
			t.Fatalf("the push in flight at SIGTERM: %d %s %v, want 201", r.status, r.body, r.err)
		}
	case <-ctx.Done():
		t.Fatalf("no answer to the push in flight at SIGTERM: %v", ctx.Err())
	}
	exitCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	select {
	case <-p.exited:
	case <-exitCtx.Done():
		t.Fatalf("still running 5s after the in-flight request finished\nstderr:\n%s", p.stderr)
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
}
