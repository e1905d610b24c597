package mockeko_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/mockeko/mockeko/mockeko"
	"golang.org/x/oauth2"
)

// parallelServers is how many Servers one test binary runs at once: a large
// test suite with t.Parallel and a fresh fake per test.
const parallelServers = 1000

// TestThousandServersInOneBinary runs 1,000 Servers at once, as a parallel test
// suite does, and checks that each keeps its own state: every server holds
// exactly the one message pushed to it.
func TestThousandServersInOneBinary(t *testing.T) {
	n := parallelServers
	if testing.Short() || parallelRaceBuild {
		n = 200
	}
	if _, err := runParallelServers(context.Background(), n); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkParallelServers starts 1,000 Servers concurrently, gets a token
// and pushes one message on each over loopback, and closes them all. ns/op
// is the time for all 1,000; peak-heap-MiB is the Go heap in use while all
// of them are up.
func BenchmarkParallelServers(b *testing.B) {
	b.ReportAllocs()
	var peak uint64
	for b.Loop() {
		p, err := runParallelServers(b.Context(), parallelServers)
		if err != nil {
			b.Fatal(err)
		}
		peak = max(peak, p)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*parallelServers), "ns/server")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// runParallelServers starts n Servers concurrently, pushes one message to
// each, checks that each holds only its own message, closes them, and
// returns the heap in use while all were up.
func runParallelServers(ctx context.Context, n int) (heapInUse uint64, err error) {
	servers := make([]*mockeko.Server, n)
	defer func() {
		parallelEach(n, func(i int) error {
			if servers[i] != nil {
				servers[i].Close()
			}
			return nil
		})
	}()
	if err := parallelEach(n, func(i int) error {
		s, err := mockeko.New()
		servers[i] = s
		return err
	}); err != nil {
		return 0, err
	}
	if err := parallelEach(n, func(i int) error { return parallelPush(ctx, servers[i], i) }); err != nil {
		return 0, err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	err = parallelEach(n, func(i int) error {
		var got []string
		for _, m := range servers[i].Messages("", "") {
			got = append(got, m.Text)
		}
		if want := parallelText(i); len(got) != 1 || got[0] != want {
			return fmt.Errorf("server %d holds %q, want only %q", i, got, want)
		}
		return nil
	})
	return ms.HeapInuse, err
}

func parallelText(i int) string { return fmt.Sprintf("hello from test %d", i) }

// parallelPush does what a test does first: get a token as the bot, and
// push one message to a group chat.
func parallelPush(ctx context.Context, s *mockeko.Server, i int) error {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.Client())
	tok, err := s.ClientCredentials().Token(ctx)
	if err != nil {
		return fmt.Errorf("server %d: token: %w", i, err)
	}
	var gid string
	for _, g := range s.Groups() {
		if g.Type == mockeko.GroupTypeGroup && g.HasMember(s.Bot().ID) {
			gid = g.ID
			break
		}
	}
	body := fmt.Sprintf(`{"gid":%q,"message":{"type":"text","data":%q}}`, gid, parallelText(i))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/bot/v1/group/message", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	tok.SetAuthHeader(req)
	resp, err := s.Client().Do(req)
	if err != nil {
		return fmt.Errorf("server %d: push: %w", i, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != mockeko.DefaultSuccessStatus {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("server %d: push: status %d: %s", i, resp.StatusCode, b)
	}
	return nil
}

// parallelEach runs f(0..n-1) concurrently and joins the errors.
func parallelEach(n int, f func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
