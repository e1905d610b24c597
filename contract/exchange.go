package contract

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// MaxBodyBytes is how much of each body an [Exchange] keeps. A longer body is
// cut and marked truncated; offline checks then keep its recorded
// violations instead of validating a partial body.
const MaxBodyBytes = 256 << 10

// Kinds of [Exchange].
const (
	KindAPI     = "api"     // a client's call to the Eko API
	KindWebhook = "webhook" // a webhook delivery to a bot and its answer
)

// Exchange is one recorded request and its response, with the contract
// violations found in either. Authorization headers are redacted.
type Exchange struct {
	// Kind is "api" (default when empty) or "webhook".
	Kind string `json:"kind,omitempty"`
	// Time is when the request started.
	Time time.Time `json:"time"`
	// Operation is the operationId ("webhook" for deliveries, "" when no
	// documented operation matched).
	Operation string `json:"operation"`
	// Method and URL of the request; URL is as the server saw it (path and query).
	Method string `json:"method"`
	URL    string `json:"url"`
	// Status is the response status (0 when there was no response).
	Status int `json:"status"`
	// DurationMs is how long the exchange took.
	DurationMs float64 `json:"durationMs"`
	// RequestHeaders and ResponseHeaders, Authorization redacted.
	RequestHeaders  http.Header `json:"requestHeaders,omitempty"`
	ResponseHeaders http.Header `json:"responseHeaders,omitempty"`
	// RequestBody and ResponseBody hold the bodies (up to MaxBodyBytes) as
	// text, or as standard base64 when the matching *Encoding is "base64".
	RequestBody          string `json:"requestBody,omitempty"`
	RequestBodyEncoding  string `json:"requestBodyEncoding,omitempty"`
	RequestTruncated     bool   `json:"requestTruncated,omitempty"`
	ResponseBody         string `json:"responseBody,omitempty"`
	ResponseBodyEncoding string `json:"responseBodyEncoding,omitempty"`
	ResponseTruncated    bool   `json:"responseTruncated,omitempty"`
	// Error is a transport error (no response), if any.
	Error string `json:"error,omitempty"`
	// Violations found in the request and the response.
	Violations []Violation `json:"violations"`
}

// NewExchange records a request and its response. Bodies are copied (up to
// MaxBodyBytes) and Authorization headers redacted; Violations is left for
// the caller.
func NewExchange(r *http.Request, reqBody []byte, status int, respHeader http.Header, respBody []byte) Exchange {
	e := Exchange{Kind: KindAPI, Time: time.Now().UTC(), Method: r.Method, URL: r.URL.RequestURI(), Status: status,
		RequestHeaders: Redact(r.Header), ResponseHeaders: Redact(respHeader)}
	if r.URL.IsAbs() {
		e.URL = r.URL.String()
	}
	e.RequestBody, e.RequestBodyEncoding, e.RequestTruncated = encodeBody(reqBody)
	e.ResponseBody, e.ResponseBodyEncoding, e.ResponseTruncated = encodeBody(respBody)
	return e
}

// Capture is one exchange as [Contract.WrapCapture] saw it: the request and
// the response as they went by, and what the contract made of them. It
// holds them as captured; [Capture.Exchange] builds the recorded
// [Exchange] on demand. A Capture is not modified after it is recorded and
// is safe to read from several goroutines.
type Capture struct {
	// Operation is the operationId ("" when no documented operation matched).
	Operation string
	// Status is the response status.
	Status int
	// Violations found in the request and the response.
	Violations []Violation

	start                       time.Time
	duration                    time.Duration
	method                      string
	url                         url.URL
	reqHeader, respHeader       flatHeader // copies, not redacted
	reqBody, respBody           []byte     // at most MaxBodyBytes each
	reqTruncated, respTruncated bool
}

// Exchange builds the recorded exchange: headers redacted, bodies encoded.
func (c *Capture) Exchange() Exchange {
	e := Exchange{Kind: KindAPI, Time: c.start.UTC(), Operation: c.Operation, Method: c.method,
		URL: c.url.RequestURI(), Status: c.Status, DurationMs: float64(c.duration.Microseconds()) / 1000,
		RequestHeaders: Redact(c.reqHeader.header()), ResponseHeaders: Redact(c.respHeader.header()), Violations: c.Violations}
	if c.url.IsAbs() {
		e.URL = c.url.String()
	}
	var t bool
	e.RequestBody, e.RequestBodyEncoding, t = encodeBody(c.reqBody)
	e.RequestTruncated = t || c.reqTruncated
	e.ResponseBody, e.ResponseBodyEncoding, t = encodeBody(c.respBody)
	e.ResponseTruncated = t || c.respTruncated
	return e
}

// flatHeader is a copy of an http.Header in one allocation: its keys and
// values in pairs (a key with several values comes once per value). A map
// clone costs several allocations, on every request; the map is rebuilt
// only when the exchange is read. A header with a key without values, which
// the pairs cannot hold, is kept as a clone.
type flatHeader struct {
	pairs []string
	clone http.Header // when pairs cannot hold the header; nil otherwise
	isNil bool
}

func flattenHeader(h http.Header) flatHeader {
	a, _ := flattenHeaders(h, nil)
	return a
}

// flattenHeaders flattens two headers into one allocation (more only when
// a key has several values), reading each map once.
func flattenHeaders(h1, h2 http.Header) (flatHeader, flatHeader) {
	pairs := make([]string, 0, 2*(len(h1)+len(h2)))
	pairs, ok1 := appendPairs(pairs, h1)
	n1 := len(pairs)
	pairs, ok2 := appendPairs(pairs, h2)
	return flatOf(h1, ok1, pairs[:n1:n1]), flatOf(h2, ok2, pairs[n1:])
}

// appendPairs appends h's keys and values in pairs; ok is false, and
// nothing appended, when h has a key without values.
func appendPairs(pairs []string, h http.Header) (_ []string, ok bool) {
	start := len(pairs)
	for k, vs := range h {
		if len(vs) == 0 {
			return pairs[:start], false
		}
		for _, v := range vs {
			pairs = append(pairs, k, v)
		}
	}
	return pairs, true
}

// flatOf is h flattened into pairs (appendPairs' ok).
func flatOf(h http.Header, ok bool, pairs []string) flatHeader {
	switch {
	case h == nil:
		return flatHeader{isNil: true}
	case !ok:
		return flatHeader{clone: h.Clone()}
	}
	return flatHeader{pairs: pairs}
}

// header rebuilds the header (a new map each call).
func (f flatHeader) header() http.Header {
	switch {
	case f.isNil:
		return nil
	case f.clone != nil:
		return f.clone.Clone()
	}
	h := make(http.Header, len(f.pairs)/2)
	for i := 0; i < len(f.pairs); i += 2 {
		h[f.pairs[i]] = append(h[f.pairs[i]], f.pairs[i+1])
	}
	return h
}

// RequestBytes decodes the recorded request body.
func (e Exchange) RequestBytes() []byte { return decodeBody(e.RequestBody, e.RequestBodyEncoding) }

// ResponseBytes decodes the recorded response body.
func (e Exchange) ResponseBytes() []byte { return decodeBody(e.ResponseBody, e.ResponseBodyEncoding) }

func encodeBody(b []byte) (text, encoding string, truncated bool) {
	if len(b) > MaxBodyBytes {
		b, truncated = b[:MaxBodyBytes], true
	}
	if utf8.Valid(b) {
		return string(b), "", truncated
	}
	return base64.StdEncoding.EncodeToString(b), "base64", truncated
}

func decodeBody(s, enc string) []byte {
	if enc == "base64" {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil
		}
		return b
	}
	return []byte(s)
}

// Redact returns a copy of h with credential headers (Authorization,
// Proxy-Authorization, Cookie) reduced to their scheme, for example
// "Bearer [redacted]".
func Redact(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := h.Clone()
	for _, k := range []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"} {
		vs, ok := out[k]
		if !ok {
			continue
		}
		red := make([]string, len(vs))
		for i, v := range vs {
			if scheme, _, ok := strings.Cut(v, " "); ok && k != "Cookie" && k != "Set-Cookie" {
				red[i] = scheme + " [redacted]"
			} else {
				red[i] = "[redacted]"
			}
		}
		out[k] = red
	}
	return out
}

// excerpt cuts a body for reports.
func excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Recorder collects exchanges; its Record method fits every record callback
// in this package. It is safe for concurrent use; the zero value is ready.
type Recorder struct {
	mu sync.Mutex
	ex []Exchange
}

// Record appends one exchange.
func (r *Recorder) Record(e Exchange) {
	r.mu.Lock()
	r.ex = append(r.ex, e)
	r.mu.Unlock()
}

// Exchanges returns a copy of everything recorded, oldest first.
func (r *Recorder) Exchanges() []Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Exchange, len(r.ex))
	copy(out, r.ex)
	return out
}

// Reset forgets everything recorded.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.ex = nil
	r.mu.Unlock()
}
