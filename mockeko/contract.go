package mockeko

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockeko/mockeko/contract"
)

// DefaultJournalCap is how many API exchanges the request journal keeps;
// the oldest are dropped first (a tenth at a time). Each exchange keeps at
// most contract.MaxBodyBytes of each body.
const DefaultJournalCap = 1000

// embeddedContract compiles the embedded Eko description once per process.
// A *contract.Contract is immutable, so every Server can share it; this is
// a cache, not state.
var embeddedContract = sync.OnceValues(func() (*contract.Contract, error) {
	defer embeddedCompiled.Store(true)
	return contract.Default()
})

// embeddedCompiled is set once embeddedContract has its result: a Server
// started after that takes it at once instead of on another goroutine
// (startContract). It is part of the cache.
var embeddedCompiled atomic.Bool

// responseViolationHook, when set (by this package's tests only), sees every
// exchange in which the fake's own response broke the contract.
var responseViolationHook func(contract.Exchange)

// WithContractMode sets how the Server holds the Eko API requests it gets to
// the contract in openapi/eko-bot-api.yaml: contract.ModeStrict (the
// default) answers an invalid request with 400 and the list of violations;
// contract.ModeWarn records the violations and serves the request anyway;
// contract.ModeOff validates nothing (and compiles the embedded contract
// only if the contract report is asked for). The Server's own responses are
// always validated (except in ModeOff) and recorded; a violation there is a
// mockeko bug and is logged as an error.
func WithContractMode(m contract.Mode) Option {
	return func(c *config) error {
		if _, err := contract.ParseMode(m.String()); err != nil {
			return err
		}
		c.contractMode = m
		return nil
	}
}

// WithContract checks traffic against c instead of the embedded description.
func WithContract(c *contract.Contract) Option {
	return func(cfg *config) error {
		cfg.contract = c
		return nil
	}
}

// requestJournal is the API request journal: every Eko API exchange with its
// contract violations, oldest first, at most DefaultJournalCap.
//
// API exchanges are kept as the middleware captured them and turned into
// contract.Exchange values (headers redacted, bodies encoded) only when the
// journal is read, which is rare next to the requests that fill it. The
// entries live in a ring, so dropping the oldest tenth copies nothing.
type requestJournal struct {
	// ready is closed once contract is set: New compiles the embedded
	// contract while the Server already answers (see contractGate).
	ready    chan struct{}
	contract *contract.Contract
	mode     contract.Mode
	mu       sync.Mutex
	ring     []journalEntry // grows to DefaultJournalCap, then wraps
	head     int            // index of the oldest entry
	n        int            // entries kept
}

// journalEntry is one exchange: an API call as the middleware captured it,
// or a webhook attempt as checkWebhook saw it.
type journalEntry struct {
	cp *contract.Capture
	wh *webhookEntry
}

func (e journalEntry) exchange() contract.Exchange {
	if e.cp != nil {
		return e.cp.Exchange()
	}
	return e.wh.exchange()
}

// webhookEntry is one webhook attempt in the request journal, turned into
// a contract.Exchange only when the journal is read. Everything it points
// to is left unchanged once recorded: the delivery's body and signature,
// the bot's answer (read into a buffer of mockeko's own) and its headers
// (the response's, or the in-process recorder's, which a handler must not
// touch after it returns).
type webhookEntry struct {
	dl     *delivery
	target *url.URL // the webhook URL, parsed
	at     time.Time
	status int
	header http.Header
	answer []byte
	err    string
	vs     []contract.Violation
}

// exchange builds the recorded exchange. A password in the webhook URL is
// redacted, as credentials in headers are.
func (w *webhookEntry) exchange() contract.Exchange {
	sent := make(http.Header, 4)
	setWebhookHeaders(sent, w.dl)
	e := contract.NewExchange(&http.Request{Method: http.MethodPost, URL: w.target}, w.dl.Body, w.status, w.header, w.answer)
	e.Time, e.URL, e.RequestHeaders = w.at.UTC(), w.target.Redacted(), sent
	e.Kind, e.Operation, e.Violations, e.Error = contract.KindWebhook, contract.WebhookOperation, w.vs, w.err
	return e
}

func (j *requestJournal) recordWebhook(w *webhookEntry) { j.add(journalEntry{wh: w}) }

func (j *requestJournal) recordCapture(cp *contract.Capture) { j.add(journalEntry{cp: cp}) }

func (j *requestJournal) add(e journalEntry) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.n == DefaultJournalCap {
		// Full: drop the oldest tenth.
		for i := range DefaultJournalCap / 10 {
			j.ring[(j.head+i)%DefaultJournalCap] = journalEntry{}
		}
		j.head = (j.head + DefaultJournalCap/10) % DefaultJournalCap
		j.n -= DefaultJournalCap / 10
	}
	if len(j.ring) < DefaultJournalCap {
		j.ring = append(j.ring, e) // not yet wrapped: head is 0 and n == len(ring)
	} else {
		j.ring[(j.head+j.n)%DefaultJournalCap] = e
	}
	j.n++
}

// all builds the exchanges, oldest first. The building happens outside the
// lock: recorded entries never change.
func (j *requestJournal) all() []contract.Exchange {
	j.mu.Lock()
	entries := make([]journalEntry, j.n)
	for i := range entries {
		entries[i] = j.ring[(j.head+i)%len(j.ring)]
	}
	j.mu.Unlock()
	out := make([]contract.Exchange, len(entries))
	for i, e := range entries {
		out[i] = e.exchange()
	}
	return out
}

func (j *requestJournal) reset() {
	j.mu.Lock()
	j.ring, j.head, j.n = nil, 0, 0
	j.mu.Unlock()
}

// checker returns the contract, waiting until New has it. With the
// contract off, New leaves it unset, and the embedded one is compiled now.
func (j *requestJournal) checker() (*contract.Contract, error) {
	<-j.ready
	if j.contract != nil {
		return j.contract, nil
	}
	return embeddedContract()
}

// contractBuild is the contract a Server checks traffic against, being
// compiled in the background while New builds the rest of the Server.
type contractBuild struct {
	done chan struct{} // closed when c and err are set; nil if they were at once
	c    *contract.Contract
	err  error
}

// startContract starts compiling the embedded contract (the first Server
// of a process spends most of its start there), unless WithContract gave
// one. New always waits for the result (finishContract), so the goroutine
// never outlives New. With the contract off, nothing is checked, and the
// embedded contract is compiled only if the contract report is asked for
// (see requestJournal.checker): a process that never checks does not
// keep it in memory, where every garbage collection would mark it.
func (s *Server) startContract() *contractBuild {
	compile := embeddedContract
	switch {
	case s.cfg.contract != nil:
		return &contractBuild{c: s.cfg.contract}
	case s.cfg.compileContract != nil:
		compile = s.cfg.compileContract
	case s.cfg.contractMode == contract.ModeOff:
		return &contractBuild{} // compiled on demand
	case embeddedCompiled.Load():
		c, err := embeddedContract()
		return &contractBuild{c: c, err: err}
	}
	b := &contractBuild{done: make(chan struct{})}
	go func() {
		defer close(b.done)
		b.c, b.err = compile()
	}()
	return b
}

// wait returns the compiled contract.
func (b *contractBuild) wait() (*contract.Contract, error) {
	if b.done != nil {
		<-b.done
	}
	return b.c, b.err
}

// contractGate is the handler under the middleware: it serves requests
// through the contract middleware (Contract.WrapCapture, see
// WithContractMode) once the contract is compiled. Until then the Server
// already answers the control plane, which the middleware passes through
// unchecked anyway (a health check does not wait), while Eko API requests
// wait: none is served unchecked or left out of the journal.
type contractGate struct {
	ready   <-chan struct{} // closed once checked is set
	checked http.Handler    // plain wrapped by the contract middleware
	plain   http.Handler
	waiting func() // config.gateWaiting
}

func (g *contractGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case <-g.ready:
	default:
		// The middleware has collapsed "//", so this is the contract
		// middleware's own test for the control plane.
		if strings.HasPrefix(r.URL.Path, contract.ControlPrefix) {
			g.plain.ServeHTTP(w, r)
			return
		}
		if g.waiting != nil {
			g.waiting()
		}
		select {
		case <-g.ready:
		case <-r.Context().Done():
			return // the client gave up
		}
	}
	g.checked.ServeHTTP(w, r)
}

// newContractGate sets up the journal and returns the handler that checks
// next against the contract once finishContract has it.
func (s *Server) newContractGate(next http.Handler) *contractGate {
	s.reqs = &requestJournal{ready: make(chan struct{}), mode: s.cfg.contractMode}
	return &contractGate{ready: s.reqs.ready, plain: next, waiting: s.cfg.gateWaiting}
}

// finishContract waits for b and opens the gate. If the contract cannot be
// compiled, requests waiting at the gate are refused (New then fails and
// closes the Server).
func (s *Server) finishContract(g *contractGate, b *contractBuild) error {
	c, err := b.wait()
	if err != nil {
		g.checked = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeError(w, errorf(http.StatusServiceUnavailable, "server_error", "mockeko: no contract: %v", err))
		})
	} else {
		s.reqs.contract = c
		g.checked = c.WrapCapture(g.plain, s.cfg.contractMode, s.recordExchange)
	}
	close(s.reqs.ready)
	return err
}

func (s *Server) recordExchange(cp *contract.Capture) {
	s.reqs.recordCapture(cp)
	if len(cp.Violations) == 0 {
		return
	}
	var ours []contract.Violation
	for _, v := range cp.Violations {
		if v.Direction == contract.DirectionResponse {
			ours = append(ours, v)
		} else {
			s.log.Info("contract: request violation", "operation", cp.Operation, "location", v.Location, "violation", v.Message)
		}
	}
	if len(ours) > 0 {
		for _, v := range ours {
			s.log.Error("contract: mockeko answered outside the contract (a mockeko bug)", "operation", cp.Operation,
				"status", cp.Status, "location", v.Location, "violation", v.Message)
		}
		if h := responseViolationHook; h != nil {
			h(cp.Exchange())
		}
	}
}

// sentCheck is the contract check of what a delivery sends: the same
// payload and headers on every attempt, so they are validated on the first
// and the violations reused by the retries. It lives for one deliver call.
type sentCheck struct {
	done   bool
	vs     []contract.Violation // violations in the payload and headers
	target *url.URL             // the URL as the journal records it
}

// checkWebhook holds one delivery attempt to the contract: the payload and
// headers mockeko sent (a violation there is a mockeko bug, logged as an
// error) and the bot's answer (the bot's business: recorded only). The
// exchange joins the request journal with kind "webhook", so the contract
// report covers webhooks too. sent is the request's headers, or nil to
// build them again (an in-process handler may have changed its copy).
func (s *Server) checkWebhook(dl *delivery, chk *sentCheck, sent http.Header, status int, header http.Header, answer []byte, err error) {
	if s.cfg.contractMode == contract.ModeOff {
		return
	}
	c, cerr := s.reqs.checker()
	if cerr != nil {
		return // not off, so New had the contract: cannot happen
	}
	if !chk.done {
		h := sent
		if h == nil {
			h = make(http.Header, 4)
			setWebhookHeaders(h, dl)
		}
		chk.vs = append(c.ValidateWebhookHeader(h), c.ValidateWebhook(dl.Body)...)
		target := dl.URL
		if target == "" {
			target = "http://bot.inprocess/"
		}
		u, perr := url.Parse(target)
		if perr != nil {
			u, _ = url.Parse("http://bot.invalid/")
		}
		chk.target, chk.done = u, true
	}
	vs := slices.Clone(chk.vs)
	if err == nil {
		vs = append(vs, c.ValidateWebhookAnswer(status, header, answer)...)
	}
	w := &webhookEntry{dl: dl, target: chk.target, at: time.Now(), status: status, header: header, answer: answer, vs: vs}
	if err != nil {
		w.err = err.Error()
	}
	s.reqs.recordWebhook(w)
	var ours []contract.Violation
	for _, v := range vs {
		if v.Direction == contract.DirectionWebhook {
			ours = append(ours, v)
		}
	}
	for _, v := range ours {
		s.log.Error("contract: mockeko sent a webhook outside the contract (a mockeko bug)", "delivery", dl.ID,
			"location", v.Location, "violation", v.Message)
	}
	if h := responseViolationHook; h != nil && len(ours) > 0 {
		h(w.exchange())
	}
}

// Requests returns the API request journal: every Eko API exchange (control
// plane excluded), oldest first, with its contract violations.
// Authorization headers are redacted.
func (s *Server) Requests() []contract.Exchange { return s.reqs.all() }

// ContractReport reports the journal against the contract: violations and
// operation coverage so far. With the contract off, exchanges are recorded
// without an operation, so the report lists them as undocumented.
func (s *Server) ContractReport() *contract.Report {
	c, err := s.reqs.checker()
	if err != nil {
		// The embedded contract failed to compile (a broken build); New
		// only fails for it when the contract is on.
		s.log.Error("contract: cannot compile the embedded contract", "error", err)
		return &contract.Report{Exchanges: len(s.reqs.all())}
	}
	return c.NewReport(s.reqs.all())
}

// contractRoutes adds the journal and report to the control plane.
func contractRoutes(add addRoute) {
	add(http.MethodGet, "/requests", "listRequests", ctl((*Server).ctlRequests))
	add(http.MethodGet, "/contract/report", "contractReport", (*Server).ctlContractReport)
}

func (s *Server) ctlRequests(*http.Request) (int, any, error) {
	return http.StatusOK, map[string][]contract.Exchange{"requests": s.Requests()}, nil
}

// ctlContractReport answers GET /_mockeko/contract/report?format=json|text|junit.
func (s *Server) ctlContractReport(w http.ResponseWriter, r *http.Request) {
	rep := s.ContractReport()
	var b bytes.Buffer
	var ct string
	var err error
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		ct, err = "application/json; charset=utf-8", rep.WriteJSON(&b)
	case "text":
		ct, err = "text/plain; charset=utf-8", rep.WriteText(&b)
	case "junit":
		ct, err = "application/xml; charset=utf-8", rep.WriteJUnit(&b)
	default:
		writeError(w, badRequest("format %q: want json, text or junit", f))
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}
