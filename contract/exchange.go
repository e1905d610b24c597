package contract

import (
	"encoding/base64"
	"encoding/binary"
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
//
// A journal keeps many Captures, and every pointer in them is work for
// every garbage collection: the method, URL and headers are packed into
// one byte slice (which the collector does not scan), and the bodies are
// kept as the byte slices they were read into.
type Capture struct {
	// Operation is the operationId ("" when no documented operation matched).
	Operation string
	// Status is the response status.
	Status int
	// Violations found in the request and the response.
	Violations []Violation

	start                       int64 // Unix nanoseconds
	duration                    time.Duration
	packed                      []byte // see appendPacked
	reqBody, respBody           []byte // at most MaxBodyBytes each
	reqTruncated, respTruncated bool
}

// Exchange builds the recorded exchange: headers redacted, bodies encoded.
func (c *Capture) Exchange() Exchange {
	method, u, reqHeader, respHeader := unpack(c.packed)
	e := Exchange{Kind: KindAPI, Time: time.Unix(0, c.start).UTC(), Operation: c.Operation, Method: method,
		URL: u, Status: c.Status, DurationMs: float64(c.duration.Microseconds()) / 1000,
		RequestHeaders: Redact(reqHeader), ResponseHeaders: Redact(respHeader), Violations: c.Violations}
	var t bool
	e.RequestBody, e.RequestBodyEncoding, t = encodeBody(c.reqBody)
	e.RequestTruncated = t || c.reqTruncated
	e.ResponseBody, e.ResponseBodyEncoding, t = encodeBody(c.respBody)
	e.ResponseTruncated = t || c.respTruncated
	return e
}

// appendPacked appends an exchange's method, URL (as [Exchange.URL] records
// it: path and query, or the whole URL when it is absolute) and request
// and response headers to b, in a form unpack reads back: each string as
// its uvarint length and its bytes; each header as 0 when nil, else its
// number of keys plus one, then per key the key, 0 for nil values or
// their number plus one, and the values. It reads each header map once
// and allocates nothing but b's growth.
func appendPacked(b []byte, method string, u *url.URL, h1, h2 http.Header) []byte {
	b = appendPackedString(b, method)
	b = appendURL(b, u)
	b = appendPackedHeader(b, h1)
	return appendPackedHeader(b, h2)
}

// appendURL appends u as Exchange.URL records it, as a packed string.
func appendURL(b []byte, u *url.URL) []byte {
	if u.IsAbs() || u.Opaque != "" {
		return appendPackedString(b, recordedURL(u))
	}
	// u.RequestURI(), without building the string.
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	n := len(p)
	q := u.ForceQuery || u.RawQuery != ""
	if q {
		n += 1 + len(u.RawQuery)
	}
	b = binary.AppendUvarint(b, uint64(n))
	b = append(b, p...)
	if q {
		b = append(b, '?')
		b = append(b, u.RawQuery...)
	}
	return b
}

// recordedURL is the URL an Exchange records for u.
func recordedURL(u *url.URL) string {
	if u.IsAbs() {
		return u.String()
	}
	return u.RequestURI()
}

func appendPackedString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendPackedHeader(b []byte, h http.Header) []byte {
	if h == nil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(h))+1)
	for k, vs := range h {
		b = appendPackedString(b, k)
		if vs == nil {
			b = append(b, 0) // nil and empty values differ (http.Header.Clone keeps nil)
			continue
		}
		b = binary.AppendUvarint(b, uint64(len(vs))+1)
		for _, v := range vs {
			b = appendPackedString(b, v)
		}
	}
	return b
}

// unpack reads what appendPacked wrote. The headers are new maps, their
// strings copies: the packed bytes stay as they are.
func unpack(b []byte) (method, u string, h1, h2 http.Header) {
	r := packedReader{b: b}
	method, u = r.string(), r.string()
	return method, u, r.header(), r.header()
}

// packedReader reads packed bytes. The bytes come from appendPacked in
// this process, so they are well formed; a short read yields zero values
// rather than a panic all the same.
type packedReader struct {
	b []byte
}

func (r *packedReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.b = nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *packedReader) string() string {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.b = nil
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *packedReader) header() http.Header {
	n := r.uvarint()
	if n == 0 {
		return nil
	}
	n--
	h := make(http.Header, min(n, uint64(len(r.b))))
	for range n {
		if len(r.b) == 0 {
			break
		}
		k := r.string()
		nv := r.uvarint()
		if nv == 0 {
			h[k] = nil
			continue
		}
		nv--
		vs := make([]string, 0, min(nv, uint64(len(r.b))))
		for range nv {
			if len(r.b) == 0 {
				break
			}
			vs = append(vs, r.string())
		}
		h[k] = vs
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
