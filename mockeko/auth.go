package mockeko

import (
	"net/http"
	"strings"
	"time"
)

// call is an authenticated Bot API request.
type call struct {
	bot   Bot // a copy, taken when the request was authenticated
	token string
}

// apiFunc handles an authenticated Bot API request to s. A returned error
// is written in the error envelope. The handlers are apiFuncs as method
// expressions: (*Server).replyText.
type apiFunc func(s *Server, w http.ResponseWriter, r *http.Request, c *call) error

// api wraps h with Bearer authentication and the "bot" scope check.
func api(h apiFunc) routeHandler { return authed(h, false) }

// fileAPI is api that also accepts the token in the access_token query
// parameter, as Eko's file URLs do.
func fileAPI(h apiFunc) routeHandler { return authed(h, true) }

func authed(h apiFunc, queryToken bool) routeHandler {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		c, err := s.authenticate(r, queryToken)
		if err == nil {
			err = h(s, w, r, c)
		} else {
			drain(r)
		}
		if err != nil {
			writeError(w, err)
		}
	}
}

func unauthorized(code, format string, args ...any) *Error {
	e := errorf(http.StatusUnauthorized, code, format, args...)
	v := `Bearer realm="eko"`
	if code != "unauthorized" {
		v += `, error="` + code + `"`
	}
	e.Header = http.Header{"Www-Authenticate": {v}}
	return e
}

func (s *Server) authenticate(r *http.Request, queryToken bool) (*call, error) {
	var tok string
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, rest, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(rest) == "" {
			return nil, unauthorized("invalid_token", "malformed Authorization header: want Bearer <access_token> from POST /oauth/token")
		}
		tok = strings.TrimSpace(rest)
	} else if queryToken {
		tok = queryGet(r.URL.RawQuery, "access_token")
	}
	if tok == "" {
		return nil, unauthorized("unauthorized", "missing access token: send Authorization: Bearer <access_token> from POST /oauth/token")
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	t, botID, ok := s.st.tokens.lookup(tok)
	if !ok {
		return nil, unauthorized("invalid_token", "access token is unknown or revoked: get a new one from POST /oauth/token")
	}
	if t.expiredAt(now) {
		return nil, unauthorized("invalid_token", "access token expired at %s: get a new one from POST /oauth/token", t.expires().UTC().Format(time.RFC3339))
	}
	bot, ok := s.st.bots[botID]
	if !ok {
		return nil, unauthorized("invalid_token", "access token's bot no longer exists")
	}
	if !t.scopes.has("bot") {
		return nil, errorf(http.StatusForbidden, "insufficient_scope", "this endpoint needs scope \"bot\"; the token has %q", t.scopes.String())
	}
	// A shallow copy: a stored bot's Scopes slice is replaced, never
	// modified in place, so sharing it is safe.
	return &call{bot: *bot, token: tok}, nil
}

// RevokeTokens revokes every access token issued to the bot (all bots when
// botID is empty) and reports how many were revoked. Revoked tokens get 401.
func (s *Server) RevokeTokens(botID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.tokens.revoke(botID)
}
