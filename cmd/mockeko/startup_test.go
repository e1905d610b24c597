package main

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
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

// TestServeKeepsBallast: a serving sandbox collects garbage every ~16 MiB
// allocated at least (gcBallast), unless GOGC or GOMEMLIMIT is set.
func TestServeKeepsBallast(t *testing.T) {
	clearEnv(t)
	for _, tt := range []struct {
		name, env, val string
		ballast        bool
	}{
		{"default", "GOGC", "", true},
		{"GOGC set", "GOGC", "100", false},
		{"GOMEMLIMIT set", "GOMEMLIMIT", "1GiB", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOGC", "")
			t.Setenv("GOMEMLIMIT", "")
			t.Setenv(tt.env, tt.val)
			if got := len(gcBallast(os.Getenv)); got != 0 != tt.ballast {
				t.Fatalf("gcBallast is %d bytes, want a ballast: %v", got, tt.ballast)
			}
			if !tt.ballast {
				return
			}
			startServe(t, "--addr", "127.0.0.1:0") // returns once the URL is printed
			runtime.GC()
			goal := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
			metrics.Read(goal)
			if got := goal[0].Value.Uint64(); got < 2*ballastBytes {
				t.Errorf("heap goal while serving = %d bytes, want at least %d", got, 2*ballastBytes)
			}
		})
	}
}
