package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

var hex40 = regexp.MustCompile(`^[0-9a-f]{40}$`)

// specialBot has credentials that need escaping in a Basic header:
// golang.org/x/oauth2 url-encodes them (RFC 6749 §2.3.1), npm client-oauth2
// sends them raw (stack.md §6). mockeko must accept both.
func specialBot() botJSON {
	return botJSON{Name: "E2E Special", ClientID: "e2e bot+1", ClientSecret: "s3cr3t/+&=%41 ü"}
}

// wireUser is a user as the Bot API answers it (eko-api.md §3.4).
type wireUser struct {
	ID        string `json:"_id"`
	Username  string `json:"username"`
	Email     string `json:"email"`
	Firstname string `json:"firstname"`
	Lastname  string `json:"lastname"`
	Position  string `json:"position"`
	Deleted   bool   `json:"deleted"`
}

func wireOf(u userJSON) wireUser {
	return wireUser{ID: u.ID, Username: u.Username, Email: u.Email, Firstname: u.Firstname, Lastname: u.Lastname, Position: u.Position}
}

// testOAuth2 drives the binary with golang.org/x/oauth2/clientcredentials in
// each AuthStyle, as a Go bot written for real Eko would.
func testOAuth2(t *testing.T, bin string) {
	for _, tc := range []struct {
		name  string
		style oauth2.AuthStyle
	}{
		{"AutoDetect", oauth2.AuthStyleAutoDetect},
		{"InHeader", oauth2.AuthStyleInHeader},
		{"InParams", oauth2.AuthStyleInParams},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := startMockeko(t, bin)
			hc := &http.Client{Transport: &http.Transport{}}
			t.Cleanup(hc.CloseIdleConnections)
			ctx := context.WithValue(testContext(t), oauth2.HTTPClient, hc)
			w := p.world(t, ctx)
			config := func(id, secret string) *clientcredentials.Config {
				return &clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: p.URL + "/oauth/token",
					Scopes: []string{"bot"}, AuthStyle: tc.style}
			}

			// The default bot, with the credentials the binary printed.
			ts := config(p.ClientID, p.ClientSecret).TokenSource(ctx)
			tok := checkToken(t, p, ts)

			// A bot whose credentials need url-encoding in the Basic header.
			sp := p.addBot(t, ctx, specialBot())
			sts := config(sp.ClientID, sp.ClientSecret).TokenSource(ctx)
			checkToken(t, p, sts)
			var found struct{ Users []wireUser }
			do(t, ctx, oauth2.NewClient(ctx, sts), request{Method: http.MethodGet, URL: p.URL + "/bot/v1/users?username=" + url.QueryEscape(w.alice.Username)}).
				want(t, "special bot: GET /bot/v1/users", http.StatusOK, &found)
			if diff := cmp.Diff([]wireUser{wireOf(w.alice)}, found.Users); diff != "" {
				t.Errorf("special bot: GET /bot/v1/users (-want +got):\n%s", diff)
			}

			// A wrong secret is a RetrieveError with invalid_client, in every style.
			_, err := config(p.ClientID, "wrong-"+p.ClientSecret).Token(ctx)
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != "invalid_client" || re.Response.StatusCode != http.StatusUnauthorized {
				t.Errorf("wrong secret: got %v, want a 401 RetrieveError with ErrorCode invalid_client", err)
			}

			driveBotAPI(t, ctx, p, w, oauth2.NewClient(ctx, ts), tok.AccessToken)
		})
	}
}

// checkToken gets a token from ts and checks it is what real Eko issues.
func checkToken(t *testing.T, p *mockeko, ts oauth2.TokenSource) *oauth2.Token {
	t.Helper()
	tok, err := ts.Token()
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	p.noLeak(tok.AccessToken)
	if !hex40.MatchString(tok.AccessToken) || tok.TokenType != "Bearer" {
		t.Errorf("token %q of type %q: want 40 hex of type Bearer", tok.AccessToken, tok.TokenType)
	}
	if ttl := time.Until(tok.Expiry); ttl < 59*time.Minute || ttl > 61*time.Minute {
		t.Errorf("token expires in %v, want about an hour (expires_in 3600)", ttl)
	}
	if exp, _ := tok.Extra("expires_in").(float64); exp != 3600 {
		t.Errorf("expires_in = %v, want the JSON number 3600", tok.Extra("expires_in"))
	}
	if sc, _ := tok.Extra("scope").(string); sc != "bot" {
		t.Errorf("scope = %q, want bot", sc)
	}
	return tok
}

// filePart is a file part of a multipart body.
type filePart struct {
	field, filename, contentType string
	data                         []byte
}

// multipartBody builds a multipart/form-data body from ordered fields
// (repeats allowed) and file parts.
func multipartBody(t *testing.T, fields [][2]string, files ...filePart) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+f.field+`"; filename="`+f.filename+`"`)
		h.Set("Content-Type", f.contentType)
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), buf.Bytes()
}

// randomBytes returns n reproducible bytes covering every byte value.
func randomBytes(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	copy(b, []byte{0, 0xff, '\r', '\n', '-', '-'})
	return b
}

// driveBotAPI pushes and looks up through c, an HTTP client that adds the
// bot's Bearer token (token) to every call, and checks the answers and the
// fake's state.
func driveBotAPI(t *testing.T, ctx context.Context, p *mockeko, w world, c *http.Client, token string) {
	t.Helper()
	api := func(method, path, contentType string, body []byte) response {
		t.Helper()
		return do(t, ctx, c, request{Method: method, URL: p.URL + path, ContentType: contentType, Body: body})
	}
	apiJSON := func(path string, v any) response {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return api(http.MethodPost, path, "application/json", b)
	}
	var want []messageJSON // every message the bot sends, in order
	sent := func(r pushResult, m messageJSON) {
		m.ID, m.GID, m.TID = r.ID, r.GroupID, r.ThreadID
		m.Sender.Kind, m.Sender.ID = "bot", w.bot.ID
		want = append(want, m)
	}
	push := func(what, path string, v any, wantGID, wantTID, wantType string) pushResult {
		t.Helper()
		var out struct {
			Status  string
			Message pushResult
		}
		apiJSON(path, v).want(t, what, http.StatusCreated, &out)
		if out.Status != "success" || !regexpObjectID.MatchString(out.Message.ID) ||
			out.Message.GroupID != wantGID || out.Message.ThreadID != wantTID || out.Message.Type != wantType {
			t.Errorf("%s: answer %+v, want success in %s/%s of type %s", what, out, wantGID, wantTID, wantType)
		}
		return out.Message
	}

	// GET /bot/v1/users?username= (exact, case-insensitive; none is an empty list).
	for _, name := range []string{w.alice.Username, "ALICE@Acme.Example"} {
		var found struct{ Users []wireUser }
		api(http.MethodGet, "/bot/v1/users?username="+url.QueryEscape(name), "", nil).want(t, "GET /bot/v1/users", http.StatusOK, &found)
		if diff := cmp.Diff([]wireUser{wireOf(w.alice)}, found.Users); diff != "" {
			t.Errorf("GET /bot/v1/users?username=%s (-want +got):\n%s", name, diff)
		}
	}
	var none struct{ Users []wireUser }
	api(http.MethodGet, "/bot/v1/users?username=nobody%40acme.example", "", nil).want(t, "GET /bot/v1/users (no match)", http.StatusOK, &none)
	if none.Users == nil || len(none.Users) != 0 {
		t.Errorf("GET /bot/v1/users for nobody: %+v, want an empty users array", none)
	}

	// Pushes: direct (lands in the fixtures' DM with alice), group without
	// tid (main topic) and with tid.
	text := func(s string) map[string]string { return map[string]string{"type": "text", "data": s} }
	r := push("POST /bot/v1/direct/message", "/bot/v1/direct/message", map[string]any{"uid": w.alice.ID, "message": text("Deploy finished")},
		w.aliceDM.ID, w.aliceDM.main(), "text")
	sent(r, messageJSON{Type: "text", Text: "Deploy finished", Endpoint: "/bot/v1/direct/message"})
	r = push("POST /bot/v1/group/message", "/bot/v1/group/message", map[string]any{"gid": w.team.ID, "message": text("Standup in 5")},
		w.team.ID, w.team.main(), "text")
	sent(r, messageJSON{Type: "text", Text: "Standup in 5", Endpoint: "/bot/v1/group/message"})
	r = push("POST /bot/v1/group/message with tid", "/bot/v1/group/message", map[string]any{"gid": w.team.ID, "tid": w.incidents, "message": text("INC-42 opened")},
		w.team.ID, w.incidents, "text")
	sent(r, messageJSON{Type: "text", Text: "INC-42 opened", Endpoint: "/bot/v1/group/message"})

	// A multipart file push; the bytes come back byte for byte.
	data := randomBytes(300<<10 + 7)
	ct, body := multipartBody(t, [][2]string{{"gid", w.team.ID}, {"tid", w.incidents}},
		filePart{"file", "report.pdf", "application/pdf", data})
	var up struct {
		Status  string
		Message pushResult
	}
	api(http.MethodPost, "/bot/v1/group/file", ct, body).want(t, "POST /bot/v1/group/file", http.StatusCreated, &up)
	if up.Message.Type != "file" || up.Message.GroupID != w.team.ID || up.Message.ThreadID != w.incidents {
		t.Errorf("POST /bot/v1/group/file: %+v, want a file in team/Incidents", up)
	}
	var fileID string
	for _, m := range p.messages(t, ctx, "") {
		if m.ID == up.Message.ID {
			fileID = m.FileID
		}
	}
	if fileID == "" {
		t.Fatalf("the file message %s is not in /_mockeko/messages with a fileId", up.Message.ID)
	}
	sent(up.Message, messageJSON{Type: "file", FileID: fileID, FileName: "report.pdf", ContentType: "application/pdf", Size: len(data), Endpoint: "/bot/v1/group/file"})
	for _, get := range []struct {
		what string
		c    *http.Client
		path string
	}{
		{"with Bearer", c, "/file/view/" + fileID},
		{"with ?access_token=", http.DefaultClient, "/file/view/" + fileID + "?access_token=" + token},
		{"as /file/image with ?size=large", http.DefaultClient, "/file/image/" + fileID + "?size=large&access_token=" + token},
	} {
		got := do(t, ctx, get.c, request{Method: http.MethodGet, URL: p.URL + get.path})
		if got.Status != http.StatusOK || got.Header.Get("Content-Type") != "application/pdf" || !bytes.Equal(got.Body, data) {
			t.Errorf("GET file %s: %d %s, %d bytes (equal: %v); want 200 application/pdf with the %d bytes sent",
				get.what, got.Status, got.Header.Get("Content-Type"), len(got.Body), bytes.Equal(got.Body, data), len(data))
		}
	}
	checkEnvelope(t, "GET /file/view without a token", do(t, ctx, nil, request{Method: http.MethodGet, URL: p.URL + "/file/view/" + fileID}),
		http.StatusUnauthorized, "unauthorized")

	// POST /bot/v1/groups: uids as one JSON-array string (the docs' curl -F)
	// and as repeated fields (S7). The bot is a member and counted.
	type createdGroup struct {
		Group struct {
			ID        string `json:"_id"`
			Name      string `json:"name"`
			Type      string `json:"type"`
			UserCount int    `json:"userCount"`
		} `json:"group"`
	}
	newGroup := func(what string, fields [][2]string, wantMembers []string) string {
		t.Helper()
		ct, body := multipartBody(t, fields)
		var g createdGroup
		api(http.MethodPost, "/bot/v1/groups", ct, body).want(t, what, http.StatusOK, &g)
		if !regexpObjectID.MatchString(g.Group.ID) || g.Group.Name != fields[0][1] || g.Group.Type != "group_chatv2" || g.Group.UserCount != len(wantMembers) {
			t.Errorf("%s: %+v, want group_chatv2 %q with userCount %d", what, g, fields[0][1], len(wantMembers))
		}
		got := p.group(t, ctx, g.Group.ID)
		if diff := cmp.Diff(wantMembers, got.MemberIDs); diff != "" {
			t.Errorf("%s: memberIds (-want +got):\n%s", what, diff)
		}
		if len(got.Topics) != 1 {
			t.Errorf("%s: topics %+v, want one main topic", what, got.Topics)
		}
		return g.Group.ID
	}
	incident := newGroup("POST /bot/v1/groups (uids as a JSON-array string)",
		[][2]string{{"name", "Incident 42"}, {"uids", `["` + w.alice.ID + `","` + w.bob.ID + `"]`}},
		[]string{w.bot.ID, w.alice.ID, w.bob.ID})
	newGroup("POST /bot/v1/groups (repeated uids)",
		[][2]string{{"name", "Design Review"}, {"uids", w.alice.ID}, {"uids", w.dana.ID}},
		[]string{w.bot.ID, w.alice.ID, w.dana.ID})
	incidentMain := p.group(t, ctx, incident).main()
	r = push("POST /bot/v1/group/message to the created group", "/bot/v1/group/message",
		map[string]any{"gid": incident, "message": text("War room open")}, incident, incidentMain, "text")
	sent(r, messageJSON{Type: "text", Text: "War room open", Endpoint: "/bot/v1/group/message"})

	// POST /bot/v1/groups/{gid}/topics, then a push into the new topic.
	var topic struct {
		Topic struct {
			ID   string `json:"_id"`
			Name string `json:"name"`
			GID  string `json:"gid"`
		} `json:"topic"`
	}
	apiJSON("/bot/v1/groups/"+incident+"/topics", map[string]string{"name": "Postmortem"}).want(t, "POST topics", http.StatusOK, &topic)
	if !regexpObjectID.MatchString(topic.Topic.ID) || topic.Topic.Name != "Postmortem" || topic.Topic.GID != incident {
		t.Errorf("POST topics: %+v", topic)
	}
	if got := p.group(t, ctx, incident).Topics; len(got) != 2 || got[1].ID != topic.Topic.ID || got[1].Name != "Postmortem" {
		t.Errorf("after POST topics the group's topics are %+v", got)
	}
	r = push("POST /bot/v1/group/message to the created topic", "/bot/v1/group/message",
		map[string]any{"gid": incident, "tid": topic.Topic.ID, "message": text("Timeline draft")}, incident, topic.Topic.ID, "text")
	sent(r, messageJSON{Type: "text", Text: "Timeline draft", Endpoint: "/bot/v1/group/message"})

	// BotV2 push: a text and a buttons template whose actions are recorded as items.
	tpl := json.RawMessage(`{"type":"template","altText":"Deploy approval needed","template":{"type":"buttons","text":"Approve the deploy?",` +
		`"actions":[{"type":"postback","label":"Approve","data":"action=approve","text":"Approve"},{"type":"message","label":"Reject","text":"reject"}]}}`)
	v2text := json.RawMessage(`{"type":"text","text":"v2 hello"}`)
	var v2 struct {
		Status   string
		Messages []pushResult
	}
	apiJSON("/bot/v2/message/push", map[string]any{"gid": w.team.ID, "tid": w.incidents, "messages": []json.RawMessage{v2text, tpl}}).
		want(t, "POST /bot/v2/message/push", http.StatusCreated, &v2)
	if v2.Status != "success" || len(v2.Messages) != 2 {
		t.Fatalf("POST /bot/v2/message/push: %+v, want success with 2 messages", v2)
	}
	sent(v2.Messages[0], messageJSON{Type: "text", Text: "v2 hello", Payload: v2text, Endpoint: "/bot/v2/message/push"})
	sent(v2.Messages[1], messageJSON{Type: "template", Text: "Deploy approval needed", Payload: tpl, Endpoint: "/bot/v2/message/push",
		Items: []itemJSON{{Type: "postback", Label: "Approve", Data: "action=approve", Text: "Approve"}, {Type: "message", Label: "Reject", Value: "reject"}}})

	// BotV2 user info: a member of the group, and a user who is not.
	var info wireUser
	api(http.MethodGet, "/bot/v2/groups/"+w.team.ID+"/users/"+w.alice.ID+"/info", "", nil).want(t, "GET v2 user info", http.StatusOK, &info)
	if diff := cmp.Diff(wireOf(w.alice), info); diff != "" {
		t.Errorf("GET v2 user info (-want +got):\n%s", diff)
	}
	checkEnvelope(t, "GET v2 user info of a non-member", api(http.MethodGet, "/bot/v2/groups/"+w.team.ID+"/users/"+w.dana.ID+"/info", "", nil),
		http.StatusNotFound, "not_found")

	// BotV2 DM lookup: alice's is the fixtures' DM; bob's is created on first
	// use, is the same on the next call, and is where a direct push lands.
	dmOf := func(uid string) (gid, tid string) {
		t.Helper()
		var dm struct{ GID, TID string }
		api(http.MethodGet, "/bot/v2/groups/users/"+uid, "", nil).want(t, "GET v2 DM lookup", http.StatusOK, &dm)
		return dm.GID, dm.TID
	}
	if gid, tid := dmOf(w.alice.ID); gid != w.aliceDM.ID || tid != w.aliceDM.main() {
		t.Errorf("v2 DM lookup for alice: %s/%s, want the fixtures' DM %s/%s", gid, tid, w.aliceDM.ID, w.aliceDM.main())
	}
	bobGID, bobTID := dmOf(w.bob.ID)
	if g := p.group(t, ctx, bobGID); g.Type != "direct_chat" || !cmp.Equal(g.MemberIDs, []string{w.bob.ID, w.bot.ID}) || g.main() != bobTID {
		t.Errorf("v2 DM lookup for bob made %+v", g)
	}
	if gid, tid := dmOf(w.bob.ID); gid != bobGID || tid != bobTID {
		t.Errorf("second v2 DM lookup for bob: %s/%s, want %s/%s", gid, tid, bobGID, bobTID)
	}
	r = push("POST /bot/v1/direct/message to bob", "/bot/v1/direct/message", map[string]any{"uid": w.bob.ID, "message": text("Hi Bob")},
		bobGID, bobTID, "text")
	sent(r, messageJSON{Type: "text", Text: "Hi Bob", Endpoint: "/bot/v1/direct/message"})

	// The state, as the control plane shows it.
	got := p.messages(t, ctx, "")
	opts := cmp.Options{cmpopts.IgnoreFields(messageJSON{}, "CreatedAt"), cmp.Comparer(jsonEqual)}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("GET /_mockeko/messages (-want +got):\n%s", diff)
	}
	for _, m := range got {
		if m.CreatedAt.IsZero() {
			t.Errorf("message %s has no createdAt", m.ID)
		}
	}
	var inIncidents []messageJSON
	for _, m := range want {
		if m.TID == w.incidents {
			inIncidents = append(inIncidents, m)
		}
	}
	if diff := cmp.Diff(inIncidents, p.messages(t, ctx, "gid="+w.team.ID+"&tid="+w.incidents), opts); diff != "" {
		t.Errorf("GET /_mockeko/messages?gid=&tid= (-want +got):\n%s", diff)
	}
}

var regexpObjectID = regexp.MustCompile(`^[0-9a-f]{24}$`)

// jsonEqual compares two JSON documents by value.
func jsonEqual(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return cmp.Equal(x, y)
}
