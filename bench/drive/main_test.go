package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// drive sends exactly -n requests, with the method, headers and body
// asked for, and fails when the server refuses any.
func TestDrive(t *testing.T) {
	var got atomic.Int64
	var bad atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer t" ||
			r.Header.Get("Content-Type") != "application/json" || string(b) != `{"a":1}` {
			bad.Add(1)
		}
		if got.Add(1) == 1000 {
			w.WriteHeader(http.StatusTeapot) // only once the counted requests are done
		}
	}))
	defer srv.Close()
	body := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(body, []byte(`{"a":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-n", "999", "-c", "4", "-m", "POST", "-auth", "Bearer t", "-ct", "application/json", "-body", body, "-u", srv.URL}
	if err := run(args); err != nil {
		t.Fatal(err)
	}
	if got.Load() != 999 || bad.Load() != 0 {
		t.Fatalf("server saw %d requests (%d malformed), want 999 well-formed", got.Load(), bad.Load())
	}
	err := run([]string{"-n", "1", "-u", srv.URL})
	if err == nil || !strings.Contains(err.Error(), "status 418") {
		t.Errorf("a refused request: err %v, want one naming status 418", err)
	}
}
