package mockeko_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime/metrics"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mockeko/mockeko/mockeko"
)

// benchBot is a local receiver that verifies every signature and notes
// when each message event arrived. It is what a minimal real bot does (read
// the body, check the HMAC, answer 200), so its cost is part of the CPU
// figures but small beside mockeko's.
type benchBot struct {
	secret []byte
	mu     sync.Mutex
	at     map[string]time.Time // message id -> arrival
	bad    int
}

func (b *benchBot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	body := make([]byte, max(r.ContentLength, 0))
	if _, err := io.ReadFull(r.Body, body); err != nil {
		body = nil // a short body fails the signature check below
	}
	mac := hmac.New(sha256.New, b.secret)
	mac.Write(body)
	ok := base64.StdEncoding.EncodeToString(mac.Sum(nil)) == r.Header.Get("X-Eko-Signature")
	id := ""
	if i := bytes.Index(body, []byte(`"message":{"id":"`)); i >= 0 {
		id = string(body[i+17 : i+17+24])
	}
	b.mu.Lock()
	if !ok {
		b.bad++
	}
	b.at[id] = now
	b.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func benchServer(b *testing.B, users int) (*mockeko.Server, *benchBot, []string) {
	b.Helper()
	const secret = "bench-secret"
	bot := &benchBot{secret: []byte(secret), at: make(map[string]time.Time, b.N+users)}
	hs := httptest.NewServer(bot)
	b.Cleanup(hs.Close)
	opts := []mockeko.Option{mockeko.WithoutFixtures(), mockeko.WithMessageCap(1 << 20), mockeko.WithDeliveryCap(1 << 20),
		mockeko.WithBot(mockeko.Bot{ClientSecret: secret, WebhookURL: hs.URL})}
	for i := range users {
		opts = append(opts, mockeko.WithUser(mockeko.User{Username: fmt.Sprintf("user%03d", i)}))
	}
	srv, err := mockeko.New(opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	var ids []string
	for _, u := range srv.Users() {
		ids = append(ids, u.ID)
	}
	return srv, bot, ids
}

// warm sends one message per user and waits until all are delivered, so
// the measured run starts with the keep-alive connections a bot under
// steady load would already have, and the dial of a cold start is not
// counted against every run's tail.
func warm(b *testing.B, srv *mockeko.Server, users []string) {
	b.Helper()
	ctx := context.Background()
	var ids []string
	for _, u := range users {
		d, err := srv.Trigger(mockeko.Event{Type: "message", UID: u, Message: &mockeko.EventMessage{Text: "warm"}})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	for _, id := range ids {
		if d, err := srv.WaitDone(ctx, id); err != nil || d.State != mockeko.DeliveryDelivered {
			b.Fatalf("warm-up %s: %v %s %s", id, err, d.State, d.Error)
		}
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// gcTime is the runtime's estimate of the CPU time the garbage collector
// has taken so far, not counting the mark work it does on idle cores.
func gcTime() time.Duration {
	ms := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/cpu/classes/gc/mark/idle:cpu-seconds"}}
	metrics.Read(ms)
	if ms[0].Value.Kind() != metrics.KindFloat64 || ms[1].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return time.Duration((ms[0].Value.Float64() - ms[1].Value.Float64()) * float64(time.Second))
}

// meter is where a measured run started.
type meter struct {
	start   time.Time
	cpu, gc time.Duration
}

func startMeter() meter { return meter{time.Now(), cpuTime(), gcTime()} }

// report waits for every delivery and reports rate, trigger→receive
// latency, and CPU per delivery (mockeko and the receiver together, which
// share the process): on an idle machine, 2 cores / cpu-us gives the
// ceiling on deliveries/s whatever else is running.
func report(b *testing.B, srv *mockeko.Server, bot *benchBot, sent map[string]time.Time, ids []string, m meter) {
	b.Helper()
	ctx := context.Background()
	var attempt time.Duration
	for _, id := range ids {
		d, err := srv.WaitDone(ctx, id)
		if err != nil || d.State != mockeko.DeliveryDelivered {
			b.Fatalf("%s: %v %s %s", id, err, d.State, d.Error)
		}
		attempt += time.Duration(d.Attempts[0].DurationMs * float64(time.Millisecond))
	}
	reportArrivals(b, bot, sent, m)
	b.ReportMetric(float64(attempt.Microseconds())/1000/float64(len(ids)), "attempt-ms")
}

// reportArrivals reports, once every message in sent has reached bot, the
// rate, the send→receive latency and the CPU per message since m.
func reportArrivals(b *testing.B, bot *benchBot, sent map[string]time.Time, m meter) {
	b.Helper()
	elapsed := time.Since(m.start)
	cpu, gc := cpuTime()-m.cpu, gcTime()-m.gc
	b.StopTimer()
	bot.mu.Lock()
	defer bot.mu.Unlock()
	if bot.bad > 0 {
		b.Fatalf("%d bad signatures", bot.bad)
	}
	lat := make([]time.Duration, 0, len(sent))
	for mid, t := range sent {
		at, ok := bot.at[mid]
		if !ok {
			b.Fatalf("message %s was delivered but the bot never saw it", mid)
		}
		lat = append(lat, at.Sub(t))
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return ms(lat[int(float64(len(lat)-1)*p)]) }
	n := float64(len(sent))
	b.ReportMetric(n/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-us/delivery")
	b.ReportMetric(float64(gc.Microseconds())/n, "gc-us/delivery")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkWebhookThroughput triggers b.N text messages from 64 users as
// fast as possible and waits until the local bot has them all: signed
// deliveries per second, latency including queueing.
func BenchmarkWebhookThroughput(b *testing.B) {
	srv, bot, users := benchServer(b, 64)
	warm(b, srv, users)
	sent := make(map[string]time.Time, b.N)
	ids := make([]string, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	m := startMeter()
	for i := range b.N {
		t := time.Now()
		d, err := srv.Trigger(mockeko.Event{Type: "message", UID: users[i%len(users)], Message: &mockeko.EventMessage{Text: "ping"}})
		if err != nil {
			b.Fatal(err)
		}
		sent[d.MessageID] = t
		ids = append(ids, d.ID)
	}
	report(b, srv, bot, sent, ids, m)
}

// BenchmarkWebhookPaced5000 triggers at 5,000 events/s (64 users) and
// reports trigger→bot-receives latency at that rate: from just before the
// Trigger call to the receiver's handler starting. The schedule is fixed
// in advance (event i is due at start + i/5000 s), so timer overshoot
// neither drifts the rate nor hides in the latency; late-p99-ms says how
// late the generator itself fired (a busy machine or process shows there,
// and the next events then go out back to back to catch up).
func BenchmarkWebhookPaced5000(b *testing.B) {
	srv, bot, users := benchServer(b, 64)
	warm(b, srv, users)
	ids := make([]string, 0, b.N)
	b.ReportAllocs()
	sent, m := paced(b, 5000, func(i int) string {
		d, err := srv.Trigger(mockeko.Event{Type: "message", UID: users[i%len(users)], Message: &mockeko.EventMessage{Text: "ping"}})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, d.ID)
		return d.MessageID
	})
	report(b, srv, bot, sent, ids, m)
}

// BenchmarkWebhookPacedFloor5000 is BenchmarkWebhookPaced5000 without
// mockeko, the machine's floor for its p99: at the same pace, 64
// goroutines (one per user, as the dispatcher's queues) sign and POST a
// message event like mockeko's to the same kind of receiver, through an
// http.Client configured as the dispatcher's. Go runs it right after
// BenchmarkWebhookPaced5000, so the two see the machine alike.
func BenchmarkWebhookPacedFloor5000(b *testing.B) {
	const secret = "bench-secret"
	bot := &benchBot{secret: []byte(secret), at: make(map[string]time.Time, b.N)}
	hs := httptest.NewServer(bot)
	b.Cleanup(hs.Close)
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, DisableCompression: true}
	b.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	post := func(mid string) {
		// A message event as mockeko sends it in BenchmarkWebhookPaced5000
		// (659 bytes), but for the message id.
		body := []byte(`{"events":[{"replyToken":"ce1fadf56bbdd0ea20aea09f63312680ec9e4238","type":"message",` +
			`"source":{"type":"user","userId":"6b1418845d28f219d9000006","username":"user003","email":"","profile":{}},` +
			`"message":{"id":"` + mid + `","type":"text","groupId":"6b141884e8c23ad51e00004c","groupType":"direct_chat",` +
			`"topicId":"6b141884f36ceaffb700004d","text":"ping"},"timestamp":"2026-12-05T13:58:28.183Z",` +
			`"sessionId":"6b141884e8c23ad51e00004c_6b141884f36ceaffb700004d","meta":{"botId":"6b141884f672ef93a8000002",` +
			`"networkId":"6b14188419c8ab0779000001","clientId":"89aa157e-e677-4ab1-86fe-65db587a55d7",` +
			`"userId":"6b141884f672ef93a8000002","deep_research":false}}]}`)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		req, _ := http.NewRequest(http.MethodPost, hs.URL, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json;charset=utf-8")
		req.Header.Set(mockeko.SignatureHeader, base64.StdEncoding.EncodeToString(mac.Sum(nil)))
		res, err := client.Do(req)
		if err != nil {
			b.Error(err)
			return
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	queues := make([]chan string, 64)
	var wg sync.WaitGroup
	for i := range queues {
		queues[i] = make(chan string, 1024)
		wg.Go(func() {
			for mid := range queues[i] {
				post(mid)
			}
		})
	}
	var warm sync.WaitGroup // a keep-alive connection per queue, as warm gives mockeko
	for i := range queues {
		warm.Go(func() { post(fmt.Sprintf("%024x", i)) })
	}
	warm.Wait()
	clear(bot.at)
	b.ReportAllocs()
	sent, m := paced(b, 5000, func(i int) string {
		mid := fmt.Sprintf("%024x", 1<<32+i)
		queues[i%len(queues)] <- mid
		return mid
	})
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
	reportArrivals(b, bot, sent, m)
}

// paced calls send(i) for i in [0, b.N) at rate calls/s on a schedule fixed
// in advance, noting when each message (send's result) went out, and
// reports how late the generator itself fired at p99 (late-p99-ms). It
// resets the benchmark timer and returns the meter it started.
func paced(b *testing.B, rate int, send func(i int) string) (map[string]time.Time, meter) {
	b.Helper()
	sent := make(map[string]time.Time, b.N)
	late := make([]time.Duration, 0, b.N)
	tick := time.NewTimer(time.Hour)
	defer tick.Stop()
	b.ResetTimer()
	m := startMeter()
	for i := range b.N {
		due := m.start.Add(time.Duration(i) * time.Second / time.Duration(rate))
		if wait := time.Until(due); wait > 0 {
			tick.Reset(wait)
			<-tick.C // pacing the load generator, not waiting for a result
		}
		t := time.Now()
		sent[send(i)] = t
		late = append(late, t.Sub(due))
	}
	slices.Sort(late)
	b.ReportMetric(ms(late[(len(late)-1)*99/100]), "late-p99-ms")
	return sent, m
}

// BenchmarkWebhookLatency is one user's message at a time: trigger, then
// wait until the bot answered. ns/op is the round trip.
func BenchmarkWebhookLatency(b *testing.B) {
	srv, bot, users := benchServer(b, 1)
	warm(b, srv, users)
	ctx := context.Background()
	sent := make(map[string]time.Time, b.N)
	ids := make([]string, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	m := startMeter()
	for range b.N {
		t := time.Now()
		d, err := srv.SendText(ctx, users[0], "ping", nil)
		if err != nil || d.State != mockeko.DeliveryDelivered {
			b.Fatal(err, d.State)
		}
		sent[d.MessageID] = t
		ids = append(ids, d.ID)
	}
	report(b, srv, bot, sent, ids, m)
}

// BenchmarkWebhookInProcess is the throughput of in-process delivery
// (WithWebhookHandler): the dispatcher's own cost, no sockets.
func BenchmarkWebhookInProcess(b *testing.B) {
	bot := &benchBot{secret: []byte("bench-secret"), at: map[string]time.Time{}}
	opts := []mockeko.Option{mockeko.WithoutFixtures(), mockeko.WithMessageCap(1 << 20), mockeko.WithDeliveryCap(1 << 20),
		mockeko.WithBot(mockeko.Bot{ClientSecret: "bench-secret"}), mockeko.WithWebhookHandler("", bot)}
	for i := range 64 {
		opts = append(opts, mockeko.WithUser(mockeko.User{Username: fmt.Sprintf("user%03d", i)}))
	}
	srv := mockeko.NewServer(opts...)
	b.Cleanup(srv.Close)
	users := srv.Users()
	sent := make(map[string]time.Time, b.N)
	ids := make([]string, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	m := startMeter()
	for i := range b.N {
		t := time.Now()
		d, err := srv.Trigger(mockeko.Event{Type: "message", UID: users[i%len(users)].ID, Message: &mockeko.EventMessage{Text: "ping"}})
		if err != nil {
			b.Fatal(err)
		}
		sent[d.MessageID] = t
		ids = append(ids, d.ID)
	}
	report(b, srv, bot, sent, ids, m)
}
