package mockeko

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"golang.org/x/oauth2"

	"github.com/mockeko/mockeko/contract"
	"github.com/mockeko/mockeko/openapi"
)

// Every Eko route the Server serves is described, under the same name, and
// every described operation is served.
func TestRoutesMatchContract(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	c := srv.reqs.contract
	ctl, err := contract.Load(openapi.ControlPlane, "openapi/mockeko-control.yaml")
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, r := range srv.Routes() {
		doc, name := c, "openapi/eko-bot-api.yaml"
		if r.Control {
			doc, name = ctl, "openapi/mockeko-control.yaml"
		}
		op, ok := doc.Operation(r.Method, r.Path)
		switch {
		case !ok:
			t.Errorf("served route %s %s (%s) is not described in %s", r.Method, r.Path, r.Name, name)
		case op != r.Name:
			t.Errorf("served route %s %s is named %q, but %s calls it %q", r.Method, r.Path, r.Name, name, op)
		}
		served[r.Method+" "+r.Path] = true
	}
	for _, o := range c.Operations() {
		if !served[o.Method+" "+o.Path] {
			t.Errorf("described operation %s (%s %s) is not served", o.ID, o.Method, o.Path)
		}
	}
	for _, o := range ctl.Operations() {
		if !served[o.Method+" "+o.Path] {
			t.Logf("control plane: %s (%s %s) is described but not served yet", o.ID, o.Method, o.Path)
		}
	}
}

// TestContractTraffic calls every Eko operation the way a bot would, with
// valid requests, and checks that no request or response broke the
// contract and that every operation was exercised.
func TestContractTraffic(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithContractMode(contract.ModeStrict))
	defer srv.Close()
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	client := srv.ClientCredentials("bot").Client(ctx)
	tok, err := srv.ClientCredentials("bot").Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bot := srv.Bot()
	users := srv.Users()
	if len(users) < 2 {
		t.Fatalf("the default fixtures have %d users; want 2", len(users))
	}
	alice, bob := users[0], users[1]
	dm, err := srv.DirectChat(bot.ID, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	var group Group
	for _, g := range srv.Groups() {
		if g.Type != "direct_chat" && contains(g.MemberIDs, bot.ID) {
			group = g
			break
		}
	}
	if group.ID == "" {
		t.Fatal("the default fixtures have no group with the bot")
	}
	rt := func() string {
		r, err := srv.MintReplyToken(bot.ID, dm.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		return r.Token
	}
	do := func(method, path, ct string, body []byte) []byte {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return b
	}
	js := func(method, path, body string) []byte { return do(method, path, "application/json", []byte(body)) }
	mp := func(path string, fields map[string]string, file, fileCT string) []byte {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		for k, v := range fields {
			_ = w.WriteField(k, v)
		}
		if file != "" {
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", `form-data; name="file"; filename="`+file+`"`)
			h.Set("Content-Type", fileCT)
			p, _ := w.CreatePart(h)
			_, _ = p.Write([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
		}
		_ = w.Close()
		return do("POST", path, w.FormDataContentType(), b.Bytes())
	}

	js("POST", "/bot/v1/message/text", `{"replyToken":"`+rt()+`","message":"Hello There"}`)
	mp("/bot/v1/message/picture", map[string]string{"replyToken": rt()}, "cat.png", "image/png")
	js("POST", "/bot/v1/message/quickreply", `{"replyToken":"`+rt()+`","message":{"data":"What do you want?","meta":{"quickreply":{"template":"default","items":[{"type":"label","value":"Coffee","data":{"text":"Coffee"}}]}}}}`)
	js("POST", "/bot/v1/direct/message", `{"uid":"`+alice.ID+`","message":{"type":"text","data":"hi"}}`)
	picture := mp("/bot/v1/direct/picture", map[string]string{"uid": alice.ID, "caption": "a cat"}, "cat.png", "image/png")
	mp("/bot/v1/direct/file", map[string]string{"uid": alice.ID}, "r.pdf", "application/pdf")
	js("POST", "/bot/v1/group/message", `{"gid":"`+group.ID+`","message":{"type":"text","data":"Deploy finished."}}`)
	mp("/bot/v1/group/picture", map[string]string{"gid": group.ID}, "cat.png", "image/png")
	mp("/bot/v1/group/file", map[string]string{"gid": group.ID, "tid": group.Topics[0].ID}, "r.csv", "text/csv")
	js("POST", "/bot/v1/notify/text", `{"message":"Daily report"}`)
	do("GET", "/bot/v1/users?username="+alice.Username, "", nil)
	mp("/bot/v1/groups", map[string]string{"name": "Release crew", "uids": `["` + alice.ID + `","` + bob.ID + `"]`}, "", "")
	js("POST", "/bot/v1/groups/"+group.ID+"/topics", `{"name":"Incidents"}`)
	js("POST", "/bot/v2/message/reply", `{"replyToken":"`+rt()+`","messages":[{"type":"text","text":"hi","quickReply":{"items":[{"type":"action","action":{"type":"postback","label":"Tea","data":"drink=tea"}}]}}]}`)
	js("POST", "/bot/v2/message/push", `{"gid":"`+group.ID+`","messages":[{"type":"template","altText":"menu","template":{"type":"buttons","title":"Menu","text":"Pick one","actions":[{"type":"uri","label":"Open","uri":"https://example.com"},{"type":"message","label":"Yes","text":"yes"}]}},{"type":"image","originalContentUrl":"https://example.com/a.png","previewImageUrl":"https://example.com/a-s.png"}]}`)
	do("GET", "/bot/v2/groups/"+group.ID+"/users/"+alice.ID+"/info", "", nil)
	do("GET", "/bot/v2/groups/users/"+alice.ID, "", nil)

	var pushed struct {
		Message struct{ ID string } `json:"message"`
	}
	_ = json.Unmarshal(picture, &pushed)
	var fileID string
	for _, m := range srv.Messages(dm.ID, "") {
		if m.ID == pushed.Message.ID {
			fileID = m.FileID
		}
	}
	if fileID == "" {
		t.Fatal("the pushed picture has no file id")
	}
	do("GET", "/file/view/"+fileID+"?size=large", "", nil)
	req, _ := http.NewRequest("GET", srv.URL+"/file/image/"+fileID+"?access_token="+tok.AccessToken, nil)
	if resp, err := srv.Client().Do(req); err != nil {
		t.Fatal(err)
	} else {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	rep := srv.ContractReport()
	contract.AssertNoViolations(t, srv.Requests())
	if rep.Coverage.OperationsExercised != rep.Coverage.OperationsTotal {
		var missing []string
		for _, o := range rep.Coverage.Operations {
			if o.Calls == 0 {
				missing = append(missing, o.Operation)
			}
		}
		t.Errorf("operations not exercised: %s", strings.Join(missing, ", "))
	}
}

// Strict mode answers an invalid request with 400 and the violations;
// the report is served in every format.
func TestContractStrictAndReport(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	defer srv.Close()
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	client := srv.ClientCredentials("bot").Client(ctx)
	resp, err := client.Post(srv.URL+"/bot/v2/message/push", "application/json", strings.NewReader(`{"gid":"nope","messages":[{"type":"text"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var eb contract.ErrorBody
	_ = json.NewDecoder(resp.Body).Decode(&eb)
	resp.Body.Close()
	if resp.StatusCode != 400 || eb.Error != "invalid_request" || len(eb.Violations) != 2 {
		t.Fatalf("strict answer: %d %+v", resp.StatusCode, eb)
	}
	for format, want := range map[string]string{"": `"violationCount": 2`, "json": `"failures"`, "text": "FAIL:", "junit": "<testsuites"} {
		resp, err := srv.Client().Get(srv.URL + "/_mockeko/contract/report?format=" + format)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("report format %q: %d, want %q in:\n%s", format, resp.StatusCode, want, b)
		}
	}
	resp, err = srv.Client().Get(srv.URL + "/_mockeko/requests")
	if err != nil {
		t.Fatal(err)
	}
	var journal struct{ Requests []contract.Exchange }
	_ = json.NewDecoder(resp.Body).Decode(&journal)
	resp.Body.Close()
	if len(journal.Requests) != 2 { // the token call and the push
		t.Errorf("journal has %d exchanges, want 2", len(journal.Requests))
	}
	if err := srv.Reset(); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("after Reset the journal has %d exchanges", n)
	}
}

// With the contract off nothing is checked, yet every exchange is recorded
// as it went (method, URL, headers, bodies), and the report, which needs the
// contract, is still there when asked for.
func TestContractOffJournalAndReport(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithContractMode(contract.ModeOff))
	defer srv.Close()
	tok, err := srv.ClientCredentials("bot").Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	body := `{"gid":"nope","messages":[{"type":"text"}]}` // breaks the contract: not refused
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/bot/v2/message/push?trace=1", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header["X-Empty"] = []string{""}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusBadRequest && strings.Contains(string(answer), "contract") {
		t.Fatalf("contract off, yet the request was refused by the contract: %s", answer)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 { // the token call and the push
		t.Fatalf("journal has %d exchanges, want 2", len(reqs))
	}
	got := reqs[1]
	want := contract.Exchange{Kind: contract.KindAPI, Method: http.MethodPost, URL: "/bot/v2/message/push?trace=1",
		Status: resp.StatusCode, RequestBody: body, ResponseBody: string(answer)}
	opts := cmp.Options{cmpopts.IgnoreFields(contract.Exchange{}, "Time", "DurationMs", "RequestHeaders", "ResponseHeaders", "Violations")}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("recorded push (-want +got):\n%s", diff)
	}
	if got.RequestHeaders.Get("Authorization") != "Bearer [redacted]" || got.RequestHeaders.Get("Content-Type") != "application/json" ||
		len(got.RequestHeaders["X-Empty"]) != 1 {
		t.Errorf("recorded request headers %v", got.RequestHeaders)
	}
	if diff := cmp.Diff(resp.Header.Get("Content-Type"), got.ResponseHeaders.Get("Content-Type")); diff != "" {
		t.Errorf("recorded response Content-Type (-want +got):\n%s", diff)
	}
	if got.Time.IsZero() || got.Time.Location() != time.UTC {
		t.Errorf("recorded time %v, want a UTC time", got.Time)
	}
	rep := srv.ContractReport()
	if rep.Exchanges != 2 || len(rep.Coverage.Operations) == 0 {
		t.Errorf("report with the contract off: %d exchanges, %d operations; want 2 and the documented ones", rep.Exchanges, len(rep.Coverage.Operations))
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// BenchmarkServerContract measures the fake itself (handler, state, journal)
// with the contract off and strict, on the same 1 KB BotV2 push: the issue
// asks strict to keep at least half the throughput of off.
func BenchmarkServerContract(b *testing.B) {
	for _, mode := range []contract.Mode{contract.ModeOff, contract.ModeStrict} {
		b.Run(mode.String(), func(b *testing.B) {
			srv := NewServer(WithContractMode(mode), WithMessageCap(1000))
			defer srv.Close()
			tok, err := srv.ClientCredentials("bot").Token(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			var gid string
			for _, g := range srv.Groups() {
				if contains(g.MemberIDs, srv.Bot().ID) {
					gid = g.ID
					break
				}
			}
			body := []byte(`{"gid":"` + gid + `","messages":[` +
				`{"type":"text","text":"Your build 1432 passed. What next?","quickReply":{"items":[` +
				`{"type":"action","action":{"type":"message","label":"Deploy","text":"deploy 1432"}},` +
				`{"type":"action","action":{"type":"postback","label":"Rerun","data":"action=rerun&build=1432"}},` +
				`{"type":"action","action":{"type":"uri","label":"Logs","uri":"https://ci.example.com/builds/1432/logs"}}]}},` +
				`{"type":"template","altText":"Build menu","template":{"type":"buttons","thumbnailImageUrl":"https://ci.example.com/badge.png",` +
				`"imageAspectRatio":"rectangle","imageSize":"cover","imageBackgroundColor":"#FFFFFF","title":"Build 1432","text":"Pick an action",` +
				`"actions":[{"type":"postback","label":"Promote","data":"action=promote&build=1432"},{"type":"uri","label":"Diff","uri":"https://git.example.com/compare/a1b2c3...d4e5f6"},` +
				`{"type":"workflowTemplate","label":"Change request","templateId":"5cb6f9e1c3a4b2001f0e4d21"},{"type":"message","label":"Mute","text":"mute builds"}]}},` +
				`{"type":"image","originalContentUrl":"https://ci.example.com/graphs/1432.png","previewImageUrl":"https://ci.example.com/graphs/1432-small.png"}]}`)
			h := srv.Handler()
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequest("POST", "/bot/v2/message/push", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
				w := &discardWriter{h: http.Header{}}
				h.ServeHTTP(w, req)
				if w.code != 201 {
					b.Fatalf("status %d", w.code)
				}
			}
		})
	}
}

type discardWriter struct {
	h    http.Header
	code int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(code int)        { d.code = code }

func TestJournalCap(t *testing.T) {
	t.Parallel()
	j := &requestJournal{}
	for i := 0; i <= DefaultJournalCap; i++ {
		j.recordWebhook(&webhookEntry{dl: &delivery{}, target: &url.URL{Scheme: "http", Host: "bot"}, status: i})
	}
	all := j.all()
	if len(all) != DefaultJournalCap-DefaultJournalCap/10+1 || all[len(all)-1].Status != DefaultJournalCap || all[0].Status != DefaultJournalCap/10 {
		t.Errorf("journal after %d records: %d kept, first %d, last %d", DefaultJournalCap+1, len(all), all[0].Status, all[len(all)-1].Status)
	}
}

// Webhook deliveries are held to the contract too and join the journal.
func TestContractWebhooks(t *testing.T) {
	t.Parallel()
	var got []byte
	bot := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusTeapot) // a bot answering outside 2xx
	})
	srv := NewServer()
	defer srv.Close()
	srv2 := NewServer(WithWebhookHandler(srv.Bot().ID, bot))
	defer srv2.Close()
	d, err := srv2.SendText(context.Background(), srv2.Users()[0].ID, "hello", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv2.WaitDone(context.Background(), d.ID); err != nil {
		t.Fatal(err)
	}
	var hooks []contract.Exchange
	for _, e := range srv2.Requests() {
		if e.Kind == contract.KindWebhook {
			hooks = append(hooks, e)
		}
	}
	if len(hooks) == 0 || len(got) == 0 {
		t.Fatalf("no webhook exchange recorded (%d) or delivered (%q)", len(hooks), got)
	}
	for _, e := range hooks {
		if len(e.Violations) != 1 || e.Violations[0].Direction != contract.DirectionWebhookResponse {
			t.Errorf("want only the bot's 418 flagged, got %v", e.Violations)
		}
	}
}

// A webhook attempt over HTTP is recorded as it happened: the headers and
// body mockeko sent, the bot's answer, and the URL with its password
// redacted.
func TestContractWebhookExchange(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "thanks")
	}))
	defer hs.Close()
	hook := strings.Replace(hs.URL, "http://", "http://bot:s3cret@", 1) + "/hook"
	srv := NewServer(WithWebhookURL("", hook))
	defer srv.Close()
	d, err := srv.SendText(context.Background(), srv.Users()[0].ID, "hello", nil)
	if err != nil || d.State != DeliveryDelivered {
		t.Fatalf("SendText: %v %s %s", err, d.State, d.Error)
	}
	var got []contract.Exchange
	for _, e := range srv.Requests() {
		if e.Kind == contract.KindWebhook {
			got = append(got, e)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d webhook exchanges recorded, want 1", len(got))
	}
	e := got[0]
	type view struct {
		Method, URL, Operation, Signature, ContentType, Body, Answer, Error string
		Status                                                              int
		Violations                                                          int
	}
	want := view{Method: "POST", URL: strings.Replace(hook, "s3cret", "xxxxx", 1), Operation: contract.WebhookOperation,
		Signature: d.Signature, ContentType: webhookContentType, Body: string(d.Body), Answer: "thanks", Status: 200}
	gotView := view{Method: e.Method, URL: e.URL, Operation: e.Operation, Signature: e.RequestHeaders.Get(SignatureHeader),
		ContentType: e.RequestHeaders.Get("Content-Type"), Body: string(e.RequestBytes()), Answer: string(e.ResponseBytes()),
		Error: e.Error, Status: e.Status, Violations: len(e.Violations)}
	if diff := cmp.Diff(want, gotView); diff != "" {
		t.Errorf("webhook exchange (-want +got):\n%s", diff)
	}
	if e.Time.IsZero() || e.Time.Location() != time.UTC {
		t.Errorf("exchange time %v, want a UTC time", e.Time)
	}
	js, err := json.Marshal(srv.Requests())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(js), "s3cret") {
		t.Error("the webhook URL's password is in the request journal")
	}
}
