package mockeko

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

// Delivery states. A delivery starts pending and ends in exactly one of
// the other three.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered" // the bot answered 2xx
	DeliveryFailed    = "failed"    // every attempt failed, or the Server closed first
	DeliveryDropped   = "dropped"   // a Drop fault swallowed it
)

// Delivery is one webhook request to a bot and everything that happened
// to it: the delivery journal's entry.
type Delivery struct {
	ID        string `json:"id"`
	BotID     string `json:"botId"`
	EventType string `json:"eventType"` // join, message, postback or workflow
	// Event is the event object (events[0] of the body).
	Event json.RawMessage `json:"event"`
	// Body is the exact request body, the bytes signed.
	Body json.RawMessage `json:"body"`
	// Signature is the X-Eko-Signature sent (wrong when Faults has "badSignature").
	Signature  string `json:"signature"`
	URL        string `json:"url"` // the webhook URL, or "inprocess:" for a WithWebhookHandler bot
	UID        string `json:"uid,omitempty"`
	GID        string `json:"gid,omitempty"`
	TID        string `json:"tid,omitempty"`
	MessageID  string `json:"messageId,omitempty"` // the user's message stored in the chat
	ReplyToken string `json:"replyToken,omitempty"`
	State      string `json:"state"`
	Error      string `json:"error,omitempty"` // why it failed or was dropped
	// Faults lists the faults injected: delay, drop, duplicate, badSignature, reorder.
	Faults      []string   `json:"faults,omitempty"`
	DuplicateOf string     `json:"duplicateOf,omitempty"`
	ReplayOf    string     `json:"replayOf,omitempty"`
	Attempts    []Attempt  `json:"attempts"`
	NextAttempt *time.Time `json:"nextAttemptAt,omitempty"` // Server time of the next attempt while a retry backoff or a reorder hold waits
	CreatedAt   time.Time  `json:"createdAt"`               // Server time
	FinishedAt  *time.Time `json:"finishedAt,omitempty"`    // Server time
}

// Done reports whether the delivery reached a terminal state.
func (d Delivery) Done() bool { return d.State != DeliveryPending && d.State != "" }

// Attempt is one HTTP request of a delivery.
type Attempt struct {
	N          int       `json:"n"` // 1 for the first attempt
	StartedAt  time.Time `json:"startedAt"`
	Status     int       `json:"status"` // the bot's HTTP status; 0 when no answer came
	Error      string    `json:"error,omitempty"`
	DurationMs float64   `json:"durationMs"`
	// Response is the start of the bot's answer body (at most 1 KiB).
	Response   string `json:"response,omitempty"`
	RetryAfter string `json:"retryAfter,omitempty"` // the Retry-After header the bot sent
}

// delivery is a journal entry; guarded by dispatcher.mu, but for the
// immutable fields set before it is published.
type delivery struct {
	Delivery
	cfg     *WebhookConfig // the bot's config when it was triggered (never changed)
	handler http.Handler   // deliver in process when set
	drop    bool
	reorder bool
	delay   time.Duration
	done    chan struct{} // closed at the terminal state; read and set under dispatcher.mu
	ver     uint64        // bumped on every change, so waiters re-check only what changed
}

// queueKey is the queue of dl's chat (OrderPerChat): bot id and group id.
func (dl *delivery) queueKey() [2]string { return [2]string{dl.BotID, dl.GID} }

func (d *delivery) snapshot() Delivery {
	out := d.Delivery
	out.Body = slices.Clone(d.Body)
	out.Event = eventOf(out.Body)
	out.Faults = slices.Clone(d.Faults)
	out.Attempts = slices.Clone(d.Attempts)
	if d.NextAttempt != nil {
		t := *d.NextAttempt
		out.NextAttempt = &t
	}
	if d.FinishedAt != nil {
		t := *d.FinishedAt
		out.FinishedAt = &t
	}
	if out.Attempts == nil {
		out.Attempts = []Attempt{}
	}
	return out
}

// bodyPrefix opens every webhook body; the event follows, then "]}".
const bodyPrefix = `{"events":[`

// eventOf returns the event inside a webhook body.
func eventOf(body []byte) json.RawMessage {
	if len(body) < len(bodyPrefix)+2 {
		return nil
	}
	return body[len(bodyPrefix) : len(body)-2]
}

// journal is the delivery log; guarded by dispatcher.mu.
type journal struct {
	byID    map[string]*delivery
	order   []*delivery
	cap     int
	evictAt int // evict runs when the journal grows past this
	seq     uint64
	changed chan struct{} // closed on the next change; nil while nobody waits
}

func newJournal(cap int) *journal {
	return &journal{byID: map[string]*delivery{}, cap: cap, evictAt: cap + cap/16}
}

// notify wakes the WaitDelivery callers waiting for a change.
func (j *journal) notify() {
	if j.changed != nil {
		close(j.changed)
		j.changed = nil
	}
}

// wait returns a channel closed on the next change. It is made only when
// someone waits, so a change nobody waits for costs nothing.
func (j *journal) wait() <-chan struct{} {
	if j.changed == nil {
		j.changed = make(chan struct{})
	}
	return j.changed
}

func (j *journal) add(d *delivery) {
	j.byID[d.ID] = d
	j.order = append(j.order, d)
	j.evict()
	j.notify()
}

// touch records a change to d and wakes waiters.
func (j *journal) touch(d *delivery) {
	d.ver++
	j.notify()
}

// evict drops the oldest finished deliveries beyond the cap. It runs when
// the journal has grown by a sixteenth of the cap since the last run, so
// its cost is amortized even while many deliveries are pending.
func (j *journal) evict() {
	if len(j.order) <= j.evictAt {
		return
	}
	over := len(j.order) - j.cap
	kept := j.order[:0]
	for _, d := range j.order {
		if over > 0 && d.Done() {
			delete(j.byID, d.ID)
			over--
			continue
		}
		kept = append(kept, d)
	}
	clear(j.order[len(kept):])
	j.order = kept
	j.evictAt = max(j.cap, len(j.order)) + j.cap/16
}

// Deliveries returns the webhook journal, oldest first.
func (s *Server) Deliveries() []Delivery {
	d := s.wh
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Delivery, 0, len(d.j.order))
	for _, x := range d.j.order {
		out = append(out, x.snapshot())
	}
	return out
}

// Delivery returns the journal entry with the id.
func (s *Server) Delivery(id string) (Delivery, bool) {
	d := s.wh
	d.mu.Lock()
	defer d.mu.Unlock()
	x, ok := d.j.byID[id]
	if !ok {
		return Delivery{}, false
	}
	return x.snapshot(), true
}

// WaitDelivery waits until a delivery in the journal satisfies match and
// returns it, or returns ctx's error. match sees copies, oldest first, and
// sees a delivery again each time it changes, so it must depend only on
// the delivery; to wait for a finished delivery, test Done or State in it:
//
//	d, err := srv.WaitDelivery(ctx, func(d mockeko.Delivery) bool {
//		return d.EventType == "message" && d.Done()
//	})
func (s *Server) WaitDelivery(ctx context.Context, match func(Delivery) bool) (Delivery, error) {
	d := s.wh
	seen := map[*delivery]uint64{} // what match already rejected, by version
	for {
		d.mu.Lock()
		ch := d.j.wait()
		var snaps []Delivery
		for _, x := range d.j.order {
			if v, ok := seen[x]; ok && v == x.ver+1 {
				continue
			}
			seen[x] = x.ver + 1
			snaps = append(snaps, x.snapshot())
		}
		d.mu.Unlock()
		for _, x := range snaps {
			if match(x) {
				return x, nil
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return Delivery{}, ctx.Err()
		}
	}
}

// WaitDone waits until the delivery with the id reaches a terminal state
// and returns it. On ctx's end it returns the delivery as it stands and
// ctx's error.
func (s *Server) WaitDone(ctx context.Context, id string) (Delivery, error) {
	d := s.wh
	d.mu.Lock()
	x, ok := d.j.byID[id]
	var done <-chan struct{}
	if ok {
		done = x.done
	}
	d.mu.Unlock()
	if !ok {
		return Delivery{}, notFound("delivery %s not found", id)
	}
	select {
	case <-done:
	case <-ctx.Done():
		d.mu.Lock()
		defer d.mu.Unlock()
		return x.snapshot(), ctx.Err()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return x.snapshot(), nil
}

// Replay sends a delivery's exact event again, as a new delivery with
// ReplayOf set: signed with the bot's current secret, to its current
// webhook URL or handler, under its current config. The event is not
// rebuilt, so its reply token may have expired.
func (s *Server) Replay(id string) (Delivery, error) {
	orig, ok := s.Delivery(id)
	if !ok {
		return Delivery{}, notFound("delivery %s not found", id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Delivery{}, errorf(http.StatusServiceUnavailable, "closing", "the server is closing; no webhooks are sent")
	}
	bot, ok := s.st.bots[orig.BotID]
	if !ok {
		return Delivery{}, notFound("bot %s of delivery %s not found", orig.BotID, id)
	}
	cfg, h := s.wh.target(bot.ID)
	if h == nil && bot.WebhookURL == "" {
		return Delivery{}, errorf(http.StatusConflict, "no_webhook", "bot %s has no webhook URL: set webhookUrl with POST /_mockeko/bots", bot.ID)
	}
	dl := &delivery{cfg: cfg, handler: h}
	dl.BotID, dl.EventType, dl.UID, dl.GID, dl.TID = orig.BotID, orig.EventType, orig.UID, orig.GID, orig.TID
	dl.MessageID, dl.ReplyToken, dl.ReplayOf = orig.MessageID, orig.ReplyToken, orig.ID
	dl.Body = orig.Body
	dl.Event = eventOf(dl.Body)
	dl.URL = bot.WebhookURL
	if h != nil {
		dl.URL = "inprocess:"
	}
	return s.wh.submit(dl, bot.ClientSecret)
}
