package mockeko

import (
	crand "crypto/rand"
	"encoding/hex"
	"strings"
	"time"
)

// tokenKey is an access token's random bytes, the key of the token table.
// The token a bot holds is their lowercase hex encoding.
type tokenKey [20]byte

// parseTokenKey decodes an access token as mockeko issues it: exactly 40
// lowercase hex characters. Anything else is no token of ours.
func parseTokenKey(s string) (k tokenKey, ok bool) {
	if len(s) != 2*len(k) {
		return k, false
	}
	for i := range k {
		hi, ok1 := lowerHex(s[2*i])
		lo, ok2 := lowerHex(s[2*i+1])
		if !ok1 || !ok2 {
			return k, false
		}
		k[i] = hi<<4 | lo
	}
	return k, true
}

// newAccessToken returns fresh random bytes from crypto/rand and the token
// a bot gets for them.
func newAccessToken() (tokenKey, string) {
	var k tokenKey
	_, _ = crand.Read(k[:])
	var h [2 * len(k)]byte // encoded on the stack: one allocation, the string
	hex.Encode(h[:], k[:])
	return k, string(h[:])
}

// scopeNames are the scopes Eko bots may be granted, by scope code (0 is
// no scope). A read-only table.
var scopeNames = [...]string{"", "bot", "workflow", "library"}

// scopeCode returns the code of a scope name, 0 for an unknown one.
func scopeCode(name string) uint8 {
	for i := 1; i < len(scopeNames); i++ {
		if scopeNames[i] == name {
			return uint8(i)
		}
	}
	return 0
}

// scopeList is the scopes of a token in the order they were granted: codes,
// 0 after the last. Every scope appears at most once, so three places hold
// any grant.
type scopeList [len(scopeNames) - 1]uint8

// has reports whether the list holds the scope.
func (l scopeList) has(name string) bool {
	c := scopeCode(name)
	for _, x := range l {
		if c != 0 && x == c {
			return true
		}
	}
	return false
}

// String is the scopes separated by spaces, as a token response gives them.
func (l scopeList) String() string {
	if l[1] == 0 { // one scope (or none): no allocation
		return scopeNames[l[0]]
	}
	var b strings.Builder
	for _, c := range l {
		if c == 0 {
			break
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(scopeNames[c])
	}
	return b.String()
}

// accessToken is an issued OAuth2 access token. It holds no pointers: the
// token table keeps one entry for every token issued in the last hour (tens
// of thousands on a sandbox under load), and a table without pointers costs
// the garbage collector nothing to scan.
type accessToken struct {
	expSec  int64  // expiry, Unix seconds of the Server's time
	expNsec int32  // and nanoseconds
	bot     uint32 // the bot's index in tokenTable.bots
	scopes  scopeList
}

// expires returns the token's expiry time.
func (t accessToken) expires() time.Time { return time.Unix(t.expSec, int64(t.expNsec)) }

// expiredAt reports whether the token is no longer valid at now.
func (t accessToken) expiredAt(now time.Time) bool {
	sec, nsec := now.Unix(), int32(now.Nanosecond())
	return t.expSec < sec || t.expSec == sec && t.expNsec <= nsec
}

// tokenTable holds the issued access tokens. It is part of state, guarded
// by Server.mu.
type tokenTable struct {
	byKey   map[tokenKey]accessToken
	bots    []string          // bot ids, by index
	botIdx  map[string]uint32 // index by bot id
	sweepAt int               // len(byKey) at which sweep next runs
}

func newTokenTable() tokenTable {
	return tokenTable{byKey: map[tokenKey]accessToken{}, botIdx: map[string]uint32{}}
}

// add records a token issued to botID.
func (tt *tokenTable) add(k tokenKey, botID string, scopes scopeList, expires time.Time) {
	i, ok := tt.botIdx[botID]
	if !ok {
		i = uint32(len(tt.bots))
		tt.bots = append(tt.bots, botID)
		tt.botIdx[botID] = i
	}
	tt.byKey[k] = accessToken{expSec: expires.Unix(), expNsec: int32(expires.Nanosecond()), bot: i, scopes: scopes}
}

// lookup returns the token with its bot's id.
func (tt *tokenTable) lookup(tok string) (accessToken, string, bool) {
	k, ok := parseTokenKey(tok)
	if !ok {
		return accessToken{}, "", false
	}
	t, ok := tt.byKey[k]
	if !ok {
		return accessToken{}, "", false
	}
	return t, tt.bots[t.bot], true
}

// revoke forgets every token of botID (of every bot when botID is empty)
// and reports how many.
func (tt *tokenTable) revoke(botID string) int {
	i, ok := tt.botIdx[botID]
	if botID != "" && !ok {
		return 0
	}
	n := 0
	for k, t := range tt.byKey {
		if botID == "" || t.bot == i {
			delete(tt.byKey, k)
			n++
		}
	}
	return n
}

// minSweep is the token count below which sweep never runs.
const minSweep = 1024

// sweep forgets expired tokens so a long-running sandbox stays bounded. It
// runs when the table has doubled since the last sweep, which keeps its
// cost O(1) per issued token however many tokens are live.
func (tt *tokenTable) sweep(now time.Time) {
	if len(tt.byKey) < max(minSweep, tt.sweepAt) {
		return
	}
	for k, t := range tt.byKey {
		if t.expiredAt(now) {
			delete(tt.byKey, k)
		}
	}
	tt.sweepAt = 2 * len(tt.byKey)
}
