package mockeko

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"strings"

	segjson "github.com/segmentio/encoding/json"

	"github.com/mockeko/mockeko/contract"
)

// Body encodings a route accepts.
type encoding uint8

const (
	encJSON encoding = 1 << iota
	encForm
	encMultipart
)

func (e encoding) String() string {
	var names []string
	if e&encJSON != 0 {
		names = append(names, "application/json")
	}
	if e&encForm != 0 {
		names = append(names, "application/x-www-form-urlencoded")
	}
	if e&encMultipart != 0 {
		names = append(names, "multipart/form-data")
	}
	return strings.Join(names, ", ")
}

// body is a request body decoded from whichever encoding the client used.
type body struct {
	enc   encoding
	json  map[string]json.RawMessage
	raw   []byte
	form  url.Values
	files map[string][]*multipart.FileHeader
}

// upload is a file part of a multipart body.
type upload struct {
	name        string
	contentType string
	data        []byte
}

// readBody decodes r's body, which must use one of the allowed encodings.
// Size limits: maxBody for JSON and urlencoded, maxUpload for multipart.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, allowed encoding) (*body, error) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil, errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "missing Content-Type: send one of %s", allowed)
	}
	mt, params, err := parseMediaType(ct)
	if err != nil {
		return nil, errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "malformed Content-Type %q: %v", ct, err)
	}
	var enc encoding
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		enc = encJSON
	case mt == "application/x-www-form-urlencoded":
		enc = encForm
	case mt == "multipart/form-data":
		enc = encMultipart
	}
	if enc&allowed == 0 {
		return nil, errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type %s is not accepted here: send one of %s", mt, allowed)
	}
	b := &body{enc: enc}
	if enc == encMultipart {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.maxUpload)
		boundary := params["boundary"]
		if boundary == "" {
			return nil, badRequest("multipart body without a boundary parameter in Content-Type")
		}
		form, err := multipart.NewReader(r.Body, boundary).ReadForm(s.cfg.maxUpload)
		if err != nil {
			return nil, bodyError(err, s.cfg.maxUpload, "multipart")
		}
		// Everything fits in memory (the body is capped at maxUpload), so
		// RemoveAll has no temporary files to delete; call it anyway.
		defer func() { _ = form.RemoveAll() }()
		b.form = url.Values(form.Value)
		b.files = form.File
		return b, nil
	}
	raw, err := s.readRaw(w, r)
	if err != nil {
		return nil, err
	}
	b.raw = raw
	if enc == encForm {
		if b.form, err = url.ParseQuery(string(raw)); err != nil {
			return nil, badRequest("malformed urlencoded body: %v", err)
		}
		return b, nil
	}
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return nil, checkJSONObject(raw)
	}
	return b, nil
}

// parseMediaType is mime.ParseMediaType, without its parameter map for
// the plain media types bots send on every call.
func parseMediaType(ct string) (mediatype string, params map[string]string, err error) {
	switch ct {
	case "application/json", "application/x-www-form-urlencoded":
		return ct, nil, nil
	}
	return mime.ParseMediaType(ct)
}

// checkJSONObject returns the error the full decode gives a body that is not
// one JSON object, or nil.
//
// readBody only checks that a JSON body starts as an object: the body is
// validated when it is decoded, in one pass, by decodeJSON(b.raw, &req) or
// by the first b.str, b.strs or b.requireStr. A handler must do one of those
// before acting on a JSON body.
func checkJSONObject(raw []byte) error {
	var m map[string]json.RawMessage
	if err := decodeJSON(raw, &m); err != nil {
		return err
	}
	if m == nil {
		return badRequest("body must be a JSON object, got null")
	}
	return nil
}

// fields returns the JSON body's top-level fields, decoding (and so
// validating) the body on first use.
func (b *body) fields() (map[string]json.RawMessage, error) {
	if b.json == nil && b.enc == encJSON {
		if err := decodeJSON(b.raw, &b.json); err != nil {
			return nil, err
		}
	}
	return b.json, nil
}

// readRaw reads a JSON or urlencoded body, at most maxBody bytes. The
// contract middleware has usually read the body already (to validate and
// record it): its bytes are taken as they are, not copied again.
func (s *Server) readRaw(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if cb, ok := r.Body.(*contract.Body); ok {
		raw := cb.ReadAll()
		if int64(len(raw)) > s.cfg.maxBody {
			return nil, bodyError(&http.MaxBytesError{Limit: s.cfg.maxBody}, s.cfg.maxBody, "body")
		}
		return raw, nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.maxBody)
	raw, err := readAll(r.Body, min(r.ContentLength, s.cfg.maxBody))
	if err != nil {
		return nil, bodyError(err, s.cfg.maxBody, "body")
	}
	return raw, nil
}

// readAll is io.ReadAll with a first buffer of the announced size, so a
// body with a Content-Length is read without growing and copying.
func readAll(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, size+1) // +1: the read that sees EOF needs room
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

func bodyError(err error, limit int64, what string) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errorf(http.StatusRequestEntityTooLarge, "request_too_large", "%s exceeds the %s limit", what, fmtLimit(limit))
	}
	return badRequest("malformed %s: %v", what, err)
}

// decodeJSON unmarshals a JSON body into v (a pointer) with messages that
// say where the problem is.
//
// It decodes with github.com/segmentio/encoding/json: encoding/json's
// semantics (FuzzDecodeJSON holds the two to the same values and the same
// verdicts) in 5.3k instructions for a 1 KB push, where go-json-experiment
// takes 18.3k and encoding/json 88.9k (BenchmarkDecodeJSON1KB): most of a
// body is one long string, whose end it finds and whose bytes it checks
// many at a time (SIMD, github.com/segmentio/asm) rather than one by one,
// as go-json-experiment does at nine instructions per byte. Only the
// error texts differ, so a body it refuses is decoded again, from scratch,
// by encoding/json for the messages clients get.
func decodeJSON(raw []byte, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return badRequest("empty body: send a JSON object")
	}
	if segjson.Unmarshal(raw, v) == nil {
		return nil
	}
	// The fast decoder has the same semantics but words its errors its own
	// way: decode again, from scratch, for encoding/json's.
	reflect.ValueOf(v).Elem().SetZero()
	err := json.Unmarshal(raw, v)
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return badRequest("malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		if te.Field == "" {
			return badRequest("body must be a JSON object, got %s", te.Value)
		}
		return badRequest("%s must be %s, got %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
	}
	return badRequest("malformed JSON: %v", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "bool":
		return "a boolean"
	}
	return "a number"
}

// str returns a string field. A JSON field of another type is an error.
func (b *body) str(name string) (string, error) {
	if b.enc == encJSON {
		f, err := b.fields()
		if err != nil {
			return "", err
		}
		v, ok := f[name]
		if !ok || string(v) == "null" {
			return "", nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", badRequest("%s must be a string, got %s", name, describeJSON(v))
		}
		return s, nil
	}
	return b.form.Get(name), nil
}

// strs returns a list-of-strings field in any of the forms clients send:
// a JSON array, repeated form fields, or one field holding a JSON-array
// string (Eko's documented `-F 'uids=["a","b"]'`).
func (b *body) strs(name string) ([]string, error) {
	if b.enc == encJSON {
		f, err := b.fields()
		if err != nil {
			return nil, err
		}
		v, ok := f[name]
		if !ok || string(v) == "null" {
			return nil, nil
		}
		var out []string
		if err := json.Unmarshal(v, &out); err == nil {
			return out, nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			return splitList(name, s)
		}
		return nil, badRequest("%s must be an array of strings, got %s", name, describeJSON(v))
	}
	vals := b.form[name]
	if len(vals) == 0 {
		vals = b.form[name+"[]"]
	}
	if len(vals) == 1 {
		return splitList(name, vals[0])
	}
	return vals, nil
}

func splitList(name, s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") {
		var out []string
		if err := json.Unmarshal([]byte(s), &out); err != nil {
			return nil, badRequest("%s holds malformed JSON: want an array of strings such as [\"5d8c318c22fba500114ed1c5\"]", name)
		}
		return out, nil
	}
	if s == "" {
		return nil, nil
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out, nil
}

func describeJSON(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// file returns the single file part called name, or nil.
func (b *body) file(name string) (*upload, error) {
	fhs := b.files[name]
	if len(fhs) == 0 {
		return nil, nil
	}
	if len(fhs) > 1 {
		return nil, badRequest("send one %s part, got %d", name, len(fhs))
	}
	fh := fhs[0]
	f, err := fh.Open()
	if err != nil {
		return nil, badRequest("unreadable %s part: %v", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, badRequest("unreadable %s part: %v", name, err)
	}
	ct := fh.Header.Get("Content-Type")
	if ct == "" {
		ct = "application/octet-stream"
	}
	return &upload{name: fh.Filename, contentType: ct, data: data}, nil
}

// requireStr returns a non-empty string field or a Joi-style 400 like real Eko's.
func (b *body) requireStr(name string) (string, error) {
	s, err := b.str(name)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(s) == "" {
		if b.has(name) {
			return "", badRequest("%q is not allowed to be empty", name)
		}
		return "", badRequest("%q is required", name)
	}
	return s, nil
}

func (b *body) has(name string) bool {
	if b.enc == encJSON {
		f, _ := b.fields()
		_, ok := f[name]
		return ok
	}
	_, ok := b.form[name]
	return ok
}

func fmtLimit(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
