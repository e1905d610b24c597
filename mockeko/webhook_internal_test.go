package mockeko

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// The dispatcher's signer reuses its HMAC; whatever the order of secrets
// and bodies, it must give what Sign gives.
func TestSignerMatchesSign(t *testing.T) {
	var s signer
	for _, c := range []struct{ secret, body string }{
		{"a", `{"events":[]}`},
		{"a", `{"events":[{"type":"join"}]}`}, // same secret: the HMAC is reset, not rebuilt
		{"b", `{"events":[]}`},
		{"", ""},
		{"a", `{"events":[]}`},
	} {
		if got, want := s.sign(c.secret, []byte(c.body)), Sign(c.secret, []byte(c.body)); got != want {
			t.Errorf("sign(%q, %q) = %q, want %q", c.secret, c.body, got, want)
		}
	}
}

// A bot's answer is read whole up to maxResponseRead, whether or not it
// says how long it is.
func TestReadAnswer(t *testing.T) {
	long := strings.Repeat("x", maxResponseRead+10)
	tests := []struct {
		name   string
		body   string
		length int64 // Content-Length; -1 unknown
		want   string
	}{
		{"empty", "", 0, ""},
		{"sized", `{"ok":true}`, 11, `{"ok":true}`},
		{"unsized", `{"ok":true}`, -1, `{"ok":true}`},
		{"unsized, longer than the first buffer", strings.Repeat("y", 2000), -1, strings.Repeat("y", 2000)},
		{"sized, over the limit", long, int64(len(long)), long[:maxResponseRead]},
		{"unsized, over the limit", long, -1, long[:maxResponseRead]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{ContentLength: tt.length, Body: io.NopCloser(iotest.HalfReader(strings.NewReader(tt.body)))}
			got, err := readAnswer(resp)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("error", func(t *testing.T) {
		resp := &http.Response{ContentLength: -1, Body: io.NopCloser(iotest.TimeoutReader(strings.NewReader("abc")))}
		got, err := readAnswer(resp)
		if err == nil || string(got) != "abc" {
			t.Errorf("readAnswer = %q, %v; want the bytes before the error and the error", got, err)
		}
	})
}

// The webhook headers are set by canonical key, so Header.Get finds them
// (an in-process handler sees this very map).
func TestWebhookHeadersCanonical(t *testing.T) {
	h := http.Header{}
	setWebhookHeaders(h, &delivery{Delivery: Delivery{Signature: "c2ln"}})
	want := map[string]string{"Content-Type": webhookContentType, "User-Agent": webhookUserAgent, "Accept": webhookAccept, "X-Eko-Signature": "c2ln"}
	got := map[string]string{}
	for k := range want {
		got[k] = h.Get(k)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	if len(h) != len(want) {
		t.Errorf("%d headers, want %d: %v", len(h), len(want), h)
	}
}

// A webhook body is marshalled whole; it must be exactly the event in
// the envelope, so eventOf finds the event in it.
func TestMarshalBody(t *testing.T) {
	var join whJoin
	join.ReplyToken, join.Type, join.Timestamp = "rt", EventTypeJoin, 1700000000000
	join.Source.Type, join.Source.UID = GroupTypeDirect, "u1"
	msg := whMessage{ReplyToken: "rt", Type: EventTypeMessage, Source: whSource{Type: "user", UserID: "u1", Profile: map[string]string{}},
		Message: whMessageBody{ID: "m1", Type: "text", Text: `<b>"hi"</b> & é`}, Timestamp: "2018-10-19T03:46:07.866Z"}
	for name, ev := range map[string]any{"join": join, "message": msg} {
		t.Run(name, func(t *testing.T) {
			var body []byte
			var err error
			switch e := ev.(type) {
			case whJoin:
				body, err = marshalBody(e)
			case whMessage:
				body, err = marshalBody(e)
			}
			if err != nil {
				t.Fatal(err)
			}
			event, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(bodyPrefix+string(event)+`]}`, string(body)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(string(event), string(eventOf(body))); diff != "" {
				t.Errorf("eventOf (-want +got):\n%s", diff)
			}
		})
	}
}
