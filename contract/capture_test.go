package contract

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFlatHeader(t *testing.T) {
	t.Parallel()
	headers := []http.Header{
		nil,
		{},
		{"Content-Type": {"application/json"}},
		{"Accept": {"a", "b", "c"}, "X-One": {""}, "Authorization": {"Bearer x"}},
		{"X-Empty": {}, "X-Other": {"v"}},
	}
	for _, h := range headers {
		got := flattenHeader(h).header()
		if diff := cmp.Diff(h, got); diff != "" {
			t.Errorf("%v: round trip (-want +got):\n%s", h, diff)
		}
		if (h == nil) != (got == nil) {
			t.Errorf("%v: nil-ness changed: %v", h, got)
		}
	}
	// Two headers flattened together come back apart, each whole.
	for _, h1 := range headers {
		for _, h2 := range headers {
			f1, f2 := flattenHeaders(h1, h2)
			if diff := cmp.Diff(h1, f1.header()); diff != "" {
				t.Errorf("%v with %v: first (-want +got):\n%s", h1, h2, diff)
			}
			if diff := cmp.Diff(h2, f2.header()); diff != "" {
				t.Errorf("%v with %v: second (-want +got):\n%s", h1, h2, diff)
			}
		}
	}
}

// A capture holds the request and response as they were when the exchange
// ended, whatever the caller does to them afterwards; the handler gets the
// body bytes without a copy.
func TestCaptureIsASnapshot(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	body := `{"message":"hi"}`
	var got []byte
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := r.Body.(*Body)
		if !ok {
			t.Errorf("handler got a %T body, want *contract.Body", r.Body)
			return
		}
		got = b.ReadAll()
		if rest, err := io.ReadAll(r.Body); err != nil || len(rest) != 0 {
			t.Errorf("after ReadAll: read %q, %v; want nothing", rest, err)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		buf := []byte(`{"status":"success","recipients":1}`)
		_, _ = w.Write(buf)
		copy(buf, "XXXXXXXX") // a writer may reuse its buffer after Write
	})
	var caps []*Capture
	h := c.WrapCapture(next, ModeStrict, func(cp *Capture) { caps = append(caps, cp) })
	r := httptest.NewRequest("POST", "/bot/v1/notify/text?x=1", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if string(got) != body {
		t.Fatalf("handler read %q, want %q", got, body)
	}
	if len(caps) != 1 {
		t.Fatalf("%d captures, want 1", len(caps))
	}
	r.Header.Set("Authorization", "Bearer changed")
	r.URL.Path = "/changed"
	w.Header().Set("Content-Type", "text/plain")
	e := caps[0].Exchange()
	want := Exchange{Kind: KindAPI, Time: e.Time, DurationMs: e.DurationMs, Operation: "notifyText", Method: "POST",
		URL: "/bot/v1/notify/text?x=1", Status: 201,
		RequestHeaders:  http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer [redacted]"}},
		ResponseHeaders: http.Header{"Content-Type": {"application/json"}},
		RequestBody:     body, ResponseBody: `{"status":"success","recipients":1}`}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("exchange (-want +got):\n%s", diff)
	}
	if e.Time.IsZero() || e.Time.Location().String() != "UTC" {
		t.Errorf("exchange time %v, want a UTC time", e.Time)
	}
}

// Bodies beyond MaxBodyBytes are cut in the exchange; the handler still gets them whole.
func TestCaptureTruncates(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	big := bytes.Repeat([]byte("a"), MaxBodyBytes+10)
	var n int
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		n = len(b)
		_, _ = w.Write(big)
	})
	var cp *Capture
	r := httptest.NewRequest("POST", "/bot/v1/notify/text", bytes.NewReader(big))
	c.WrapCapture(next, ModeOff, func(x *Capture) { cp = x }).ServeHTTP(httptest.NewRecorder(), r)
	if n != len(big) {
		t.Fatalf("handler read %d bytes, want %d", n, len(big))
	}
	e := cp.Exchange()
	if len(e.RequestBody) != MaxBodyBytes || !e.RequestTruncated || len(e.ResponseBody) != MaxBodyBytes || !e.ResponseTruncated {
		t.Errorf("request body %d (truncated %v), response body %d (truncated %v); want %d, true each",
			len(e.RequestBody), e.RequestTruncated, len(e.ResponseBody), e.ResponseTruncated, MaxBodyBytes)
	}
}
