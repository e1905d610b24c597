package mockeko_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mockeko/mockeko/mockeko"
	"golang.org/x/oauth2"
)

// Fixture ids (fixtures/default.yaml).
const (
	teamID    = "5ae99669299892c81ec1d7fa"
	teamMain  = "5ae996692998924badc1d7fb"
	teamInc   = "5ae996692998924badc1d7fc"
	aliceDM   = "5ae99669299892c81ec1d801"
	aliceDMT  = "5ae996692998924badc1d802"
	botSecret = "3f1b9c6e2a8d4f7b0c5e9a1d6b2f8e4c7a0d3b5e"
	botClient = "7bcee21a-3f7e-4338-97af-a90842176849"
	networkID = "5ac20cd38c62770001530001"
)

// received is one webhook request as a bot saw it.
type received struct {
	header   http.Header
	body     []byte
	sigValid bool
	event    map[string]any
}

// botReceiver is a bot's webhook endpoint: it verifies X-Eko-Signature the
// way a real bot does (HMAC-SHA256 over the raw body with its client
// secret, standard base64) and answers with respond.
type botReceiver struct {
	t       *testing.T
	secret  string
	respond func(n int, w http.ResponseWriter, r *http.Request) // nil: 200 "ok"
	onEvent func(ev map[string]any)                             // called before answering

	mu      sync.Mutex
	got     []received
	changed chan struct{}
}

func newReceiver(t *testing.T, secret string) *botReceiver {
	return &botReceiver{t: t, secret: secret, changed: make(chan struct{})}
}

func (b *botReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		b.t.Errorf("bot: reading the body: %v", err)
		return
	}
	mac := hmac.New(sha256.New, []byte(b.secret))
	mac.Write(raw)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	rec := received{header: r.Header.Clone(), body: raw, sigValid: hmac.Equal([]byte(want), []byte(r.Header.Get("X-Eko-Signature")))}
	var env struct {
		Events []map[string]any `json:"events"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || len(env.Events) != 1 {
		b.t.Errorf("bot: body %s: want {\"events\":[one event]} (err %v)", raw, err)
	} else {
		rec.event = env.Events[0]
	}
	b.mu.Lock()
	n := len(b.got)
	b.got = append(b.got, rec)
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
	if rec.sigValid && b.onEvent != nil && rec.event != nil {
		b.onEvent(rec.event)
	}
	if !rec.sigValid {
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	if b.respond != nil {
		b.respond(n, w, r)
		return
	}
	io.WriteString(w, "ok")
}

func (b *botReceiver) all() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.got...)
}

// waitN waits until the bot has received n requests.
func (b *botReceiver) waitN(ctx context.Context, n int) ([]received, error) {
	for {
		b.mu.Lock()
		got, ch := append([]received(nil), b.got...), b.changed
		b.mu.Unlock()
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return got, ctx.Err()
		}
	}
}

// startBot starts an HTTP receiver for the default bot and points its webhook URL at it.
func startBot(t *testing.T, srv *mockeko.Server, rcv *botReceiver) *httptest.Server {
	t.Helper()
	hs := httptest.NewServer(rcv)
	t.Cleanup(hs.Close)
	b := srv.Bot()
	b.WebhookURL = hs.URL + "/eko/webhook"
	if _, err := srv.AddBot(b); err != nil {
		t.Fatal(err)
	}
	return hs
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 866_000_000, time.UTC)

func newTestServer(t *testing.T, opts ...mockeko.Option) *mockeko.Server {
	t.Helper()
	srv, err := mockeko.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// botClient is the bot's authenticated HTTP client, as golang.org/x/oauth2 builds it.
func botHTTP(srv *mockeko.Server) *http.Client {
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	return srv.ClientCredentials("bot").Client(ctx)
}

func whPostJSON(t *testing.T, c *http.Client, url string, body any) (int, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := c.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// The whole loop: a simulated user writes, the bot receives a signed
// webhook exactly as real Eko sends it and replies twice with its reply
// token, and the conversation reads in order.
func TestSendTextDeliversSignedWebhook(t *testing.T) {
	clk := mockeko.NewFakeClock(t0)
	srv := newTestServer(t, mockeko.WithClock(clk))
	rcv := newReceiver(t, botSecret)
	bot := botHTTP(srv)
	rcv.onEvent = func(ev map[string]any) {
		for _, text := range []string{"Hello Alice", "How can I help?"} {
			if code, body := whPostJSON(t, bot, srv.URL+"/bot/v1/message/text", map[string]string{"replyToken": ev["replyToken"].(string), "message": text}); code != 201 {
				t.Errorf("reply: %d %s", code, body)
			}
		}
	}
	hs := startBot(t, srv, rcv)

	d, err := srv.SendText(testCtx(t), "alice@acme.example", "hello bot", nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != mockeko.DeliveryDelivered || len(d.Attempts) != 1 || d.Attempts[0].Status != 200 || d.Attempts[0].Response != "ok" {
		t.Fatalf("delivery = %+v, want delivered at the first attempt with 200 ok", d)
	}
	got := rcv.all()
	if len(got) != 1 {
		t.Fatalf("bot got %d requests, want 1", len(got))
	}
	r := got[0]
	if !r.sigValid {
		t.Errorf("X-Eko-Signature %q does not verify with the client secret", r.header.Get("X-Eko-Signature"))
	}
	for k, want := range map[string]string{
		"Content-Type": "application/json;charset=utf-8",
		"User-Agent":   "axios/0.19.2",
		"Accept":       "application/json, text/plain, */*",
	} {
		if v := r.header.Get(k); v != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}
	if !bytes.Equal(r.body, d.Body) || d.URL != hs.URL+"/eko/webhook" {
		t.Errorf("journal body/URL differ from what the bot got: %s %s", d.Body, d.URL)
	}
	tok, _ := r.event["replyToken"].(string)
	msgID := d.MessageID
	want := map[string]any{
		"replyToken": tok,
		"type":       "message",
		"source": map[string]any{"type": "user", "userId": aliceID, "username": "alice@acme.example", "email": "alice@acme.example",
			"profile": map[string]any{"FullName": "Alice Anders", "Division": "Engineering", "Department": "Platform"}},
		"message": map[string]any{"id": msgID, "type": "text", "groupId": aliceDM, "groupType": "direct_chat",
			"topicId": aliceDMT, "text": "hello bot"},
		"timestamp": "2026-03-04T05:06:07.866Z",
		"sessionId": aliceDM + "_" + aliceDMT,
		"meta":      map[string]any{"botId": botID, "networkId": networkID, "clientId": botClient, "userId": botID, "deep_research": false},
	}
	if diff := cmp.Diff(want, r.event); diff != "" {
		t.Errorf("message event (-want +got):\n%s", diff)
	}
	if len(tok) != 40 || d.ReplyToken != tok {
		t.Errorf("replyToken %q: want 40 hex, recorded in the journal (%q)", tok, d.ReplyToken)
	}

	var conv []string
	for _, m := range srv.Messages(aliceDM, "") {
		conv = append(conv, m.Sender.Kind+": "+m.Text)
	}
	if diff := cmp.Diff([]string{"user: hello bot", "bot: Hello Alice", "bot: How can I help?"}, conv); diff != "" {
		t.Errorf("conversation (-want +got):\n%s", diff)
	}
}

func TestEventPayloads(t *testing.T) {
	clk := mockeko.NewFakeClock(t0)
	srv := newTestServer(t, mockeko.WithClock(clk))
	rcv := newReceiver(t, botSecret)
	startBot(t, srv, rcv)
	ctx := testCtx(t)
	meta := map[string]any{"botId": botID, "networkId": networkID, "clientId": botClient, "userId": botID, "deep_research": false}
	bobSrc := map[string]any{"type": "user", "userId": bobID, "username": "bob@acme.example", "email": "bob@acme.example",
		"profile": map[string]any{"FullName": "Bob Baker", "Division": "Engineering", "Department": "Operations"}}

	tests := []struct {
		name    string
		trigger func() (mockeko.Delivery, error)
		want    func(d mockeko.Delivery, tok string) map[string]any
	}{{
		name:    "join",
		trigger: func() (mockeko.Delivery, error) { return srv.Join(ctx, aliceID, nil) },
		want: func(d mockeko.Delivery, tok string) map[string]any {
			return map[string]any{"replyToken": tok, "type": "join", "source": map[string]any{"type": "direct_chat", "uid": aliceID},
				"timestamp": float64(t0.UnixMilli())}
		},
	}, {
		name: "text in a group topic",
		trigger: func() (mockeko.Delivery, error) {
			return srv.SendText(ctx, bobID, "@Acme Helper status?", &mockeko.SendOptions{GID: teamID, TID: teamInc})
		},
		want: func(d mockeko.Delivery, tok string) map[string]any {
			return map[string]any{"replyToken": tok, "type": "message", "source": bobSrc,
				"message":   map[string]any{"id": d.MessageID, "type": "text", "groupId": teamID, "groupType": "team", "topicId": teamInc, "text": "@Acme Helper status?"},
				"timestamp": "2026-03-04T05:06:07.866Z", "sessionId": teamID + "_" + teamInc, "meta": meta}
		},
	}, {
		name: "sticker",
		trigger: func() (mockeko.Delivery, error) {
			return srv.SendSticker(ctx, bobID, "pkg-1", "st-9", &mockeko.SendOptions{GID: teamID})
		},
		want: func(d mockeko.Delivery, tok string) map[string]any {
			return map[string]any{"replyToken": tok, "type": "message", "source": bobSrc,
				"message":   map[string]any{"id": d.MessageID, "type": "sticker", "groupId": teamID, "groupType": "team", "topicId": teamMain, "packageId": "pkg-1", "stickerId": "st-9"},
				"timestamp": "2026-03-04T05:06:07.866Z", "sessionId": teamID + "_" + teamMain, "meta": meta}
		},
	}, {
		name: "postback",
		trigger: func() (mockeko.Delivery, error) {
			return srv.SendPostback(ctx, bobID, "action=ack&id=7", "Acknowledge", &mockeko.SendOptions{GID: teamID})
		},
		want: func(d mockeko.Delivery, tok string) map[string]any {
			return map[string]any{"replyToken": tok, "type": "postback", "source": bobSrc,
				"postback":  map[string]any{"data": "action=ack&id=7", "text": "Acknowledge"},
				"timestamp": "2026-03-04T05:06:07.866Z", "sessionId": teamID + "_" + teamMain, "meta": meta}
		},
	}, {
		name: "workflow",
		trigger: func() (mockeko.Delivery, error) {
			d, err := srv.Trigger(mockeko.Event{Type: "workflow", Workflow: &mockeko.EventWorkflow{Type: "approval", ID: "5cb6f9e1c3a4b2001f0e4d22", Title: "Leave request", Recipients: []string{"bob@acme.example", aliceID}}})
			if err != nil {
				return d, err
			}
			return srv.WaitDone(ctx, d.ID)
		},
		want: func(d mockeko.Delivery, tok string) map[string]any {
			return map[string]any{"type": "workflow", "workflow": map[string]any{"type": "approval", "_id": "5cb6f9e1c3a4b2001f0e4d22", "title": "Leave request", "recipients": []any{bobID, aliceID}},
				"timestamp": "2026-03-04T05:06:07.866Z"}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := len(rcv.all())
			d, err := tt.trigger()
			if err != nil {
				t.Fatal(err)
			}
			if d.State != mockeko.DeliveryDelivered {
				t.Fatalf("state %s (%s), want delivered", d.State, d.Error)
			}
			got := rcv.all()[n:]
			if len(got) != 1 || !got[0].sigValid {
				t.Fatalf("bot got %d requests (want 1 with a valid signature)", len(got))
			}
			tok, _ := got[0].event["replyToken"].(string)
			if diff := cmp.Diff(tt.want(d, tok), got[0].event); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}
}

// An inbound picture is stored and served to the bot at /file/view/{pictureId}.
func TestSendPictureIsFetchable(t *testing.T) {
	srv := newTestServer(t)
	rcv := newReceiver(t, botSecret)
	startBot(t, srv, rcv)
	pic := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 300)...)
	d, err := srv.SendPicture(testCtx(t), aliceID, "cat.png", pic, nil)
	if err != nil || d.State != mockeko.DeliveryDelivered {
		t.Fatalf("SendPicture: %v %+v", err, d)
	}
	ev := rcv.all()[0].event
	msg := ev["message"].(map[string]any)
	if msg["type"] != "picture" || msg["fileName"] != "cat.png" {
		t.Fatalf("message = %v, want type picture with fileName cat.png", msg)
	}
	resp, err := botHTTP(srv).Get(srv.URL + "/file/view/" + msg["pictureId"].(string) + "?size=large")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Equal(got, pic) || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("GET /file/view: %d %s, %d bytes; want 200 image/png with the picture's bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(got))
	}
	msgs := srv.Messages(aliceDM, "")
	if len(msgs) != 1 || msgs[0].Sender.Kind != "user" || msgs[0].FileID != msg["pictureId"] {
		t.Errorf("chat = %+v, want the user's picture", msgs)
	}
}

// Real Eko sends no webhook for a file (eko-api.md §4.5); FileEvents opts in.
func TestSendFile(t *testing.T) {
	srv := newTestServer(t)
	rcv := newReceiver(t, botSecret)
	startBot(t, srv, rcv)
	ctx := testCtx(t)
	d, err := srv.SendFile(ctx, aliceID, "report.pdf", []byte("%PDF-1.4 ..."), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "" || d.MessageID == "" || len(srv.Deliveries()) != 0 || len(rcv.all()) != 0 {
		t.Fatalf("file with FileEvents off: delivery %+v, journal %d, bot got %d; want only a stored message", d, len(srv.Deliveries()), len(rcv.all()))
	}
	if err := srv.SetWebhookConfig(botID, mockeko.WebhookConfig{FileEvents: true}); err != nil {
		t.Fatal(err)
	}
	if d, err = srv.SendFile(ctx, aliceID, "report.pdf", []byte("%PDF-1.4 ..."), nil); err != nil || d.State != mockeko.DeliveryDelivered {
		t.Fatalf("file with FileEvents on: %v %+v", err, d)
	}
	msg := rcv.all()[0].event["message"].(map[string]any)
	if msg["type"] != "file" || msg["fileName"] != "report.pdf" || msg["fileId"] == "" {
		t.Errorf("file event message = %v", msg)
	}
}

func TestTap(t *testing.T) {
	srv := newTestServer(t)
	rcv := newReceiver(t, botSecret)
	startBot(t, srv, rcv)
	ctx := testCtx(t)
	bot := botHTTP(srv)
	rt, err := srv.MintReplyToken(botID, aliceDM, "")
	if err != nil {
		t.Fatal(err)
	}
	code, body := whPostJSON(t, bot, srv.URL+"/bot/v1/message/quickreply", map[string]any{"replyToken": rt.Token,
		"message": map[string]any{"data": "Deploy?", "meta": map[string]any{"quickreply": map[string]any{"template": "default", "items": []any{
			map[string]any{"type": "label", "value": "deploy-yes", "data": map[string]any{"text": "Yes"}},
			map[string]any{"type": "label", "value": "deploy-no", "data": map[string]any{"text": "No"}},
		}}}}})
	if code != 201 {
		t.Fatalf("quickreply: %d %s", code, body)
	}
	code, body = whPostJSON(t, bot, srv.URL+"/bot/v2/message/push", map[string]any{"gid": aliceDM, "messages": []any{
		map[string]any{"type": "template", "altText": "Pick", "template": map[string]any{"type": "buttons", "text": "Pick one", "actions": []any{
			map[string]any{"type": "postback", "label": "Ack", "data": "ack=1", "text": "Acknowledged"},
			map[string]any{"type": "message", "label": "Later", "text": "remind me later"},
			map[string]any{"type": "uri", "label": "Open", "uri": "https://example.com/x"},
		}}}}})
	if code != 201 {
		t.Fatalf("v2 push: %d %s", code, body)
	}
	msgs := srv.Messages(aliceDM, "")
	qr, buttons := msgs[0].ID, msgs[1].ID

	tests := []struct {
		name      string
		tap       func() (mockeko.Delivery, error)
		wantType  string
		wantField string // message.text or postback.data
		wantText  string
	}{
		{"v1 quick reply by index", func() (mockeko.Delivery, error) { return srv.Tap(ctx, aliceID, qr, 1) }, "message", "deploy-no", ""},
		{"v1 quick reply by label", func() (mockeko.Delivery, error) { return srv.TapLabel(ctx, aliceID, qr, "Yes") }, "message", "deploy-yes", ""},
		{"v2 postback", func() (mockeko.Delivery, error) { return srv.TapLabel(ctx, aliceID, buttons, "Ack") }, "postback", "ack=1", "Acknowledged"},
		{"v2 message action", func() (mockeko.Delivery, error) { return srv.Tap(ctx, aliceID, buttons, 1) }, "message", "remind me later", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := len(rcv.all())
			d, err := tt.tap()
			if err != nil || d.State != mockeko.DeliveryDelivered {
				t.Fatalf("tap: %v %+v", err, d)
			}
			ev := rcv.all()[n].event
			if ev["type"] != tt.wantType {
				t.Fatalf("event type %v, want %s", ev["type"], tt.wantType)
			}
			if tt.wantType == "message" {
				if got := ev["message"].(map[string]any)["text"]; got != tt.wantField {
					t.Errorf("message.text = %v, want %q", got, tt.wantField)
				}
			} else {
				want := map[string]any{"data": tt.wantField, "text": tt.wantText}
				if diff := cmp.Diff(want, ev["postback"]); diff != "" {
					t.Errorf("postback (-want +got):\n%s", diff)
				}
			}
		})
	}

	userMsg := srv.Messages(aliceDM, "")[2].ID // the user's "deploy-no"
	bad := []struct {
		name string
		tap  func() (mockeko.Delivery, error)
		code int
	}{
		{"index out of range", func() (mockeko.Delivery, error) { return srv.Tap(ctx, aliceID, qr, 2) }, 400},
		{"label never sent", func() (mockeko.Delivery, error) { return srv.TapLabel(ctx, aliceID, qr, "Maybe") }, 400},
		{"uri action", func() (mockeko.Delivery, error) { return srv.TapLabel(ctx, aliceID, buttons, "Open") }, 400},
		{"a user's message", func() (mockeko.Delivery, error) { return srv.Tap(ctx, aliceID, userMsg, 0) }, 400},
		{"unknown message", func() (mockeko.Delivery, error) { return srv.Tap(ctx, aliceID, "5ae996692998924badc1dfff", 0) }, 404},
		{"not in the chat", func() (mockeko.Delivery, error) { return srv.Tap(ctx, bobID, qr, 0) }, 403},
	}
	before := len(srv.Deliveries())
	nmsgs := len(srv.Messages("", ""))
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.tap()
			var e *mockeko.Error
			if !errors.As(err, &e) || e.Status != tt.code {
				t.Errorf("err = %v, want a %d *mockeko.Error", err, tt.code)
			}
		})
	}
	if len(srv.Deliveries()) != before || len(srv.Messages("", "")) != nmsgs {
		t.Errorf("failed taps changed state")
	}
}

// controlCall posts JSON to the control plane and decodes the answer.
func controlCall(t *testing.T, srv *mockeko.Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: %d %s: not JSON", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

func TestControlEventsBadInput(t *testing.T) {
	srv := newTestServer(t)
	rcv := newReceiver(t, botSecret)
	startBot(t, srv, rcv)
	other, err := srv.AddBot(mockeko.Bot{Name: "Silent Bot"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body string
		code       int
		errCode    string
	}{
		{"malformed JSON", `{"type":"message",`, 400, "invalid_request"},
		{"unknown field", `{"type":"message","uid":"` + aliceID + `","message":{"text":"hi"},"color":"red"}`, 400, "invalid_request"},
		{"no type", `{"uid":"` + aliceID + `"}`, 400, "invalid_request"},
		{"unknown type", `{"type":"typing","uid":"` + aliceID + `"}`, 400, "invalid_request"},
		{"message without message", `{"type":"message","uid":"` + aliceID + `"}`, 400, "invalid_request"},
		{"empty text", `{"type":"message","uid":"` + aliceID + `","message":{"type":"text","text":" "}}`, 400, "invalid_request"},
		{"picture that is not an image", `{"type":"message","uid":"` + aliceID + `","message":{"type":"picture","data":"aGVsbG8="}}`, 400, "invalid_request"},
		{"unknown user", `{"type":"message","uid":"nobody","message":{"text":"hi"}}`, 404, "not_found"},
		{"deleted user", `{"type":"message","uid":"former.employee","message":{"text":"hi"}}`, 404, "not_found"},
		{"unknown bot", `{"type":"message","botId":"5ac20cd38c62770001538bff","uid":"` + aliceID + `","message":{"text":"hi"}}`, 404, "not_found"},
		{"unknown group", `{"type":"message","uid":"` + aliceID + `","gid":"5ae99669299892c81ec1dfff","message":{"text":"hi"}}`, 404, "not_found"},
		{"unknown topic", `{"type":"message","uid":"` + aliceID + `","gid":"` + teamID + `","tid":"5ae996692998924badc1dfff","message":{"text":"hi"}}`, 404, "not_found"},
		{"user not in group", `{"type":"message","uid":"dana@acme.example","gid":"` + teamID + `","message":{"text":"hi"}}`, 403, "forbidden"},
		{"bot without webhook", `{"type":"message","botId":"` + other.ID + `","uid":"` + aliceID + `","message":{"text":"hi"}}`, 409, "no_webhook"},
		{"join in a group", `{"type":"join","uid":"` + aliceID + `","gid":"` + teamID + `"}`, 400, "invalid_request"},
		{"bad wait", `{"type":"join","uid":"` + aliceID + `"}`, 400, "invalid_request"},
	}
	before := len(srv.Messages("", ""))
	groups := len(srv.Groups())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/_mockeko/events"
			if tt.name == "bad wait" {
				path += "?wait=soon"
			}
			code, out := controlCall(t, srv, "POST", path, tt.body)
			if code != tt.code || out["error"] != tt.errCode || out["message"] == "" {
				t.Errorf("%d %v, want %d %s with a message", code, out, tt.code, tt.errCode)
			}
		})
	}
	if len(srv.Deliveries()) != 0 || len(srv.Messages("", "")) != before || len(srv.Groups()) != groups || len(rcv.all()) != 0 {
		t.Errorf("bad events changed state: %d deliveries, %d messages, %d groups", len(srv.Deliveries()), len(srv.Messages("", "")), len(srv.Groups()))
	}
	// The server still serves.
	if code, out := controlCall(t, srv, "POST", "/_mockeko/events?wait=true", `{"type":"message","uid":"alice@acme.example","message":{"type":"text","text":"hi"}}`); code != 200 || out["delivery"].(map[string]any)["state"] != "delivered" {
		t.Errorf("good event after bad ones: %d %v", code, out)
	}
}

// The control plane drives the same dispatcher: trigger, list, get, replay, config.
func TestControlPlaneDeliveries(t *testing.T) {
	srv := newTestServer(t)
	rcv := newReceiver(t, botSecret)
	startBot(t, srv, rcv)

	code, out := controlCall(t, srv, "POST", "/_mockeko/events?wait=true", `{"type":"message","uid":"alice@acme.example","message":{"type":"text","text":"hi"}}`)
	if code != 200 {
		t.Fatalf("trigger: %d %v", code, out)
	}
	d := out["delivery"].(map[string]any)
	id := d["id"].(string)
	if d["state"] != "delivered" || d["eventType"] != "message" || len(d["attempts"].([]any)) != 1 {
		t.Errorf("delivery = %v", d)
	}
	code, out = controlCall(t, srv, "GET", "/_mockeko/deliveries/"+id, "")
	if code != 200 || out["delivery"].(map[string]any)["id"] != id {
		t.Errorf("get: %d %v", code, out)
	}
	code, out = controlCall(t, srv, "POST", "/_mockeko/deliveries/"+id+"/replay?wait=true", "")
	if code != 200 || out["delivery"].(map[string]any)["replayOf"] != id || out["delivery"].(map[string]any)["state"] != "delivered" {
		t.Errorf("replay: %d %v", code, out)
	}
	got := rcv.all()
	if len(got) != 2 || !bytes.Equal(got[0].body, got[1].body) || !got[1].sigValid {
		t.Errorf("replay: bot got %d requests; want the same signed body twice", len(got))
	}
	code, out = controlCall(t, srv, "GET", "/_mockeko/deliveries?state=delivered&type=message", "")
	if code != 200 || len(out["deliveries"].([]any)) != 2 {
		t.Errorf("list: %d %v", code, out)
	}
	for _, path := range []string{"/_mockeko/deliveries/dlv_999", "/_mockeko/deliveries/dlv_999/replay"} {
		method := "GET"
		if strings.HasSuffix(path, "replay") {
			method = "POST"
		}
		if code, out := controlCall(t, srv, method, path, ""); code != 404 || out["error"] != "not_found" {
			t.Errorf("%s %s: %d %v, want 404", method, path, code, out)
		}
	}
	if code, _ := controlCall(t, srv, "GET", "/_mockeko/deliveries?state=lost", ""); code != 400 {
		t.Errorf("list with a bad state: %d, want 400", code)
	}

	// Per-bot config round trip.
	code, out = controlCall(t, srv, "POST", "/_mockeko/bots/"+botID+"/webhook", `{"timeoutMs":2000,"retry":{"attempts":5,"backoffMs":100},"faults":{"drop":1}}`)
	if code != 200 {
		t.Fatalf("put config: %d %v", code, out)
	}
	want := map[string]any{"timeoutMs": 2000.0, "ordering": "chat", "fileEvents": false,
		"retry":  map[string]any{"attempts": 5.0, "backoffMs": 100.0, "maxBackoffMs": 30000.0, "ignoreRetryAfter": false},
		"faults": map[string]any{"delayMs": 0.0, "drop": 1.0, "duplicate": 0.0, "badSignature": 0.0, "reorder": 0.0}}
	if diff := cmp.Diff(want, out["webhook"]); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	for _, body := range []string{`{"faults":{"drop":2}}`, `{"ordering":"random"}`, `{"retry":{"attempts":-1}}`, `{"retries":3}`} {
		if code, out := controlCall(t, srv, "POST", "/_mockeko/bots/"+botID+"/webhook", body); code != 400 {
			t.Errorf("config %s: %d %v, want 400", body, code, out)
		}
	}
	code, out = controlCall(t, srv, "POST", "/_mockeko/events?wait=true", `{"type":"join","uid":"bob@acme.example"}`)
	if code != 200 || out["delivery"].(map[string]any)["state"] != "dropped" || len(rcv.all()) != 2 {
		t.Errorf("dropped join: %d %v (bot got %d)", code, out, len(rcv.all()))
	}
	// Reset clears the journal and the config.
	if code, _ := controlCall(t, srv, "POST", "/_mockeko/reset", ""); code != 200 {
		t.Fatal("reset failed")
	}
	if n := len(srv.Deliveries()); n != 0 {
		t.Errorf("journal after reset: %d deliveries", n)
	}
	if c, _ := srv.WebhookConfig(botID); c.Faults.Drop != 0 {
		t.Errorf("config after reset: %+v", c)
	}
}

// waitFor waits for a delivery matching pred.
func waitDelivery(t *testing.T, srv *mockeko.Server, pred func(mockeko.Delivery) bool) mockeko.Delivery {
	t.Helper()
	d, err := srv.WaitDelivery(testCtx(t), pred)
	if err != nil {
		t.Fatalf("waiting for a delivery: %v; journal %+v", err, srv.Deliveries())
	}
	return d
}

// A bot failing the first N times gets retried on the Server's time:
// the test advances the clock instead of sleeping.
func TestRetriesFollowTheClock(t *testing.T) {
	srv := newTestServer(t, mockeko.WithWebhookConfig("", mockeko.WebhookConfig{
		Retry: mockeko.RetryPolicy{Attempts: 4, Backoff: time.Minute, MaxBackoff: 3 * time.Minute}}))
	rcv := newReceiver(t, botSecret)
	rcv.respond = func(n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 0:
			http.Error(w, "warming up", http.StatusServiceUnavailable)
		case 1:
			w.Header().Set("Retry-After", "600")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}
	startBot(t, srv, rcv)
	d, err := srv.Trigger(mockeko.Event{Type: "message", UID: aliceID, Message: &mockeko.EventMessage{Text: "hi"}})
	if err != nil {
		t.Fatal(err)
	}
	waiting := func(n int) mockeko.Delivery {
		return waitDelivery(t, srv, func(x mockeko.Delivery) bool { return x.ID == d.ID && len(x.Attempts) == n && x.NextAttempt != nil })
	}
	x := waiting(1)
	if got := x.NextAttempt.Sub(x.Attempts[0].StartedAt); got < time.Minute || got > time.Minute+time.Second {
		t.Errorf("first backoff %v, want 1m after the attempt", got)
	}
	if x.Attempts[0].Status != 503 || x.Attempts[0].Response != "warming up\n" || x.State != "pending" {
		t.Errorf("attempt 1 = %+v", x.Attempts[0])
	}
	srv.Advance(time.Minute)
	x = waiting(2)
	// Retry-After 600 s beats the 2 min backoff.
	if got := x.NextAttempt.Sub(srv.Now()); got < 599*time.Second || got > 600*time.Second {
		t.Errorf("wait after Retry-After: %v, want 10m", got)
	}
	srv.Advance(5 * time.Minute)
	if x, _ := srv.Delivery(d.ID); len(x.Attempts) != 2 {
		t.Errorf("retried before Retry-After elapsed: %d attempts", len(x.Attempts))
	}
	// The control plane's clock wakes retries too.
	if code, out := controlCall(t, srv, "POST", "/_mockeko/clock/advance", `{"seconds":300}`); code != 200 {
		t.Fatalf("advance: %d %v", code, out)
	}
	x, err = srv.WaitDone(testCtx(t), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []int
	for _, a := range x.Attempts {
		statuses = append(statuses, a.Status)
	}
	if diff := cmp.Diff([]int{503, 429, 204}, statuses); diff != "" || x.State != "delivered" {
		t.Errorf("state %s, statuses (-want +got):\n%s", x.State, diff)
	}
	if got := len(rcv.all()); got != 3 {
		t.Errorf("bot got %d requests, want 3", got)
	}
}

// A FakeClock given as the Server's clock wakes retries when it moves. A
// delivery keeps the config it was triggered under: a new config, even one
// with fewer attempts, applies to later deliveries only.
func TestRetriesFollowAFakeClock(t *testing.T) {
	clk := mockeko.NewFakeClock(t0)
	srv := newTestServer(t, mockeko.WithClock(clk), mockeko.WithWebhookConfig("", mockeko.WebhookConfig{
		Retry: mockeko.RetryPolicy{Attempts: 2, Backoff: time.Hour}}))
	rcv := newReceiver(t, botSecret)
	rcv.respond = func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			w.WriteHeader(500)
		}
	}
	startBot(t, srv, rcv)
	d, _ := srv.Trigger(mockeko.Event{Type: "join", UID: aliceID})
	waitDelivery(t, srv, func(x mockeko.Delivery) bool { return x.ID == d.ID && x.NextAttempt != nil })
	if err := srv.SetWebhookConfig(botID, mockeko.WebhookConfig{Retry: mockeko.RetryPolicy{Attempts: 1}}); err != nil {
		t.Fatal(err)
	}
	if c, _ := srv.WebhookConfig(botID); c.Retry.Attempts != 1 || c.Timeout != mockeko.DefaultWebhookTimeout {
		t.Errorf("WebhookConfig after SetWebhookConfig: %+v, want 1 attempt and the default timeout", c)
	}
	clk.Advance(time.Hour)
	if x, err := srv.WaitDone(testCtx(t), d.ID); err != nil || x.State != "delivered" || len(x.Attempts) != 2 {
		t.Errorf("after FakeClock.Advance, under the delivery's own config: %v %+v", err, x)
	}
	d2, _ := srv.Trigger(mockeko.Event{Type: "join", UID: aliceID})
	if x, err := srv.WaitDone(testCtx(t), d2.ID); err != nil || x.State != "delivered" || len(x.Attempts) != 1 {
		t.Errorf("a later delivery: %v %+v", err, x)
	}
	// WaitDone on a long-finished delivery answers at once, as often as asked.
	for range 2 {
		if x, err := srv.WaitDone(testCtx(t), d.ID); err != nil || x.State != "delivered" {
			t.Errorf("WaitDone again: %v %+v", err, x)
		}
	}
}

// Whatever the bot's endpoint does, the delivery ends in a recorded failed
// attempt and the server keeps serving.
func TestBadEndpointsBecomeFailedAttempts(t *testing.T) {
	slow := make(chan struct{})
	t.Cleanup(func() { close(slow) })
	tests := []struct {
		name    string
		handler http.HandlerFunc
		url     func(hs *httptest.Server) string
		wantErr string
		status  int
	}{
		{name: "down", url: func(hs *httptest.Server) string {
			u := hs.URL
			hs.Close()
			return u
		}, wantErr: "connection refused"},
		{name: "slow", handler: func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // so the server notices the client hang up
			select {
			case <-slow:
			case <-r.Context().Done():
			}
		}, wantErr: "timeout"},
		{name: "5xx", handler: func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 502) }, wantErr: "502", status: 502},
		{name: "reset", handler: func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		}, wantErr: "EOF"},
		{name: "garbage", handler: func(w http.ResponseWriter, r *http.Request) {
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err == nil {
				buf.WriteString("SMTP READY\r\n\r\n")
				buf.Flush()
				conn.Close()
			}
		}, wantErr: "malformed HTTP"},
		{name: "redirect", handler: func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) }, wantErr: "302", status: 302},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timeout := 10 * time.Second
			if tt.name == "slow" {
				timeout = 200 * time.Millisecond
			}
			srv := newTestServer(t, mockeko.WithWebhookConfig("", mockeko.WebhookConfig{
				Timeout: timeout, Retry: mockeko.RetryPolicy{Attempts: 2, Backoff: time.Millisecond}}))
			h := tt.handler
			if h == nil {
				h = func(http.ResponseWriter, *http.Request) {}
			}
			hs := httptest.NewServer(h)
			t.Cleanup(hs.Close)
			u := hs.URL
			if tt.url != nil {
				u = tt.url(hs)
			}
			b := srv.Bot()
			b.WebhookURL = u
			srv.AddBot(b)
			d, err := srv.SendText(testCtx(t), aliceID, "hi", nil)
			if err != nil {
				t.Fatal(err)
			}
			if d.State != "failed" || len(d.Attempts) != 2 {
				t.Fatalf("delivery %+v, want failed after 2 attempts", d)
			}
			for _, a := range d.Attempts {
				if !strings.Contains(a.Error, tt.wantErr) || a.Status != tt.status || a.DurationMs <= 0 {
					t.Errorf("attempt %+v, want status %d and an error containing %q", a, tt.status, tt.wantErr)
				}
			}
			if !strings.Contains(d.Error, "2 of 2 attempts failed") {
				t.Errorf("delivery error %q", d.Error)
			}
			if code, _ := controlCall(t, srv, "GET", "/_mockeko/health", ""); code != 200 {
				t.Errorf("health after a bad endpoint: %d", code)
			}
		})
	}
}

// A bot's answer is read only up to a cap; a huge 200 is still a delivery.
func TestHugeAnswerIsCapped(t *testing.T) {
	srv := newTestServer(t)
	startBotHandler(t, srv, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for i := 0; i < 1024; i++ { // 64 MiB unless the reader stops
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	d, err := srv.SendText(testCtx(t), aliceID, "hi", nil)
	if err != nil || d.State != "delivered" || len(d.Attempts[0].Response) != 1024 {
		t.Fatalf("%v %s, response excerpt %d bytes; want delivered with a 1 KiB excerpt", err, d.State, len(d.Attempts[0].Response))
	}
}

func startBotHandler(t *testing.T, srv *mockeko.Server, h http.Handler) {
	t.Helper()
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	b := srv.Bot()
	b.WebhookURL = hs.URL
	if _, err := srv.AddBot(b); err != nil {
		t.Fatal(err)
	}
}

// WithWebhookHandler delivers in process: same headers and signed body, no socket.
func TestInProcessHandler(t *testing.T) {
	rcv := newReceiver(t, botSecret)
	srv := newTestServer(t, mockeko.WithWebhookHandler("", rcv))
	d, err := srv.SendText(testCtx(t), aliceID, "hi", nil)
	if err != nil || d.State != "delivered" || d.URL != "inprocess:" {
		t.Fatalf("%v %+v", err, d)
	}
	got := rcv.all()
	if len(got) != 1 || !got[0].sigValid || got[0].header.Get("User-Agent") != "axios/0.19.2" || !bytes.Equal(got[0].body, d.Body) {
		t.Errorf("in-process request: %+v", got)
	}
	// A panicking handler is a failed attempt, not a crash.
	srv.SetWebhookHandler(botID, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("bot bug") }))
	srv.SetWebhookConfig(botID, mockeko.WebhookConfig{Retry: mockeko.RetryPolicy{Attempts: 1}})
	d, err = srv.SendText(testCtx(t), aliceID, "hi", nil)
	if err != nil || d.State != "failed" || !strings.Contains(d.Attempts[0].Error, "panicked: bot bug") {
		t.Errorf("panicking handler: %v %+v", err, d)
	}
}

func TestWebhookFaults(t *testing.T) {
	ctx := testCtx(t)
	setup := func(t *testing.T, f mockeko.WebhookFaults) (*mockeko.Server, *botReceiver) {
		srv := newTestServer(t, mockeko.WithWebhookConfig("", mockeko.WebhookConfig{Faults: f, Retry: mockeko.RetryPolicy{Attempts: 1}}))
		rcv := newReceiver(t, botSecret)
		startBot(t, srv, rcv)
		return srv, rcv
	}
	t.Run("drop", func(t *testing.T) {
		srv, rcv := setup(t, mockeko.WebhookFaults{Drop: 1})
		d, err := srv.SendText(ctx, aliceID, "hi", nil)
		if err != nil || d.State != "dropped" || len(d.Attempts) != 0 || len(rcv.all()) != 0 {
			t.Errorf("%v %+v; bot got %d", err, d, len(rcv.all()))
		}
		if m := srv.Messages(aliceDM, ""); len(m) != 1 {
			t.Errorf("a dropped webhook still stores the user's message; chat has %d", len(m))
		}
	})
	t.Run("duplicate", func(t *testing.T) {
		srv, rcv := setup(t, mockeko.WebhookFaults{Duplicate: 1})
		d, _ := srv.SendText(ctx, aliceID, "hi", nil)
		dup := waitDelivery(t, srv, func(x mockeko.Delivery) bool { return x.DuplicateOf == d.ID && x.Done() })
		got := rcv.all()
		if dup.State != "delivered" || len(got) != 2 || !bytes.Equal(got[0].body, got[1].body) || !got[1].sigValid {
			t.Errorf("duplicate %+v; bot got %d", dup, len(got))
		}
	})
	t.Run("bad signature", func(t *testing.T) {
		srv, rcv := setup(t, mockeko.WebhookFaults{BadSignature: 1})
		d, _ := srv.SendText(ctx, aliceID, "hi", nil)
		got := rcv.all()
		if len(got) != 1 || got[0].sigValid || d.State != "failed" || d.Attempts[0].Status != 403 {
			t.Errorf("bot should reject the signature with 403: %+v", d)
		}
		if diff := cmp.Diff([]string{"badSignature"}, d.Faults); diff != "" {
			t.Errorf("faults (-want +got):\n%s", diff)
		}
	})
	t.Run("reorder", func(t *testing.T) {
		srv, rcv := setup(t, mockeko.WebhookFaults{})
		srv.SetWebhookConfig(botID, mockeko.WebhookConfig{Faults: mockeko.WebhookFaults{Reorder: 1}})
		a, _ := srv.Trigger(mockeko.Event{Type: "message", UID: aliceID, Message: &mockeko.EventMessage{Text: "first"}})
		srv.SetWebhookConfig(botID, mockeko.WebhookConfig{})
		b, _ := srv.Trigger(mockeko.Event{Type: "message", UID: aliceID, Message: &mockeko.EventMessage{Text: "second"}})
		srv.WaitDone(ctx, a.ID)
		srv.WaitDone(ctx, b.ID)
		got := rcv.all()
		var texts []string
		for _, r := range got {
			texts = append(texts, r.event["message"].(map[string]any)["text"].(string))
		}
		if diff := cmp.Diff([]string{"second", "first"}, texts); diff != "" {
			t.Errorf("bot saw (-want +got):\n%s", diff)
		}
	})
	t.Run("reorder alone waits out its window", func(t *testing.T) {
		srv, rcv := setup(t, mockeko.WebhookFaults{Reorder: 1})
		a, _ := srv.Trigger(mockeko.Event{Type: "join", UID: aliceID})
		held := waitDelivery(t, srv, func(x mockeko.Delivery) bool { return x.ID == a.ID && x.NextAttempt != nil })
		if got := held.NextAttempt.Sub(held.CreatedAt); got < mockeko.DefaultReorderWindow || got > mockeko.DefaultReorderWindow+time.Second {
			t.Errorf("held for %v, want about %v", got, mockeko.DefaultReorderWindow)
		}
		srv.Advance(mockeko.DefaultReorderWindow)
		if d, err := srv.WaitDone(ctx, a.ID); err != nil || d.State != "delivered" || len(rcv.all()) != 1 {
			t.Errorf("%v %+v", err, d)
		}
	})
	t.Run("delay", func(t *testing.T) {
		srv, rcv := setup(t, mockeko.WebhookFaults{Delay: time.Hour})
		a, _ := srv.Trigger(mockeko.Event{Type: "join", UID: aliceID})
		if x, _ := srv.Delivery(a.ID); x.State != "pending" || len(rcv.all()) != 0 {
			t.Errorf("delayed delivery went out early: %+v", x)
		}
		srv.Advance(time.Hour)
		if d, err := srv.WaitDone(ctx, a.ID); err != nil || d.State != "delivered" {
			t.Errorf("%v %+v", err, d)
		}
	})
}

// Reply tokens: bound to the event's chat and bot, reusable within their
// TTL by default, expired by the clock.
func TestReplyTokenFromWebhook(t *testing.T) {
	srv := newTestServer(t, mockeko.WithReplyTokenTTL(time.Minute))
	rcv := newReceiver(t, botSecret)
	startBot(t, srv, rcv)
	d, err := srv.SendText(testCtx(t), bobID, "hi team", &mockeko.SendOptions{GID: teamID, TID: teamInc})
	if err != nil {
		t.Fatal(err)
	}
	bot := botHTTP(srv)
	if code, body := whPostJSON(t, bot, srv.URL+"/bot/v1/message/text", map[string]string{"replyToken": d.ReplyToken, "message": "on it"}); code != 201 {
		t.Fatalf("reply: %d %s", code, body)
	}
	if m := srv.Messages(teamID, teamInc); len(m) != 2 || m[1].Text != "on it" || m[1].Sender.Kind != "bot" {
		t.Errorf("the reply should land in the event's topic: %+v", m)
	}
	other, _ := srv.AddBot(mockeko.Bot{Name: "Other", ClientID: "other", ClientSecret: "other-secret"})
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	otherHTTP := srv.BotCredentials(other, "bot").Client(ctx)
	if code, body := whPostJSON(t, otherHTTP, srv.URL+"/bot/v1/message/text", map[string]string{"replyToken": d.ReplyToken, "message": "mine"}); code != 403 {
		t.Errorf("another bot's token: %d %s, want 403", code, body)
	}
	srv.Advance(time.Minute)
	code, body := whPostJSON(t, bot, srv.URL+"/bot/v1/message/text", map[string]string{"replyToken": d.ReplyToken, "message": "late"})
	if code != 400 || !strings.Contains(body, "reply_token_expired") {
		t.Errorf("expired token: %d %s, want 400 reply_token_expired", code, body)
	}
}

// Close stops retries, fails what waits, and waits for in-flight attempts.
func TestCloseFinishesEverything(t *testing.T) {
	srv, err := mockeko.New(mockeko.WithWebhookConfig("", mockeko.WebhookConfig{Retry: mockeko.RetryPolicy{Attempts: 5, Backoff: time.Hour}}))
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	var finished bool
	var n int
	srv.SetWebhookHandler(botID, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		if n == 1 { // alice's chat: fail, then wait an hour to retry
			w.WriteHeader(500)
			return
		}
		close(started) // bob's chat: in flight when Close is called
		<-release
		finished = true
	}))
	ctx := testCtx(t)
	retrying, _ := srv.Trigger(mockeko.Event{Type: "join", UID: aliceID})
	waitDelivery(t, srv, func(x mockeko.Delivery) bool { return x.ID == retrying.ID && x.NextAttempt != nil })
	inflight, _ := srv.Trigger(mockeko.Event{Type: "join", UID: bobID})
	queued, _ := srv.Trigger(mockeko.Event{Type: "message", UID: bobID, Message: &mockeko.EventMessage{Text: "queued behind"}})
	<-started
	go func() {
		// Close must wait for the in-flight attempt; release it once the
		// waiting retry has been failed (Close has begun).
		srv.WaitDelivery(ctx, func(x mockeko.Delivery) bool { return x.ID == retrying.ID && x.Done() })
		close(release)
	}()
	srv.Close()
	if !finished {
		t.Error("Close returned before the in-flight attempt finished")
	}
	want := map[string]string{retrying.ID: "failed", inflight.ID: "delivered", queued.ID: "failed"}
	for id, state := range want {
		d, _ := srv.Delivery(id)
		if d.State != state || (state == "failed" && !strings.Contains(d.Error, "the server closed")) {
			t.Errorf("%s: %s %q, want %s", id, d.State, d.Error, state)
		}
	}
	if _, err := srv.Trigger(mockeko.Event{Type: "join", UID: aliceID}); err == nil {
		t.Error("Trigger after Close succeeded")
	}
}

// Many concurrent events: every delivery reaches a terminal state, and
// each chat's deliveries arrive in trigger order.
func TestJournalUnderConcurrency(t *testing.T) {
	const users, perUser = 8, 25
	opts := []mockeko.Option{mockeko.WithoutFixtures(), mockeko.WithBot(mockeko.Bot{ID: botID, ClientSecret: botSecret}),
		mockeko.WithWebhookConfig("", mockeko.WebhookConfig{Retry: mockeko.RetryPolicy{Attempts: 3, Backoff: time.Millisecond}})}
	for i := range users {
		opts = append(opts, mockeko.WithUser(mockeko.User{Username: "user" + string(rune('a'+i))}))
	}
	srv := newTestServer(t, opts...)
	rcv := newReceiver(t, botSecret)
	var mu sync.Mutex
	calls := 0
	rcv.respond = func(n int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		c := calls
		mu.Unlock()
		if c%5 == 0 {
			w.WriteHeader(503)
		}
	}
	startBot(t, srv, rcv)
	var wg sync.WaitGroup
	for _, u := range srv.Users() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perUser {
				if _, err := srv.Trigger(mockeko.Event{Type: "message", UID: u.ID, Message: &mockeko.EventMessage{Text: u.Username + " " + string(rune('A'+i))}}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	all := waitAll(t, srv, users*perUser)
	for _, d := range all {
		if !d.Done() || len(d.Attempts) == 0 || (d.State == "failed" && len(d.Attempts) != 3) {
			t.Errorf("delivery %s: %s with %d attempts", d.ID, d.State, len(d.Attempts))
		}
	}
	// Per chat, the bot saw each user's messages in order (retries included).
	last := map[string]string{}
	for _, r := range rcv.all() {
		text := r.event["message"].(map[string]any)["text"].(string)
		user, seq, _ := strings.Cut(text, " ")
		if seq < last[user] {
			t.Errorf("%s: %q arrived after %q", user, seq, last[user])
		}
		last[user] = seq
	}
	// Reset clears the journal.
	srv.Reset()
	if n := len(srv.Deliveries()); n != 0 {
		t.Errorf("journal after Reset: %d", n)
	}
}

func waitAll(t *testing.T, srv *mockeko.Server, n int) []mockeko.Delivery {
	t.Helper()
	all := srv.Deliveries()
	if len(all) != n {
		t.Fatalf("journal holds %d deliveries, want %d", len(all), n)
	}
	for i, d := range all {
		x, err := srv.WaitDone(testCtx(t), d.ID)
		if err != nil {
			t.Fatalf("waiting for %s: %v (%+v)", d.ID, err, x)
		}
		all[i] = x
	}
	return all
}

// With OrderNone deliveries run at once; the journal still ends complete.
func TestOrderNone(t *testing.T) {
	srv := newTestServer(t, mockeko.WithWebhookConfig("", mockeko.WebhookConfig{Ordering: mockeko.OrderNone}))
	rcv := newReceiver(t, botSecret)
	startBot(t, srv, rcv)
	for range 20 {
		srv.Trigger(mockeko.Event{Type: "message", UID: aliceID, Message: &mockeko.EventMessage{Text: "x"}})
	}
	for _, d := range waitAll(t, srv, 20) {
		if d.State != "delivered" {
			t.Errorf("%s: %s", d.ID, d.State)
		}
	}
}

func TestSignAndVerify(t *testing.T) {
	body := []byte(`{"events":[{"type":"join"}]}`)
	sig := mockeko.Sign("s3cret", body)
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write(body)
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); sig != want {
		t.Errorf("Sign = %q, want %q", sig, want)
	}
	for _, tt := range []struct {
		sig, secret string
		body        []byte
		ok          bool
	}{{sig, "s3cret", body, true}, {"sha256=" + sig, "s3cret", body, true}, {sig, "other", body, false},
		{sig, "s3cret", append([]byte(" "), body...), false}, {"not base64!", "s3cret", body, false}} {
		if got := mockeko.VerifySignature(tt.secret, tt.body, tt.sig); got != tt.ok {
			t.Errorf("VerifySignature(%q, %q) = %v, want %v", tt.secret, tt.sig, got, tt.ok)
		}
	}
}

// What a bot in another language needs: point the bot at its endpoint
// without touching its credentials, then trigger.
func TestControlPlanePointsABotAtItsEndpoint(t *testing.T) {
	srv := newTestServer(t)
	rcv := newReceiver(t, botSecret)
	hs := httptest.NewServer(rcv)
	t.Cleanup(hs.Close)
	code, out := controlCall(t, srv, "POST", "/_mockeko/bots", `{"id":"`+botID+`","webhookUrl":"`+hs.URL+`/webhook"}`)
	if code != 200 {
		t.Fatalf("POST /_mockeko/bots: %d %v", code, out)
	}
	b := out["bot"].(map[string]any)
	if b["clientSecret"] != botSecret || b["clientId"] != botClient || b["name"] != "Acme Helper" || b["webhookUrl"] != hs.URL+"/webhook" {
		t.Errorf("bot after update = %v; want only webhookUrl changed", b)
	}
	if code, out := controlCall(t, srv, "POST", "/_mockeko/bots", `{"id":"`+botID+`","color":"red"}`); code != 400 {
		t.Errorf("unknown field: %d %v", code, out)
	}
	code, out = controlCall(t, srv, "POST", "/_mockeko/events?wait=true", `{"type":"message","uid":"alice@acme.example","message":{"type":"text","text":"hi"}}`)
	if code != 200 || out["delivery"].(map[string]any)["state"] != "delivered" || len(rcv.all()) != 1 || !rcv.all()[0].sigValid {
		t.Errorf("trigger: %d %v", code, out)
	}
}

// Close reports deliveries it failed, and logs every outcome without tokens or secrets.
func TestDeliveryLog(t *testing.T) {
	var buf syncBuffer
	srv, err := mockeko.New(mockeko.WithLogger(slog.New(slog.NewTextHandler(&buf, nil))),
		mockeko.WithWebhookConfig("", mockeko.WebhookConfig{Retry: mockeko.RetryPolicy{Attempts: 2, Backoff: time.Hour}}))
	if err != nil {
		t.Fatal(err)
	}
	srv.SetWebhookHandler(botID, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if body, _ := io.ReadAll(r.Body); bytes.Contains(body, []byte("fail me")) {
			w.WriteHeader(500)
		}
	}))
	ctx := testCtx(t)
	failing, _ := srv.Trigger(mockeko.Event{Type: "message", UID: aliceID, GID: teamID, Message: &mockeko.EventMessage{Text: "fail me"}})
	waitDelivery(t, srv, func(x mockeko.Delivery) bool { return x.ID == failing.ID && x.NextAttempt != nil })
	d, err := srv.SendText(ctx, bobID, "hi", nil)
	if err != nil || d.State != "delivered" {
		t.Fatalf("%v %+v", err, d)
	}
	srv.Close()
	out := buf.String()
	for _, want := range []string{"state=delivered", "state=failed", "webhook deliveries failed because the server closed", "count=1"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{botSecret, d.ReplyToken} {
		if secret != "" && strings.Contains(out, secret) {
			t.Errorf("log leaks %q", secret)
		}
	}
}
