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
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(cleanPath(r.URL.Path), ControlPrefix) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		body, complete, err := readUpTo(r.Body, maxValidatedBody)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request", "cannot read the request body: "+err.Error(), nil)
			return
		}
		if complete {
			r.Body = io.NopCloser(bytes.NewReader(body))
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
		tw := &teeWriter{ResponseWriter: w, limit: MaxBodyBytes}
		if mode == ModeStrict && op != "" && blocking(vs) {
			writeError(tw, http.StatusBadRequest, "invalid_request", strictMessage(vs), vs)
		} else {
			next.ServeHTTP(tw, r)
		}
		if tw.status == 0 {
			tw.status = http.StatusOK
		}
		if record == nil && mode == ModeOff {
			return
		}
		if mode != ModeOff && op != "" && !tw.truncated {
			vs = append(vs, c.ValidateResponse(op, tw.status, tw.Header(), tw.buf.Bytes())...)
		}
		if record != nil {
			e := NewExchange(r, body, tw.status, tw.Header(), tw.buf.Bytes())
			e.Time = start.UTC()
			e.DurationMs = float64(time.Since(start).Microseconds()) / 1000
			e.Operation = op
			e.RequestTruncated = e.RequestTruncated || !complete
			e.ResponseTruncated = e.ResponseTruncated || tw.truncated
			e.Violations = vs
			record(e)
		}
	})
}

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
func readUpTo(r io.Reader, limit int64) (b []byte, complete bool, err error) {
	if r == nil || r == http.NoBody {
		return nil, true, nil
	}
	b, err = io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(b)) > limit {
		return b, false, nil
	}
	return b, true, nil
}

// teeWriter passes a response through while keeping a copy for validation.
type teeWriter struct {
	http.ResponseWriter
	status    int
	buf       bytes.Buffer
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
	if room := t.limit - t.buf.Len(); room > 0 {
		if len(p) > room {
			t.buf.Write(p[:room])
			t.truncated = true
		} else {
			t.buf.Write(p)
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
