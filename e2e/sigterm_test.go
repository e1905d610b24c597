package e2e

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
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

// testSIGTERMInFlight checks that SIGTERM lets an in-flight upload finish:
// the server stops accepting, answers the request it is reading, then
// exits 0.
func testSIGTERMInFlight(t *testing.T, bin string) {
	p := startMockeko(t, bin)
	ctx := testContext(t)
	w := p.world(t, ctx)
	tok := p.token(t, ctx, p.ClientID, p.ClientSecret)

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL+"/bot/v1/group/file", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+tok)
	type result struct {
		status int
		body   []byte
		err    error
	}
	done := make(chan result, 1)
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(hc.CloseIdleConnections)
	go func() {
		resp, err := hc.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- result{resp.StatusCode, b, err}
	}()
	fail := func(what string, err error) {
		t.Helper()
		pw.CloseWithError(err)
		select {
		case r := <-done:
			t.Fatalf("%s: %v (request: %d %s %v)", what, err, r.status, r.body, r.err)
		case <-ctx.Done():
			t.Fatalf("%s: %v", what, err)
		}
	}
	if err := mw.WriteField("gid", w.team.ID); err != nil {
		fail("writing gid", err)
	}
	fw, err := mw.CreateFormFile("file", "big.bin")
	if err != nil {
		fail("starting the file part", err)
	}
	// 20 MiB is more than the loopback socket buffers hold, so once these
	// writes return the server is reading the body: the request is in flight.
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	for range 20 {
		if _, err := fw.Write(chunk); err != nil {
			fail("uploading", err)
		}
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Wait until the server has begun shutting down, then finish the upload.
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
	if _, err := fw.Write(chunk); err != nil {
		fail("finishing the upload after SIGTERM", err)
	}
	if err := mw.Close(); err != nil {
		fail("closing the multipart body", err)
	}
	pw.Close()
	select {
	case r := <-done:
		if r.err != nil || r.status != http.StatusCreated {
			t.Fatalf("the upload in flight at SIGTERM: %d %s %v, want 201", r.status, r.body, r.err)
		}
	case <-ctx.Done():
		t.Fatalf("no answer to the upload in flight at SIGTERM: %v", ctx.Err())
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
