package mockeko_test

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mockeko/mockeko/mockeko"
)

var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR fake picture bytes \x00\xff")

// teamToken mints a reply token for the team's main topic.
func teamToken(t *testing.T, srv *mockeko.Server, _ string) string { return mint(t, srv, teamGID, "") }

const allEnc = "application/json, application/x-www-form-urlencoded, multipart/form-data"

func TestReplyTextEncodings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tid  string
		send func(t *testing.T, srv *mockeko.Server, tok, rt string) resp
	}{
		{"JSON (Eko's demo bot)", "", func(t *testing.T, srv *mockeko.Server, tok, rt string) resp {
			return postJSON(t, srv, tok, "/bot/v1/message/text", map[string]string{"replyToken": rt, "message": "Hello There"})
		}},
		{"multipart (the docs' curl -F)", "", func(t *testing.T, srv *mockeko.Server, tok, rt string) resp {
			return postMultipart(t, srv, tok, "/bot/v1/message/text", []field{{"message", "Hello There"}, {"replyToken", rt}})
		}},
		{"urlencoded", incidentsTID, func(t *testing.T, srv *mockeko.Server, tok, rt string) resp {
			return postForm(t, srv, tok, "/bot/v1/message/text", url.Values{"message": {"Hello There"}, "replyToken": {rt}})
		}},
		{"JSON with charset", incidentsTID, func(t *testing.T, srv *mockeko.Server, tok, rt string) resp {
			return send(t, srv, http.MethodPost, "/bot/v1/message/text", tok, "application/json;charset=utf-8",
				strings.NewReader(`{"replyToken":"`+rt+`","message":"Hello There"}`))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t)
			tok := botToken(t, srv)
			rt := mint(t, srv, teamGID, tt.tid)
			r := tt.send(t, srv, tok, rt)
			if r.status != 201 || strings.TrimSpace(string(r.body)) != `{"status":"success"}` {
				t.Fatalf("got %d %s, want 201 {\"status\":\"success\"}", r.status, r.body)
			}
			wantTID := tt.tid
			if wantTID == "" {
				wantTID = generalTID
			}
			got := srv.Messages(teamGID, wantTID)
			if len(got) != 1 {
				t.Fatalf("messages in the topic: %d, want 1", len(got))
			}
			m := got[0]
			want := mockeko.Message{ID: m.ID, GID: teamGID, TID: wantTID, Sender: mockeko.Sender{Kind: "bot", ID: botID},
				Type: "text", Text: "Hello There", Endpoint: "/bot/v1/message/text", CreatedAt: m.CreatedAt}
			if diff := cmp.Diff(want, m, ignoreUnexported); diff != "" {
				t.Errorf("stored message (-want +got):\n%s", diff)
			}
		})
	}
}

// Real bots reply twice with one token ("Hold on a sec", then the answer).
func TestReplyTokenReuseWithinTTL(t *testing.T) {
	t.Parallel()
	clk := mockeko.NewFakeClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := start(t, mockeko.WithClock(clk), mockeko.WithReplyTokenTTL(50*time.Second), mockeko.WithTokenTTL(time.Hour))
	tok := botToken(t, srv)
	rt := mint(t, srv, aliceDMGID, "")
	for i, text := range []string{"Hold on a sec ...", "Here is the answer"} {
		if i == 1 {
			clk.Advance(49 * time.Second)
		}
		if r := postJSON(t, srv, tok, "/bot/v1/message/text", map[string]string{"replyToken": rt, "message": text}); r.status != 201 {
			t.Fatalf("reply %d: %d %s", i, r.status, r.body)
		}
	}
	var texts []string
	for _, m := range srv.Messages(aliceDMGID, aliceDMTID) {
		texts = append(texts, m.Text)
	}
	if diff := cmp.Diff([]string{"Hold on a sec ...", "Here is the answer"}, texts); diff != "" {
		t.Errorf("DM texts (-want +got):\n%s", diff)
	}
}

func TestReplySuccessStatus200(t *testing.T) {
	t.Parallel()
	srv := start(t, mockeko.WithSuccessStatus(200))
	tok := botToken(t, srv)
	r := postJSON(t, srv, tok, "/bot/v1/message/text", map[string]string{"replyToken": mint(t, srv, teamGID, ""), "message": "ok"})
	if r.status != 200 || strings.TrimSpace(string(r.body)) != `{"status":"success"}` {
		t.Errorf("got %d %s", r.status, r.body)
	}
}

// A request that fails validation does not use up a single-use token.
func TestReplyTokenSingleUseNotConsumedByBadRequest(t *testing.T) {
	t.Parallel()
	srv := start(t, mockeko.WithReplyTokenSingleUse())
	tok := botToken(t, srv)
	rt := mint(t, srv, teamGID, "")
	if r := postJSON(t, srv, tok, "/bot/v1/message/text", map[string]string{"replyToken": rt, "message": ""}); r.status != 400 {
		t.Fatalf("empty message: %d", r.status)
	}
	if r := postJSON(t, srv, tok, "/bot/v1/message/text", map[string]string{"replyToken": rt, "message": "first"}); r.status != 201 {
		t.Fatalf("first real use: %d %s", r.status, r.body)
	}
}

// Reply-token failures are the same on every reply endpoint.
func TestReplyTokenFailures(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	endpoints := []struct {
		name string
		send func(t *testing.T, srv *mockeko.Server, tok, rt string) resp
	}{
		{"v1 text", func(t *testing.T, srv *mockeko.Server, tok, rt string) resp {
			return postJSON(t, srv, tok, "/bot/v1/message/text", map[string]string{"replyToken": rt, "message": "hi"})
		}},
		{"v1 picture", func(t *testing.T, srv *mockeko.Server, tok, rt string) resp {
			return postMultipart(t, srv, tok, "/bot/v1/message/picture", []field{{"replyToken", rt}}, filePart{"file", "a.png", "image/png", pngBytes})
		}},
		{"v1 quickreply", func(t *testing.T, srv *mockeko.Server, tok, rt string) resp {
			return postJSON(t, srv, tok, "/bot/v1/message/quickreply", quickReplyBody(rt, 1))
		}},
		{"v2 reply", func(t *testing.T, srv *mockeko.Server, tok, rt string) resp {
			return postJSON(t, srv, tok, "/bot/v2/message/reply", `{"replyToken":"`+rt+`","messages":[{"type":"text","text":"hi"}]}`)
		}},
	}
	kinds := []struct {
		name   string
		opts   []mockeko.Option
		setup  func(t *testing.T, srv *mockeko.Server, clk *mockeko.FakeClock, use func(rt string) resp) string
		status int
		code   string
		msg    string
	}{
		{"unknown", nil, func(*testing.T, *mockeko.Server, *mockeko.FakeClock, func(string) resp) string {
			return strings.Repeat("d2", 20)
		}, 400, "invalid_reply_token", "reply token is unknown: use the replyToken of a webhook event"},
		{"another bot's", nil, func(t *testing.T, srv *mockeko.Server, _ *mockeko.FakeClock, _ func(string) resp) string {
			rt, err := srv.MintReplyToken(otherBotID, teamGID, "")
			if err != nil {
				t.Fatal(err)
			}
			return rt.Token
		}, 403, "invalid_reply_token", "reply token belongs to another bot"},
		{"expired", nil, func(t *testing.T, srv *mockeko.Server, clk *mockeko.FakeClock, _ func(string) resp) string {
			rt := mint(t, srv, teamGID, "")
			clk.Advance(time.Minute)
			return rt
		}, 400, "reply_token_expired", "reply token expired at 2026-03-01T09:01:00Z"},
		{"the bot left the chat", nil, func(t *testing.T, srv *mockeko.Server, _ *mockeko.FakeClock, _ func(string) resp) string {
			rt := mint(t, srv, teamGID, "")
			g, _ := srv.Group(teamGID)
			g.MemberIDs = slices.DeleteFunc(g.MemberIDs, func(id string) bool { return id == srv.Bot().ID })
			if _, err := srv.AddGroup(g); err != nil {
				t.Fatal(err)
			}
			return rt
		}, 403, "forbidden", "the bot is no longer a member of the reply token's chat"},
		{"its topic dropped", nil, func(t *testing.T, srv *mockeko.Server, _ *mockeko.FakeClock, _ func(string) resp) string {
			g, _ := srv.Group(teamGID)
			orig := slices.Clone(g.Topics)
			g.Topics = append(g.Topics, mockeko.Topic{ID: "5ae99669299892c81ec1d7ff", Name: "Short-lived"})
			if _, err := srv.AddGroup(g); err != nil {
				t.Fatal(err)
			}
			rt := mint(t, srv, teamGID, "5ae99669299892c81ec1d7ff")
			g.Topics = orig
			if _, err := srv.AddGroup(g); err != nil {
				t.Fatal(err)
			}
			return rt
		}, 404, "not_found", "the reply token's topic 5ae99669299892c81ec1d7ff no longer exists in group " + teamGID},
		{"reused in single-use mode", []mockeko.Option{mockeko.WithReplyTokenSingleUse()},
			func(t *testing.T, srv *mockeko.Server, _ *mockeko.FakeClock, use func(string) resp) string {
				rt := mint(t, srv, teamGID, "")
				if r := use(rt); r.status != 201 {
					t.Fatalf("first use: %d %s", r.status, r.body)
				}
				return rt
			}, 400, "reply_token_used", "reply token was already used (single-use mode)"},
	}
	for _, ep := range endpoints {
		for _, k := range kinds {
			t.Run(ep.name+"/"+k.name, func(t *testing.T) {
				t.Parallel()
				clk := mockeko.NewFakeClock(t0)
				srv := start(t, append([]mockeko.Option{mockeko.WithClock(clk)}, k.opts...)...)
				tok := botToken(t, srv)
				rt := k.setup(t, srv, clk, func(rt string) resp { return ep.send(t, srv, tok, rt) })
				before := snapshot(srv)
				wantError(t, ep.send(t, srv, tok, rt), k.status, k.code, k.msg)
				unchanged(t, srv, before)
			})
		}
	}
}

func TestReplyTextFailures(t *testing.T) {
	t.Parallel()
	const path = "/bot/v1/message/text"
	j := func(body string) func(*testing.T, *mockeko.Server, string, string) resp {
		return func(t *testing.T, srv *mockeko.Server, tok, rt string) resp {
			return postJSON(t, srv, tok, path, strings.ReplaceAll(body, "RT", rt))
		}
	}
	runFailures(t, []failCase{
		{name: "message missing", setup: teamToken, do: j(`{"replyToken":"RT"}`), status: 400, code: "invalid_request", msg: `"message" is required`},
		{name: "message empty", setup: teamToken, do: j(`{"replyToken":"RT","message":""}`), status: 400, code: "invalid_request", msg: `"message" is not allowed to be empty`},
		{name: "message blank", setup: teamToken, do: j(`{"replyToken":"RT","message":"  \n"}`), status: 400, code: "invalid_request", msg: `"message" is not allowed to be empty`},
		{name: "message null", setup: teamToken, do: j(`{"replyToken":"RT","message":null}`), status: 400, code: "invalid_request", msg: `"message" is not allowed to be empty`},
		{name: "message an object", setup: teamToken, do: j(`{"replyToken":"RT","message":{"type":"text"}}`), status: 400, code: "invalid_request", msg: "message must be a string, got an object"},
		{name: "replyToken missing", do: j(`{"message":"hi"}`), status: 400, code: "invalid_request", msg: `"replyToken" is required`},
		{name: "replyToken empty", do: j(`{"message":"hi","replyToken":""}`), status: 400, code: "invalid_request", msg: `"replyToken" is not allowed to be empty`},
		{name: "replyToken a number", do: j(`{"message":"hi","replyToken":12}`), status: 400, code: "invalid_request", msg: "replyToken must be a string, got a number"},
		{name: "multipart message empty", setup: teamToken, do: func(t *testing.T, srv *mockeko.Server, tok, rt string) resp {
			return postMultipart(t, srv, tok, path, []field{{"message", ""}, {"replyToken", rt}})
		}, status: 400, code: "invalid_request", msg: `"message" is not allowed to be empty`},
		{name: "urlencoded message missing", setup: teamToken, do: func(t *testing.T, srv *mockeko.Server, tok, rt string) resp {
			return postForm(t, srv, tok, path, url.Values{"replyToken": {rt}})
		}, status: 400, code: "invalid_request", msg: `"message" is required`},
		{name: "malformed JSON", do: j(`{"message":"hi",`), status: 400, code: "invalid_request", msg: "malformed JSON at byte 16: unexpected end of JSON input"},
		{name: "JSON syntax error", do: j(`{"message" "hi"}`), status: 400, code: "invalid_request", msg: "malformed JSON at byte 12: invalid character '\"' after object key"},
		{name: "JSON array", do: j(`["hi"]`), status: 400, code: "invalid_request", msg: "body must be a JSON object, got array"},
		{name: "JSON null", do: j(`null`), status: 400, code: "invalid_request", msg: "body must be a JSON object, got null"},
		{name: "empty JSON body", do: j(``), status: 400, code: "invalid_request", msg: "empty body: send a JSON object"},
		{name: "text/plain", do: func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return send(t, srv, http.MethodPost, path, tok, "text/plain", strings.NewReader("hi"))
		}, status: 415, code: "unsupported_media_type", msg: "Content-Type text/plain is not accepted here: send one of " + allEnc},
		{name: "no Content-Type", do: func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return send(t, srv, http.MethodPost, path, tok, "", strings.NewReader(`{"message":"hi"}`))
		}, status: 415, code: "unsupported_media_type", msg: "missing Content-Type: send one of " + allEnc},
		{name: "malformed Content-Type", do: func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return send(t, srv, http.MethodPost, path, tok, "application/json; =x", strings.NewReader(`{"message":"hi"}`))
		}, status: 415, code: "unsupported_media_type", msg: `malformed Content-Type "application/json; =x": mime: invalid media parameter`},
		{name: "multipart without boundary", do: func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return send(t, srv, http.MethodPost, path, tok, "multipart/form-data", strings.NewReader("--x\r\n"))
		}, status: 400, code: "invalid_request", msg: "multipart body without a boundary parameter in Content-Type"},
		{name: "malformed multipart", do: func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return send(t, srv, http.MethodPost, path, tok, "multipart/form-data; boundary=xyz", strings.NewReader("not a multipart body"))
		}, status: 400, code: "invalid_request", msg: "malformed multipart: multipart: NextPart: EOF"},
		{name: "oversized JSON", opts: []mockeko.Option{mockeko.WithBodyLimits(256, 512)}, setup: teamToken, do: func(t *testing.T, srv *mockeko.Server, tok, rt string) resp {
			return postJSON(t, srv, tok, path, map[string]string{"replyToken": rt, "message": strings.Repeat("a", 300)})
		}, status: 413, code: "request_too_large", msg: "body exceeds the 256 bytes limit"},
		{name: "oversized multipart", opts: []mockeko.Option{mockeko.WithBodyLimits(256, 512)}, setup: teamToken, do: func(t *testing.T, srv *mockeko.Server, tok, rt string) resp {
			return postMultipart(t, srv, tok, path, []field{{"replyToken", rt}, {"message", strings.Repeat("a", 600)}})
		}, status: 413, code: "request_too_large", msg: "multipart exceeds the 512 bytes limit"},
		{name: "oversized urlencoded", opts: []mockeko.Option{mockeko.WithBodyLimits(256, 512)}, setup: teamToken, do: func(t *testing.T, srv *mockeko.Server, tok, rt string) resp {
			return postForm(t, srv, tok, path, url.Values{"replyToken": {rt}, "message": {strings.Repeat("a", 300)}})
		}, status: 413, code: "request_too_large", msg: "body exceeds the 256 bytes limit"},
		{name: "reply token of a chat the bot left", setup: func(t *testing.T, srv *mockeko.Server, _ string) string {
			rt := mint(t, srv, teamGID, "")
			g, _ := srv.Group(teamGID)
			g.MemberIDs = []string{aliceID, bobID, chaiID}
			if _, err := srv.AddGroup(g); err != nil {
				t.Fatal(err)
			}
			return rt
		}, do: j(`{"replyToken":"RT","message":"hi"}`), status: 403, code: "forbidden", msg: "the bot is no longer a member of the reply token's chat"},
	})
}

func TestReplyPicture(t *testing.T) {
	t.Parallel()
	srv := start(t)
	tok := botToken(t, srv)
	rt := mint(t, srv, teamGID, incidentsTID)
	r := postMultipart(t, srv, tok, "/bot/v1/message/picture", []field{{"replyToken", rt}}, filePart{"file", "graph.png", "image/png", pngBytes})
	if r.status != 201 || strings.TrimSpace(string(r.body)) != `{"status":"success"}` {
		t.Fatalf("got %d %s", r.status, r.body)
	}
	m := lastMessage(t, srv)
	want := mockeko.Message{ID: m.ID, GID: teamGID, TID: incidentsTID, Sender: mockeko.Sender{Kind: "bot", ID: botID}, Type: "picture",
		FileID: m.FileID, FileName: "graph.png", ContentType: "image/png", Size: len(pngBytes), Endpoint: "/bot/v1/message/picture", CreatedAt: m.CreatedAt}
	if diff := cmp.Diff(want, m, ignoreUnexported); diff != "" {
		t.Errorf("stored message (-want +got):\n%s", diff)
	}
	f, data, ok := srv.File(m.FileID)
	if !ok || !bytes.Equal(data, pngBytes) || f.ContentType != "image/png" || f.GID != teamGID {
		t.Errorf("stored file = %+v %q %v", f, data, ok)
	}
}

func TestReplyPictureFailures(t *testing.T) {
	t.Parallel()
	const path = "/bot/v1/message/picture"
	mp := func(fields []field, files ...filePart) func(*testing.T, *mockeko.Server, string, string) resp {
		return func(t *testing.T, srv *mockeko.Server, tok, rt string) resp {
			for i := range fields {
				fields[i].value = strings.ReplaceAll(fields[i].value, "RT", rt)
			}
			return postMultipart(t, srv, tok, path, fields, files...)
		}
	}
	png := filePart{"file", "a.png", "image/png", pngBytes}
	runFailures(t, []failCase{
		{name: "JSON", setup: teamToken, do: func(t *testing.T, srv *mockeko.Server, tok, rt string) resp {
			return postJSON(t, srv, tok, path, map[string]string{"replyToken": rt})
		}, status: 415, code: "unsupported_media_type", msg: "Content-Type application/json is not accepted here: send one of multipart/form-data"},
		{name: "urlencoded", setup: teamToken, do: func(t *testing.T, srv *mockeko.Server, tok, rt string) resp {
			return postForm(t, srv, tok, path, url.Values{"replyToken": {rt}})
		}, status: 415, code: "unsupported_media_type", msg: "Content-Type application/x-www-form-urlencoded is not accepted here: send one of multipart/form-data"},
		{name: "file missing", setup: teamToken, do: mp([]field{{"replyToken", "RT"}}), status: 400, code: "invalid_request",
			msg: `"file" is required: send the picture as a multipart file part named file`},
		{name: "file sent as a plain field", setup: teamToken, do: mp([]field{{"replyToken", "RT"}, {"file", "abc"}}), status: 400, code: "invalid_request",
			msg: `"file" is required: send the picture as a multipart file part named file`},
		{name: "file empty", setup: teamToken, do: mp([]field{{"replyToken", "RT"}}, filePart{"file", "a.png", "image/png", nil}), status: 400, code: "invalid_request", msg: `"file" is empty`},
		{name: "two files", setup: teamToken, do: mp([]field{{"replyToken", "RT"}}, png, png), status: 400, code: "invalid_request", msg: "send one file part, got 2"},
		{name: "replyToken missing", do: mp(nil, png), status: 400, code: "invalid_request", msg: `"replyToken" is required`},
		{name: "replyToken empty", do: mp([]field{{"replyToken", ""}}, png), status: 400, code: "invalid_request", msg: `"replyToken" is not allowed to be empty`},
		{name: "oversized", opts: []mockeko.Option{mockeko.WithBodyLimits(1<<20, 1024)}, setup: teamToken,
			do:     mp([]field{{"replyToken", "RT"}}, filePart{"file", "big.png", "image/png", bytes.Repeat([]byte{1}, 2048)}),
			status: 413, code: "request_too_large", msg: "multipart exceeds the 1024 bytes limit"},
	})
}

func quickReplyBody(rt string, n int) map[string]any {
	items := make([]any, n)
	for i := range items {
		items[i] = map[string]any{"type": "label", "value": "I want coffee.", "data": map[string]string{"text": "Coffee"}}
	}
	return map[string]any{"replyToken": rt, "message": map[string]any{"data": "What do you want?",
		"meta": map[string]any{"quickreply": map[string]any{"template": "default", "items": items}}}}
}

func TestReplyQuickReply(t *testing.T) {
	t.Parallel()
	srv := start(t)
	tok := botToken(t, srv)
	rt := mint(t, srv, aliceDMGID, "")
	r := postJSON(t, srv, tok, "/bot/v1/message/quickreply", `{ "replyToken": "`+rt+`",
	  "message": { "data": "What do you want?",
	    "meta": { "quickreply": { "template": "default",
	      "items": [ { "type": "label", "value": "I want coffee.", "data": { "text": "Coffee" } },
	                 { "type": "label", "value": "I want tea.", "data": { "text": "Tea" } } ] } } } }`)
	if r.status != 201 || strings.TrimSpace(string(r.body)) != `{"status":"success"}` {
		t.Fatalf("got %d %s", r.status, r.body)
	}
	m := lastMessage(t, srv)
	if m.GID != aliceDMGID || m.TID != aliceDMTID || m.Type != "quickreply" || m.Text != "What do you want?" {
		t.Errorf("stored %+v", m)
	}
	want := []mockeko.QuickReplyItem{{Type: "label", Label: "Coffee", Value: "I want coffee."}, {Type: "label", Label: "Tea", Value: "I want tea."}}
	if diff := cmp.Diff(want, m.Items); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	// 13 items is the most allowed.
	if r := postJSON(t, srv, tok, "/bot/v1/message/quickreply", quickReplyBody(rt, 13)); r.status != 201 {
		t.Errorf("13 items: %d %s", r.status, r.body)
	}
}

func TestReplyQuickReplyFailures(t *testing.T) {
	t.Parallel()
	const path = "/bot/v1/message/quickreply"
	edit := func(n int, f func(body map[string]any)) func(*testing.T, *mockeko.Server, string, string) resp {
		return func(t *testing.T, srv *mockeko.Server, tok, rt string) resp {
			b := quickReplyBody(rt, n)
			f(b)
			return postJSON(t, srv, tok, path, b)
		}
	}
	msg := func(b map[string]any) map[string]any { return b["message"].(map[string]any) }
	qr := func(b map[string]any) map[string]any {
		return msg(b)["meta"].(map[string]any)["quickreply"].(map[string]any)
	}
	item0 := func(b map[string]any) map[string]any { return qr(b)["items"].([]any)[0].(map[string]any) }
	runFailures(t, []failCase{
		{name: "multipart", do: func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return postMultipart(t, srv, tok, path, []field{{"replyToken", "x"}})
		}, status: 415, code: "unsupported_media_type", msg: "Content-Type multipart/form-data is not accepted here: send one of application/json"},
		{name: "replyToken missing", setup: teamToken, do: edit(1, func(b map[string]any) { delete(b, "replyToken") }),
			status: 400, code: "invalid_request", msg: `"replyToken" is required`},
		{name: "message missing", setup: teamToken, do: edit(1, func(b map[string]any) { delete(b, "message") }),
			status: 400, code: "invalid_request", msg: `"message" is required`},
		{name: "message a string", setup: teamToken, do: edit(1, func(b map[string]any) { b["message"] = "hi" }),
			status: 400, code: "invalid_request", msg: "message must be an object, got string"},
		{name: "data empty", setup: teamToken, do: edit(1, func(b map[string]any) { msg(b)["data"] = "" }),
			status: 400, code: "invalid_request", msg: `"message.data" is not allowed to be empty`},
		{name: "meta missing", setup: teamToken, do: edit(1, func(b map[string]any) { delete(msg(b), "meta") }),
			status: 400, code: "invalid_request", msg: `"message.meta.quickreply" is required`},
		{name: "no items", setup: teamToken, do: edit(0, func(map[string]any) {}),
			status: 400, code: "invalid_request", msg: "message.meta.quickreply.items must hold 1 to 13 items, got 0"},
		{name: "14 items", setup: teamToken, do: edit(14, func(map[string]any) {}),
			status: 400, code: "invalid_request", msg: "message.meta.quickreply.items must hold 1 to 13 items, got 14"},
		{name: "item type", setup: teamToken, do: edit(1, func(b map[string]any) { item0(b)["type"] = "button" }),
			status: 400, code: "invalid_request", msg: `message.meta.quickreply.items[0].type must be "label", got "button"`},
		{name: "item value empty", setup: teamToken, do: edit(1, func(b map[string]any) { item0(b)["value"] = "" }),
			status: 400, code: "invalid_request", msg: `"message.meta.quickreply.items[0].value" is not allowed to be empty`},
		{name: "item label missing", setup: teamToken, do: edit(1, func(b map[string]any) { delete(item0(b), "data") }),
			status: 400, code: "invalid_request", msg: `"message.meta.quickreply.items[0].data.text" is required: the button's label`},
		{name: "items not an array", setup: teamToken, do: edit(1, func(b map[string]any) { qr(b)["items"] = "x" }),
			status: 400, code: "invalid_request", msg: "message.meta.quickreply.items must be an array, got string"},
	})
}
