package contract

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Mode is how [Contract.Wrap] treats a request that breaks the contract.
type Mode int

const (
	// ModeStrict answers an invalid request with 400 and the violations,
	// without calling the handler. It is the zero value and the default.
	ModeStrict Mode = iota
	// ModeWarn records violations but serves every request.
	ModeWarn
	// ModeOff validates nothing; exchanges are still recorded.
	ModeOff
)

// String returns "strict", "warn" or "off".
func (m Mode) String() string {
	switch m {
	case ModeStrict:
		return "strict"
	case ModeWarn:
		return "warn"
	case ModeOff:
		return "off"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode parses "strict", "warn" or "off" (case-insensitive).
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "strict":
		return ModeStrict, nil
	case "warn":
		return ModeWarn, nil
	case "off":
		return ModeOff, nil
	}
	return ModeStrict, fmt.Errorf("contract: unknown mode %q (want strict, warn or off)", s)
}

// Set parses s into m, so a *Mode is a flag.Value.
func (m *Mode) Set(s string) error {
	v, err := ParseMode(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// maxValidatedBody is the largest request body Wrap buffers to validate.
// Larger bodies pass through unvalidated, so the handler's own size limit
// (413) still applies.
const maxValidatedBody = 32 << 20

// Wrap validates the Eko API traffic of next. Requests under /_mockeko/
// pass through untouched. For every other request, the request is validated
// (in strict mode an invalid one gets a 400 error envelope listing the
// violations, unless the only problem is missing credentials, which the
// handler answers with its own 401), the response is validated as it is
// streamed through, and the exchange with all its violations goes to record
// (which may be nil).
func (c *Contract) Wrap(next http.Handler, mode Mode, record func(Exchange)) http.Handler {
	if record == nil {
		return c.WrapCapture(next, mode, nil)
	}
	return c.WrapCapture(next, mode, func(cp *Capture) { record(cp.Exchange()) })
}

// WrapCapture is [Contract.Wrap] for a recorder that keeps what it is given
// and reads little of it: record gets each exchange as a [Capture], which
// builds the [Exchange] (redacted headers, encoded bodies) only when asked.
// A journal that keeps every request then pays for that conversion when it
// is read, not on every request.
//
// The next handler gets the request body as a [*Body]: a handler that wants
// the whole body can take the bytes already read (Body.ReadAll) instead of
// reading them again.
//
// With mode ModeOff nothing is validated, and c may be nil: a recorder that
// checks nothing need not compile a contract.
func (c *Contract) WrapCapture(next http.Handler, mode Mode, record func(*Capture)) http.Handler {
	if mode == ModeOff && record == nil {
		return next
	}
	// What one exchange needs while it runs (the response writer, the
	// body handed on, a buffer to pack the capture in) is reused: the
	// capture a recorder keeps is allocated on its own, and small.
	pool := &sync.Pool{New: func() any { return new(exchangeState) }}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(cleanPath(r.URL.Path), ControlPrefix) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		body, complete, err := readUpTo(r.Body, r.ContentLength, maxValidatedBody)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request", "cannot read the request body: "+err.Error(), nil)
			return
		}
		x := pool.Get().(*exchangeState)
		x.tw = teeWriter{ResponseWriter: w, limit: MaxBodyBytes}
		if complete {
			x.body = Body{b: body}
			r.Body = &x.body
		} else {
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
		}
		var op string
		var vs []Violation
		if mode != ModeOff {
			if complete {
				op, vs = c.ValidateRequest(r, body)
			} else if id, ok := c.Operation(r.Method, r.URL.Path); ok {
				op = id
			}
		}
		tw := &x.tw
		if mode == ModeStrict && op != "" && blocking(vs) {
			writeError(tw, http.StatusBadRequest, "invalid_request", strictMessage(vs), vs)
		} else {
			next.ServeHTTP(tw, r)
		}
		if tw.status == 0 {
			tw.status = http.StatusOK
		}
		if mode != ModeOff && op != "" && !tw.truncated {
			vs = append(vs, c.ValidateResponse(op, tw.status, tw.Header(), tw.buf)...)
		}
		if record != nil {
			x.packed = appendPacked(x.packed[:0], r.Method, r.URL, r.Header, w.Header())
			record(&Capture{Operation: op, Status: tw.status, Violations: vs,
				start: start.UnixNano(), duration: time.Since(start), packed: bytes.Clone(x.packed),
				reqBody: keepBody(body), respBody: tw.buf,
				reqTruncated: !complete || len(body) > MaxBodyBytes, respTruncated: tw.truncated})
		}
		// Nothing of x outlives the request: the handler is done with
		// its body and writer, and the capture has its own copies.
		x.tw, x.body = teeWriter{}, Body{}
		if cap(x.packed) > maxPooledPack {
			x.packed = nil
		}
		pool.Put(x)
	})
}

// exchangeState is what [Contract.WrapCapture] uses while an exchange
// runs.
type exchangeState struct {
	tw     teeWriter
	body   Body
	packed []byte // appendPacked's buffer
}

// maxPooledPack is the largest packing buffer kept for the next exchange.
const maxPooledPack = 16 << 10

// keepBody returns the part of a request body an exchange keeps. A body
// within MaxBodyBytes is kept as is (it is never written to); the first
// MaxBodyBytes of a longer one are copied, so the rest can be collected.
func keepBody(b []byte) []byte {
	if len(b) <= MaxBodyBytes {
		return b
	}
	return bytes.Clone(b[:MaxBodyBytes])
}

// Body is the request body [Contract.WrapCapture] hands to the next
// handler: the bytes it read to validate the request.
type Body struct {
	b   []byte
	off int
}

// Read reads from the body like any request body.
func (b *Body) Read(p []byte) (int, error) {
	if b.off >= len(b.b) {
		return 0, io.EOF
	}
	n := copy(p, b.b[b.off:])
	b.off += n
	return n, nil
}

// ReadAll reads the rest of the body, like io.ReadAll, but without a copy:
// the bytes are shared with the recorded exchange, so the caller must not
// modify them.
func (b *Body) ReadAll() []byte {
	rest := b.b[b.off:]
	b.off = len(b.b)
	return rest
}

// Close does nothing: the body is already read.
func (b *Body) Close() error { return nil }

// blocking reports whether strict mode must refuse the request: any
// violation but missing credentials, which the server answers (401) as real
// Eko does.
func blocking(vs []Violation) bool {
	for _, v := range vs {
		if v.Direction == DirectionRequest && v.Location != "header.Authorization" {
			return true
		}
	}
	return false
}

func strictMessage(vs []Violation) string {
	var first Violation
	n := 0
	for _, v := range vs {
		if v.Location == "header.Authorization" {
			continue
		}
		if n == 0 {
			first = v
		}
		n++
	}
	msg := "request does not match the Eko Bot API contract: " + orRoot(first.Location) + ": " + first.Message
	if n > 1 {
		msg += fmt.Sprintf(" (and %d more)", n-1)
	}
	return msg
}

// ErrorBody is the error envelope of every 4xx/5xx answer on the Eko surface.
type ErrorBody struct {
	Status           int         `json:"status"`
	Message          string      `json:"message"`
	Error            string      `json:"error"`
	ErrorDescription string      `json:"error_description"`
	Violations       []Violation `json:"violations,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, msg string, vs []Violation) {
	b, _ := json.Marshal(ErrorBody{Status: status, Message: msg, Error: code, ErrorDescription: msg, Violations: vs})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// readUpTo reads at most limit bytes; complete is false when more remain.
// size is the announced length (-1 when unknown): a body that keeps its
// word is read into one buffer of the right size.
func readUpTo(r io.Reader, size, limit int64) (b []byte, complete bool, err error) {
	if r == nil || r == http.NoBody {
		return nil, true, nil
	}
	if size < 0 || size > limit {
		size = 512
	}
	b = make([]byte, 0, size+1) // +1: the read that sees EOF needs room
	for {
		n, err := r.Read(b[len(b):min(int64(cap(b)), limit+1)])
		b = b[:len(b)+n]
		if int64(len(b)) > limit {
			return b, false, nil
		}
		if err == io.EOF {
			return b, true, nil
		}
		if err != nil {
			return nil, false, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// teeWriter passes a response through while keeping a copy for validation.
type teeWriter struct {
	http.ResponseWriter
	status    int
	buf       []byte
	limit     int
	truncated bool
}

func (t *teeWriter) WriteHeader(code int) {
	if t.status == 0 {
		t.status = code
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *teeWriter) Write(p []byte) (int, error) {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	if room := t.limit - len(t.buf); room > 0 {
		if len(p) > room {
			t.buf = append(t.buf, p[:room]...)
			t.truncated = true
		} else if t.buf == nil {
			t.buf = bytes.Clone(p) // one exact allocation for the usual single write
		} else {
			t.buf = append(t.buf, p...)
		}
	} else if len(p) > 0 {
		t.truncated = true
	}
	return t.ResponseWriter.Write(p)
}

// Flush forwards to the underlying writer when it can flush.
func (t *teeWriter) Flush() {
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack forwards to the underlying writer when it can hijack.
func (t *teeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := t.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("contract: the response writer cannot hijack")
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (t *teeWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
