package mockeko

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// handleToken is POST /oauth/token: the OAuth2 client-credentials grant
// (RFC 6749 §4.4) as Eko serves it. Credentials come in an HTTP Basic
// header — raw, as npm client-oauth2 sends them, or url-encoded, as
// golang.org/x/oauth2 does — or in the form body. Errors follow RFC 6749
// §5.2 inside mockeko's envelope; a 200 never carries an "error" key.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := s.token(w, r); err != nil {
		writeError(w, err)
	}
}

func oauthError(status int, code, format string, args ...any) *Error {
	e := errorf(status, code, format, args...)
	if status == http.StatusUnauthorized {
		e.Header = http.Header{"Www-Authenticate": {`Basic realm="eko", charset="UTF-8"`}}
	}
	return e
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) error {
	mt, _, _ := parseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/x-www-form-urlencoded":
	case "application/json":
		drain(r)
		return oauthError(http.StatusBadRequest, "invalid_request", "the token endpoint takes an application/x-www-form-urlencoded body, not JSON (like real Eko)")
	default:
		drain(r)
		return oauthError(http.StatusBadRequest, "invalid_request", "send the token request as application/x-www-form-urlencoded, got Content-Type %q", r.Header.Get("Content-Type"))
	}
	b, err := s.readBody(w, r, encForm)
	if err != nil {
		return err
	}
	form := b.form
	for k, v := range form {
		if len(v) > 1 {
			return oauthError(http.StatusBadRequest, "invalid_request", "parameter %s is repeated", k)
		}
	}
	switch gt := form.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		return oauthError(http.StatusBadRequest, "invalid_request", "missing grant_type: send grant_type=client_credentials")
	default:
		return oauthError(http.StatusBadRequest, "unsupported_grant_type", "grant_type %q is not supported: bots use client_credentials", gt)
	}

	id, secret, fromHeader, err := clientCredentials(r, form)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	bot := s.st.authenticate(id, secret, fromHeader)
	if bot == nil {
		s.log.Info("token refused", "client_id", safeID(id.raw))
		return oauthError(http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
	}
	scopes, err := grantScopes(form.Get("scope"), bot.Scopes)
	if err != nil {
		return err
	}
	tok := newToken()
	now := s.now()
	s.st.sweepTokens(now)
	s.st.tokens[tok] = &accessToken{botID: bot.ID, scopes: scopes, expires: now.Add(s.cfg.tokenTTL)}
	s.log.Info("token issued", "bot", bot.ID, "scope", strings.Join(scopes, " "))
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, TokenResponse{
		AccessToken: tok, TokenType: "Bearer", ExpiresIn: int(s.cfg.tokenTTL.Seconds()), Scope: strings.Join(scopes, " "),
	})
	return nil
}

// TokenResponse is the body of a successful token request.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

// credential is a client id or secret as sent, with its url-decoded form.
type credential struct{ raw, decoded string }

func clientCredentials(r *http.Request, form url.Values) (id, secret credential, fromHeader bool, err error) {
	bodyID, bodySecret := form.Get("client_id"), form.Get("client_secret")
	if h := r.Header.Get("Authorization"); h != "" {
		user, pass, ok := r.BasicAuth()
		if !ok {
			return id, secret, false, oauthError(http.StatusUnauthorized, "invalid_client", "malformed Authorization header: want Basic base64(client_id:client_secret)")
		}
		id, secret = decodeCred(user), decodeCred(pass)
		if bodyID != "" && bodyID != id.raw && bodyID != id.decoded {
			return id, secret, false, oauthError(http.StatusBadRequest, "invalid_request", "client_id in the body differs from the one in the Authorization header")
		}
		return id, secret, true, nil
	}
	if bodyID == "" {
		return id, secret, false, oauthError(http.StatusUnauthorized, "invalid_client", "missing client credentials: send an Authorization: Basic header or client_id and client_secret in the body")
	}
	return credential{bodyID, bodyID}, credential{bodySecret, bodySecret}, false, nil
}

// decodeCred url-decodes a Basic credential (RFC 6749 §2.3.1) but keeps
// the raw value: client-oauth2 does not encode, so "+" may be literal.
func decodeCred(s string) credential {
	d, err := url.QueryUnescape(s)
	if err != nil {
		d = s
	}
	return credential{raw: s, decoded: d}
}

// authenticate returns the bot whose credentials match (raw or decoded), or nil.
func (st *state) authenticate(id, secret credential, fromHeader bool) *Bot {
	for _, cand := range []credential{{id.raw, secret.raw}, {id.decoded, secret.decoded}} {
		b, ok := st.byClient[cand.raw]
		if ok && subtle.ConstantTimeCompare([]byte(b.ClientSecret), []byte(cand.decoded)) == 1 {
			return b
		}
		if !fromHeader {
			break
		}
	}
	return nil
}

// grantScopes checks a requested scope string against the bot's scopes.
// An absent scope grants "bot".
func grantScopes(requested string, allowed []string) ([]string, error) {
	if strings.TrimSpace(requested) == "" {
		requested = "bot" // still checked: a bot configured without "bot" must not get it
	}
	var out []string
	for _, sc := range strings.Fields(requested) {
		if !validScope[sc] {
			return nil, oauthError(http.StatusBadRequest, "invalid_scope", "unknown scope %q: Eko bots may ask for bot, workflow and library", sc)
		}
		if !slices.Contains(allowed, sc) {
			return nil, oauthError(http.StatusBadRequest, "invalid_scope", "scope %q is not granted to this bot", sc)
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}

// minSweep is the token count below which sweepTokens never runs.
const minSweep = 1024

// sweepTokens forgets expired tokens so a long-running sandbox stays
// bounded. It runs when the table has doubled since the last sweep, which
// keeps its cost O(1) per issued token however many tokens are live.
func (st *state) sweepTokens(now time.Time) {
	if len(st.tokens) < max(minSweep, st.sweepAt) {
		return
	}
	for k, t := range st.tokens {
		if !t.expires.After(now) {
			delete(st.tokens, k)
		}
	}
	st.sweepAt = 2 * len(st.tokens)
}

// safeID shortens a client id for logs; client ids are not secret but logs need not hold them whole.
func safeID(id string) string {
	if len(id) > 12 {
		return fmt.Sprintf("%s…", id[:8])
	}
	return id
}
