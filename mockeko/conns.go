package mockeko

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// clientDialer dials for a Server's Client. Neither dialer sends TCP
// keep-alive probes: the Client's peer is this Server, in this process,
// and they cost four setsockopt calls per connection. A connection to the
// Server itself is dialed without a timeout of its own, as connecting to
// a listener this process keeps accepting on succeeds or fails at once
// (and the request's context still bounds it): the timeout's timer cost
// every dial a wake-up of the netpoller, a syscall. Other addresses get
// the 5 s timeout.
type clientDialer struct {
	self   string     // the Server's host:port, as the Client's Transport asks for it
	own    net.Dialer // for self
	remote net.Dialer // for any other address
}

func newClientDialer(self string) *clientDialer {
	return &clientDialer{
		self:   self,
		own:    net.Dialer{KeepAlive: -1},
		remote: net.Dialer{Timeout: 5 * time.Second, KeepAlive: -1},
	}
}

// DialContext is the Client's Transport's DialContext.
func (d *clientDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if addr == d.self {
		return d.own.DialContext(ctx, network, addr)
	}
	return d.remote.DialContext(ctx, network, addr)
}

// connTracker follows a Server's connections through http.Server.ConnState,
// as httptest.Server does, so that Close can close the idle ones at once
// and wait for exactly the busy ones to finish. http.Server.Shutdown polls
// for idle connections instead, first after 1 ms: longer than the rest of a
// Server's life in a typical test, and a response's connection is often
// still marked active when the client already has the answer.
type connTracker struct {
	mu      sync.Mutex
	conns   map[net.Conn]http.ConnState
	closing bool
	drained chan struct{} // closed once closing and no connection is left
}

func newConnTracker() *connTracker {
	return &connTracker{conns: map[net.Conn]http.ConnState{}, drained: make(chan struct{})}
}

// track is the http.Server's ConnState hook.
func (t *connTracker) track(c net.Conn, st http.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch st {
	case http.StateNew, http.StateActive, http.StateIdle:
		t.conns[c] = st
		if t.closing && st != http.StateActive {
			_ = c.Close() // the server stops serving it; StateClosed follows
		}
	case http.StateHijacked, http.StateClosed:
		delete(t.conns, c)
		t.checkDrained()
	}
}

// shut closes the idle connections and has the busy ones closed when
// their request is done. It returns a channel that is closed once no
// connection is left. The listener must be closed and Serve returned
// first, so no connection can join later.
func (t *connTracker) shut() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closing = true
	for c, st := range t.conns {
		if st != http.StateActive {
			_ = c.Close()
		}
	}
	t.checkDrained()
	return t.drained
}

// isDrained reports whether shut's channel is closed.
func (t *connTracker) isDrained() bool {
	select {
	case <-t.drained:
		return true
	default:
		return false
	}
}

// closeAll closes every connection, busy or not.
func (t *connTracker) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for c := range t.conns {
		_ = c.Close()
	}
}

func (t *connTracker) checkDrained() {
	if t.closing && len(t.conns) == 0 {
		select {
		case <-t.drained:
		default:
			close(t.drained)
		}
	}
}
