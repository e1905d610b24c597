package mockeko

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// A Server is a fake Eko tenant listening on a local address.
//
// The caller should call Close when finished, to shut it down.
type Server struct {
	// URL is the base URL of the form http://ipaddr:port with no trailing
	// slash: what a bot reads from EKO_HTTP_URI.
	URL string

	cfg     config
	log     *slog.Logger
	ids     *idgen
	time    *timeline
	handler http.Handler
	// handlers serve the routes, by routeID (routes.go).
	handlers []http.Handler
	srv      *http.Server
	conns    *connTracker // srv's connections, for Close
	ln       net.Listener
	client   *http.Client
	served   chan struct{} // closed when Serve returns

	// hooks lets other parts of the package (webhooks, contract) join the
	// lifecycle without touching the core.
	closers []func()
	wh      *dispatcher // webhook delivery and its journal

	reqs *requestJournal // the API request journal (contract.go)

	mu sync.Mutex // guards st and closed
	st *state
	// faults are the injected API faults (faults.go).
	faults []*Fault
	// closed is set by Close.
	closed    bool
	closeOnce sync.Once
}

// NewServer starts and returns a new Server. It panics if the options are
// invalid or no local port is free, like httptest.NewServer; use New to get
// the error instead.
func NewServer(opts ...Option) *Server {
	s, err := New(opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// New starts and returns a new Server listening on 127.0.0.1 on a free port
// (see WithAddr and WithListener). The first Server of a process compiles
// the embedded contract on another goroutine meanwhile, and answers its
// control plane (a health check) before that is done; an Eko API request
// that arrives that early waits for the contract. New returns once it is
// compiled, or its error.
func New(opts ...Option) (*Server, error) {
	s := &Server{cfg: defaultConfig()}
	for _, o := range opts {
		if err := o(&s.cfg); err != nil {
			return nil, err
		}
	}
	s.log = s.cfg.logger
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.time = newTimeline(s.cfg.clock)
	s.ids = newIDGen(s.cfg.seed)
	// The contract compiles on another goroutine while the rest is built
	// (finishContract waits for it).
	cb := s.startContract()
	st, err := s.build()
	if err != nil {
		cb.wait()
		return nil, err
	}
	s.st = st
	s.handlers = s.routeHandlers()
	gate := s.newContractGate(http.HandlerFunc(s.serve))
	s.handler = s.middleware(gate)
	// Errors come in the order they always did: the contract's before the
	// dispatcher's and the listener's.
	if s.wh, err = newDispatcher(s); err != nil {
		if _, cerr := cb.wait(); cerr != nil {
			return nil, cerr
		}
		return nil, err
	}

	ln := s.cfg.listener
	if ln == nil {
		// A plain TCP socket: with MPTCP (Go's default since 1.24 where the
		// kernel has it) the kernel sets up a multipath socket for a fake
		// that bots reach over loopback. On loopback, no TCP keep-alive
		// probes either: they cost four setsockopt calls per accepted
		// connection, and a loopback peer cannot vanish unnoticed.
		var lc net.ListenConfig
		lc.SetMultipathTCP(false)
		if isLoopbackAddr(s.cfg.addr) {
			lc.KeepAlive = -1
		}
		if ln, err = lc.Listen(context.Background(), "tcp", s.cfg.addr); err != nil {
			if _, cerr := cb.wait(); cerr != nil {
				return nil, cerr
			}
			return nil, fmt.Errorf("mockeko: listen on %s: %w", s.cfg.addr, err)
		}
	}
	s.ln = ln
	hostport := ln.Addr().String()
	s.URL = "http://" + hostport
	s.conns = newConnTracker()
	// HTTP/1.1 only: the Server speaks plain HTTP, and net/http would
	// otherwise set up an HTTP/2 server for every Server on its first Serve.
	var h1 http.Protocols
	h1.SetHTTP1(true)
	s.srv = &http.Server{
		Protocols:         &h1,
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		ConnState:         s.conns.track,
	}
	s.client = &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         newClientDialer(hostport).DialContext,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}}
	s.served = make(chan struct{})
	go func() {
		defer close(s.served)
		err := s.srv.Serve(ln)
		s.mu.Lock()
		closing := s.closed // Close closed the listener
		s.mu.Unlock()
		if err != nil && !closing {
			s.log.Error("mockeko: serve", "err", err)
		}
	}()
	// Serving already: the control plane answers (a health check need not
	// wait for the contract) while Eko API requests wait at the gate.
	if err := s.finishContract(gate, cb); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Client returns an HTTP client for the Server. Close closes its idle connections.
func (s *Server) Client() *http.Client { return s.client }

// Handler returns the Server's handler: the whole Eko surface and the
// control plane, for mounting elsewhere or for driving with httptest.
func (s *Server) Handler() http.Handler { return s.handler }

// Addr returns the address the Server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close shuts the Server down: it stops accepting connections, waits for
// in-flight requests (and webhook deliveries) to finish, and closes the
// Client's idle connections. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.wh.close() // first: waiting triggers answer, and bots can still call back
		// The Client hangs up first, so the TIME_WAIT of its connections
		// lands on its own (connect-side) port, which Linux reuses at once on
		// loopback. Were the server to hang up first, every Server would
		// leave a TIME_WAIT on its listening port for a minute, and binding
		// port 0 gets slower with each (milliseconds after some thousands).
		s.client.CloseIdleConnections()
		s.srv.SetKeepAlivesEnabled(false)
		_ = s.ln.Close()
		<-s.served // every accepted connection is now tracked
		// Most often every connection is gone already: no timer then (its
		// netpoller wake-up was a syscall).
		if drained := s.conns.shut(); !s.conns.isDrained() {
			t := time.NewTimer(defaultShutdown)
			select {
			case <-drained:
				t.Stop()
			case <-t.C:
				// As http.Server.Close: a handler stuck past the timeout is
				// left to notice its closed connection; Close does not hang.
				s.log.Warn("mockeko: requests still running after the shutdown timeout; closing their connections", "timeout", defaultShutdown)
				s.conns.closeAll()
			}
		}
		for i := len(s.closers) - 1; i >= 0; i-- {
			s.closers[i]()
		}
		s.client.CloseIdleConnections() // any that went idle meanwhile
	})
}

// now is the Server's current time.
func (s *Server) now() time.Time { return s.time.Now() }

// Now returns the Server's current time: its Clock plus what Advance added.
func (s *Server) Now() time.Time { return s.time.Now() }

// Advance moves the Server's time forward by d: tokens and reply tokens
// expire, and webhook retries waiting on a backoff become due.
func (s *Server) Advance(d time.Duration) time.Time { return s.time.advance(d) }

// Reset returns the Server to its initial state: the fixtures and options it
// was started with, an empty journal and an unmoved clock. Issued tokens
// are forgotten.
func (s *Server) Reset() error {
	s.ids.reset(s.cfg.seed)
	s.time.reset() // first: the fixtures' timestamps are taken from the unmoved clock
	st, err := s.build()
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.st = st
	s.faults = nil
	s.mu.Unlock()
	s.wh.reset()
	s.reqs.reset()
	return nil
}

// middleware wraps the router with what every request gets: double-slash
// tolerance, panic recovery and an access log without secrets.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Clients that join a base URL ending in "/" with "/bot/..." send "//bot/...";
		// real Eko tolerates it (eko-api.md §1).
		if strings.Contains(r.URL.Path, "//") {
			r.URL.Path = collapseSlashes(r.URL.Path)
			r.URL.RawPath = ""
		}
		// The access log is at info: under a quieter level, skip building it.
		logged := s.log.Enabled(r.Context(), slog.LevelInfo)
		var start time.Time
		if logged {
			start = time.Now()
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("mockeko: handler panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v))
				if !rec.wrote {
					writeError(rec, errorf(http.StatusInternalServerError, "server_error", "internal error: %v", v))
				}
			}
			if logged {
				s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
					"duration", time.Since(start).Round(time.Microsecond))
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

func collapseSlashes(p string) string {
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && i > 0 && p[i-1] == '/' {
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// drain reads and discards a little of an unread body so the connection can be reused.
func drain(r *http.Request) { _, _ = io.CopyN(io.Discard, r.Body, 4<<10) }

// isLoopbackAddr reports whether the host of addr (host:port) is a
// loopback address or localhost.
func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
