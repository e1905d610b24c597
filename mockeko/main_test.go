package mockeko_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives the tests: every
// Server the tests start is closed by then, so a goroutine left behind is
// one that Close failed to stop. goleak (rather than counting with
// runtime.NumGoroutine) because the tests run in parallel, each with its
// own Servers, so only the end of the whole run is a moment with a known
// count; goleak retries while goroutines wind down and prints the stacks of
// any that remain.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
