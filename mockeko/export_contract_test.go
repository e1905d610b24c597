package mockeko

import (
	"fmt"
	"io"
	"sync"

	"github.com/mockeko/mockeko/contract"
)

// WatchContract makes every Server started from now on report the exchanges
// in which its own response broke the contract. The returned function
// writes a report of them to w and says whether there were any. Tests call
// it from TestMain, so the whole test traffic of the package is checked.
func WatchContract() (report func(w io.Writer) bool) {
	var mu sync.Mutex
	var bad []contract.Exchange
	responseViolationHook = func(e contract.Exchange) {
		mu.Lock()
		bad = append(bad, e)
		mu.Unlock()
	}
	return func(w io.Writer) bool {
		mu.Lock()
		defer mu.Unlock()
		if len(bad) == 0 {
			return false
		}
		c, _ := embeddedContract()
		fmt.Fprintf(w, "FAIL: mockeko answered outside its contract in %d exchanges during the tests:\n", len(bad))
		_ = c.NewReport(bad).WriteText(w)
		return true
	}
}
