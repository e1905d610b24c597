package contract

import (
	"strings"
	"testing"
)

// AssertNoViolations fails tb (without stopping it) when any exchange broke
// the contract, with a readable report of every violation and the payloads
// involved. It returns true when there were none.
//
//	rec := &contract.Recorder{}
//	client := &http.Client{Transport: c.Transport(nil, rec.Record)}
//	// ... run the bot against mockeko or a tenant ...
//	contract.AssertNoViolations(t, rec.Exchanges())
func AssertNoViolations(tb testing.TB, exchanges []Exchange) bool {
	tb.Helper()
	n := 0
	for _, e := range exchanges {
		n += len(e.Violations)
	}
	if n == 0 {
		return true
	}
	var b strings.Builder
	r := &Report{Exchanges: len(exchanges)}
	for i, e := range exchanges {
		if len(e.Violations) > 0 {
			r.ViolationCount += len(e.Violations)
			r.Failures = append(r.Failures, Failure{Index: i, Operation: e.Operation, Method: e.Method, URL: e.URL, Status: e.Status,
				Violations: e.Violations, RequestExcerpt: excerpt(e.RequestBody, 512), ResponseExcerpt: excerpt(e.ResponseBody, 512)})
		}
	}
	r.writeFailures(&b)
	tb.Errorf("contract: %d violations in %d of %d exchanges:\n%s", n, len(r.Failures), len(exchanges), b.String())
	return false
}
