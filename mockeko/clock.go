package mockeko

import (
	"sync"
	"time"
)

// Clock tells the time. A Server reads every time it needs (token expiry,
// reply-token expiry, timestamps) from its Clock plus the offset that
// Server.Advance adds, so tests move time forward instead of sleeping.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// FakeClock is a Clock that stands still until it is moved. It is safe for
// concurrent use.
type FakeClock struct {
	mu      sync.Mutex
	now     time.Time
	changed chan struct{} // closed and replaced on every Advance
}

// NewFakeClock returns a FakeClock set to t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{now: t} }

// Now returns the clock's current time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d and wakes what waits on it
// (webhook retries of the Servers that use it).
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
	c.mu.Unlock()
}

// Changed returns a channel closed at the clock's next Advance.
func (c *FakeClock) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.changed == nil {
		c.changed = make(chan struct{})
	}
	return c.changed
}

// timeline is a Server's view of time: a Clock plus an offset moved by
// Advance. Waiters can ask to be woken when the offset moves.
type timeline struct {
	clock Clock

	mu      sync.Mutex
	offset  time.Duration
	changed chan struct{} // closed and replaced on every Advance
}

func newTimeline(c Clock) *timeline {
	if c == nil {
		c = systemClock{}
	}
	return &timeline{clock: c, changed: make(chan struct{})}
}

func (t *timeline) Now() time.Time {
	t.mu.Lock()
	off := t.offset
	t.mu.Unlock()
	return t.clock.Now().Add(off)
}

func (t *timeline) advance(d time.Duration) time.Time {
	t.mu.Lock()
	t.offset += d
	close(t.changed)
	t.changed = make(chan struct{})
	off := t.offset
	t.mu.Unlock()
	return t.clock.Now().Add(off)
}

func (t *timeline) reset() {
	t.mu.Lock()
	t.offset = 0
	close(t.changed)
	t.changed = make(chan struct{})
	t.mu.Unlock()
}

// Changed returns a channel closed at the next Advance or reset.
func (t *timeline) Changed() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.changed
}
