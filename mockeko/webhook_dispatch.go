package mockeko

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

var (
	errClosed = errors.New("the server closed")
	errReset  = errors.New("the server was reset")
)

// dispatcher delivers webhooks: the one path every trigger (Go API,
// control plane, CLI) goes through. Lock order: Server.mu before
// dispatcher.mu, never the reverse.
type dispatcher struct {
	s    *Server
	opts webhookOptions
	// client posts webhooks to bots over HTTP; built by httpClient on the
	// first such post, as most Servers never make one.
	client     *http.Client
	clientOnce sync.Once

	mu sync.Mutex
	// configs are the bots' configs with defaults filled in, by bot id, and
	// defaults is every other bot's. A delivery points to the one it was
	// triggered under, so none is changed once stored: a new config
	// replaces it.
	configs  map[string]*WebhookConfig
	defaults *WebhookConfig
	handlers map[string]http.Handler  // by bot id
	queues   map[[2]string]*chatQueue // (bot id, gid) -> its FIFO
	finished chan struct{}            // closed: a finished delivery's done, so it lets go of its own
	j        *journal
	rng      *rand.Rand
	ctx      context.Context // this generation's; cancelled by Reset and Close
	cancel   context.CancelCauseFunc
	closed   bool
	lost     int            // deliveries failed by Close
	wg       sync.WaitGroup // every worker goroutine, of every generation
	signer   signer         // submit's HMAC, kept for the next delivery; guarded by Server.mu
}

// chatQueue is one chat's deliveries in trigger order (OrderPerChat).
type chatQueue struct {
	items     []*delivery
	held      *delivery // held back by a Reorder fault
	heldUntil time.Time
	wake      chan struct{} // signalled on every enqueue
}

func newDispatcher(s *Server) (*dispatcher, error) {
	def := WebhookConfig{}.withDefaults()
	d := &dispatcher{s: s, opts: s.cfg.webhooks, defaults: &def, finished: make(chan struct{})}
	close(d.finished)
	if d.opts.cap == 0 {
		d.opts.cap = DefaultDeliveryCap
	}
	if s.cfg.seed != nil {
		d.rng = rand.New(rand.NewPCG(*s.cfg.seed, 0x6d6f636b656b6f))
	} else {
		d.rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if err := s.applyWebhookURLs(); err != nil {
		return nil, err
	}
	d.start(s.defaultBotID())
	return d, nil
}

// applyWebhookURLs sets the WithWebhookURL URLs on the bots; at start and
// after Reset, before the dispatcher's lock (Server.mu comes first).
func (s *Server) applyWebhookURLs() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, u := range s.cfg.webhooks.urls {
		if id == "" && len(s.st.botOrder) > 0 {
			id = s.st.botOrder[0]
		}
		b, ok := s.st.bots[id]
		if !ok {
			return fmt.Errorf("mockeko: WithWebhookURL: bot %q not found", id)
		}
		b.WebhookURL = u
	}
	return nil
}

// start begins a generation: the configs from the options (def is the
// default bot's id), an empty journal, no queues. Caller holds d.mu or
// owns d exclusively.
func (d *dispatcher) start(def string) {
	d.configs = map[string]*WebhookConfig{}
	d.handlers = map[string]http.Handler{}
	for id, c := range d.opts.configs {
		if id == "" {
			id = def
		}
		c = c.withDefaults()
		d.configs[id] = &c
	}
	for id, h := range d.opts.handlers {
		if id == "" {
			id = def
		}
		d.handlers[id] = h
	}
	d.queues = map[[2]string]*chatQueue{}
	d.j = newJournal(d.opts.cap)
	d.ctx, d.cancel = context.WithCancelCause(context.Background())
}

func (s *Server) defaultBotID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.st.botOrder) == 0 {
		return ""
	}
	return s.st.botOrder[0]
}

// reset abandons the current generation: its waits end, its queued
// deliveries fail ("the server was reset") outside the new journal, and
// in-flight attempts finish on their own.
func (d *dispatcher) reset() {
	_ = d.s.applyWebhookURLs() // checked by New
	def := d.s.defaultBotID()  // before d.mu: Server.mu comes first
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.cancel(errReset)
	old := d.j
	d.start(def)
	old.notify()
	d.j.notify()
}

// close stops retries, fails what is queued, waits for in-flight attempts
// and closes idle connections.
func (d *dispatcher) close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	d.cancel(errClosed)
	d.mu.Unlock()
	d.wg.Wait()
	d.mu.Lock()
	lost := d.lost
	d.mu.Unlock()
	if lost > 0 {
		d.s.log.Warn("mockeko: webhook deliveries failed because the server closed before they were delivered", "count", lost)
	}
	if d.client != nil { // no attempt is running, and none starts after closed is set
		d.client.CloseIdleConnections()
	}
}

// target returns the bot's webhook config (defaults applied) and its
// in-process handler, if any.
func (d *dispatcher) target(botID string) (*WebhookConfig, http.Handler) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.configs[botID]
	if c == nil {
		c = d.defaults
	}
	return c, d.handlers[botID]
}

// SetWebhookConfig changes how the bot's webhooks are delivered from now
// on; deliveries already triggered keep the config they started with.
// Reset restores the configs given as options.
func (s *Server) SetWebhookConfig(botID string, cfg WebhookConfig) error {
	if _, ok := s.botByID(botID); !ok {
		return notFound("bot %s not found", botID)
	}
	if err := cfg.validate(); err != nil {
		return badRequest("%v", err)
	}
	cfg = cfg.withDefaults()
	s.wh.mu.Lock()
	defer s.wh.mu.Unlock()
	s.wh.configs[botID] = &cfg
	return nil
}

// WebhookConfig returns the bot's webhook config with defaults filled in.
func (s *Server) WebhookConfig(botID string) (WebhookConfig, error) {
	if _, ok := s.botByID(botID); !ok {
		return WebhookConfig{}, notFound("bot %s not found", botID)
	}
	c, _ := s.wh.target(botID)
	return *c, nil
}

// SetWebhookHandler delivers the bot's webhooks to h in process (see
// WithWebhookHandler); a nil h goes back to POSTing to the bot's WebhookURL.
func (s *Server) SetWebhookHandler(botID string, h http.Handler) error {
	if _, ok := s.botByID(botID); !ok {
		return notFound("bot %s not found", botID)
	}
	s.wh.mu.Lock()
	defer s.wh.mu.Unlock()
	if h == nil {
		delete(s.wh.handlers, botID)
	} else {
		s.wh.handlers[botID] = h
	}
	return nil
}

// submit applies faults, journals dl (and a duplicate), queues it and
// returns it as it stands, pending. Caller holds s.mu (so deliveries queue
// in the order their messages were stored) and has set the immutable
// fields, Body and the secret to sign with.
func (d *dispatcher) submit(dl *delivery, secret string) (Delivery, error) {
	sig := d.signer.sign(secret, dl.Body) // under s.mu, before d.mu: the delivery goroutines wait on d.mu
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return Delivery{}, errorf(http.StatusServiceUnavailable, "closing", "the server is closing; no webhooks are sent")
	}
	f := dl.cfg.Faults
	hit := func(rate float64) bool { return rate >= 1 || (rate > 0 && d.rng.Float64() < rate) }
	dl.Signature = sig
	if hit(f.BadSignature) {
		dl.Signature = wrongSignature(secret, dl.Body)
		dl.Faults = append(dl.Faults, "badSignature")
	}
	if f.Delay > 0 {
		dl.delay = f.Delay
		dl.Faults = append(dl.Faults, "delay")
	}
	if hit(f.Drop) {
		dl.drop = true
		dl.Faults = append(dl.Faults, "drop")
	}
	if dl.cfg.Ordering == OrderPerChat && hit(f.Reorder) {
		dl.reorder = true
		dl.Faults = append(dl.Faults, "reorder")
	}
	var dup *delivery
	if !dl.drop && hit(f.Duplicate) {
		dl.Faults = append(dl.Faults, "duplicate")
		c := *dl
		c.Faults = []string{"duplicate"}
		c.reorder = false
		dup = &c
	}
	d.enqueueLocked(dl)
	if dup != nil {
		dup.DuplicateOf = dl.ID
		d.enqueueLocked(dup)
	}
	return dl.snapshot(), nil // before d.mu is released, no attempt has begun
}

func (d *dispatcher) enqueueLocked(dl *delivery) {
	d.j.seq++
	dl.ID = "dlv_" + strconv.FormatUint(d.j.seq, 10)
	dl.State = DeliveryPending
	dl.CreatedAt = d.s.now()
	dl.done = make(chan struct{})
	d.j.add(dl)
	ctx := d.ctx
	if dl.cfg.Ordering == OrderNone {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.deliver(ctx, dl)
		}()
		return
	}
	key := dl.queueKey()
	q := d.queues[key]
	if q == nil {
		q = &chatQueue{wake: make(chan struct{}, 1)}
		d.queues[key] = q
		d.wg.Add(1)
		go d.runQueue(ctx, key, q)
	}
	q.items = append(q.items, dl)
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// runQueue delivers one chat's deliveries in order, then exits.
func (d *dispatcher) runQueue(ctx context.Context, key [2]string, q *chatQueue) {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		if len(q.items) == 0 {
			if q.held == nil {
				if d.queues[key] == q {
					delete(d.queues, key)
				}
				d.mu.Unlock()
				return
			}
			until := q.heldUntil
			d.mu.Unlock()
			d.sleepUntil(ctx, until, q.wake)
			d.mu.Lock()
			if len(q.items) == 0 && (ctx.Err() != nil || !d.s.now().Before(until)) {
				held := q.held
				q.held = nil
				d.mu.Unlock()
				d.deliver(ctx, held)
				continue
			}
			d.mu.Unlock()
			continue
		}
		it := q.items[0]
		q.items[0] = nil
		q.items = q.items[1:]
		if it.reorder && q.held == nil && ctx.Err() == nil {
			q.held, q.heldUntil = it, d.s.now().Add(DefaultReorderWindow)
			until := q.heldUntil
			it.NextAttempt = &until // shows the hold in the journal
			d.j.touch(it)
			d.mu.Unlock()
			continue
		}
		held := q.held
		q.held = nil
		d.mu.Unlock()
		d.deliver(ctx, it)
		if held != nil {
			d.deliver(ctx, held)
		}
	}
}

// deliver makes dl's attempts until one succeeds, they run out, or ctx ends.
func (d *dispatcher) deliver(ctx context.Context, dl *delivery) {
	if dl.delay > 0 && !d.sleepUntil(ctx, dl.CreatedAt.Add(dl.delay), nil) {
		d.finish(dl, DeliveryFailed, stopReason(ctx, "before its first attempt"))
		return
	}
	if dl.reorder {
		d.mu.Lock()
		dl.NextAttempt = nil // the hold is over
		d.j.touch(dl)
		d.mu.Unlock()
	}
	if dl.drop {
		d.finish(dl, DeliveryDropped, "dropped by the drop fault: the bot was never called")
		return
	}
	pol := dl.cfg.Retry
	var chk sentCheck
	for n := 1; ; n++ {
		if ctx.Err() != nil {
			d.finish(dl, DeliveryFailed, stopReason(ctx, fmt.Sprintf("before attempt %d", n)))
			return
		}
		a, retryAfter := d.attempt(dl, n, &chk)
		d.mu.Lock()
		dl.Attempts = append(dl.Attempts, a)
		if a.Error == "" {
			d.finishLocked(dl, DeliveryDelivered, "")
			d.mu.Unlock()
			return
		}
		if n >= pol.Attempts {
			d.finishLocked(dl, DeliveryFailed, fmt.Sprintf("%d of %d attempts failed; last: %s", n, pol.Attempts, a.Error))
			d.mu.Unlock()
			return
		}
		wait := backoff(pol, n)
		if retryAfter > wait && !pol.IgnoreRetryAfter {
			wait = retryAfter
		}
		due := d.s.now().Add(wait)
		dl.NextAttempt = &due
		d.j.touch(dl)
		d.mu.Unlock()
		if !d.sleepUntil(ctx, due, nil) {
			d.finish(dl, DeliveryFailed, stopReason(ctx, fmt.Sprintf("while waiting to retry after %d attempts; last: %s", n, a.Error)))
			return
		}
		d.mu.Lock()
		dl.NextAttempt = nil
		d.j.touch(dl)
		d.mu.Unlock()
	}
}

func stopReason(ctx context.Context, when string) string {
	cause := context.Cause(ctx)
	if cause == nil {
		cause = errClosed
	}
	return cause.Error() + " " + when
}

// backoff is the wait after attempt n: Backoff doubled n-1 times, capped.
func backoff(p RetryPolicy, n int) time.Duration {
	w := p.Backoff
	for i := 1; i < n && w < p.MaxBackoff; i++ {
		w *= 2
	}
	return min(w, p.MaxBackoff)
}

func (d *dispatcher) finish(dl *delivery, state, why string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.finishLocked(dl, state, why)
}

func (d *dispatcher) finishLocked(dl *delivery, state, why string) {
	if dl.Done() {
		return
	}
	now := d.s.now()
	dl.State, dl.Error, dl.FinishedAt, dl.NextAttempt = state, why, &now, nil
	close(dl.done)
	dl.done = d.finished // the journal keeps many finished deliveries: one closed channel serves them all
	d.j.touch(dl)
	if state == DeliveryFailed && strings.HasPrefix(why, errClosed.Error()) {
		d.lost++
	}
	lv := slog.LevelInfo
	if state != DeliveryDelivered {
		lv = slog.LevelWarn
	}
	if !d.s.log.Enabled(context.Background(), lv) {
		return // the arguments below cost allocations on every delivery
	}
	status := 0
	if n := len(dl.Attempts); n > 0 {
		status = dl.Attempts[n-1].Status
	}
	d.s.log.Log(context.Background(), lv, "webhook", "delivery", dl.ID, "bot", dl.BotID, "event", dl.EventType,
		"state", state, "attempts", len(dl.Attempts), "status", status, "error", why)
}

// changer is a Clock that can say when it moves (FakeClock).
type changer interface{ Changed() <-chan struct{} }

// sleepUntil waits until the Server's time reaches due, which Advance and
// the wall clock both bring closer. It returns early (true) when wake is
// signalled and false when ctx ends.
func (d *dispatcher) sleepUntil(ctx context.Context, due time.Time, wake <-chan struct{}) bool {
	for {
		ch := d.s.time.Changed()
		var fc <-chan struct{}
		if c, ok := d.s.cfg.clock.(changer); ok {
			fc = c.Changed()
		}
		now := d.s.now()
		if !now.Before(due) {
			return true
		}
		t := time.NewTimer(due.Sub(now))
		select {
		case <-t.C:
		case <-ch:
		case <-fc:
		case <-wake:
			t.Stop()
			return true
		case <-ctx.Done():
			t.Stop()
			return false
		}
		t.Stop()
	}
}

// attempt sends dl once and returns the attempt and any Retry-After wait.
// It never hangs longer than the config's timeout (an in-process handler
// must honour its request's context).
func (d *dispatcher) attempt(dl *delivery, n int, chk *sentCheck) (Attempt, time.Duration) {
	a := Attempt{N: n, StartedAt: d.s.now()}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), dl.cfg.Timeout)
	defer cancel()
	var (
		sent   http.Header // the request's headers, when no handler can have changed them
		status int
		header http.Header
		body   []byte
		err    error
	)
	if dl.handler != nil {
		status, header, body, err = serveInProcess(ctx, dl)
	} else {
		sent = make(http.Header, 4)
		setWebhookHeaders(sent, dl)
		status, header, body, err = d.post(ctx, dl, sent)
	}
	a.DurationMs = float64(time.Since(start).Microseconds()) / 1000
	a.Status = status
	d.s.checkWebhook(dl, chk, sent, status, header, body, err) // contract.go
	if len(body) > maxResponseExcerpt {
		body = body[:maxResponseExcerpt]
	}
	a.Response = strings.ToValidUTF8(string(body), string(utf8.RuneError))
	var retryAfter time.Duration
	if header != nil {
		if ra := header.Get("Retry-After"); ra != "" {
			a.RetryAfter = ra
			retryAfter = parseRetryAfter(ra, time.Now())
		}
	}
	switch {
	case err != nil && errors.Is(err, context.DeadlineExceeded):
		a.Error = fmt.Sprintf("timeout: no complete answer within %v", dl.cfg.Timeout)
	case err != nil:
		a.Error = err.Error()
	case status < 200 || status > 299:
		a.Error = fmt.Sprintf("the bot answered %d %s", status, http.StatusText(status))
	}
	return a, retryAfter
}

// httpClient returns the client that posts webhooks, built on first use.
func (d *dispatcher) httpClient() *http.Client {
	d.clientOnce.Do(func() {
		d.client = &http.Client{
			Transport: &http.Transport{
				Proxy:               nil, // a bot under test is local; never send its webhooks through a proxy
				DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
				MaxIdleConns:        256,
				MaxIdleConnsPerHost: 256,
				IdleConnTimeout:     90 * time.Second,
				DisableCompression:  true, // axios 0.19 sends no Accept-Encoding
			},
			// Eko's axios would follow redirects; a bot's webhook URL that
			// redirects is almost always a mistake, so it is reported instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	})
	return d.client
}

// post sends dl to its URL with the headers h (see setWebhookHeaders).
func (d *dispatcher) post(ctx context.Context, dl *delivery, h http.Header) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.URL, bytes.NewReader(dl.Body))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("bad webhook URL: %v", err)
	}
	req.Header = h
	resp, err := d.httpClient().Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, nil, nil, context.DeadlineExceeded
		}
		return 0, nil, nil, trimURLError(err)
	}
	defer resp.Body.Close()
	body, err := readAnswer(resp)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return resp.StatusCode, resp.Header, body, context.DeadlineExceeded
		}
		return resp.StatusCode, resp.Header, body, fmt.Errorf("reading the answer after %d: %v", resp.StatusCode, err)
	}
	return resp.StatusCode, resp.Header, body, nil
}

// readAnswer reads the first maxResponseRead bytes of the bot's answer,
// into a buffer sized by its Content-Length when it has one (most bots
// answer an empty 200, which costs nothing).
func readAnswer(resp *http.Response) ([]byte, error) {
	if resp.ContentLength == 0 {
		return nil, nil
	}
	return readAll(io.LimitReader(resp.Body, maxResponseRead), min(resp.ContentLength, maxResponseRead))
}

// trimURLError drops the `Post "url": ` wrapping of a client error.
func trimURLError(err error) error {
	var ue interface {
		Unwrap() error
		Timeout() bool
	}
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

// setWebhookHeaders sets the headers of a webhook request. The keys are in
// canonical form and the four values share one allocation.
func setWebhookHeaders(h http.Header, dl *delivery) {
	v := [...]string{webhookContentType, webhookUserAgent, webhookAccept, dl.Signature}
	h["Content-Type"] = v[0:1:1]
	h["User-Agent"] = v[1:2:2]
	h["Accept"] = v[2:3:3]
	h[SignatureHeader] = v[3:4:4]
}

// serveInProcess hands dl to the bot's handler with no socket.
func serveInProcess(ctx context.Context, dl *delivery) (status int, header http.Header, body []byte, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://bot.inprocess/", bytes.NewReader(dl.Body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.RequestURI = "/"
	req.RemoteAddr = "127.0.0.1:0"
	req.ContentLength = int64(len(dl.Body))
	setWebhookHeaders(req.Header, dl)
	req.Header.Set("Content-Length", strconv.Itoa(len(dl.Body)))
	w := &captureWriter{header: http.Header{}}
	defer func() {
		if v := recover(); v != nil {
			status, header, body, err = 0, nil, nil, fmt.Errorf("the bot's handler panicked: %v", v)
		}
	}()
	dl.handler.ServeHTTP(w, req)
	if !w.wrote {
		w.status = http.StatusOK
	}
	if ctx.Err() != nil {
		return w.status, w.header, w.body.Bytes(), ctx.Err()
	}
	return w.status, w.header, w.body.Bytes(), nil
}

// captureWriter is the ResponseWriter of an in-process delivery; it keeps
// the first maxResponseRead bytes of the answer.
type captureWriter struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (w *captureWriter) Header() http.Header { return w.header }

func (w *captureWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
}

func (w *captureWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if room := maxResponseRead - w.body.Len(); room > 0 {
		w.body.Write(b[:min(len(b), room)])
	}
	return len(b), nil
}

// parseRetryAfter reads delay-seconds or an HTTP date; 0 when unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		d = time.Duration(min(n, int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return max(0, min(d, maxRetryAfter))
}
