package mockeko

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
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
	mt, _, perr := parseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/x-www-form-urlencoded":
		if perr != nil { // a form type with a malformed parameter: an RFC 6749 §5.2 error, not a 415
			drain(r)
			return oauthError(http.StatusBadRequest, "invalid_request", "malformed Content-Type %q: %v", r.Header.Get("Content-Type"), perr)
		}
	case "application/json":
		drain(r)
		return oauthError(http.StatusBadRequest, "invalid_request", "the token endpoint takes an application/x-www-form-urlencoded body, not JSON (like real Eko)")
	default:
		drain(r)
		return oauthError(http.StatusBadRequest, "invalid_request", "send the token request as application/x-www-form-urlencoded, got Content-Type %q", r.Header.Get("Content-Type"))
	}
	raw, err := s.readRaw(w, r)
	if err != nil {
		return err
	}
	var form tokenForm
	if err := form.parse(string(raw)); err != nil {
		return err
	}
	switch gt := form.get("grant_type"); gt {
	case "client_credentials":
	case "":
		return oauthError(http.StatusBadRequest, "invalid_request", "missing grant_type: send grant_type=client_credentials")
	default:
		return oauthError(http.StatusBadRequest, "unsupported_grant_type", "grant_type %q is not supported: bots use client_credentials", gt)
	}

	id, secret, fromHeader, err := clientCredentials(r, form.get("client_id"), form.get("client_secret"))
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
	scopes, err := grantScopes(form.get("scope"), bot.Scopes)
	if err != nil {
		return err
	}
	key, tok := newAccessToken()
	now := s.now()
	s.st.tokens.sweep(now)
	s.st.tokens.add(key, bot.ID, scopes, now.Add(s.cfg.tokenTTL))
	scope := scopes.String()
	if s.log.Enabled(r.Context(), slog.LevelInfo) { // spare the disabled record its boxed arguments
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "token issued", slog.String("bot", bot.ID), slog.String("scope", scope))
	}
	writeRawJSONNoCache(w, http.StatusOK, appendTokenResponse(make([]byte, 0, 128), TokenResponse{
		AccessToken: tok, TokenType: "Bearer", ExpiresIn: int(s.cfg.tokenTTL.Seconds()), Scope: scope,
	}), true)
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

func clientCredentials(r *http.Request, bodyID, bodySecret string) (id, secret credential, fromHeader bool, err error) {
	if h := r.Header.Get("Authorization"); h != "" {
		user, pass, ok := basicAuth(h)
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
	d, err := queryUnescape(s)
	if err != nil {
		d = s
	}
	return credential{raw: s, decoded: d}
}

// authenticate returns the bot whose credentials match (raw or decoded), or nil.
func (st *state) authenticate(id, secret credential, fromHeader bool) *Bot {
	for _, cand := range []credential{{id.raw, secret.raw}, {id.decoded, secret.decoded}} {
		b, ok := st.byClient[cand.raw]
		if ok && secretEqual(b.ClientSecret, cand.decoded) {
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
func grantScopes(requested string, allowed []string) (scopeList, error) {
	if strings.TrimSpace(requested) == "" {
		requested = "bot" // still checked: a bot configured without "bot" must not get it
	}
	var out scopeList
	n := 0
	for sc := range strings.FieldsSeq(requested) {
		c := scopeCode(sc)
		if c == 0 {
			return scopeList{}, oauthError(http.StatusBadRequest, "invalid_scope", "unknown scope %q: Eko bots may ask for bot, workflow and library", sc)
		}
		if !slices.Contains(allowed, sc) {
			return scopeList{}, oauthError(http.StatusBadRequest, "invalid_scope", "scope %q is not granted to this bot", sc)
		}
		if !slices.Contains(out[:n], c) {
			out[n] = c
			n++
		}
	}
	return out, nil
}

// safeID shortens a client id for logs; client ids are not secret but logs need not hold them whole.
func safeID(id string) string {
	if len(id) > 12 {
		return fmt.Sprintf("%s…", id[:8])
	}
	return id
}

// maxFastForm is how many parameters tokenForm.parse decodes without a map.
const maxFastForm = 16

// tokenForm is a decoded token request body: its parameters in order, or
// (for a body parse left to url.ParseQuery) vals.
type tokenForm struct {
	n    int
	kv   [maxFastForm][2]string
	vals url.Values
}

// get is url.Values.Get: the first value of key, or "".
func (f *tokenForm) get(key string) string {
	if f.vals != nil {
		return f.vals.Get(key)
	}
	for _, kv := range f.kv[:f.n] {
		if kv[0] == key {
			return kv[1]
		}
	}
	return ""
}

// parse decodes an urlencoded token request body as
// url.ParseQuery does and refuses a repeated parameter. The usual small,
// well-formed body is decoded without a map; any other body (a semicolon,
// a bad escape, a repeated key, many parameters) goes to url.ParseQuery,
// whose error the answer quotes.
func (f *tokenForm) parse(body string) error {
	for q := body; q != ""; {
		var seg string
		seg, q, _ = strings.Cut(q, "&")
		if seg == "" {
			continue
		}
		if f.n == maxFastForm || strings.IndexByte(seg, ';') >= 0 {
			return f.parseSlow(body)
		}
		k, v, _ := strings.Cut(seg, "=")
		k, err1 := queryUnescape(k)
		v, err2 := queryUnescape(v)
		if err1 != nil || err2 != nil {
			return f.parseSlow(body)
		}
		for _, kv := range f.kv[:f.n] {
			if kv[0] == k {
				return f.parseSlow(body)
			}
		}
		f.kv[f.n] = [2]string{k, v}
		f.n++
	}
	return nil
}

func (f *tokenForm) parseSlow(body string) error {
	vals, err := url.ParseQuery(body)
	if err != nil {
		return badRequest("malformed urlencoded body: %v", err)
	}
	for k, v := range vals {
		if len(v) > 1 {
			return oauthError(http.StatusBadRequest, "invalid_request", "parameter %s is repeated", k)
		}
	}
	f.vals = vals
	return nil
}

// secretEqual reports whether a and b are equal, in time that depends on
// their lengths only (subtle.ConstantTimeCompare without its []byte copies).
func secretEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := 0; i < len(a); i++ {
		v |= a[i] ^ b[i]
	}
	return subtle.ConstantTimeByteEq(v, 0) == 1
}

// appendTokenResponse appends t encoded as encoding/json encodes it. The
// strings of an issued token need no escaping; a string that would is
// left to encoding/json.
func appendTokenResponse(b []byte, t TokenResponse) []byte {
	if !jsonPlain(t.AccessToken) || !jsonPlain(t.TokenType) || !jsonPlain(t.Scope) {
		m, _ := json.Marshal(t) // strings and an int: cannot fail
		return append(b, m...)
	}
	b = append(b, `{"access_token":"`...)
	b = append(b, t.AccessToken...)
	b = append(b, `","token_type":"`...)
	b = append(b, t.TokenType...)
	b = append(b, `","expires_in":`...)
	b = strconv.AppendInt(b, int64(t.ExpiresIn), 10)
	b = append(b, `,"scope":"`...)
	b = append(b, t.Scope...)
	return append(b, `"}`...)
}

// jsonPlain reports whether encoding/json writes s between quotes as is:
// printable ASCII without '"', '\\' and the HTML-escaped '<', '>', '&'.
func jsonPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if !jsonPlainBytes[s[i]] {
			return false
		}
	}
	return true
}

// jsonPlainBytes[c] reports whether encoding/json writes byte c of a string
// as it is: printable ASCII but for '"', '\\', '<', '>' and '&'. A table, read
// only, so that jsonPlain costs a load and a test per byte.
var jsonPlainBytes = func() (t [256]bool) {
	for c := 0x20; c <= 0x7e; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

// basicAuth is http.Request.BasicAuth for the Authorization header h,
// decoding into a stack buffer: one allocation instead of two.
func basicAuth(h string) (user, pass string, ok bool) {
	const prefix = "Basic "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", "", false
	}
	enc := h[len(prefix):]
	var buf [192]byte
	var dec []byte
	if n := base64.StdEncoding.DecodedLen(len(enc)); n <= len(buf) {
		m, err := base64.StdEncoding.Decode(buf[:], []byte(enc))
		if err != nil {
			return "", "", false
		}
		dec = buf[:m]
	} else {
		var err error
		if dec, err = base64.StdEncoding.DecodeString(enc); err != nil {
			return "", "", false
		}
	}
	user, pass, ok = strings.Cut(string(dec), ":")
	if !ok {
		return "", "", false
	}
	return user, pass, true
}
