package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// badCase is a request the binary must refuse.
type badCase struct {
	name        string
	method      string // POST when empty
	path        string
	auth        string // the Authorization header, if any
	contentType string
	body        []byte
	status      int
	code        string // the envelope's "error"
	msg         string // a part of the envelope's message, if set
	allow       string // the Allow header of a 405
}

// snapshot is the fake's observable state: what the control plane lists.
func (p *mockeko) snapshot(t *testing.T, ctx context.Context) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, path := range []string{"/_mockeko/messages", "/_mockeko/groups", "/_mockeko/users", "/_mockeko/bots"} {
		r := do(t, ctx, nil, request{Method: http.MethodGet, URL: p.URL + path})
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
		}
		out[path] = string(r.Body)
	}
	return out
}

// reject sends tc and checks the envelope, and that the state did not change.
func (p *mockeko) reject(t *testing.T, ctx context.Context, tc badCase) envelope {
	t.Helper()
	before := p.snapshot(t, ctx)
	if tc.method == "" {
		tc.method = http.MethodPost
	}
	h := http.Header{}
	if tc.auth != "" {
		h.Set("Authorization", tc.auth)
	}
	r := do(t, ctx, nil, request{Method: tc.method, URL: p.URL + tc.path, ContentType: tc.contentType, Body: tc.body, Header: h})
	e := checkEnvelope(t, tc.name, r, tc.status, tc.code)
	if tc.msg != "" && !strings.Contains(e.Message, tc.msg) {
		t.Errorf("%s: message %q does not mention %q", tc.name, e.Message, tc.msg)
	}
	if got := r.Header.Get("Allow"); tc.allow != "" && got != tc.allow {
		t.Errorf("%s: Allow %q, want %q", tc.name, got, tc.allow)
	}
	if r.Status == http.StatusUnauthorized && r.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("%s: a 401 without WWW-Authenticate", tc.name)
	}
	if diff := cmp.Diff(before, p.snapshot(t, ctx)); diff != "" {
		t.Errorf("%s changed the state (-before +after):\n%s", tc.name, diff)
	}
	return e
}

// token gets an access token with the credentials in the form body.
func (p *mockeko) token(t *testing.T, ctx context.Context, id, secret string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	do(t, ctx, nil, request{Method: http.MethodPost, URL: p.URL + "/oauth/token", ContentType: "application/x-www-form-urlencoded",
		Body: []byte(form.Encode())}).want(t, "POST /oauth/token", http.StatusOK, &tok)
	p.noLeak(tok.AccessToken)
	return tok.AccessToken
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// testBadInput sends the binary malformed, oversized, unauthenticated and
// unauthorized requests: each gets a precise 4xx in the envelope, changes
// no state, and the server keeps serving.
func testBadInput(t *testing.T, bin string) {
	p := startMockeko(t, bin)
	ctx := testContext(t)
	w := p.world(t, ctx)
	tok := p.token(t, ctx, p.ClientID, p.ClientSecret)
	bearer := "Bearer " + tok

	// Another bot, with a group of its own, and a file and a reply token of the default bot's.
	other := p.addBot(t, ctx, botJSON{Name: "Other Bot"})
	otherBearer := "Bearer " + p.token(t, ctx, other.ClientID, other.ClientSecret)
	var og struct{ Group groupJSON }
	p.postJSON(t, ctx, nil, "/_mockeko/groups", map[string]any{"name": "Other Bot Room", "memberIds": []string{w.alice.ID, other.ID}}).
		want(t, "POST /_mockeko/groups", http.StatusCreated, &og)
	ct, body := multipartBody(t, [][2]string{{"gid", w.team.ID}}, filePart{"file", "notes.txt", "text/plain", []byte("secret notes")})
	var up struct{ Message pushResult }
	do(t, ctx, nil, request{Method: http.MethodPost, URL: p.URL + "/bot/v1/group/file", ContentType: ct, Body: body,
		Header: http.Header{"Authorization": {bearer}}}).want(t, "POST /bot/v1/group/file", http.StatusCreated, &up)
	var fileID string
	for _, m := range p.messages(t, ctx, "") {
		if m.ID == up.Message.ID {
			fileID = m.FileID
		}
	}
	var rt struct{ ReplyToken string }
	p.postJSON(t, ctx, nil, "/_mockeko/replytokens", map[string]string{"gid": w.team.ID}).want(t, "POST /_mockeko/replytokens", http.StatusCreated, &rt)

	const (
		jsonCT = "application/json"
		formCT = "application/x-www-form-urlencoded"
	)
	basic := func(id, secret string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
	}
	unknownID := "0123456789abcdef01234567"
	text := map[string]string{"type": "text", "data": "hi"}
	dm := func(uid string) []byte { return mustJSON(map[string]any{"uid": uid, "message": text}) }
	toGroup := func(gid, tid string) []byte { return mustJSON(map[string]any{"gid": gid, "tid": tid, "message": text}) }
	v2 := func(gid string, msgs ...string) []byte {
		return []byte(`{"gid":"` + gid + `","messages":[` + strings.Join(msgs, ",") + `]}`)
	}
	v2text := `{"type":"text","text":"hi"}`
	badMultipartCT, _ := multipartBody(t, nil)
	bigFileCT, bigFile := multipartBody(t, [][2]string{{"gid", w.team.ID}}, filePart{"file", "big.bin", "application/octet-stream", make([]byte, 25<<20)})
	noFileCT, noFile := multipartBody(t, [][2]string{{"gid", w.team.ID}})
	unknownUIDCT, unknownUIDFile := multipartBody(t, [][2]string{{"uid", unknownID}}, filePart{"file", "a.txt", "text/plain", []byte("a")})
	otherFileCT, otherFile := multipartBody(t, [][2]string{{"gid", og.Group.ID}}, filePart{"file", "a.txt", "text/plain", []byte("a")})
	groupCT := func(fields ...[2]string) (string, []byte) { return multipartBody(t, fields) }
	badUIDsCT, badUIDs := groupCT([2]string{"name", "x"}, [2]string{"uids", `["unterminated`})
	ghostCT, ghost := groupCT([2]string{"name", "Ghosts"}, [2]string{"uids", `["` + w.alice.ID + `","` + unknownID + `"]`})
	noNameCT, noName := groupCT([2]string{"uids", w.alice.ID})
	form := func(kv ...string) []byte {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return []byte(v.Encode())
	}
	grant := form("grant_type", "client_credentials")

	cases := []badCase{
		// The token endpoint (RFC 6749 §5.2 codes in the envelope).
		{name: "token as JSON", path: "/oauth/token", contentType: jsonCT, body: mustJSON(map[string]string{"grant_type": "client_credentials", "client_id": p.ClientID, "client_secret": p.ClientSecret}),
			status: 400, code: "invalid_request", msg: "x-www-form-urlencoded"},
		{name: "token without Content-Type", path: "/oauth/token", body: grant, auth: basic(p.ClientID, p.ClientSecret), status: 400, code: "invalid_request"},
		{name: "token with a wrong secret", path: "/oauth/token", contentType: formCT, body: grant, auth: basic(p.ClientID, "wrong"), status: 401, code: "invalid_client"},
		{name: "token for an unknown client", path: "/oauth/token", contentType: formCT, body: form("grant_type", "client_credentials", "client_id", "nobody", "client_secret", "x"), status: 401, code: "invalid_client"},
		{name: "token without credentials", path: "/oauth/token", contentType: formCT, body: grant, status: 401, code: "invalid_client"},
		{name: "token with a malformed Basic header", path: "/oauth/token", contentType: formCT, body: grant, auth: "Basic !!!", status: 401, code: "invalid_client"},
		{name: "token with the password grant", path: "/oauth/token", contentType: formCT, body: form("grant_type", "password"), auth: basic(p.ClientID, p.ClientSecret), status: 400, code: "unsupported_grant_type"},
		{name: "token without grant_type", path: "/oauth/token", contentType: formCT, body: form("scope", "bot"), auth: basic(p.ClientID, p.ClientSecret), status: 400, code: "invalid_request"},
		{name: "token with an unknown scope", path: "/oauth/token", contentType: formCT, body: form("grant_type", "client_credentials", "scope", "bot admin"), auth: basic(p.ClientID, p.ClientSecret), status: 400, code: "invalid_scope"},
		{name: "token with a repeated parameter", path: "/oauth/token", contentType: formCT, body: form("grant_type", "client_credentials", "grant_type", "client_credentials"), auth: basic(p.ClientID, p.ClientSecret), status: 400, code: "invalid_request"},
		{name: "token by GET", method: http.MethodGet, path: "/oauth/token", status: 405, code: "method_not_allowed", allow: "POST"},
		{name: "token with an oversized body", path: "/oauth/token", contentType: formCT, body: append(grant, "&pad="+strings.Repeat("a", 1<<20)...), auth: basic(p.ClientID, p.ClientSecret), status: 413, code: "request_too_large"},

		// Malformed bodies and wrong content types.
		{name: "malformed JSON", path: "/bot/v1/direct/message", auth: bearer, contentType: jsonCT, body: []byte(`{"uid":`), status: 400, code: "invalid_request", msg: "malformed JSON"},
		{name: "JSON array body", path: "/bot/v1/direct/message", auth: bearer, contentType: jsonCT, body: []byte(`[1,2]`), status: 400, code: "invalid_request"},
		{name: "JSON null body", path: "/bot/v1/group/message", auth: bearer, contentType: jsonCT, body: []byte(`null`), status: 400, code: "invalid_request"},
		{name: "empty JSON body", path: "/bot/v2/message/push", auth: bearer, contentType: jsonCT, status: 400, code: "invalid_request"},
		{name: "uid of the wrong type", path: "/bot/v1/direct/message", auth: bearer, contentType: jsonCT, body: []byte(`{"uid":5,"message":{"type":"text","data":"hi"}}`), status: 400, code: "invalid_request", msg: "uid"},
		{name: "empty data", path: "/bot/v1/direct/message", auth: bearer, contentType: jsonCT, body: mustJSON(map[string]any{"uid": w.alice.ID, "message": map[string]string{"type": "text", "data": ""}}),
			status: 400, code: "invalid_request", msg: "not allowed to be empty"},
		{name: "text/plain body", path: "/bot/v1/direct/message", auth: bearer, contentType: "text/plain", body: dm(w.alice.ID), status: 415, code: "unsupported_media_type"},
		{name: "no Content-Type", path: "/bot/v1/direct/message", auth: bearer, body: dm(w.alice.ID), status: 415, code: "unsupported_media_type"},
		{name: "urlencoded push", path: "/bot/v1/group/message", auth: bearer, contentType: formCT, body: form("gid", w.team.ID, "message", "hi"), status: 415, code: "unsupported_media_type"},
		{name: "JSON file push", path: "/bot/v1/group/file", auth: bearer, contentType: jsonCT, body: toGroup(w.team.ID, ""), status: 415, code: "unsupported_media_type"},
		{name: "malformed Content-Type", path: "/bot/v1/direct/message", auth: bearer, contentType: "application/json; charset", body: dm(w.alice.ID), status: 415, code: "unsupported_media_type"},
		{name: "oversized JSON body", path: "/bot/v1/direct/message", auth: bearer, contentType: jsonCT,
			body: mustJSON(map[string]any{"uid": w.alice.ID, "message": map[string]string{"type": "text", "data": strings.Repeat("x", 1<<20)}}), status: 413, code: "request_too_large"},
		{name: "oversized multipart body", path: "/bot/v1/group/file", auth: bearer, contentType: bigFileCT, body: bigFile, status: 413, code: "request_too_large"},
		{name: "malformed multipart", path: "/bot/v1/group/file", auth: bearer, contentType: badMultipartCT, body: []byte("--nope\r\ngarbage"), status: 400, code: "invalid_request"},
		{name: "multipart without a boundary", path: "/bot/v1/group/file", auth: bearer, contentType: "multipart/form-data", body: noFile, status: 400, code: "invalid_request", msg: "boundary"},
		{name: "file push without a file", path: "/bot/v1/group/file", auth: bearer, contentType: noFileCT, body: noFile, status: 400, code: "invalid_request", msg: "file"},
		{name: "group with malformed uids", path: "/bot/v1/groups", auth: bearer, contentType: badUIDsCT, body: badUIDs, status: 400, code: "invalid_request", msg: "uids"},
		{name: "group without a name", path: "/bot/v1/groups", auth: bearer, contentType: noNameCT, body: noName, status: 400, code: "invalid_request", msg: "name"},
		{name: "v2 push of six messages", path: "/bot/v2/message/push", auth: bearer, contentType: jsonCT, body: v2(w.team.ID, v2text, v2text, v2text, v2text, v2text, v2text), status: 400, code: "invalid_request"},
		{name: "v2 push of an unknown type", path: "/bot/v2/message/push", auth: bearer, contentType: jsonCT, body: v2(w.team.ID, v2text, `{"type":"sticker"}`), status: 400, code: "invalid_request", msg: "messages[1]"},
		{name: "v2 push with a bad action", path: "/bot/v2/message/push", auth: bearer, contentType: jsonCT,
			body: v2(w.team.ID, `{"type":"template","template":{"type":"buttons","text":"t","actions":[{"type":"uri","label":"x","uri":"javascript:alert(1)"}]}}`), status: 400, code: "invalid_request", msg: "uri"},

		// Unknown ids.
		{name: "unknown uid", path: "/bot/v1/direct/message", auth: bearer, contentType: jsonCT, body: dm(unknownID), status: 404, code: "not_found"},
		{name: "deleted user", path: "/bot/v1/direct/message", auth: bearer, contentType: jsonCT, body: dm(w.usersByName["former.employee"].ID), status: 404, code: "not_found"},
		{name: "unknown uid with a file", path: "/bot/v1/direct/file", auth: bearer, contentType: unknownUIDCT, body: unknownUIDFile, status: 404, code: "not_found"},
		{name: "unknown gid", path: "/bot/v1/group/message", auth: bearer, contentType: jsonCT, body: toGroup(unknownID, ""), status: 404, code: "not_found"},
		{name: "unknown tid", path: "/bot/v1/group/message", auth: bearer, contentType: jsonCT, body: toGroup(w.team.ID, unknownID), status: 404, code: "not_found"},
		{name: "another group's tid", path: "/bot/v1/group/message", auth: bearer, contentType: jsonCT, body: toGroup(w.team.ID, w.aliceDM.main()), status: 404, code: "not_found"},
		{name: "group with an unknown user", path: "/bot/v1/groups", auth: bearer, contentType: ghostCT, body: ghost, status: 404, code: "not_found"},
		{name: "topic in an unknown group", path: "/bot/v1/groups/" + unknownID + "/topics", auth: bearer, contentType: jsonCT, body: []byte(`{"name":"x"}`), status: 404, code: "not_found"},
		{name: "unknown file", method: http.MethodGet, path: "/file/view/" + unknownID, auth: bearer, status: 404, code: "not_found"},
		{name: "v2 info of an unknown user", method: http.MethodGet, path: "/bot/v2/groups/" + w.team.ID + "/users/" + unknownID + "/info", auth: bearer, status: 404, code: "not_found"},
		{name: "v2 DM of an unknown user", method: http.MethodGet, path: "/bot/v2/groups/users/" + unknownID, auth: bearer, status: 404, code: "not_found"},
		{name: "unknown reply token", path: "/bot/v1/message/text", auth: bearer, contentType: jsonCT, body: []byte(`{"replyToken":"` + strings.Repeat("0", 40) + `","message":"hi"}`), status: 400, code: "invalid_reply_token"},
		{name: "GET on a POST endpoint", method: http.MethodGet, path: "/bot/v1/direct/message", auth: bearer, status: 405, code: "method_not_allowed", allow: "POST"},
		{name: "unknown endpoint", path: "/bot/v1/nope", auth: bearer, contentType: jsonCT, body: []byte(`{}`), status: 404, code: "not_found"},

		// Another bot's chats.
		{name: "push to another bot's group", path: "/bot/v1/group/message", auth: bearer, contentType: jsonCT, body: toGroup(og.Group.ID, ""), status: 403, code: "forbidden"},
		{name: "v2 push to another bot's group", path: "/bot/v2/message/push", auth: bearer, contentType: jsonCT, body: v2(og.Group.ID, v2text), status: 403, code: "forbidden"},
		{name: "file to another bot's group", path: "/bot/v1/group/file", auth: bearer, contentType: otherFileCT, body: otherFile, status: 403, code: "forbidden"},
		{name: "topic in another bot's group", path: "/bot/v1/groups/" + og.Group.ID + "/topics", auth: bearer, contentType: jsonCT, body: []byte(`{"name":"x"}`), status: 403, code: "forbidden"},
		{name: "other bot pushes to team", path: "/bot/v1/group/message", auth: otherBearer, contentType: jsonCT, body: toGroup(w.team.ID, ""), status: 403, code: "forbidden"},
		{name: "other bot reads team's user info", method: http.MethodGet, path: "/bot/v2/groups/" + w.team.ID + "/users/" + w.alice.ID + "/info", auth: otherBearer, status: 403, code: "forbidden"},
		{name: "other bot reads team's file", method: http.MethodGet, path: "/file/view/" + fileID, auth: otherBearer, status: 404, code: "not_found"},
		{name: "other bot uses the default bot's reply token", path: "/bot/v1/message/text", auth: otherBearer, contentType: jsonCT, body: mustJSON(map[string]string{"replyToken": rt.ReplyToken, "message": "hi"}), status: 403, code: "invalid_reply_token"},

		// Missing, malformed and unknown tokens.
		{name: "no Authorization", path: "/bot/v1/direct/message", contentType: jsonCT, body: dm(w.alice.ID), status: 401, code: "unauthorized"},
		{name: "unknown token", path: "/bot/v1/direct/message", auth: "Bearer " + strings.Repeat("ab", 20), contentType: jsonCT, body: dm(w.alice.ID), status: 401, code: "invalid_token"},
		{name: "empty Bearer", path: "/bot/v1/direct/message", auth: "Bearer ", contentType: jsonCT, body: dm(w.alice.ID), status: 401, code: "invalid_token"},
		{name: "Basic on the Bot API", path: "/bot/v1/direct/message", auth: basic(p.ClientID, p.ClientSecret), contentType: jsonCT, body: dm(w.alice.ID), status: 401, code: "invalid_token"},
		{name: "unknown access_token query", method: http.MethodGet, path: "/file/view/" + fileID + "?access_token=" + strings.Repeat("cd", 20), status: 401, code: "invalid_token"},

		// The control plane uses the same envelope.
		{name: "control: malformed JSON", path: "/_mockeko/groups", contentType: jsonCT, body: []byte(`{"name":`), status: 400, code: "invalid_request"},
		{name: "control: unknown field", path: "/_mockeko/users", contentType: jsonCT, body: []byte(`{"username":"x","nickname":"y"}`), status: 400, code: "invalid_request", msg: "nickname"},
		{name: "control: group with an unknown member", path: "/_mockeko/groups", contentType: jsonCT, body: mustJSON(map[string]any{"name": "x", "memberIds": []string{unknownID}}), status: 400, code: "invalid_request"},
		{name: "control: negative clock advance", path: "/_mockeko/clock/advance", contentType: jsonCT, body: []byte(`{"seconds":-1}`), status: 400, code: "invalid_request"},
		{name: "control: reply token for an unknown group", path: "/_mockeko/replytokens", contentType: jsonCT, body: mustJSON(map[string]string{"gid": unknownID}), status: 404, code: "not_found"},
		{name: "control: messages of an unknown group", method: http.MethodGet, path: "/_mockeko/messages?gid=" + unknownID, status: 404, code: "not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { p.reject(t, ctx, tc) })
	}

	// A revoked token gets 401; the bot's other tokens are untouched.
	var revoked struct{ Revoked int }
	p.postJSON(t, ctx, nil, "/_mockeko/tokens/revoke", map[string]string{"botId": other.ID}).want(t, "POST /_mockeko/tokens/revoke", http.StatusOK, &revoked)
	if revoked.Revoked != 1 {
		t.Errorf("revoked %d tokens, want the other bot's 1", revoked.Revoked)
	}
	p.reject(t, ctx, badCase{name: "revoked token", method: http.MethodGet, path: "/bot/v1/users?username=bob%40acme.example", auth: otherBearer,
		status: 401, code: "invalid_token", msg: "revoked"})
	users := func(auth string) response {
		return do(t, ctx, nil, request{Method: http.MethodGet, URL: p.URL + "/bot/v1/users?username=bob%40acme.example", Header: http.Header{"Authorization": {auth}}})
	}
	if r := users(bearer); r.Status != http.StatusOK {
		t.Errorf("the default bot's token after revoking the other bot's: %d %s", r.Status, r.Body)
	}

	// An hour and a second later the token has expired; a new one works.
	p.postJSON(t, ctx, nil, "/_mockeko/clock/advance", map[string]int{"seconds": 3601}).want(t, "POST /_mockeko/clock/advance", http.StatusOK, nil)
	p.reject(t, ctx, badCase{name: "expired token", path: "/bot/v1/direct/message", auth: bearer, contentType: jsonCT, body: dm(w.alice.ID),
		status: 401, code: "invalid_token", msg: "expired"})

	// The server kept serving: a fresh token pushes, and exactly one message lands.
	before := p.messages(t, ctx, "")
	fresh := "Bearer " + p.token(t, ctx, p.ClientID, p.ClientSecret)
	var ok struct{ Message pushResult }
	do(t, ctx, nil, request{Method: http.MethodPost, URL: p.URL + "/bot/v1/direct/message", ContentType: jsonCT, Body: dm(w.alice.ID),
		Header: http.Header{"Authorization": {fresh}}}).want(t, "push with a fresh token", http.StatusCreated, &ok)
	after := p.messages(t, ctx, "")
	if len(after) != len(before)+1 || after[len(after)-1].ID != ok.Message.ID {
		t.Errorf("after the bad input a valid push left %d messages (was %d), want one more with id %s", len(after), len(before), ok.Message.ID)
	}
}
