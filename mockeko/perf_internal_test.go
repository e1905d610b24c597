package mockeko

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mockeko/mockeko/contract"
)

// checkJSONObject takes the one-scan path for good bodies; a bad one must
// still get the precise message the full decode gives.
func TestCheckJSONObject(t *testing.T) {
	tests := []struct {
		name, body, wantErr string
	}{
		{name: "object", body: `{"gid":"g","message":{"type":"text","data":"hi"}}`},
		{name: "object with spaces", body: " \n{} \n"},
		{name: "empty", body: "  ", wantErr: "empty body: send a JSON object"},
		{name: "null", body: "null", wantErr: "body must be a JSON object, got null"},
		{name: "array", body: `[1,2]`, wantErr: "body must be a JSON object, got array"},
		{name: "string", body: `"x"`, wantErr: "body must be a JSON object, got string"},
		{name: "truncated", body: `{"gid":`, wantErr: "malformed JSON"},
		{name: "trailing garbage", body: `{} x`, wantErr: "malformed JSON"},
		{name: "two objects", body: `{}{}`, wantErr: "malformed JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkJSONObject([]byte(tt.body))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("checkJSONObject(%q) = %v, want nil", tt.body, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Status != 400 {
				t.Fatalf("checkJSONObject(%q) = %v, want a 400 *Error", tt.body, err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("checkJSONObject(%q) = %q, want it to contain %q", tt.body, err, tt.wantErr)
			}
		})
	}
}

// fields decodes lazily but gives what the eager decode gave.
func TestBodyFieldsLazy(t *testing.T) {
	b := &body{enc: encJSON, raw: []byte(`{"uid":"u1","n":2,"uids":["a","b"]}`)}
	if got, err := b.str("uid"); err != nil || got != "u1" {
		t.Errorf("str(uid) = %q, %v", got, err)
	}
	if _, err := b.str("n"); err == nil {
		t.Error("str(n) accepted a number")
	}
	got, err := b.strs("uids")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b"}, got); diff != "" {
		t.Errorf("strs(uids) (-want +got):\n%s", diff)
	}
	if !b.has("n") || b.has("missing") {
		t.Error("has disagrees with the body")
	}
}

func TestReadAll(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 300)
	for _, tt := range []struct {
		name string
		size int64
		r    io.Reader
	}{
		{"exact size", int64(len(data)), bytes.NewReader(data)},
		{"no size", 0, bytes.NewReader(data)},
		{"size too small", 10, bytes.NewReader(data)},
		{"size too large", 1 << 16, bytes.NewReader(data)},
		{"one byte at a time", int64(len(data)), iotest.OneByteReader(bytes.NewReader(data))},
		{"data with EOF", int64(len(data)), iotest.DataErrReader(bytes.NewReader(data))},
	} {
		got, err := readAll(tt.r, tt.size)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: readAll = %d bytes, %v; want %d bytes", tt.name, len(got), err, len(data))
		}
	}
	boom := errors.New("boom")
	if _, err := readAll(iotest.ErrReader(boom), 100); !errors.Is(err, boom) {
		t.Errorf("readAll of a failing reader = %v, want boom", err)
	}
}

// sweep forgets expired tokens, but with many live tokens it does not
// rescan the table on every issue: only when it has doubled.
func TestSweepTokensAmortised(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st := newState()
	n := 0
	add := func(expires time.Time) tokenKey {
		var k tokenKey
		binary.BigEndian.PutUint64(k[:], uint64(n))
		n++
		st.tokens.add(k, "bot", scopeList{1}, expires)
		return k
	}
	for range minSweep {
		add(now.Add(-time.Second))
	}
	st.tokens.sweep(now)
	if len(st.tokens.byKey) != 0 {
		t.Fatalf("after a sweep at %d expired tokens, %d remain", minSweep, len(st.tokens.byKey))
	}

	for range minSweep {
		add(now.Add(time.Hour))
	}
	st.tokens.sweep(now) // all live: nothing to forget; the next sweep waits for 2×
	expired := add(now.Add(-time.Second))
	st.tokens.sweep(now)
	if _, ok := st.tokens.byKey[expired]; !ok {
		t.Fatal("swept again before the table doubled")
	}
	for i := len(st.tokens.byKey); i < 2*minSweep; i++ {
		add(now.Add(time.Hour))
	}
	st.tokens.sweep(now)
	if _, ok := st.tokens.byKey[expired]; ok {
		t.Error("the expired token survived the sweep at twice the size")
	}
	if len(st.tokens.byKey) != 2*minSweep-1 {
		t.Errorf("%d tokens after the sweep, want the %d live ones", len(st.tokens.byKey), 2*minSweep-1)
	}
}

// A JSON body is validated when a handler decodes it, not before: every
// kind of handler must still turn a bad body away with a precise 400 and
// store nothing. The contract is off so that the handlers, not the
// contract middleware in front of them, see the bodies.
func TestBadJSONBodiesRejected(t *testing.T) {
	s := NewServer(WithContractMode(contract.ModeOff))
	defer s.Close()
	h := s.Handler()
	tok := handlerTokenForTest(t, h, s.Bot())
	gid := "5ae99669299892c81ec1d7fa"
	tests := []struct {
		name, path, body, wantMsg string
		control                   bool
	}{
		{name: "push: truncated", path: "/bot/v1/group/message", body: `{"gid":"` + gid + `","message":{"type":"text","data":"hi"}`, wantMsg: "malformed JSON"},
		{name: "push: trailing garbage", path: "/bot/v1/group/message", body: `{"gid":"` + gid + `","message":{"type":"text","data":"hi"}} x`, wantMsg: "malformed JSON"},
		{name: "push: null", path: "/bot/v1/group/message", body: `null`, wantMsg: "got null"},
		{name: "push: array", path: "/bot/v1/group/message", body: `[]`, wantMsg: "got array"},
		{name: "push: empty", path: "/bot/v1/group/message", body: ` `, wantMsg: "empty body"},
		{name: "push: wrong type", path: "/bot/v1/group/message", body: `{"gid":5}`, wantMsg: "gid must be a string"},
		{name: "notify: truncated", path: "/bot/v1/notify/text", body: `{"message":"hi"`, wantMsg: "malformed JSON"},
		{name: "v2 push: trailing garbage", path: "/bot/v2/message/push", body: `{"to":"x","messages":[]}]`, wantMsg: "malformed JSON"},
		{name: "control: trailing garbage", path: "/_mockeko/users", body: `{"username":"zed"} {}`, wantMsg: "malformed JSON", control: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(s.Messages("", ""))
			users := len(s.Users())
			r := httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/json")
			if !tt.control {
				r.Header.Set("Authorization", "Bearer "+tok)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tt.wantMsg) {
				t.Errorf("POST %s %q: %d %s; want 400 mentioning %q", tt.path, tt.body, rec.Code, rec.Body.String(), tt.wantMsg)
			}
			if got := len(s.Messages("", "")); got != before {
				t.Errorf("messages %d -> %d after a rejected body", before, got)
			}
			if got := len(s.Users()); got != users {
				t.Errorf("users %d -> %d after a rejected body", users, got)
			}
		})
	}
}

func handlerTokenForTest(t *testing.T, h http.Handler, bot Bot) string {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader("grant_type=client_credentials"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth(url.QueryEscape(bot.ClientID), url.QueryEscape(bot.ClientSecret))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	var tr TokenResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &tr); err != nil || tr.AccessToken == "" {
		t.Fatalf("token: %d %s", rec.Code, rec.Body.String())
	}
	return tr.AccessToken
}

// FuzzQueryGet checks queryGet against url.ParseQuery.
func FuzzQueryGet(f *testing.F) {
	for _, q := range []string{"username=alice%40acme.example", "a=1&username=x&username=y", "user%6eame=z", "username=a;b&username=c",
		"username=%zz&username=ok", "username", "=&&username=+a+", "%zz=1&username=2", "username=a%2", ""} {
		f.Add(q, "username")
	}
	f.Add("a+b=1", "a b")
	f.Fuzz(func(t *testing.T, raw, key string) {
		want, _ := url.ParseQuery(raw)
		if got := queryGet(raw, key); got != want.Get(key) {
			t.Errorf("queryGet(%q, %q) = %q, want %q", raw, key, got, want.Get(key))
		}
	})
}

// New turns TCP keep-alive probes off only for loopback addresses: a remote
// peer behind WithAddr can still vanish unnoticed.
func TestIsLoopbackAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:0":    true,
		"127.8.9.10:80":  true,
		"[::1]:0":        true,
		"localhost:8080": true,
		"0.0.0.0:0":      false,
		":8080":          false,
		"[::]:0":         false,
		"192.0.2.1:0":    false,
		"example.com:80": false,
		"127.0.0.1":      false, // no port: net.Listen rejects it anyway
	} {
		if got := isLoopbackAddr(addr); got != want {
			t.Errorf("isLoopbackAddr(%q) = %v, want %v", addr, got, want)
		}
	}
}

// FuzzQueryUnescape holds queryUnescape to url.QueryUnescape.
func FuzzQueryUnescape(f *testing.F) {
	for _, s := range []string{"", "client_credentials", "a+b", "a%20b", "%zz", "%", "7bcee21a-3f7e-4338", "x%2", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, wantErr := url.QueryUnescape(s)
		got, err := queryUnescape(s)
		if got != want || (err == nil) != (wantErr == nil) {
			t.Errorf("queryUnescape(%q) = %q, %v; want %q, %v", s, got, err, want, wantErr)
		}
	})
}

// Reply tokens are swept like access tokens, but an expired one is kept
// for another TTL, so it still answers reply_token_expired for a while.
func TestSweepReplyTokens(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const ttl = time.Minute
	st := newState()
	n := 0
	add := func(expires time.Time) string {
		tok := fmt.Sprintf("tok%05d", n)
		n++
		st.sweepReplyTokens(now, ttl)
		st.replyTokens[tok] = &replyToken{botID: "bot", gid: "g", expires: expires}
		return tok
	}
	old := add(now.Add(-ttl - time.Second)) // expired for longer than the grace
	recent := add(now.Add(-time.Second))    // expired, within the grace
	for len(st.replyTokens) < minSweep {
		add(now.Add(ttl))
	}
	live := add(now.Add(ttl)) // this add sweeps first
	if _, ok := st.replyTokens[old]; ok {
		t.Error("a token expired for longer than its TTL survived the sweep")
	}
	for _, tok := range []string{recent, live} {
		if _, ok := st.replyTokens[tok]; !ok {
			t.Errorf("token %s was swept", tok)
		}
	}
	if got, want := len(st.replyTokens), minSweep; got != want {
		t.Errorf("%d tokens after the sweep, want %d", got, want)
	}
	if st.replySweep != 2*(minSweep-1) {
		t.Errorf("next sweep at %d tokens, want twice the swept table (%d)", st.replySweep, 2*(minSweep-1))
	}
	// Hours of events with the clock moving: the table stays bounded.
	for i := range 20 * minSweep {
		if i%minSweep == 0 {
			now = now.Add(ttl)
		}
		add(now.Add(ttl))
	}
	if got := len(st.replyTokens); got > 8*minSweep {
		t.Errorf("%d reply tokens kept after %d events over 20 TTLs", got, 20*minSweep)
	}
}
