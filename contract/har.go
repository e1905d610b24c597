package contract

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"
)

// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), the traffic
// format browsers and proxies export. Only the fields mockeko needs are
// modelled; unknown fields are ignored on read.
type harFile struct {
	Log harLog `json:"log"`
}

type harLog struct {
	Version string     `json:"version"`
	Creator harCreator `json:"creator"`
	Entries []harEntry `json:"entries"`
}

type harCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harEntry struct {
	StartedDateTime string      `json:"startedDateTime"`
	Time            float64     `json:"time"`
	Request         harRequest  `json:"request"`
	Response        harResponse `json:"response"`
	Cache           struct{}    `json:"cache"`
	Timings         harTimings  `json:"timings"`
	Comment         string      `json:"comment,omitempty"`
	// Custom fields (HAR allows them with a leading underscore).
	Kind       string      `json:"_kind,omitempty"`
	Operation  string      `json:"_operation,omitempty"`
	Violations []Violation `json:"_violations,omitempty"`
	Error      string      `json:"_error,omitempty"`
}

type harRequest struct {
	Method      string   `json:"method"`
	URL         string   `json:"url"`
	HTTPVersion string   `json:"httpVersion"`
	Headers     []harNV  `json:"headers"`
	QueryString []harNV  `json:"queryString"`
	Cookies     []harNV  `json:"cookies"`
	PostData    *harPost `json:"postData,omitempty"`
	HeadersSize int      `json:"headersSize"`
	BodySize    int      `json:"bodySize"`
	Truncated   bool     `json:"_truncated,omitempty"`
}

type harResponse struct {
	Status      int        `json:"status"`
	StatusText  string     `json:"statusText"`
	HTTPVersion string     `json:"httpVersion"`
	Headers     []harNV    `json:"headers"`
	Cookies     []harNV    `json:"cookies"`
	Content     harContent `json:"content"`
	RedirectURL string     `json:"redirectURL"`
	HeadersSize int        `json:"headersSize"`
	BodySize    int        `json:"bodySize"`
	Truncated   bool       `json:"_truncated,omitempty"`
}

type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harPost struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
	Encoding string `json:"encoding,omitempty"` // not in HAR 1.2 for postData, but common; "base64"
}

type harContent struct {
	Size     int    `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text,omitempty"`
	Encoding string `json:"encoding,omitempty"`
}

type harTimings struct {
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

// WriteHAR writes exchanges as a HAR 1.2 log. Violations, the operation and
// the kind travel in custom fields (_violations, _operation, _kind), so a
// journal survives a round trip. Relative URLs are written against
// http://mockeko.invalid.
func WriteHAR(w io.Writer, exchanges []Exchange) error {
	f := harFile{Log: harLog{Version: "1.2", Creator: harCreator{Name: "mockeko", Version: "1"}, Entries: []harEntry{}}}
	for _, e := range exchanges {
		he := harEntry{
			StartedDateTime: e.Time.UTC().Format(time.RFC3339Nano),
			Time:            e.DurationMs,
			Timings:         harTimings{Wait: e.DurationMs},
			Kind:            e.Kind,
			Operation:       e.Operation,
			Violations:      e.Violations,
			Error:           e.Error,
			Request: harRequest{
				Method: e.Method, URL: absHARURL(e.URL), HTTPVersion: "HTTP/1.1",
				Headers: toNV(e.RequestHeaders), QueryString: queryNV(e.URL), Cookies: []harNV{},
				HeadersSize: -1, BodySize: len(e.RequestBytes()), Truncated: e.RequestTruncated,
			},
			Response: harResponse{
				Status: e.Status, StatusText: http.StatusText(e.Status), HTTPVersion: "HTTP/1.1",
				Headers: toNV(e.ResponseHeaders), Cookies: []harNV{},
				Content:     harContent{Size: len(e.ResponseBytes()), MimeType: e.ResponseHeaders.Get("Content-Type"), Text: e.ResponseBody, Encoding: e.ResponseBodyEncoding},
				HeadersSize: -1, BodySize: len(e.ResponseBytes()), Truncated: e.ResponseTruncated,
			},
		}
		if e.RequestBody != "" {
			he.Request.PostData = &harPost{MimeType: e.RequestHeaders.Get("Content-Type"), Text: e.RequestBody, Encoding: e.RequestBodyEncoding}
		}
		f.Log.Entries = append(f.Log.Entries, he)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(f)
}

// ReadHAR reads a HAR 1.2 log (from a browser, a proxy or [WriteHAR]) into
// exchanges. name is the file name used in errors, which give the line and
// column of a syntax error, or the entry that is wrong. It never panics.
func ReadHAR(r io.Reader, name string) ([]Exchange, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("contract: %s: %w", name, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("contract: %s: empty file, not a HAR log", name)
	}
	var f struct {
		Log *struct {
			Version string            `json:"version"`
			Entries []json.RawMessage `json:"entries"`
		} `json:"log"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, jsonError(name, data, err)
	}
	if f.Log == nil {
		return nil, fmt.Errorf("contract: %s: not a HAR file: no \"log\" object", name)
	}
	out := make([]Exchange, 0, len(f.Log.Entries))
	for i, raw := range f.Log.Entries {
		var he harEntry
		if err := json.Unmarshal(raw, &he); err != nil {
			return nil, fmt.Errorf("contract: %s: log.entries[%d]: %s", name, i, describeJSONErr(err))
		}
		e, err := he.exchange()
		if err != nil {
			return nil, fmt.Errorf("contract: %s: log.entries[%d]: %w", name, i, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func (he harEntry) exchange() (Exchange, error) {
	if he.Request.Method == "" || he.Request.URL == "" {
		return Exchange{}, errors.New("request.method and request.url are required")
	}
	e := Exchange{
		Kind: he.Kind, Operation: he.Operation, Method: he.Request.Method, URL: he.Request.URL,
		Status: he.Response.Status, DurationMs: he.Time, Error: he.Error, Violations: he.Violations,
		RequestHeaders: fromNV(he.Request.Headers), ResponseHeaders: fromNV(he.Response.Headers),
		RequestTruncated: he.Request.Truncated, ResponseTruncated: he.Response.Truncated,
	}
	if he.StartedDateTime != "" {
		t, err := time.Parse(time.RFC3339Nano, he.StartedDateTime)
		if err != nil {
			return Exchange{}, fmt.Errorf("startedDateTime: %q is not an ISO 8601 time", he.StartedDateTime)
		}
		e.Time = t
	}
	if p := he.Request.PostData; p != nil {
		b, err := harText(p.Text, p.Encoding)
		if err != nil {
			return Exchange{}, fmt.Errorf("request.postData: %w", err)
		}
		e.RequestBody, e.RequestBodyEncoding, _ = encodeBody(b)
		if p.MimeType != "" && e.RequestHeaders.Get("Content-Type") == "" {
			e.RequestHeaders.Set("Content-Type", p.MimeType)
		}
	}
	b, err := harText(he.Response.Content.Text, he.Response.Content.Encoding)
	if err != nil {
		return Exchange{}, fmt.Errorf("response.content: %w", err)
	}
	e.ResponseBody, e.ResponseBodyEncoding, _ = encodeBody(b)
	if mt := he.Response.Content.MimeType; mt != "" && e.ResponseHeaders.Get("Content-Type") == "" && e.Status != 0 {
		e.ResponseHeaders.Set("Content-Type", mt)
	}
	return e, nil
}

func harText(text, enc string) ([]byte, error) {
	switch enc {
	case "":
		return []byte(text), nil
	case "base64":
		b, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			return nil, fmt.Errorf("text is not valid base64: %w", err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown encoding %q (want base64 or none)", enc)
}

func toNV(h http.Header) []harNV {
	out := []harNV{}
	for _, k := range sortedKeys(h) {
		for _, v := range h[k] {
			out = append(out, harNV{Name: k, Value: v})
		}
	}
	return out
}

func fromNV(nv []harNV) http.Header {
	h := http.Header{}
	for _, p := range nv {
		if p.Name == "" || p.Name[0] == ':' { // HTTP/2 pseudo-headers in browser exports
			continue
		}
		h.Add(p.Name, p.Value)
	}
	return h
}

func queryNV(u string) []harNV {
	out := []harNV{}
	r, err := http.NewRequest(http.MethodGet, absURL(u), nil)
	if err != nil {
		return out
	}
	q := r.URL.Query()
	for _, k := range sortedKeys(q) {
		for _, v := range q[k] {
			out = append(out, harNV{Name: k, Value: v})
		}
	}
	return out
}

func absHARURL(u string) string {
	if len(u) > 0 && u[0] == '/' {
		return "http://mockeko.invalid" + u
	}
	return u
}

// jsonError names the line and column of a JSON error.
func jsonError(name string, data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se) && se.Error() == "unexpected end of JSON input":
		line, col := lineCol(data, int64(len(data)))
		return fmt.Errorf("contract: %s: line %d, column %d: the file ends too early (truncated?)", name, line, col)
	case errors.As(err, &se):
		line, col := lineCol(data, max(se.Offset-1, 0)) // Offset is just past the bad byte
		return fmt.Errorf("contract: %s: line %d, column %d: %v", name, line, col, err)
	case errors.As(err, &te):
		line, col := lineCol(data, te.Offset)
		return fmt.Errorf("contract: %s: line %d, column %d: %s", name, line, col, describeJSONErr(err))
	case errors.Is(err, io.ErrUnexpectedEOF) || err.Error() == "unexpected end of JSON input":
		line, col := lineCol(data, int64(len(data)))
		return fmt.Errorf("contract: %s: line %d, column %d: the file ends too early (truncated?)", name, line, col)
	}
	return fmt.Errorf("contract: %s: %w", name, err)
}

func describeJSONErr(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "value"
		}
		return fmt.Sprintf("%s: want %s, got JSON %s", field, te.Type, te.Value)
	}
	return err.Error()
}

func lineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col = 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

func sortedKeys[M ~map[string][]string](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
