package mockeko_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mockeko/mockeko/mockeko"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// A bot whose credentials need encoding: what x/oauth2 url-encodes and
// client-oauth2 sends raw (stack.md §6).
const (
	oddClientID = "bot-ü 1"
	oddSecret   = "s3cr3t/+&=ü"
)

var hex40 = regexp.MustCompile(`^[0-9a-f]{40}$`)

func oddBot() mockeko.Option {
	return mockeko.WithBot(mockeko.Bot{ID: "5ac20cd38c62770001538b09", Name: "Odd", ClientID: oddClientID, ClientSecret: oddSecret})
}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// tokenRequest posts body to /oauth/token with optional headers.
func tokenRequest(t *testing.T, srv *mockeko.Server, ctype, body string, hdr map[string]string) resp {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/oauth/token", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return roundTrip(t, srv, req)
}

const formCT = "application/x-www-form-urlencoded"

func TestTokenSuccess(t *testing.T) {
	t.Parallel()
	def := "client_id=7bcee21a-3f7e-4338-97af-a90842176849&client_secret=3f1b9c6e2a8d4f7b0c5e9a1d6b2f8e4c7a0d3b5e"
	tests := []struct {
		name      string
		body      string
		hdr       map[string]string
		wantScope string
	}{
		{"client-oauth2: raw Basic, %20 scopes, Accept", "scope=bot%20workflow%20library&grant_type=client_credentials",
			map[string]string{"Authorization": basic(oddClientID, oddSecret), "Accept": "application/json, application/x-www-form-urlencoded"}, "bot workflow library"},
		{"x/oauth2: url-encoded Basic, + scopes", "grant_type=client_credentials&scope=bot+workflow",
			map[string]string{"Authorization": basic(url.QueryEscape(oddClientID), url.QueryEscape(oddSecret))}, "bot workflow"},
		{"python requests: Basic, scope bot", "grant_type=client_credentials&scope=bot",
			map[string]string{"Authorization": basic(oddClientID, oddSecret)}, "bot"},
		{"body credentials (aiohttp, sivwork)", "grant_type=client_credentials&client_id=" + url.QueryEscape(oddClientID) +
			"&client_secret=" + url.QueryEscape(oddSecret) + "&scope=bot", nil, "bot"},
		{"header and the same client_id in the body", "grant_type=client_credentials&client_id=" + url.QueryEscape(oddClientID),
			map[string]string{"Authorization": basic(oddClientID, oddSecret)}, "bot"},
		{"scope absent grants bot", "grant_type=client_credentials&" + def, nil, "bot"},
		{"empty scope grants bot", "grant_type=client_credentials&scope=&" + def, nil, "bot"},
		{"workflow alone", "grant_type=client_credentials&scope=workflow&" + def, nil, "workflow"},
		{"duplicate scopes collapse", "grant_type=client_credentials&scope=bot+bot+library&" + def, nil, "bot library"},
		{"charset parameter on Content-Type", "grant_type=client_credentials&" + def, map[string]string{"Content-Type": formCT + "; charset=utf-8"}, "bot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t, oddBot(), mockeko.WithTokenTTL(90*time.Second))
			r := tokenRequest(t, srv, formCT, tt.body, tt.hdr)
			if r.status != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", r.status, r.body)
			}
			var got map[string]any
			r.decode(t, &got)
			tok, _ := got["access_token"].(string)
			if !hex40.MatchString(tok) {
				t.Errorf("access_token = %q, want 40 lowercase hex", tok)
			}
			delete(got, "access_token")
			// expires_in must be a JSON number (client-oauth2 computes with it); no "error" key on a 200.
			want := map[string]any{"token_type": "Bearer", "expires_in": float64(90), "scope": tt.wantScope}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("token response (-want +got):\n%s", diff)
			}
			if cc := r.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
			if p := r.header.Values("Pragma"); len(p) != 1 || p[0] != "no-cache" { // RFC 6749 §5.1
				t.Errorf("Pragma = %q, want [no-cache]", p)
			}
			// The token works where its scope allows.
			if strings.Contains(tt.wantScope, "bot") {
				if r := send(t, srv, http.MethodGet, "/bot/v1/users?username=bob@acme.example", tok, "", nil); r.status != 200 {
					t.Errorf("using the token: %d %s", r.status, r.body)
				}
			}
		})
	}
}

func TestTokenDefaultTTLAndUniqueness(t *testing.T) {
	t.Parallel()
	srv := start(t)
	b := srv.Bot()
	seen := map[string]bool{}
	for range 20 {
		r := postForm(t, srv, "", "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {b.ClientID}, "client_secret": {b.ClientSecret}})
		var tr mockeko.TokenResponse
		r.decode(t, &tr)
		if tr.ExpiresIn != 3600 {
			t.Fatalf("expires_in = %d, want 3600", tr.ExpiresIn)
		}
		if seen[tr.AccessToken] {
			t.Fatalf("token %s issued twice", tr.AccessToken)
		}
		seen[tr.AccessToken] = true
	}
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	const cc = "grant_type=client_credentials"
	okCreds := "&client_id=7bcee21a-3f7e-4338-97af-a90842176849&client_secret=3f1b9c6e2a8d4f7b0c5e9a1d6b2f8e4c7a0d3b5e"
	basicHdr := map[string]string{"Authorization": basic(oddClientID, oddSecret)}
	tests := []struct {
		name     string
		ctype    string
		body     string
		hdr      map[string]string
		status   int
		code     string
		msg      string
		wwwAuthn bool
	}{
		{"JSON body", "application/json", `{"grant_type":"client_credentials"}`, nil, 400, "invalid_request",
			"the token endpoint takes an application/x-www-form-urlencoded body, not JSON (like real Eko)", false},
		{"text body", "text/plain", cc, nil, 400, "invalid_request",
			`send the token request as application/x-www-form-urlencoded, got Content-Type "text/plain"`, false},
		{"no Content-Type", "", cc, nil, 400, "invalid_request",
			`send the token request as application/x-www-form-urlencoded, got Content-Type ""`, false},
		{"malformed Content-Type parameter", formCT + ";c", cc, nil, 400, "invalid_request",
			`malformed Content-Type "application/x-www-form-urlencoded;c": mime: invalid media parameter`, false},
		{"missing grant_type", formCT, "scope=bot" + okCreds, nil, 400, "invalid_request",
			"missing grant_type: send grant_type=client_credentials", false},
		{"password grant", formCT, "grant_type=password" + okCreds, nil, 400, "unsupported_grant_type",
			`grant_type "password" is not supported: bots use client_credentials`, false},
		{"authorization_code grant", formCT, "grant_type=authorization_code&code=x" + okCreds, nil, 400, "unsupported_grant_type",
			`grant_type "authorization_code" is not supported: bots use client_credentials`, false},
		{"repeated parameter", formCT, cc + "&" + cc + okCreds, nil, 400, "invalid_request", "parameter grant_type is repeated", false},
		{"malformed form", formCT, cc + "&scope=%zz" + okCreds, nil, 400, "invalid_request",
			`malformed urlencoded body: invalid URL escape "%zz"`, false},
		{"unknown scope", formCT, cc + "&scope=bot+admin" + okCreds, nil, 400, "invalid_scope",
			`unknown scope "admin": Eko bots may ask for bot, workflow and library`, false},
		{"scope not granted", formCT, cc + "&scope=workflow&client_id=other-bot&client_secret=other-secret", nil, 400, "invalid_scope",
			`scope "workflow" is not granted to this bot`, false},
		{"absent scope, bot not granted", formCT, cc + "&client_id=wf-only&client_secret=wf-secret", nil, 400, "invalid_scope",
			`scope "bot" is not granted to this bot`, false},
		{"wrong secret in body", formCT, cc + "&client_id=other-bot&client_secret=nope", nil, 401, "invalid_client",
			"unknown client or wrong secret", true},
		{"unknown client", formCT, cc + "&client_id=nobody&client_secret=x", nil, 401, "invalid_client",
			"unknown client or wrong secret", true},
		{"secret case differs", formCT, cc + "&client_id=other-bot&client_secret=OTHER-SECRET", nil, 401, "invalid_client",
			"unknown client or wrong secret", true},
		{"no credentials", formCT, cc, nil, 401, "invalid_client",
			"missing client credentials: send an Authorization: Basic header or client_id and client_secret in the body", true},
		{"wrong secret in Basic", formCT, cc, map[string]string{"Authorization": basic(oddClientID, "s3cr3t")}, 401, "invalid_client",
			"unknown client or wrong secret", true},
		{"Bearer instead of Basic", formCT, cc, map[string]string{"Authorization": "Bearer abc"}, 401, "invalid_client",
			"malformed Authorization header: want Basic base64(client_id:client_secret)", true},
		{"Basic not base64", formCT, cc, map[string]string{"Authorization": "Basic !!!"}, 401, "invalid_client",
			"malformed Authorization header: want Basic base64(client_id:client_secret)", true},
		{"body client_id differs from header", formCT, cc + "&client_id=other-bot", basicHdr, 400, "invalid_request",
			"client_id in the body differs from the one in the Authorization header", false},
		{"oversized body", formCT, cc + "&pad=" + strings.Repeat("x", 300) + okCreds, nil, 413, "request_too_large",
			"body exceeds the 256 bytes limit", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t, oddBot(), mockeko.WithBodyLimits(256, 1<<20),
				mockeko.WithBot(mockeko.Bot{ID: "5ac20cd38c62770001538b0a", ClientID: "wf-only", ClientSecret: "wf-secret", Scopes: []string{"workflow"}}))
			before := snapshot(srv)
			r := tokenRequest(t, srv, tt.ctype, tt.body, tt.hdr)
			wantError(t, r, tt.status, tt.code, tt.msg)
			got := r.header.Get("WWW-Authenticate")
			if tt.wwwAuthn && got != `Basic realm="eko", charset="UTF-8"` {
				t.Errorf("WWW-Authenticate = %q, want the Basic challenge", got)
			}
			if !tt.wwwAuthn && got != "" {
				t.Errorf("WWW-Authenticate = %q on a %d", got, tt.status)
			}
			unchanged(t, srv, before)
			if n := srv.RevokeTokens(""); n != 0 {
				t.Errorf("a failed token request issued %d tokens", n)
			}
			// The server keeps serving.
			botToken(t, srv)
		})
	}
}

func TestTokenMethodNotAllowed(t *testing.T) {
	t.Parallel()
	srv := start(t)
	r := send(t, srv, http.MethodGet, "/oauth/token", "", "", nil)
	wantError(t, r, 405, "method_not_allowed", "GET is not allowed on /oauth/token")
	if got := r.header.Get("Allow"); got != "POST" {
		t.Errorf("Allow = %q, want POST", got)
	}
}

// golang.org/x/oauth2/clientcredentials gets a token in every AuthStyle
// and its client then calls the Bot API.
func TestTokenXOAuth2AllAuthStyles(t *testing.T) {
	t.Parallel()
	styles := []struct {
		name  string
		style oauth2.AuthStyle
	}{{"AutoDetect", oauth2.AuthStyleAutoDetect}, {"InHeader", oauth2.AuthStyleInHeader}, {"InParams", oauth2.AuthStyleInParams}}
	for _, st := range styles {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t, oddBot(), mockeko.WithTokenTTL(2*time.Minute))
			cfg := &clientcredentials.Config{ClientID: oddClientID, ClientSecret: oddSecret, TokenURL: srv.URL + "/oauth/token",
				Scopes: []string{"bot", "workflow"}, AuthStyle: st.style}
			ctx := context.WithValue(t.Context(), oauth2.HTTPClient, srv.Client())
			tok, err := cfg.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !hex40.MatchString(tok.AccessToken) || tok.TokenType != "Bearer" {
				t.Errorf("token = %q %q", tok.AccessToken, tok.TokenType)
			}
			if left := time.Until(tok.Expiry); left < 100*time.Second || left > 2*time.Minute {
				t.Errorf("expiry in %v, want about 2m", left)
			}
			if sc := tok.Extra("scope"); sc != "bot workflow" {
				t.Errorf("scope = %v", sc)
			}
			res, err := cfg.Client(ctx).Post(srv.URL+"/bot/v1/direct/message", "application/json",
				strings.NewReader(`{"uid":"`+aliceID+`","message":{"type":"text","data":"via x/oauth2"}}`))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 201 {
				t.Errorf("push status = %d", res.StatusCode)
			}
			if m := lastMessage(t, srv); m.Text != "via x/oauth2" || m.Sender.ID != "5ac20cd38c62770001538b09" {
				t.Errorf("stored %+v", m)
			}
		})
	}
}

func TestTokenXOAuth2WrongSecret(t *testing.T) {
	t.Parallel()
	srv := start(t)
	cfg := srv.BotCredentials(mockeko.Bot{ClientID: srv.Bot().ClientID, ClientSecret: "wrong"})
	_, err := cfg.Token(context.WithValue(t.Context(), oauth2.HTTPClient, srv.Client()))
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want *oauth2.RetrieveError", err)
	}
	if re.Response.StatusCode != 401 || re.ErrorCode != "invalid_client" || re.ErrorDescription != "unknown client or wrong secret" {
		t.Errorf("RetrieveError = %d %q %q", re.Response.StatusCode, re.ErrorCode, re.ErrorDescription)
	}
}

// A long-running sandbox forgets expired tokens once enough pile up, and
// never a live one.
func TestExpiredTokensAreSwept(t *testing.T) {
	t.Parallel()
	clk := mockeko.NewFakeClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := start(t, mockeko.WithClock(clk), mockeko.WithTokenTTL(time.Minute))
	b := srv.Bot()
	issue := func() string {
		req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", formCT)
		req.SetBasicAuth(b.ClientID, b.ClientSecret)
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		var tr mockeko.TokenResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &tr); err != nil || rec.Code != 200 {
			t.Fatalf("token: %d %s", rec.Code, rec.Body)
		}
		return tr.AccessToken
	}
	for range 1023 {
		issue()
	}
	clk.Advance(time.Minute) // all 1023 expire
	live := issue()          // 1024 stored, none swept yet
	issue()                  // the sweep runs first: only the live one survives, plus this one
	if r := send(t, srv, http.MethodGet, "/bot/v1/users?username=bob@acme.example", live, "", nil); r.status != 200 {
		t.Errorf("the live token was swept: %d %s", r.status, r.body)
	}
	if n := srv.RevokeTokens(""); n != 2 {
		t.Errorf("%d tokens kept after the sweep, want 2", n)
	}
}
