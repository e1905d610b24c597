package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseWrk(t *testing.T) {
	out := "Running 1s test @ http://127.0.0.1:1/x\n  1 threads and 16 connections\n" +
		"BENCH requests=1000 duration_us=2000000 p50_us=450 p99_us=1600 mean_us=480 status_errors=2 socket_errors=1\n"
	got, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	want := wrkResult{Requests: 1000, Duration: 2 * time.Second, P50: 450 * time.Microsecond, P99: 1600 * time.Microsecond,
		Mean: 480 * time.Microsecond, StatusErrors: 2, SocketErrors: 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseWrk (-want +got):\n%s", diff)
	}
	if got.RPS() != 500 {
		t.Errorf("RPS = %v, want 500", got.RPS())
	}
}

func TestParseWrkRejects(t *testing.T) {
	for name, out := range map[string]string{
		"no summary":    "Running 1s test\nRequests/sec: 100\n",
		"missing field": "BENCH requests=1 duration_us=1 p50_us=1 p99_us=1 mean_us=1 status_errors=0\n",
		"not a number":  "BENCH requests=x duration_us=1 p50_us=1 p99_us=1 mean_us=1 status_errors=0 socket_errors=0\n",
	} {
		if _, err := parseWrk(out); err == nil {
			t.Errorf("%s: parseWrk accepted %q", name, out)
		}
	}
}

func TestParseGoBench(t *testing.T) {
	out := `goos: linux
BenchmarkParallelServers-2   	       1	1192945605 ns/op	   1192946 ns/server	       238.6 peak-heap-MiB	398864680 B/op	 4950012 allocs/op
BenchmarkToken 	   50000	     24000 ns/op
Benchmark output that is a log line
PASS
`
	got, err := parseGoBench(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []goBench{
		{Name: "ParallelServers", Procs: 2, N: 1, Metrics: []metric{{1192945605, "ns/op"}, {1192946, "ns/server"},
			{238.6, "peak-heap-MiB"}, {398864680, "B/op"}, {4950012, "allocs/op"}}},
		{Name: "Token", Procs: 1, N: 50000, Metrics: []metric{{24000, "ns/op"}}},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(goBench{}, metric{})); diff != "" {
		t.Errorf("parseGoBench (-want +got):\n%s", diff)
	}
	if v, ok := got[0].Metric("B/op"); !ok || v != 398864680 {
		t.Errorf("Metric(B/op) = %v, %v", v, ok)
	}
}

func TestSplice(t *testing.T) {
	gen := "table\n"
	block := beginMarker + "\ntable\n" + endMarker + "\n"
	tests := []struct {
		name, doc, want string
		wantErr         bool
	}{
		{name: "empty file", doc: "", want: block},
		{name: "no markers", doc: "# Benchmarks\n\nprose", want: "# Benchmarks\n\nprose\n" + block},
		{name: "replaces between markers", doc: "# B\n\n" + beginMarker + "\nold\nold\n" + endMarker + "\n\n## Methodology\n",
			want: "# B\n\n" + block + "\n## Methodology\n"},
		{name: "unbalanced", doc: endMarker + "\n" + beginMarker + "\n", wantErr: true},
		{name: "only end", doc: "x\n" + endMarker + "\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := splice(tt.doc, gen)
			if (err != nil) != tt.wantErr {
				t.Fatalf("splice err = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("splice (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median odd = %v", got)
	}
	if got := median([]time.Duration{4, 1, 3, 2}); got != 2 {
		t.Errorf("median even = %v, want 2 (integer mean of 2 and 3)", got)
	}
	if got := median([]int64(nil)); got != 0 {
		t.Errorf("median empty = %v", got)
	}
}

func TestContractFlagDetection(t *testing.T) {
	with := "Usage: mockeko [serve] [flags]\n  -addr string\n  -contract string\n    \tcontract mode: strict, warn or off\n"
	without := "Usage: mockeko [serve] [flags]\n  -addr string\n    \taddress (not the contract)\n"
	if !contractFlag.MatchString(with) {
		t.Error("missed -contract in usage")
	}
	if contractFlag.MatchString(without) {
		t.Error("found -contract in usage without the flag")
	}
}

func TestFmtInt(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := fmtInt(n); got != want {
			t.Errorf("fmtInt(%d) = %q, want %q", n, got, want)
		}
	}
	if !strings.Contains(ratio(cell{ok: true, rps: 7}, cell{ok: true, rps: 10}), "70%") {
		t.Error("ratio 7/10 is not 70%")
	}
}

func TestTargetVerdicts(t *testing.T) {
	r := &results{
		Calls: []call{{key: "push"}, {key: "users"}},
		Conns: []int{16},
		Load: map[string][]wrkResult{
			cellKey(tOff, "push", 16):    {{Requests: 600, Duration: time.Second, ServerCPU: 600 * 50 * time.Microsecond}},
			cellKey(tBare, "push", 16):   {{Requests: 1000, Duration: time.Second, ServerCPU: 1000 * 30 * time.Microsecond}},
			cellKey(tOff, "users", 16):   {{Requests: 900, Duration: time.Second, ServerCPU: 900 * 40 * time.Microsecond}},
			cellKey(tBare, "users", 16):  {{Requests: 1000, Duration: time.Second, ServerCPU: 1000 * 30 * time.Microsecond}},
			cellKey(tPrism, "push", 16):  {{Requests: 50, Duration: time.Second}},
			cellKey(tPrism, "users", 16): {{Requests: 100, Duration: time.Second}},
		},
		Targets: []*target{{key: tStrict, na: "n/a (contract not built)"}, {key: tOff, title: "mockeko (contract off)"}, {key: tBare}, {key: tPrism}},
		GoBench: []goBench{
			{Name: "WebhookThroughput", Metrics: []metric{{1e6, "ns/op"}, {7200, "deliveries/s"}}},
			{Name: "WebhookPaced5000", Metrics: []metric{{6.5, "p99-ms"}, {2.25, "late-p99-ms"}}},
			{Name: "WebhookPacedFloor5000", Metrics: []metric{{4.1, "p99-ms"}}},
			{Name: "NewServerTokenPushClose", Metrics: []metric{{540e3, "ns/op"}}},
			{Name: "LifecycleFloor", Metrics: []metric{{1.1e6, "ns/op"}, {587.1, "mockeko-µs"}, {507.3, "httptest-µs"}}},
		},
	}
	got := map[string]string{}
	for _, row := range r.targets() {
		got[row.name] = row.verdict
		if strings.HasPrefix(row.name, "webhook p99") && row.measured != "6.50 ms (BenchmarkWebhookPaced5000); the generator itself fired 2.25 ms late at p99; without mockeko (BenchmarkWebhookPacedFloor5000, the machine's floor) p99 was 4.10 ms" {
			t.Errorf("webhook p99 row: %q", row.measured)
		}
		if strings.HasPrefix(row.name, "in-process") && row.measured != "540 µs (NewServerTokenPushClose); interleaved with httptest.NewServer doing the same with fixed answers (the machine's floor): 587 µs against 507 µs" {
			t.Errorf("lifecycle row: %q", row.measured)
		}
	}
	want := map[string]string{
		"mockeko, contract off, ≥ 70% of bare net/http req/s":    "**missed**", // push: 60%
		"mockeko, contract strict, ≥ 50% of bare net/http req/s": "n/a",
		"≥ 5,000 signed webhook deliveries/s":                    "met",
		"webhook p99 trigger→receive ≤ 5 ms at 5,000/s":          "**missed**",
		"in-process NewServer + token + push + Close ≤ 500 µs":   "**missed**",
	}
	// The worst cell decides: push is 12× Prism, users only 9×.
	want["mockeko ≥ 10× Prism req/s (mockeko (contract off))"] = "**missed**"
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s: verdict %q, want %q", name, got[name], v)
		}
	}
	if q, where, ok := r.worstCPURatio(tOff); !ok || where != "push c16" || q != 0.6 {
		t.Errorf("worstCPURatio = %v %q %v, want 0.6 at push c16", q, where, ok)
	}
}

// noise is the widest spread of bare's own runs of one cell; one run per
// cell gives none.
func TestNoise(t *testing.T) {
	run := func(n int64) wrkResult { return wrkResult{Requests: n, Duration: time.Second} }
	r := &results{
		Calls: []call{{key: "push"}, {key: "users"}},
		Conns: []int{16, 64},
		Load: map[string][]wrkResult{
			cellKey(tBare, "push", 16):  {run(1000), run(1100), run(1050)},
			cellKey(tBare, "push", 64):  {run(800), run(1200)},
			cellKey(tOff, "users", 16):  {run(100), run(1000)}, // not bare: ignored
			cellKey(tBare, "users", 64): {run(500)},
		},
	}
	spread, where, lo, hi, ok := r.noise()
	if !ok || where != "push c64" || lo != 800 || hi != 1200 || spread != 0.5 {
		t.Errorf("noise() = %v %q %v %v %v, want 0.5 at push c64, 800 to 1200", spread, where, lo, hi, ok)
	}
	if _, _, _, _, ok := (&results{Calls: r.Calls, Conns: r.Conns, Load: map[string][]wrkResult{cellKey(tBare, "push", 16): {run(1)}}}).noise(); ok {
		t.Error("noise() from single runs reports a spread")
	}
}

// TestMinorFaults reads the tenth field of /proc/PID/stat, whatever the
// command name holds, and this process's own.
func TestMinorFaults(t *testing.T) {
	for _, tt := range []struct {
		stat string
		want int64
	}{
		{"4242 (mockeko) S 1 4242 4242 0 -1 4194560 36159 0 0 0 163 134 0 0 20 0 3 0", 36159},
		{"7 (a) b (c) R 1 7 7 0 -1 4194560 12 0 0 0", 12},
	} {
		if got, err := minorFaults(tt.stat); err != nil || got != tt.want {
			t.Errorf("minorFaults(%q) = %d, %v; want %d", tt.stat, got, err, tt.want)
		}
	}
	if _, err := minorFaults("4242 (mockeko) S 1 4242"); err == nil {
		t.Error("a short line parsed")
	}
	u, err := procUsage(os.Getpid())
	if err != nil || u.faults <= 0 {
		t.Errorf("procUsage(self) = %+v, %v; want some faults", u, err)
	}
}
