package mockeko

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// nopWriter is the ResponseWriter given to http.MaxBytesReader where none is at hand.
type nopWriter struct{}

func (nopWriter) Header() http.Header         { return http.Header{} }
func (nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (nopWriter) WriteHeader(int)             {}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// decodeJSONStrict turns a json.Decoder error into a 400.
func decodeJSONStrict(err error) error {
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		return badRequest("unknown field %s", strings.TrimPrefix(msg, "json: unknown field "))
	}
	if errors.Is(err, io.EOF) {
		return badRequest("empty body: send a JSON object")
	}
	return badRequest("malformed JSON: %v", err)
}

// trimPrefix drops the package prefix of an error message for use inside an envelope.
func trimPrefix(err error) string { return strings.TrimPrefix(err.Error(), "mockeko: ") }

// queryUnescape is url.QueryUnescape, which returns s as it is when s has
// no '%' and no '+': that test is two vectorized byte searches here, where
// url.QueryUnescape tests each byte in turn.
func queryUnescape(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, nil
	}
	return url.QueryUnescape(s)
}

// queryGet is r.URL.Query().Get(key) without building the map: the first
// value of key in the raw query, with url.ParseQuery's rules (pairs split
// at "&", a pair with a ";" or a bad escape skipped, "+" is a space).
func queryGet(rawQuery, key string) string {
	for rawQuery != "" {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		if strings.Contains(pair, ";") {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if !queryKeyIs(k, key) {
			continue
		}
		k, err := queryUnescape(k)
		if err != nil || k != key {
			continue
		}
		if v, err = queryUnescape(v); err != nil {
			continue
		}
		return v
	}
	return ""
}

// queryKeyIs is a cheap first test of whether the raw key k may decode to
// key: only an escaped key (with "%" or "+") can differ from its decoding.
func queryKeyIs(k, key string) bool {
	return k == key || strings.ContainsAny(k, "%+")
}
