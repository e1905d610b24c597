package e2e

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// deliveryJSON is a delivery of the journal, as GET /_mockeko/deliveries
// and POST /_mockeko/events show it (docs/webhooks.md).
type deliveryJSON struct {
	ID         string          `json:"id"`
	BotID      string          `json:"botId"`
	EventType  string          `json:"eventType"`
	Body       json.RawMessage `json:"body"`
	Signature  string          `json:"signature"`
	URL        string          `json:"url"`
	UID        string          `json:"uid"`
	GID        string          `json:"gid"`
	TID        string          `json:"tid"`
	MessageID  string          `json:"messageId"`
	ReplyToken string          `json:"replyToken"`
	State      string          `json:"state"`
	Error      string          `json:"error"`
	Faults     []string        `json:"faults"`
	Attempts   []struct {
		N          int     `json:"n"`
		Status     int     `json:"status"`
		Error      string  `json:"error"`
		DurationMs float64 `json:"durationMs"`
		Response   string  `json:"response"`
	} `json:"attempts"`
}

// webhookBot is a running e2e/node/webhook-bot.js.
type webhookBot struct {
	URL    string // its webhook endpoint, as it printed it
	stdout *syncBuffer
	stderr *syncBuffer
	exited chan struct{}
	err    error // from Wait, once exited is closed
}

// botLine is one line the bot prints on stdout.
type botLine struct {
	Listening string       `json:"listening"`
	Rejected  *botRejected `json:"rejected"`
	Handled   *botHandled  `json:"handled"`
	Failed    *struct {
		botHandled
		Error string `json:"error"`
	} `json:"failed"`
}

// botRejected is a request the bot refused, with the status it answered.
type botRejected struct {
	Status int    `json:"status"`
	Reason string `json:"reason"`
}

// botHandled is an event the bot handled, with the statuses of its replies.
type botHandled struct {
	Type       string `json:"type"`
	ReplyToken string `json:"replyToken"`
	Replies    []int  `json:"replies"`
}

// startWebhookBot runs webhook-bot.js with the bot's credentials and waits
// for it to print the URL it listens on. The process is tied to ctx; at
// cleanup it gets SIGTERM (then SIGKILL after a grace period) and is waited for.
func startWebhookBot(t *testing.T, ctx context.Context, node string, p *mockeko) *webhookBot {
	t.Helper()
	ctx, stop := context.WithCancel(ctx)
	b := &webhookBot{stdout: newSyncBuffer(), stderr: newSyncBuffer(), exited: make(chan struct{})}
	cmd := exec.CommandContext(ctx, node, "webhook-bot.js")
	cmd.Dir = nodeDir
	cmd.Env = append(os.Environ(),
		"EKO_HTTP_URI="+p.URL,
		"EKO_OAUTH_CLIENT_ID="+p.ClientID,
		"EKO_OAUTH_CLIENT_SECRET="+p.ClientSecret,
		"PORT=0",
	)
	cmd.Stdout, cmd.Stderr = b.stdout, b.stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		stop()
		t.Fatalf("start node webhook-bot.js: %v", err)
	}
	go func() { b.err = cmd.Wait(); close(b.exited) }()
	t.Cleanup(func() {
		stop()
		<-b.exited // bounded by WaitDelay
		if b.err != nil && !errors.Is(b.err, context.Canceled) && !errors.Is(b.err, context.DeadlineExceeded) {
			t.Errorf("webhook-bot.js did not stop cleanly on SIGTERM: %v\nstderr:\n%s", b.err, b.stderr)
		}
		if t.Failed() {
			t.Logf("webhook-bot.js stdout:\n%s\nstderr:\n%s", b.stdout, b.stderr)
		}
	})

	lines := b.waitLines(t, ctx, "the line with its URL", func(ls []botLine) bool { return len(ls) > 0 })
	b.URL = lines[0].Listening
	if u, err := url.Parse(b.URL); err != nil || u.Hostname() != "127.0.0.1" || u.Port() == "" || u.Port() == "0" || u.Path != "/webhook" {
		t.Fatalf("webhook-bot.js printed %+v first, want {listening: http://127.0.0.1:<port>/webhook}", lines[0])
	}
	return b
}

// lines parses what the bot printed so far, complete lines only.
func (b *webhookBot) lines(t *testing.T, out string) []botLine {
	t.Helper()
	var ls []botLine
	sc := bufio.NewScanner(strings.NewReader(out[:strings.LastIndexByte(out, '\n')+1]))
	for sc.Scan() {
		var l botLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("webhook-bot.js printed %q, not a JSON line: %v", sc.Text(), err)
		}
		ls = append(ls, l)
	}
	return ls
}

// handled returns a predicate over the bot's lines: it has reported
// handling (or failing to handle) an event of type typ. The bot reports an
// event after its reply calls have been answered, so from then on the
// replies are in the fake's state.
func (b *webhookBot) handled(typ string) func([]botLine) bool {
	return func(ls []botLine) bool {
		for _, l := range ls {
			if (l.Handled != nil && l.Handled.Type == typ) || (l.Failed != nil && l.Failed.Type == typ) {
				return true
			}
		}
		return false
	}
}

// reported says whether the bot's output so far satisfies ok.
func (b *webhookBot) reported(t *testing.T, ok func([]botLine) bool) func() bool {
	return func() bool { return ok(b.lines(t, b.stdout.String())) }
}

// waitLines waits until the bot's output lines satisfy ok and returns them.
func (b *webhookBot) waitLines(t *testing.T, ctx context.Context, what string, ok func([]botLine) bool) []botLine {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		out, changed := b.stdout.snapshot()
		if ls := b.lines(t, out); ok(ls) {
			return ls
		}
		select {
		case <-changed:
		case <-b.exited:
			t.Fatalf("webhook-bot.js exited (%v) while the test waited for %s\nstdout:\n%s\nstderr:\n%s", b.err, what, b.stdout, b.stderr)
		case <-ctx.Done():
			t.Fatalf("webhook-bot.js never printed %s: %v\nstdout:\n%s\nstderr:\n%s", what, ctx.Err(), b.stdout, b.stderr)
		}
	}
}

// waitMessages polls GET /_mockeko/messages?query, at most for a
// minute, until ok holds for the messages or settled did before they were
// read (then nothing more is coming), and returns them.
func (p *mockeko) waitMessages(t *testing.T, ctx context.Context, query, what string, ok func([]messageJSON) bool, settled func() bool) []messageJSON {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		done := settled()
		msgs := p.messages(t, ctx, query)
		if ok(msgs) || done {
			return msgs
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("waiting for %s in GET /_mockeko/messages?%s: %v; last seen:\n%+v", what, query, ctx.Err(), msgs)
		}
	}
}

// from returns msgs from the one with id on (nil when it is not there).
func from(msgs []messageJSON, id string) []messageJSON {
	for i, m := range msgs {
		if m.ID == id {
			return msgs[i:]
		}
	}
	return nil
}

// trigger POSTs ev to /_mockeko/events?wait=true and returns the finished delivery.
func (p *mockeko) trigger(t *testing.T, ctx context.Context, ev map[string]any) deliveryJSON {
	t.Helper()
	var out struct{ Delivery deliveryJSON }
	p.postJSON(t, ctx, nil, "/_mockeko/events?wait=true", ev).want(t, "POST /_mockeko/events?wait=true", http.StatusOK, &out)
	return out.Delivery
}

// testNodeWebhook runs e2e/node/webhook-bot.js, a Node bot that serves
// Eko's webhook, points the default bot at it and has simulated users talk
// to it: the signed message event is delivered, the bot replies twice with
// its reply token and the conversation shows it in order; a delivery signed
// with the wrong key is refused with 403 and recorded so; a join gets its
// welcome.
func testNodeWebhook(t *testing.T, bin string) {
	node := requireNode(t)
	p := startMockeko(t, bin)
	ctx := testContext(t)
	w := p.world(t, ctx)
	bot := startWebhookBot(t, ctx, node, p)

	var updated struct{ Bot botJSON }
	p.postJSON(t, ctx, nil, "/_mockeko/bots", map[string]string{"id": w.bot.ID, "webhookUrl": bot.URL}).
		want(t, "POST /_mockeko/bots {id, webhookUrl}", http.StatusOK, &updated)
	if updated.Bot.WebhookURL != bot.URL || updated.Bot.ClientSecret != p.ClientSecret {
		t.Fatalf("POST /_mockeko/bots answered %+v, want webhookUrl %s and the credentials unchanged", updated.Bot, bot.URL)
	}

	userSays := func(m messageJSON) messageJSON {
		m.Sender.Kind, m.Sender.ID, m.Type = "user", w.alice.ID, "text"
		return m
	}
	botSays := func(gid, tid, text string) messageJSON {
		m := messageJSON{GID: gid, TID: tid, Type: "text", Text: text, Endpoint: "/bot/v1/message/text"}
		m.Sender.Kind, m.Sender.ID = "bot", w.bot.ID
		return m
	}
	ignore := cmpopts.IgnoreFields(messageJSON{}, "ID", "CreatedAt", "Payload")
	dmQuery := url.Values{"gid": {w.aliceDM.ID}, "tid": {w.aliceDM.main()}}.Encode()

	// 1. Alice writes to the bot in her direct chat: one signed POST, answered 2xx.
	d := p.trigger(t, ctx, map[string]any{
		"type": "message", "uid": w.alice.Username,
		"message": map[string]string{"type": "text", "text": "weekly report please"},
	})
	if d.State != "delivered" || len(d.Attempts) != 1 || d.Attempts[0].Status/100 != 2 || d.Attempts[0].Error != "" {
		t.Fatalf("the message delivery: state %q, attempts %+v (error %q); want delivered with one 2xx attempt", d.State, d.Attempts, d.Error)
	}
	if d.URL != bot.URL || d.EventType != "message" || d.GID != w.aliceDM.ID || d.TID != w.aliceDM.main() || d.MessageID == "" || d.ReplyToken == "" {
		t.Errorf("the message delivery: %+v; want a message event to %s in alice's DM %s/%s with a message id and a reply token",
			d, bot.URL, w.aliceDM.ID, w.aliceDM.main())
	}
	mac := hmac.New(sha256.New, []byte(p.ClientSecret))
	mac.Write(d.Body)
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); d.Signature != want {
		t.Errorf("the delivery's signature %q is not base64(HMAC-SHA256(client secret, body)) %q", d.Signature, want)
	}
	var body struct {
		Events []struct {
			ReplyToken string `json:"replyToken"`
			Type       string `json:"type"`
			Message    struct{ Text string }
		} `json:"events"`
	}
	if err := json.Unmarshal(d.Body, &body); err != nil || len(body.Events) != 1 ||
		body.Events[0].ReplyToken != d.ReplyToken || body.Events[0].Message.Text != "weekly report please" {
		t.Errorf("the delivered body %s (%v): want one message event with the reply token %s and alice's text", d.Body, err, d.ReplyToken)
	}

	// The bot answered before replying: wait for both replies, after alice's message.
	want := []messageJSON{
		userSays(messageJSON{GID: w.aliceDM.ID, TID: w.aliceDM.main(), Text: "weekly report please"}),
		botSays(w.aliceDM.ID, w.aliceDM.main(), "Hold on a sec ..."),
		botSays(w.aliceDM.ID, w.aliceDM.main(), "You said: weekly report please"),
	}
	conv := from(p.waitMessages(t, ctx, dmQuery, "alice's message and both replies", func(ms []messageJSON) bool {
		return len(from(ms, d.MessageID)) >= len(want)
	}, bot.reported(t, bot.handled("message"))), d.MessageID)
	if diff := cmp.Diff(want, conv, ignore); diff != "" {
		t.Errorf("alice's direct chat after her message (-want +got):\n%s", diff)
	}

	bot.waitLines(t, ctx, "the message handled", bot.handled("message"))

	// 2. A delivery signed with the wrong key: the bot refuses it with 403,
	// the journal records the refusal, and the bot does not reply.
	var cfg struct{ Webhook json.RawMessage }
	p.postJSON(t, ctx, nil, "/_mockeko/bots/"+w.bot.ID+"/webhook",
		map[string]any{"retry": map[string]int{"attempts": 1}, "faults": map[string]float64{"badSignature": 1}}).
		want(t, "POST /_mockeko/bots/{id}/webhook with the badSignature fault", http.StatusOK, &cfg)
	bad := p.trigger(t, ctx, map[string]any{
		"type": "message", "uid": w.alice.Username,
		"message": map[string]string{"type": "text", "text": "is anyone there?"},
	})
	if bad.State != "failed" || len(bad.Attempts) != 1 || bad.Attempts[0].Status != http.StatusForbidden ||
		!cmp.Equal(bad.Faults, []string{"badSignature"}) {
		t.Errorf("the wrongly signed delivery: state %q, faults %q, attempts %+v; want failed, [badSignature], one attempt answered 403",
			bad.State, bad.Faults, bad.Attempts)
	}
	p.postJSON(t, ctx, nil, "/_mockeko/bots/"+w.bot.ID+"/webhook", map[string]any{}).
		want(t, "POST /_mockeko/bots/{id}/webhook {} (the defaults)", http.StatusOK, &cfg)

	// 3. Bob opens a direct chat with the bot: a join event, one welcome.
	j := p.trigger(t, ctx, map[string]any{"type": "join", "uid": w.bob.Username})
	if j.State != "delivered" || len(j.Attempts) != 1 || j.Attempts[0].Status/100 != 2 || j.GID == "" || j.ReplyToken == "" {
		t.Fatalf("the join delivery: state %q, gid %q, attempts %+v (error %q); want delivered with one 2xx attempt in bob's DM",
			j.State, j.GID, j.Attempts, j.Error)
	}
	bobDM := url.Values{"gid": {j.GID}}.Encode()
	welcome := []messageJSON{botSays(j.GID, j.TID, "Hi! I am the report bot. Send me anything.")}
	got := p.waitMessages(t, ctx, bobDM, "the welcome in bob's DM", func(ms []messageJSON) bool { return len(ms) > 0 },
		bot.reported(t, bot.handled("join")))
	if diff := cmp.Diff(welcome, got, ignore); diff != "" {
		t.Errorf("bob's direct chat after the join (-want +got):\n%s", diff)
	}

	// The bot's own account: it handled the message with two 201 replies,
	// refused the forged delivery, handled the join with one reply, and
	// nothing else. It reports the join last, so by now everything is in.
	lines := bot.waitLines(t, ctx, "the join handled", bot.handled("join"))
	wantLines := []botLine{
		{Listening: bot.URL},
		{Handled: &botHandled{Type: "message", ReplyToken: d.ReplyToken, Replies: []int{201, 201}}},
		{Rejected: &botRejected{Status: http.StatusForbidden, Reason: "bad signature"}},
		{Handled: &botHandled{Type: "join", ReplyToken: j.ReplyToken, Replies: []int{201}}},
	}
	if diff := cmp.Diff(wantLines, lines); diff != "" {
		t.Errorf("what webhook-bot.js did (-want +got):\n%s", diff)
	}
	// Alice's chat holds her second message (stored before the delivery) and no reply to it.
	want = append(want, userSays(messageJSON{GID: w.aliceDM.ID, TID: w.aliceDM.main(), Text: "is anyone there?"}))
	if diff := cmp.Diff(want, from(p.messages(t, ctx, dmQuery), d.MessageID), ignore); diff != "" {
		t.Errorf("alice's direct chat at the end (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(welcome, p.messages(t, ctx, bobDM), ignore); diff != "" {
		t.Errorf("bob's direct chat at the end (-want +got):\n%s", diff)
	}

	// The request journal holds every exchange held to the contract (openapi/):
	// the three deliveries and the bot's calls, none outside it but for the
	// forged delivery, whose 403 answer is not a delivered one.
	var journal struct {
		Requests []struct {
			Kind       string `json:"kind"`
			Operation  string `json:"operation"`
			Status     int    `json:"status"`
			Violations []struct {
				Direction string `json:"direction"`
				Location  string `json:"location"`
			} `json:"violations"`
		} `json:"requests"`
	}
	p.getJSON(t, ctx, nil, "/_mockeko/requests", &journal)
	var exchanges []string
	for _, r := range journal.Requests {
		e := fmt.Sprintf("%s %s %d", r.Kind, r.Operation, r.Status)
		for _, v := range r.Violations {
			e += fmt.Sprintf(" violation:%s@%s", v.Direction, v.Location)
		}
		exchanges = append(exchanges, e)
	}
	wantExchanges := []string{
		"api getToken 200",
		"api replyText 201", "api replyText 201", "api replyText 201",
		"webhook webhook 200", "webhook webhook 200",
		"webhook webhook 403 violation:webhook-response@status",
	}
	if diff := cmp.Diff(wantExchanges, exchanges, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("GET /_mockeko/requests: the exchanges and their contract violations (-want +got):\n%s", diff)
	}
}
