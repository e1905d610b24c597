package mockeko

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// Error is an API error as mockeko answers it. Every 4xx and 5xx response,
// on the Eko surface and on the control plane, carries the same envelope,
// which every real Eko client reads (eko-api.md §6): client-oauth2 looks at
// "error", the Java SDK at "status" and "message":
//
//	{"status": 404, "message": "group not found", "error": "not_found",
//	 "error_description": "group not found"}
type Error struct {
	Status int    // HTTP status
	Code   string // machine-readable code: invalid_request, invalid_token, not_found, ...
	Msg    string // human message; says what to fix
	Header http.Header
}

func (e *Error) Error() string { return fmt.Sprintf("mockeko: %d %s: %s", e.Status, e.Code, e.Msg) }

// ErrorBody is the JSON error envelope.
type ErrorBody struct {
	Status           int    `json:"status"`
	Message          string `json:"message"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

func errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Msg: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, "invalid_request", format, args...)
}

func notFound(format string, args ...any) *Error {
	return errorf(http.StatusNotFound, "not_found", format, args...)
}

func forbidden(format string, args ...any) *Error {
	return errorf(http.StatusForbidden, "forbidden", format, args...)
}

// writeError writes err in the envelope. Errors that are not *Error are 500s.
func writeError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = errorf(http.StatusInternalServerError, "server_error", "%v", err)
	}
	for k, v := range e.Header {
		w.Header()[k] = v
	}
	writeJSON(w, e.Status, ErrorBody{Status: e.Status, Message: e.Msg, Error: e.Code, ErrorDescription: e.Msg})
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"status":500,"message":"encoding failed","error":"server_error","error_description":"encoding failed"}`)
	}
	writeRawJSON(w, status, b)
}

// writeRawJSON writes b, an encoded JSON value, as writeJSON does: a
// newline is appended (in b's spare capacity when it has some).
func writeRawJSON(w http.ResponseWriter, status int, b []byte) {
	writeRawJSONNoCache(w, status, b, false)
}

// writeRawJSONNoCache is writeRawJSON that also sends "Pragma: no-cache"
// when pragma is set, as RFC 6749 §5.1 asks of a token response.
func writeRawJSONNoCache(w http.ResponseWriter, status int, b []byte, pragma bool) {
	b = append(b, '\n')
	// The keys are canonical, and the values share one allocation.
	vals := [...]string{"application/json; charset=utf-8", strconv.Itoa(len(b)), "no-store", "no-cache"}
	h := w.Header()
	h["Content-Type"], h["Content-Length"], h["Cache-Control"] = vals[0:1:1], vals[1:2:2], vals[2:3:3]
	if pragma {
		h["Pragma"] = vals[3:4:4]
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
