package mockeko

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
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

// sweepTokens forgets expired tokens, but with many live tokens it does not
// rescan the table on every issue: only when it has doubled.
func TestSweepTokensAmortised(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st := newState()
	for i := range minSweep {
		st.tokens[fmt.Sprint("old", i)] = &accessToken{expires: now.Add(-time.Second)}
	}
	st.sweepTokens(now)
	if len(st.tokens) != 0 {
		t.Fatalf("after a sweep at %d expired tokens, %d remain", minSweep, len(st.tokens))
	}

	for i := range minSweep {
		st.tokens[fmt.Sprint("live", i)] = &accessToken{expires: now.Add(time.Hour)}
	}
	st.sweepTokens(now) // all live: nothing to forget; the next sweep waits for 2×
	st.tokens["expired"] = &accessToken{expires: now.Add(-time.Second)}
	st.sweepTokens(now)
	if _, ok := st.tokens["expired"]; !ok {
		t.Fatal("swept again before the table doubled")
	}
	for i := len(st.tokens); i < 2*minSweep; i++ {
		st.tokens[fmt.Sprint("more", i)] = &accessToken{expires: now.Add(time.Hour)}
	}
	st.sweepTokens(now)
	if _, ok := st.tokens["expired"]; ok {
		t.Error("the expired token survived the sweep at twice the size")
	}
	if len(st.tokens) != 2*minSweep-1 {
		t.Errorf("%d tokens after the sweep, want the %d live ones", len(st.tokens), 2*minSweep-1)
	}
}
