package mockeko

import (
	"bytes"
	"errors"
	"io"
	"net/http"
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
