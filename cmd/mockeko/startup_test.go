package main

import (
	"io"
	"path/filepath"
	"runtime/debug"
	"testing"
)

// TestServeRestoresGOGC: serve collects garbage less often only while it
// starts; the running sandbox, and a start that fails, keep the GOGC the
// user set.
func TestServeRestoresGOGC(t *testing.T) {
	clearEnv(t)
	const userGOGC = 73
	prev := debug.SetGCPercent(userGOGC)
	t.Cleanup(func() { debug.SetGCPercent(prev) })

	t.Run("serving", func(t *testing.T) {
		startServe(t, "--addr", "127.0.0.1:0") // returns once the URL is printed
		if got := debug.SetGCPercent(userGOGC); got != userGOGC {
			t.Errorf("GOGC while serving = %d, want %d", got, userGOGC)
		}
	})
	t.Run("failed start", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "missing.yaml")
		if err := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0", "--fixtures", missing}, io.Discard, io.Discard); err == nil {
			t.Fatal("serve with a missing fixture file succeeded")
		}
		if got := debug.SetGCPercent(userGOGC); got != userGOGC {
			t.Errorf("GOGC after a failed start = %d, want %d", got, userGOGC)
		}
	})
}
