package mockeko_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"testing"

	"github.com/mockeko/mockeko/contract"
	"github.com/mockeko/mockeko/mockeko"
)

// BenchmarkPushGroupMessageStore pushes 1 KiB group messages in-process
// into a Server with the default message cap, so a long run (for example
// -benchtime=200000x) fills the store to DefaultMessageCap and then evicts.
// It reports the share of the run's CPU time the garbage collector took
// (gc-%) of all busy CPU time (cpu-ns/op) and the live heap after the run per stored message (heap-B/msg).
func BenchmarkPushGroupMessageStore(b *testing.B) {
	body := kbGroupMessage()
	srv := start(b, mockeko.WithContractMode(contract.ModeOff))
	authz := "Bearer " + botToken(b, srv)
	h := srv.Handler()
	rd := bytes.NewReader(body)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heapBefore := ms.HeapAlloc
	samples := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/cpu/classes/total:cpu-seconds"}, {Name: "/cpu/classes/idle:cpu-seconds"}}
	metrics.Read(samples)
	gc0, busy0 := samples[0].Value.Float64(), samples[1].Value.Float64()-samples[2].Value.Float64()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rd.Reset(body)
		req := httptest.NewRequest(http.MethodPost, "/bot/v1/group/message", rd)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", authz)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 201 {
			b.Fatalf("status %d %s", rec.Code, rec.Body)
		}
	}
	b.StopTimer()
	metrics.Read(samples)
	gc, busy := samples[0].Value.Float64()-gc0, samples[1].Value.Float64()-samples[2].Value.Float64()-busy0
	if busy > 0 {
		b.ReportMetric(100*gc/busy, "gc-%")
		b.ReportMetric(busy*1e9/float64(b.N), "cpu-ns/op")
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	if stored := min(b.N, mockeko.DefaultMessageCap); stored > 0 {
		b.ReportMetric(float64(int64(ms.HeapAlloc)-int64(heapBefore))/float64(stored), "heap-B/msg")
	}
	runtime.KeepAlive(srv)
}
