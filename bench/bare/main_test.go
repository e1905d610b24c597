package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandlerAnswersFixedJSON(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		rec := httptest.NewRecorder()
		handler().ServeHTTP(rec, httptest.NewRequest(method, "/bot/v1/group/message", strings.NewReader(`{"gid":"x"}`)))
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("%s: status %d, Content-Type %q", method, rec.Code, rec.Header().Get("Content-Type"))
		}
		if rec.Body.String() != answer || !json.Valid(rec.Body.Bytes()) {
			t.Errorf("%s: body %q, want the fixed JSON answer", method, rec.Body.String())
		}
	}
}
