package mockeko

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

// Only the tokens mockeko issues parse: 40 lowercase hex characters. An
// upper-cased or otherwise altered copy of a real token is unknown, as it
// was when the table was keyed by the token string.
func TestParseTokenKey(t *testing.T) {
	k, tok := newAccessToken()
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"issued", tok, true},
		{"upper case", strings.ToUpper(tok), tok == strings.ToUpper(tok)},
		{"short", tok[:39], false},
		{"long", tok + "0", false},
		{"empty", "", false},
		{"not hex", "g" + tok[1:], false},
		{"space", " " + tok[1:], false},
		{"multibyte", "é" + tok[2:], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseTokenKey(tt.in)
			if ok != tt.ok {
				t.Fatalf("parseTokenKey(%q) ok = %v, want %v", tt.in, ok, tt.ok)
			}
			if ok && got != k {
				t.Errorf("parseTokenKey(%q) = %x, want %x", tt.in, got, k)
			}
		})
	}
}

// FuzzParseTokenKey checks the decoder against encoding/hex on lowercase input.
func FuzzParseTokenKey(f *testing.F) {
	_, tok := newAccessToken()
	f.Add(tok)
	f.Add(strings.ToUpper(tok))
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		k, ok := parseTokenKey(s)
		want, err := hex.DecodeString(s)
		wantOK := err == nil && len(want) == len(k) && s == strings.ToLower(s)
		if ok != wantOK {
			t.Fatalf("parseTokenKey(%q) ok = %v, want %v", s, ok, wantOK)
		}
		if ok && string(k[:]) != string(want) {
			t.Fatalf("parseTokenKey(%q) = %x, want %x", s, k, want)
		}
	})
}

func TestScopeList(t *testing.T) {
	tests := []struct {
		requested string
		allowed   []string
		want      string
		has       map[string]bool
	}{
		{"", []string{"bot"}, "bot", map[string]bool{"bot": true, "workflow": false}},
		{"workflow bot", []string{"bot", "workflow"}, "workflow bot", map[string]bool{"bot": true, "workflow": true, "library": false}},
		{"library library  workflow bot library", []string{"bot", "workflow", "library"}, "library workflow bot", map[string]bool{"bot": true, "library": true, "": false, "x": false}},
		{"workflow", []string{"bot", "workflow"}, "workflow", map[string]bool{"bot": false, "workflow": true}},
	}
	for _, tt := range tests {
		l, err := grantScopes(tt.requested, tt.allowed)
		if err != nil {
			t.Fatalf("grantScopes(%q): %v", tt.requested, err)
		}
		if got := l.String(); got != tt.want {
			t.Errorf("grantScopes(%q) = %q, want %q", tt.requested, got, tt.want)
		}
		for sc, want := range tt.has {
			if got := l.has(sc); got != want {
				t.Errorf("grantScopes(%q).has(%q) = %v, want %v", tt.requested, sc, got, want)
			}
		}
	}
}

// A token expires at its expiry to the nanosecond, at any Server time.
func TestAccessTokenExpiry(t *testing.T) {
	exp := time.Date(2026, 3, 1, 12, 0, 0, 500, time.UTC)
	tt := newTokenTable()
	k, tok := newAccessToken()
	tt.add(k, "b1", scopeList{1}, exp)
	got, bot, ok := tt.lookup(tok)
	if !ok || bot != "b1" {
		t.Fatalf("lookup = %v, %q, want the token of b1", ok, bot)
	}
	if !got.expires().Equal(exp) {
		t.Errorf("expires = %v, want %v", got.expires(), exp)
	}
	for _, c := range []struct {
		now     time.Time
		expired bool
	}{
		{exp.Add(-time.Nanosecond), false},
		{exp, true},
		{exp.Add(time.Nanosecond), true},
		{exp.Add(-time.Second), false},
		{time.Date(2026, 3, 1, 11, 59, 59, 999999999, time.UTC), false},
		{exp.Add(time.Second), true},
	} {
		if got := got.expiredAt(c.now); got != c.expired {
			t.Errorf("expiredAt(%v) = %v, want %v", c.now, got, c.expired)
		}
	}
	if n := tt.revoke("other"); n != 0 {
		t.Errorf("revoke(other) = %d, want 0", n)
	}
	if n := tt.revoke("b1"); n != 1 {
		t.Errorf("revoke(b1) = %d, want 1", n)
	}
	if _, _, ok := tt.lookup(tok); ok {
		t.Error("revoked token still found")
	}
}
