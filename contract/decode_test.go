package contract

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecodeJSON holds decodeJSON (the fast decoder, then encoding/json for
// the error texts) to encoding/json: the same bodies are accepted, into the
// same values, and refused with the same message.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"gid":"5de48f02707e9f529a9c03f8","messages":[{"type":"text","text":"hi"}]}`,
		`{"a":1,"a":2.5e3,"b":[true,false,null],"c":{"d":"\ud800\u00e9\xff"}}`,
		`1e999`, `-0`, `{} x`, `[`, ``, `  `, `"\u0000"`, `{"a":1,}`, `123456789012345678901234567890`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, gotErr := decodeJSON(raw)
		var want any
		wantErr := json.Unmarshal(raw, &want)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q: decodeJSON error %v, encoding/json error %v", raw, gotErr, wantErr)
		}
		if gotErr != nil {
			if wantErr.Error() != "unexpected end of JSON input" && gotErr.Error() != wantErr.Error() {
				t.Fatalf("%q: message %q, encoding/json says %q", raw, gotErr, wantErr)
			}
			return
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%q decoded differently (-encoding/json +decodeJSON):\n%s", raw, diff)
		}
	})
}

func TestDecodeJSONEndsEarly(t *testing.T) {
	t.Parallel()
	_, err := decodeJSON([]byte(`{"a":`))
	if want := errors.New("the JSON ends too early"); err == nil || err.Error() != want.Error() {
		t.Errorf("got %v, want %v", err, want)
	}
}
