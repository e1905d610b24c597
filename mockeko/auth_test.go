package mockeko_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mockeko/mockeko/mockeko"
)

// apiRoutes are the Eko API routes of srv with their path variables filled in.
func apiRoutes(t *testing.T, srv *mockeko.Server) []mockeko.Route {
	t.Helper()
	var out []mockeko.Route
	for _, r := range srv.Routes() {
		if r.Control || r.Path == "/oauth/token" {
			continue
		}
		r.Path = strings.NewReplacer("{gid}", teamGID, "{uid}", aliceID, "{id}", unknownID).Replace(r.Path)
		out = append(out, r)
	}
	if len(out) < 19 {
		t.Fatalf("only %d Eko API routes: %v", len(out), out)
	}
	return out
}

func sendRoute(t *testing.T, srv *mockeko.Server, rt mockeko.Route, authz string) resp {
	t.Helper()
	var body *strings.Reader
	ctype := ""
	if rt.Method == http.MethodPost {
		body, ctype = strings.NewReader(`{"gid":"`+teamGID+`","message":{"type":"text","data":"x"}}`), "application/json"
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequestWithContext(t.Context(), rt.Method, srv.URL+rt.Path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	return roundTrip(t, srv, req)
}

// Every Bot API route refuses a request without a usable bot token, with
// the same precise 401 or 403, and changes nothing.
func TestAuthFailuresOnEveryRoute(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		authz  func(t *testing.T, srv *mockeko.Server, clk *mockeko.FakeClock) string
		status int
		code   string
		msg    string
		www    string
	}{
		{"no Authorization", func(*testing.T, *mockeko.Server, *mockeko.FakeClock) string { return "" },
			401, "unauthorized", "missing access token: send Authorization: Bearer <access_token> from POST /oauth/token", `Bearer realm="eko"`},
		{"Basic instead of Bearer", func(*testing.T, *mockeko.Server, *mockeko.FakeClock) string { return basic("a", "b") },
			401, "invalid_token", "malformed Authorization header: want Bearer <access_token> from POST /oauth/token", `Bearer realm="eko", error="invalid_token"`},
		{"Bearer without token", func(*testing.T, *mockeko.Server, *mockeko.FakeClock) string { return "Bearer " },
			401, "invalid_token", "malformed Authorization header: want Bearer <access_token> from POST /oauth/token", `Bearer realm="eko", error="invalid_token"`},
		{"unknown token", func(*testing.T, *mockeko.Server, *mockeko.FakeClock) string {
			return "Bearer " + strings.Repeat("ab", 20)
		},
			401, "invalid_token", "access token is unknown or revoked: get a new one from POST /oauth/token", `Bearer realm="eko", error="invalid_token"`},
		{"revoked with RevokeTokens", func(t *testing.T, srv *mockeko.Server, _ *mockeko.FakeClock) string {
			tok := botToken(t, srv)
			if n := srv.RevokeTokens(botID); n != 1 {
				t.Fatalf("RevokeTokens = %d, want 1", n)
			}
			return "Bearer " + tok
		}, 401, "invalid_token", "access token is unknown or revoked: get a new one from POST /oauth/token", `Bearer realm="eko", error="invalid_token"`},
		{"revoked on the control plane", func(t *testing.T, srv *mockeko.Server, _ *mockeko.FakeClock) string {
			tok := botToken(t, srv)
			r := postJSON(t, srv, "", "/_mockeko/tokens/revoke", `{"botId":"`+botID+`"}`)
			if r.status != 200 || strings.TrimSpace(string(r.body)) != `{"revoked":1}` {
				t.Fatalf("revoke: %d %s", r.status, r.body)
			}
			return "Bearer " + tok
		}, 401, "invalid_token", "access token is unknown or revoked: get a new one from POST /oauth/token", `Bearer realm="eko", error="invalid_token"`},
		{"expired on the fake clock", func(t *testing.T, srv *mockeko.Server, clk *mockeko.FakeClock) string {
			tok := botToken(t, srv)
			clk.Advance(10 * time.Minute)
			return "Bearer " + tok
		}, 401, "invalid_token", "access token expired at 2026-03-01T09:10:00Z: get a new one from POST /oauth/token", `Bearer realm="eko", error="invalid_token"`},
		{"expired by Server.Advance", func(t *testing.T, srv *mockeko.Server, _ *mockeko.FakeClock) string {
			tok := botToken(t, srv)
			srv.Advance(time.Hour)
			return "Bearer " + tok
		}, 401, "invalid_token", "access token expired at 2026-03-01T09:10:00Z: get a new one from POST /oauth/token", `Bearer realm="eko", error="invalid_token"`},
		{"scope workflow only", func(t *testing.T, srv *mockeko.Server, _ *mockeko.FakeClock) string {
			b := srv.Bot()
			return "Bearer " + tokenFor(t, srv, b.ClientID, b.ClientSecret, "workflow")
		}, 403, "insufficient_scope", `this endpoint needs scope "bot"; the token has "workflow"`, ""},
		{"scope workflow library", func(t *testing.T, srv *mockeko.Server, _ *mockeko.FakeClock) string {
			b := srv.Bot()
			return "Bearer " + tokenFor(t, srv, b.ClientID, b.ClientSecret, "workflow library")
		}, 403, "insufficient_scope", `this endpoint needs scope "bot"; the token has "workflow library"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := mockeko.NewFakeClock(t0)
			srv := start(t, mockeko.WithClock(clk), mockeko.WithTokenTTL(10*time.Minute))
			authz := tt.authz(t, srv, clk)
			before := snapshot(srv)
			for _, rt := range apiRoutes(t, srv) {
				r := sendRoute(t, srv, rt, authz)
				wantError(t, r, tt.status, tt.code, tt.msg)
				if got := r.header.Get("WWW-Authenticate"); got != tt.www {
					t.Errorf("%s %s: WWW-Authenticate = %q, want %q", rt.Method, rt.Path, got, tt.www)
				}
			}
			unchanged(t, srv, before)
		})
	}
}

func TestTokenExpiryBoundary(t *testing.T) {
	t.Parallel()
	clk := mockeko.NewFakeClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := start(t, mockeko.WithClock(clk), mockeko.WithTokenTTL(time.Minute))
	tok := botToken(t, srv)
	get := func() int {
		return send(t, srv, http.MethodGet, "/bot/v1/users?username=bob@acme.example", tok, "", nil).status
	}
	clk.Advance(59 * time.Second)
	if got := get(); got != 200 {
		t.Fatalf("1s before expiry: %d, want 200", got)
	}
	clk.Advance(time.Second)
	if got := get(); got != 401 {
		t.Fatalf("at expiry: %d, want 401", got)
	}
	// A fresh token works again: the server keeps serving.
	tok = botToken(t, srv)
	if got := get(); got != 200 {
		t.Fatalf("new token: %d", got)
	}
}

// Revoking one bot's tokens leaves another bot's working.
func TestRevokeIsPerBot(t *testing.T) {
	t.Parallel()
	srv := start(t)
	mine := botToken(t, srv)
	other := tokenFor(t, srv, otherBotCID, otherBotSecr, "bot")
	if n := srv.RevokeTokens(otherBotID); n != 1 {
		t.Fatalf("RevokeTokens = %d", n)
	}
	if r := send(t, srv, http.MethodGet, "/bot/v1/users?username=bob@acme.example", mine, "", nil); r.status != 200 {
		t.Errorf("default bot's token: %d", r.status)
	}
	if r := send(t, srv, http.MethodGet, "/bot/v1/users?username=bob@acme.example", other, "", nil); r.status != 401 {
		t.Errorf("revoked token: %d", r.status)
	}
}

// The access_token query parameter is honoured on file URLs only.
func TestQueryTokenOnlyOnFiles(t *testing.T) {
	t.Parallel()
	srv := start(t)
	tok := botToken(t, srv)
	r := send(t, srv, http.MethodGet, "/bot/v1/users?username=bob@acme.example&access_token="+tok, "", "", nil)
	wantError(t, r, 401, "unauthorized", "missing access token: send Authorization: Bearer <access_token> from POST /oauth/token")
	r = send(t, srv, http.MethodGet, "/file/view/"+unknownID+"?access_token="+tok, "", "", nil)
	wantError(t, r, 404, "not_found", "file "+unknownID+" not found")
}

// The scheme is case-insensitive, as RFC 6750 allows.
func TestBearerSchemeCaseInsensitive(t *testing.T) {
	t.Parallel()
	srv := start(t)
	tok := botToken(t, srv)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/bot/v1/users?username=bob@acme.example", nil)
	req.Header.Set("Authorization", "bearer "+tok)
	if r := roundTrip(t, srv, req); r.status != 200 {
		t.Errorf("status = %d %s", r.status, r.body)
	}
}
