package mockeko_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/mockeko/mockeko/mockeko"
)

// TestMain fails the package if any goroutine outlives the tests: every
// Server the tests start is closed by then, so a goroutine left behind is
// one that Close failed to stop. goleak (rather than counting with
// runtime.NumGoroutine) because the tests run in parallel, each with its
// own Servers, so only the end of the whole run is a moment with a known
// count; goleak retries while goroutines wind down and prints the stacks of
// any that remain.
//
// It also fails the package if any response of any Server broke the
// contract (openapi/eko-bot-api.yaml): those are mockeko bugs.
func TestMain(m *testing.M) { goleak.VerifyTestMain(contractChecked{m}) }

type contractChecked struct{ m *testing.M }

func (c contractChecked) Run() int {
	report := mockeko.WatchContract()
	code := c.m.Run()
	if report(os.Stderr) && code == 0 {
		code = 1
	}
	return code
}
