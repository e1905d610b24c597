package contract

import (
	"bytes"
	"io"
	"net/http"
	"time"
)

// Transport returns an http.RoundTripper that validates a bot's outgoing
// calls: each request and its response are checked against the contract and
// the exchange goes to record (which may be nil). It never changes the
// traffic: an invalid request is still sent, so it works against mockeko in
// any mode and against a real tenant. base nil means http.DefaultTransport.
// Calls outside the documented surface are recorded with a "no documented
// operation" violation; control-plane calls (/_mockeko/) are not recorded.
func (c *Contract) Transport(base http.RoundTripper, record func(Exchange)) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{c: c, base: base, record: record}
}

type transport struct {
	c      *Contract
	base   http.RoundTripper
	record func(Exchange)
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if isControl(req.URL.Path) {
		return t.base.RoundTrip(req)
	}
	start := time.Now()
	var body []byte
	out := req
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
		out = req.Clone(req.Context())
		out.Body = io.NopCloser(bytes.NewReader(b))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		out.ContentLength = int64(len(b))
	}
	op, vs := t.c.ValidateRequest(out, body)
	resp, err := t.base.RoundTrip(out)
	e := NewExchange(out, body, 0, nil, nil)
	e.Time = start.UTC()
	e.Operation = op
	if err != nil {
		e.Error = err.Error()
		e.DurationMs = float64(time.Since(start).Microseconds()) / 1000
		e.Violations = vs
		if t.record != nil {
			t.record(e)
		}
		return nil, err
	}
	rb, rerr := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	if rerr != nil {
		e.Error = "reading the response: " + rerr.Error()
	} else if op != "" {
		vs = append(vs, t.c.ValidateResponse(op, resp.StatusCode, resp.Header, rb)...)
	}
	e.Status = resp.StatusCode
	e.ResponseHeaders = Redact(resp.Header)
	e.ResponseBody, e.ResponseBodyEncoding, e.ResponseTruncated = encodeBody(rb)
	e.DurationMs = float64(time.Since(start).Microseconds()) / 1000
	e.Violations = vs
	if t.record != nil {
		t.record(e)
	}
	if rerr != nil {
		return nil, rerr
	}
	return resp, nil
}
