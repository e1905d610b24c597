package mockeko

import (
	"net"
	"net/http"
	"sync"
)

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
