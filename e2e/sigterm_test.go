package e2e

import (
	"context"
	"net/http"
	"strings"
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
