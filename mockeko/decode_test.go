package mockeko

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/google/go-cmp/cmp"
)

// decodeTargets are the shapes handlers decode request bodies into.
func decodeTargets() []func() any {
	return []func() any{
		func() any {
			return &struct {
				GID     string       `json:"gid"`
				TID     string       `json:"tid"`
				Message *textMessage `json:"message"`
			}{}
		},
		func() any {
			return &struct {
				GID      string            `json:"gid"`
				TID      string            `json:"tid"`
				Messages []json.RawMessage `json:"messages"`
			}{}
		},
		func() any { return &quickReplyRequest{} },
		func() any { return &map[string]json.RawMessage{} },
		func() any { var v any; return &v },
	}
}

// FuzzDecodeJSON holds decodeJSON (the fast decoder, then encoding/json for
// the error texts) to encoding/json itself: the same bodies are accepted,
// into the same values, and refused with the same message.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"gid":"5de48f02707e9f529a9c03f8","message":{"type":"text","data":"hi"}}`,
		`{"GID":"a","Message":{"TYPE":"text","Data":"x"}}`,
		`{"gid":"a","gid":"b","message":{"type":"text"},"message":{"data":"x"}}`,
		`{"gid":"\ud800\u00e9\xff","message":null}`,
		`{"gid":5}`, `{"messages":[1,{"a":[]}, "x"]}`, `{"messages":{}}`, `[]`, `null`, `"x"`, `{} x`, `{"a":1e999}`,
		`{"replyToken":"r","message":{"type":"text","data":"d","quickReply":{"items":[]}}}`,
		"{\"gid\":\"a\u212a\"}", `{"gıd":"a"}`, `{"ſid":"x"}`, ` {"gid" : "x" } `, `{"gid":"x",}`, `{"gid":"\u0000"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, target := range decodeTargets() {
			got, want := target(), target()
			gotErr := decodeJSON(raw, got)
			wantErr := errors.New("empty body")
			if len(bytes.TrimSpace(raw)) > 0 {
				wantErr = json.Unmarshal(raw, want)
			}
			if (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("%T: %q: decodeJSON error %v, encoding/json error %v", got, raw, gotErr, wantErr)
			}
			if gotErr != nil {
				if again := decodeJSON(raw, target()); again.Error() != gotErr.Error() {
					t.Fatalf("%q: unstable message %q vs %q", raw, gotErr, again)
				}
				continue
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%T: %q decoded differently (-encoding/json +decodeJSON):\n%s", got, raw, diff)
			}
		}
	})
}

// decodeJSON's messages are encoding/json's, not the fast decoder's.
func TestDecodeJSONMessages(t *testing.T) {
	t.Parallel()
	tests := []struct{ body, want string }{
		{`{"gid":5}`, "gid must be a string, got number"},
		{`{"gid":"a"`, "malformed JSON at byte 10: unexpected end of JSON input"},
		{`{"gid":"a",}`, "malformed JSON at byte 12: invalid character '}' looking for beginning of object key string"},
		{`[]`, "body must be a JSON object, got array"},
		{`  `, "empty body: send a JSON object"},
	}
	for _, tt := range tests {
		var req struct {
			GID string `json:"gid"`
		}
		var e *Error
		if err := decodeJSON([]byte(tt.body), &req); !errors.As(err, &e) {
			t.Fatalf("%s: error %v, want an *Error", tt.body, err)
		}
		if e.Status != 400 || e.Msg != tt.want {
			t.Errorf("%s: got %d %q, want 400 %q", tt.body, e.Status, e.Msg, tt.want)
		}
	}
}

// BenchmarkDecodeJSON1KB decodes a BotV1 push body with 950 bytes of text:
// decodeJSON (github.com/segmentio/encoding/json), go-json-experiment's
// jsonv1.Unmarshal (which decodeJSON used before; encoding/json's semantics
// too) and encoding/json.
func BenchmarkDecodeJSON1KB(b *testing.B) {
	body := []byte(`{"gid":"5ae99669299892c81ec1d7fa","message":{"type":"text","data":"` + strings.Repeat("x", 950) + `"}}`)
	type push struct {
		GID     string       `json:"gid"`
		TID     string       `json:"tid"`
		Message *textMessage `json:"message"`
	}
	for _, bc := range []struct {
		name   string
		decode func([]byte, any) error
	}{
		{"decodeJSON", decodeJSON},
		{"jsonv1", jsonv1.Unmarshal},
		{"encoding-json", json.Unmarshal},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var p push
				if err := bc.decode(body, &p); err != nil || len(p.Message.Data) != 950 {
					b.Fatal(err)
				}
			}
		})
	}
}
