package mockeko_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mockeko/mockeko/mockeko"
)

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func ctlGet(t *testing.T, srv *mockeko.Server, path string, v any) resp {
	t.Helper()
	r := send(t, srv, http.MethodGet, "/_mockeko"+path, "", "", nil)
	if v != nil && r.status == 200 {
		r.decode(t, v)
	}
	return r
}

func TestControlHealth(t *testing.T) {
	t.Parallel()
	srv := start(t)
	r := ctlGet(t, srv, "/health", nil)
	if r.status != 200 || strings.TrimSpace(string(r.body)) != `{"status":"ok"}` {
		t.Errorf("health = %d %s", r.status, r.body)
	}
}

func TestControlBots(t *testing.T) {
	t.Parallel()
	srv := start(t)
	var list struct {
		Bots []map[string]any `json:"bots"`
	}
	ctlGet(t, srv, "/bots", &list)
	want := map[string]any{"id": botID, "name": "Acme Helper", "networkId": "5ac20cd38c62770001530001",
		"clientId": "7bcee21a-3f7e-4338-97af-a90842176849", "clientSecret": "3f1b9c6e2a8d4f7b0c5e9a1d6b2f8e4c7a0d3b5e",
		"webhookUrl": "", "scopes": []any{"bot", "workflow", "library"}}
	if len(list.Bots) != 2 {
		t.Fatalf("bots: %d", len(list.Bots))
	}
	if diff := cmp.Diff(want, list.Bots[0]); diff != "" {
		t.Errorf("default bot (-want +got):\n%s", diff)
	}

	// Adding a bot generates its credentials; it can get a token at once.
	r := postJSON(t, srv, "", "/_mockeko/bots", `{"name":"Build Bot","webhookUrl":"http://127.0.0.1:9/hook"}`)
	var added struct{ Bot mockeko.Bot }
	r.decode(t, &added)
	b := added.Bot
	if r.status != 201 || !hexID.MatchString(b.ID) || !uuidRe.MatchString(b.ClientID) || !hex40.MatchString(b.ClientSecret) || b.Name != "Build Bot" {
		t.Fatalf("POST bots = %d %s", r.status, r.body)
	}
	tokenFor(t, srv, b.ClientID, b.ClientSecret, "bot")

	// Posting the same id updates it: a new secret replaces the old one.
	r = postJSON(t, srv, "", "/_mockeko/bots", map[string]any{"id": b.ID, "name": "Build Bot", "clientId": b.ClientID, "clientSecret": "rotated"})
	if r.status != 200 {
		t.Fatalf("update = %d %s", r.status, r.body)
	}
	if n := len(srv.Bots()); n != 3 {
		t.Errorf("bots after update: %d, want 3", n)
	}
	old := postForm(t, srv, "", "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {b.ClientID}, "client_secret": {b.ClientSecret}})
	wantError(t, old, 401, "invalid_client", "unknown client or wrong secret")
	tokenFor(t, srv, b.ClientID, "rotated", "bot")
}

func TestControlUsers(t *testing.T) {
	t.Parallel()
	srv := start(t)
	var list struct{ Users []mockeko.User }
	ctlGet(t, srv, "/users", &list)
	if len(list.Users) != 6 || list.Users[0].ID != aliceID || list.Users[0].Profile["Department"] != "Platform" {
		t.Fatalf("users = %+v", list.Users)
	}
	r := postJSON(t, srv, "", "/_mockeko/users", `{"username":"erin@acme.example","firstname":"Erin"}`)
	var added struct{ User mockeko.User }
	r.decode(t, &added)
	if r.status != 201 || !hexID.MatchString(added.User.ID) || added.User.NetworkID != "5ac20cd38c62770001530001" {
		t.Fatalf("POST users = %d %s", r.status, r.body)
	}
	// Bots see the new user at once.
	tok := botToken(t, srv)
	checkPushAnswer(t, srv, postJSON(t, srv, tok, "/bot/v1/direct/message", directMsg(added.User.ID, "welcome")), 201)
	// Deleting by update makes the user unreachable.
	added.User.Deleted = true
	if r := postJSON(t, srv, "", "/_mockeko/users", added.User); r.status != 200 {
		t.Fatalf("update = %d %s", r.status, r.body)
	}
	r = postJSON(t, srv, tok, "/bot/v1/direct/message", directMsg(added.User.ID, "again"))
	wantError(t, r, 404, "not_found", "user "+added.User.ID+" not found in the bot's network")
}

func TestControlGroupsAndMessages(t *testing.T) {
	t.Parallel()
	srv := start(t)
	var list struct {
		Groups []map[string]any `json:"groups"`
	}
	ctlGet(t, srv, "/groups", &list)
	if len(list.Groups) != 4 || list.Groups[0]["id"] != teamGID || len(list.Groups[0]["memberIds"].([]any)) != 5 || len(list.Groups[0]["topics"].([]any)) != 2 {
		t.Fatalf("groups = %v", list.Groups)
	}
	r := postJSON(t, srv, "", "/_mockeko/groups", map[string]any{"name": "Ops", "memberIds": []string{aliceID, botID}})
	var added struct{ Group mockeko.Group }
	r.decode(t, &added)
	g := added.Group
	if r.status != 201 || !hexID.MatchString(g.ID) || g.Type != "group_chatv2" || len(g.Topics) != 1 || g.Topics[0].Name != "General" {
		t.Fatalf("POST groups = %d %s", r.status, r.body)
	}
	tok := botToken(t, srv)
	checkPushAnswer(t, srv, postJSON(t, srv, tok, "/bot/v1/group/message", groupMsg(g.ID, "", "one")), 201)
	checkPushAnswer(t, srv, postJSON(t, srv, tok, "/bot/v1/group/message", groupMsg(teamGID, incidentsTID, "two")), 201)
	checkPushAnswer(t, srv, postJSON(t, srv, tok, "/bot/v1/group/message", groupMsg(teamGID, "", "three")), 201)

	texts := func(q string) []string {
		var got struct {
			Messages []map[string]any `json:"messages"`
		}
		if r := ctlGet(t, srv, "/messages"+q, &got); r.status != 200 {
			t.Fatalf("messages%s = %d %s", q, r.status, r.body)
		}
		out := []string{}
		for _, m := range got.Messages {
			if m["sender"].(map[string]any)["kind"] != "bot" || m["createdAt"] == "" {
				t.Errorf("message %v", m)
			}
			out = append(out, m["text"].(string))
		}
		return out
	}
	for q, want := range map[string][]string{
		"":                {"one", "two", "three"},
		"?gid=" + teamGID: {"two", "three"},
		"?gid=" + teamGID + "&tid=" + incidentsTID: {"two"},
		"?tid=" + generalTID:                       {"three"},
		"?gid=" + aliceDMGID:                       {},
		"?gid=" + teamGID + "&tid=" + aliceDMTID:   {},
	} {
		if diff := cmp.Diff(want, texts(q)); diff != "" {
			t.Errorf("messages%s (-want +got):\n%s", q, diff)
		}
	}
}

func TestControlAdvanceExpiresTokens(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	srv := start(t, mockeko.WithClock(mockeko.NewFakeClock(t0)), mockeko.WithTokenTTL(time.Minute))
	tok := botToken(t, srv)
	r := postJSON(t, srv, "", "/_mockeko/clock/advance", `{"seconds":30.5}`)
	if r.status != 200 || strings.TrimSpace(string(r.body)) != `{"now":"2026-03-01T09:00:30.5Z"}` {
		t.Fatalf("advance = %d %s", r.status, r.body)
	}
	if got := send(t, srv, http.MethodGet, "/bot/v1/users?username=bob@acme.example", tok, "", nil).status; got != 200 {
		t.Fatalf("before expiry: %d", got)
	}
	postJSON(t, srv, "", "/_mockeko/clock/advance", `{"seconds":30}`)
	r = send(t, srv, http.MethodGet, "/bot/v1/users?username=bob@acme.example", tok, "", nil)
	wantError(t, r, 401, "invalid_token", "access token expired at 2026-03-01T09:01:00Z: get a new one from POST /oauth/token")
	if got := srv.Now(); !got.Equal(t0.Add(60500 * time.Millisecond)) {
		t.Errorf("srv.Now() = %v", got)
	}
}

func TestControlMintReplyToken(t *testing.T) {
	t.Parallel()
	clk := mockeko.NewFakeClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := start(t, mockeko.WithClock(clk))
	r := postJSON(t, srv, "", "/_mockeko/replytokens", `{"gid":"`+teamGID+`"}`)
	var rt map[string]any
	r.decode(t, &rt)
	tokStr, _ := rt["replyToken"].(string)
	delete(rt, "replyToken")
	want := map[string]any{"botId": botID, "gid": teamGID, "tid": generalTID, "expiresAt": "2026-03-01T09:01:00Z"}
	if diff := cmp.Diff(want, rt); diff != "" || r.status != 201 || !hex40.MatchString(tokStr) {
		t.Fatalf("mint = %d %s (-want +got):\n%s", r.status, r.body, diff)
	}
	if r := postJSON(t, srv, botToken(t, srv), "/bot/v1/message/text", map[string]string{"replyToken": tokStr, "message": "hi"}); r.status != 201 {
		t.Errorf("using the minted token: %d %s", r.status, r.body)
	}
	// For another bot and a topic.
	r = postJSON(t, srv, "", "/_mockeko/replytokens", map[string]string{"botId": otherBotID, "gid": teamGID, "tid": incidentsTID})
	if r.status != 201 || !strings.Contains(string(r.body), `"tid":"`+incidentsTID+`"`) {
		t.Errorf("mint for other bot = %d %s", r.status, r.body)
	}
}

func TestControlRevokeAll(t *testing.T) {
	t.Parallel()
	srv := start(t)
	botToken(t, srv)
	botToken(t, srv)
	tokenFor(t, srv, otherBotCID, otherBotSecr, "")
	r := postJSON(t, srv, "", "/_mockeko/tokens/revoke", `{}`)
	if r.status != 200 || strings.TrimSpace(string(r.body)) != `{"revoked":3}` {
		t.Errorf("revoke = %d %s", r.status, r.body)
	}
}

func TestControlReset(t *testing.T) {
	t.Parallel()
	clk := mockeko.NewFakeClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := start(t, mockeko.WithClock(clk))
	initial := snapshot(srv)
	bots := srv.Bots()
	tok := botToken(t, srv)
	rt := mint(t, srv, teamGID, "")
	checkPushAnswer(t, srv, postJSON(t, srv, tok, "/bot/v1/direct/message", directMsg(danaID, "hi")), 201)
	postJSON(t, srv, tok, "/bot/v1/groups", map[string]any{"name": "G", "uids": []string{aliceID}})
	postJSON(t, srv, tok, "/bot/v1/groups/"+teamGID+"/topics", `{"name":"T"}`)
	postJSON(t, srv, "", "/_mockeko/users", `{"username":"new@acme.example"}`)
	postJSON(t, srv, "", "/_mockeko/bots", `{"name":"New"}`)
	srv.Advance(time.Hour)

	r := postJSON(t, srv, "", "/_mockeko/reset", ``)
	if r.status != 200 || strings.TrimSpace(string(r.body)) != `{"status":"ok"}` {
		t.Fatalf("reset = %d %s", r.status, r.body)
	}
	if diff := cmp.Diff(initial, snapshot(srv), ignoreUnexported); diff != "" {
		t.Errorf("state after reset (-initial +got):\n%s", diff)
	}
	if diff := cmp.Diff(bots, srv.Bots()); diff != "" {
		t.Errorf("bots after reset (-initial +got):\n%s", diff)
	}
	if !srv.Now().Equal(clk.Now()) {
		t.Errorf("clock not reset: %v, want %v", srv.Now(), clk.Now())
	}
	r = send(t, srv, http.MethodGet, "/bot/v1/users?username=bob@acme.example", tok, "", nil)
	wantError(t, r, 401, "invalid_token", "access token is unknown or revoked: get a new one from POST /oauth/token")
	r = postJSON(t, srv, botToken(t, srv), "/bot/v1/message/text", map[string]string{"replyToken": rt, "message": "x"})
	wantError(t, r, 400, "invalid_reply_token", "reply token is unknown: use the replyToken of a webhook event")
}

func TestControlFailures(t *testing.T) {
	t.Parallel()
	ctl := func(path, body string) func(*testing.T, *mockeko.Server, string, string) resp {
		return func(t *testing.T, srv *mockeko.Server, _, _ string) resp {
			return postJSON(t, srv, "", "/_mockeko"+path, body)
		}
	}
	const tenYears = "seconds must be a positive number of at most ten years, got "
	runFailures(t, []failCase{
		{name: "bots: unknown field", do: ctl("/bots", `{"name":"x","secret":"y"}`), status: 400, code: "invalid_request", msg: `unknown field "secret"`},
		{name: "bots: unknown scope", do: ctl("/bots", `{"id":"5ac20cd38c62770001538b0f","scopes":["admin"]}`), status: 400, code: "invalid_request",
			msg: `bot 5ac20cd38c62770001538b0f: unknown scope "admin"`},
		{name: "bots: client id taken", do: ctl("/bots", `{"id":"5ac20cd38c62770001538b0f","clientId":"other-bot"}`), status: 400, code: "invalid_request",
			msg: `bot 5ac20cd38c62770001538b0f: client id "other-bot" is used by bot ` + otherBotID},
		{name: "bots: unknown network", do: ctl("/bots", `{"id":"5ac20cd38c62770001538b0f","networkId":"`+unknownID+`"}`), status: 400, code: "invalid_request",
			msg: `bot 5ac20cd38c62770001538b0f: unknown network "` + unknownID + `"`},
		{name: "bots: a user's id", do: ctl("/bots", `{"id":"`+aliceID+`"}`), status: 400, code: "invalid_request", msg: "bot " + aliceID + ": id is a user's"},
		{name: "bots: malformed JSON", do: ctl("/bots", `{"name":`), status: 400, code: "invalid_request", msg: "malformed JSON at byte 8: unexpected end of JSON input"},
		{name: "bots: name a number", do: ctl("/bots", `{"name":1}`), status: 400, code: "invalid_request",
			msg: "malformed JSON: json: cannot unmarshal number into Go struct field Bot.name of type string"},
		{name: "bots: form body", do: func(t *testing.T, srv *mockeko.Server, _, _ string) resp {
			return postForm(t, srv, "", "/_mockeko/bots", url.Values{"name": {"x"}})
		}, status: 415, code: "unsupported_media_type", msg: "Content-Type application/x-www-form-urlencoded is not accepted here: send one of application/json"},
		{name: "users: empty username", do: ctl("/users", `{"id":"5ac20cd38c62770001538e0f"}`), status: 400, code: "invalid_request",
			msg: "user 5ac20cd38c62770001538e0f: empty username"},
		{name: "users: username taken", do: ctl("/users", `{"id":"5ac20cd38c62770001538e0f","username":"BOB@acme.example"}`), status: 400, code: "invalid_request",
			msg: `user 5ac20cd38c62770001538e0f: username "BOB@acme.example" is taken by user ` + bobID},
		{name: "users: a bot's id", do: ctl("/users", `{"id":"`+botID+`","username":"x"}`), status: 400, code: "invalid_request", msg: "user " + botID + ": id is a bot's"},
		{name: "users: unknown field", do: ctl("/users", `{"username":"x","role":"admin"}`), status: 400, code: "invalid_request", msg: `unknown field "role"`},
		{name: "users: empty body", do: ctl("/users", ``), status: 400, code: "invalid_request", msg: "empty body: send a JSON object"},
		{name: "groups: unknown member", do: ctl("/groups", `{"id":"5f00000000000000000d00ff","memberIds":["`+unknownID+`"]}`), status: 400, code: "invalid_request",
			msg: `group 5f00000000000000000d00ff: unknown member "` + unknownID + `"`},
		{name: "groups: member of another network", do: ctl("/groups", `{"id":"5f00000000000000000d00ff","memberIds":["`+zedID+`"]}`), status: 400, code: "invalid_request",
			msg: "group 5f00000000000000000d00ff: user " + zedID + " is in another network"},
		{name: "groups: direct chat of two users", do: ctl("/groups", `{"id":"5f00000000000000000d00ff","type":"direct_chat","memberIds":["`+aliceID+`","`+bobID+`"]}`),
			status: 400, code: "invalid_request", msg: "group 5f00000000000000000d00ff: a direct chat has one user and one bot"},
		{name: "groups: unknown type", do: ctl("/groups", `{"id":"5f00000000000000000d00ff","type":"channel"}`), status: 400, code: "invalid_request",
			msg: `group 5f00000000000000000d00ff: unknown type "channel"`},
		{name: "groups: topic of another group", do: ctl("/groups", `{"id":"5f00000000000000000d00ff","topics":[{"id":"`+generalTID+`","name":"x"}]}`),
			status: 400, code: "invalid_request", msg: "group 5f00000000000000000d00ff: topic " + generalTID + " belongs to group " + teamGID},
		{name: "groups: unknown field", do: ctl("/groups", `{"members":[]}`), status: 400, code: "invalid_request", msg: `unknown field "members"`},
		{name: "messages: unknown gid", do: func(t *testing.T, srv *mockeko.Server, _, _ string) resp {
			return ctlGet(t, srv, "/messages?gid="+unknownID, nil)
		}, status: 404, code: "not_found", msg: "group " + unknownID + " not found"},
		{name: "advance: zero", do: ctl("/clock/advance", `{"seconds":0}`), status: 400, code: "invalid_request", msg: tenYears + "0"},
		{name: "advance: missing", do: ctl("/clock/advance", `{}`), status: 400, code: "invalid_request", msg: tenYears + "0"},
		{name: "advance: negative", do: ctl("/clock/advance", `{"seconds":-5}`), status: 400, code: "invalid_request", msg: tenYears + "-5"},
		{name: "advance: eleven years", do: ctl("/clock/advance", `{"seconds":346896000}`), status: 400, code: "invalid_request", msg: tenYears + "3.46896e+08"},
		{name: "advance: a string", do: ctl("/clock/advance", `{"seconds":"60"}`), status: 400, code: "invalid_request",
			msg: "malformed JSON: json: cannot unmarshal string into Go struct field .seconds of type float64"},
		{name: "advance: unknown field", do: ctl("/clock/advance", `{"secs":60}`), status: 400, code: "invalid_request", msg: `unknown field "secs"`},
		{name: "advance: text/plain", do: func(t *testing.T, srv *mockeko.Server, _, _ string) resp {
			return send(t, srv, http.MethodPost, "/_mockeko/clock/advance", "", "text/plain", strings.NewReader("60"))
		}, status: 415, code: "unsupported_media_type", msg: "Content-Type text/plain is not accepted here: send one of application/json"},
		{name: "replytokens: unknown bot", do: ctl("/replytokens", `{"botId":"`+unknownID+`","gid":"`+teamGID+`"}`), status: 404, code: "not_found", msg: "bot " + unknownID + " not found"},
		{name: "replytokens: gid missing", do: ctl("/replytokens", `{}`), status: 400, code: "invalid_request", msg: `"gid" is required`},
		{name: "replytokens: group without the bot", do: ctl("/replytokens", `{"gid":"`+botlessGID+`"}`), status: 403, code: "forbidden", msg: "the bot is not a member of group " + botlessGID},
		{name: "replytokens: unknown topic", do: ctl("/replytokens", `{"gid":"`+teamGID+`","tid":"`+aliceDMTID+`"}`), status: 404, code: "not_found",
			msg: "topic " + aliceDMTID + " not found in group " + teamGID},
		{name: "revoke: unknown field", do: ctl("/tokens/revoke", `{"bot":"x"}`), status: 400, code: "invalid_request", msg: `unknown field "bot"`},
		{name: "reset: GET", do: func(t *testing.T, srv *mockeko.Server, _, _ string) resp {
			return ctlGet(t, srv, "/reset", nil)
		}, status: 405, code: "method_not_allowed", msg: "GET is not allowed on /_mockeko/reset"},
		{name: "unknown control route", do: func(t *testing.T, srv *mockeko.Server, _, _ string) resp {
			return ctlGet(t, srv, "/nope", nil)
		}, status: 404, code: "not_found", msg: "no such endpoint: GET /_mockeko/nope (see the README's list of emulated endpoints)"},
	})
}

// curl -d '{...}' labels a JSON body application/x-www-form-urlencoded, and
// some scripts send none: the control plane reads a JSON object either way.
func TestControlPlaneAcceptsCurlStyleJSON(t *testing.T) {
	t.Parallel()
	srv := mockeko.NewServer()
	t.Cleanup(srv.Close)
	for _, ct := range []string{"application/x-www-form-urlencoded", ""} {
		req := httptest.NewRequest(http.MethodPost, "/_mockeko/clock/advance", strings.NewReader(`{"seconds":60}`))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		before := srv.Now()
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("Content-Type %q: POST /_mockeko/clock/advance = %d %s, want 200", ct, rec.Code, rec.Body)
		}
		if d := srv.Now().Sub(before); d < time.Minute {
			t.Errorf("Content-Type %q: clock moved %v, want at least a minute", ct, d)
		}
	}
}
