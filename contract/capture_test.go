package contract

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A capture packs its method, URL and headers into one byte slice; they
// come back whole, nil and empty values apart.
func TestPacked(t *testing.T) {
	t.Parallel()
	headers := []http.Header{
		nil,
		{},
		{"Content-Type": {"application/json"}},
		{"Accept": {"a", "b", "c"}, "X-One": {""}, "Authorization": {"Bearer x"}},
		{"X-Empty": {}, "X-Other": {"v"}},
		{"X-Nil": nil, "X-Long": {strings.Repeat("v", 300)}},
	}
	urls := []string{
		"/bot/v1/users?username=alice@acme.example",
		"/bot/v1/users?",
		"/a%2Fb/c d",
		"",
		"http://user:pw@example.com:8080/p?q=1#f",
		"mailto:bot@example.com",
	}
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if raw == "/bot/v1/users?" {
			u.ForceQuery = true
		}
		for _, h1 := range headers {
			for _, h2 := range headers {
				b := appendPacked([]byte("junk"), "POST", u, h1, h2)
				method, gotURL, g1, g2 := unpack(b[len("junk"):])
				if method != "POST" || gotURL != recordedURL(u) {
					t.Errorf("%q: method %q, URL %q; want POST, %q", raw, method, gotURL, recordedURL(u))
				}
				for _, c := range []struct{ want, got http.Header }{{h1, g1}, {h2, g2}} {
					if diff := cmp.Diff(c.want, c.got); diff != "" {
						t.Errorf("%v with %v: (-want +got):\n%s", h1, h2, diff)
					}
					if (c.want == nil) != (c.got == nil) {
						t.Errorf("%v: nil-ness changed: %v", c.want, c.got)
					}
					for k, vs := range c.want {
						if (vs == nil) != (c.got[k] == nil) {
							t.Errorf("%v: values of %q: nil-ness changed", c.want, k)
						}
					}
				}
			}
		}
	}
}

// FuzzPacked: whatever the header holds, it comes back as it went in, and
// unpacking bytes cut anywhere never panics.
func FuzzPacked(f *testing.F) {
	f.Add("Content-Type", "application/json", "X-A", "", "/p?q", 3)
	f.Add("", "", "\x00", "\xff\xfe", "http://h/x", 0)
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, rawURL string, cut int) {
		u, err := url.Parse(rawURL)
		if err != nil {
			u = &url.URL{Path: rawURL}
		}
		h1 := http.Header{k1: {v1, v2}}
		h2 := http.Header{k2: {v2}, k1: nil}
		b := appendPacked(nil, v1, u, h1, h2)
		method, gotURL, g1, g2 := unpack(b)
		if method != v1 || gotURL != recordedURL(u) {
			t.Errorf("method %q, URL %q; want %q, %q", method, gotURL, v1, recordedURL(u))
		}
		if diff := cmp.Diff(h1, g1); diff != "" {
			t.Errorf("first header (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(h2, g2); diff != "" {
			t.Errorf("second header (-want +got):\n%s", diff)
		}
		unpack(b[:uint(cut)%uint(len(b)+1)])
	})
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

// With the contract off, a recorder needs no contract at all.
func TestCaptureWithoutContract(t *testing.T) {
	t.Parallel()
	var c *Contract
	var cp *Capture
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	r := httptest.NewRequest("GET", "/bot/v1/users?username=a", nil)
	c.WrapCapture(next, ModeOff, func(x *Capture) { cp = x }).ServeHTTP(httptest.NewRecorder(), r)
	if cp == nil {
		t.Fatal("nothing recorded")
	}
	if e := cp.Exchange(); e.Method != "GET" || e.URL != "/bot/v1/users?username=a" || e.Status != http.StatusTeapot || e.Operation != "" {
		t.Errorf("recorded %s %s %d (operation %q); want GET /bot/v1/users?username=a 418, no operation", e.Method, e.URL, e.Status, e.Operation)
	}
}
