package contract

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
)

// Check validates recorded exchanges again (read from a HAR file or a
// journal) and returns copies with fresh violations, in order. Exchanges on
// the control plane (/_mockeko/) are left out. An exchange whose body was
// truncated keeps the violations it was recorded with.
func (c *Contract) Check(exchanges []Exchange) []Exchange {
	out := make([]Exchange, 0, len(exchanges))
	for _, e := range exchanges {
		if isControl(e.URL) {
			continue
		}
		out = append(out, c.CheckExchange(e))
	}
	return out
}

// CheckExchange validates one recorded exchange and returns it with fresh
// violations (see [Contract.Check]).
func (c *Contract) CheckExchange(e Exchange) Exchange {
	if e.RequestTruncated || e.ResponseTruncated {
		return e
	}
	if e.Kind == KindWebhook {
		e.Operation = WebhookOperation
		vs := c.ValidateWebhookHeader(e.RequestHeaders)
		vs = append(vs, c.ValidateWebhook(e.RequestBytes())...)
		if e.Error == "" {
			vs = append(vs, c.ValidateWebhookAnswer(e.Status, e.ResponseHeaders, e.ResponseBytes())...)
		}
		e.Violations = vs
		return e
	}
	body := e.RequestBytes()
	r, err := http.NewRequest(e.Method, absURL(e.URL), bytes.NewReader(body))
	if err != nil {
		e.Violations = []Violation{{Direction: DirectionRequest, Location: "path", Message: "unreadable request line: " + err.Error()}}
		return e
	}
	r.Header = e.RequestHeaders.Clone()
	if r.Header == nil {
		r.Header = http.Header{}
	}
	// Recorded credentials are redacted ("Basic [redacted]"); stand in a
	// well-formed value of the same scheme so only their shape is judged.
	if a := r.Header.Get("Authorization"); strings.HasSuffix(a, "[redacted]") {
		scheme, _, _ := strings.Cut(a, " ")
		switch strings.ToLower(scheme) {
		case "basic":
			r.Header.Set("Authorization", "Basic cmVkYWN0ZWQ6cmVkYWN0ZWQ=")
		case "bearer":
			r.Header.Set("Authorization", "Bearer redacted")
		}
	}
	op, vs := c.ValidateRequest(r, body)
	e.Operation = op
	if op != "" && e.Status != 0 && e.Error == "" {
		vs = append(vs, c.ValidateResponse(op, e.Status, e.ResponseHeaders, e.ResponseBytes())...)
	}
	e.Violations = vs
	return e
}

func absURL(u string) string {
	if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
		return u
	}
	if !strings.HasPrefix(u, "/") {
		u = "/" + u
	}
	return "http://eko.invalid" + u
}

// isControl reports whether a URL (absolute or path) is on the control plane.
func isControl(u string) bool {
	if p, err := url.Parse(u); err == nil {
		return strings.HasPrefix(cleanPath(p.Path), ControlPrefix)
	}
	return strings.Contains(u, ControlPrefix)
}
