package contract

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func sampleExchanges() []Exchange {
	r := req("POST", "/bot/v1/direct/message", "application/json", `{"uid":"`+uid+`","message":{"type":"text","data":""}}`)
	e1 := NewExchange(r, []byte(`{"uid":"`+uid+`","message":{"type":"text","data":""}}`), 400,
		http.Header{"Content-Type": {"application/json"}}, []byte(`{"status":400,"message":"m","error":"invalid_request","error_description":"m"}`))
	e1.Time = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	e1.Operation = "pushDirectMessage"
	e1.DurationMs = 1.5
	e1.Violations = []Violation{{Operation: "pushDirectMessage", Direction: DirectionRequest, Location: "/message/data", Message: "minimum string length is 1"}}
	r2 := req("GET", "/file/view/abc?size=large", "", "")
	e2 := NewExchange(r2, nil, 200, http.Header{"Content-Type": {"image/png"}}, []byte(pngBytes))
	e2.Time = time.Date(2026, 11, 25, 12, 0, 1, 0, time.UTC)
	e2.Operation = "viewFile"
	return []Exchange{e1, e2}
}

func TestHARRoundTrip(t *testing.T) {
	t.Parallel()
	in := sampleExchanges()
	var buf bytes.Buffer
	require.NoError(t, WriteHAR(&buf, in))
	require.Contains(t, buf.String(), `"version": "1.2"`)
	require.NotContains(t, buf.String(), token, "the bearer token leaked into the HAR")
	out, err := ReadHAR(&buf, "journal.har")
	require.NoError(t, err)
	// Relative URLs come back absolute; everything else survives.
	for i := range in {
		in[i].URL = "http://mockeko.invalid" + in[i].URL
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if got := out[1].ResponseBytes(); string(got) != pngBytes {
		t.Errorf("binary body = %q", got)
	}
}

func TestCheckRevalidatesHAR(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	ex := sampleExchanges()
	ex = append(ex, Exchange{Method: "GET", URL: "/_mockeko/health", Status: 200})
	for i := range ex {
		ex[i].Violations = nil
	}
	got := c.Check(ex)
	require.Len(t, got, 2, "the control-plane exchange is skipped")
	require.Equal(t, []string{"/message/data"}, locations(got[0].Violations))
	require.Empty(t, got[1].Violations)
}

func TestReadHARErrors(t *testing.T) {
	t.Parallel()
	var good bytes.Buffer
	require.NoError(t, WriteHAR(&good, sampleExchanges()))
	tests := []struct {
		name, har string
		want      []string
	}{
		{"empty", "", []string{"x.har", "empty file"}},
		{"truncated", good.String()[:200], []string{"x.har", "line", "truncated"}},
		{"not JSON", "HTTP/1.1 200 OK\n", []string{"x.har", "line 1, column 1"}},
		{"no log", `{"entries":[]}`, []string{"x.har", `no "log"`}},
		{"entries not a list", `{"log":{"entries":{}}}`, []string{"x.har", "line 1"}},
		{"wrong status type", `{"log":{"entries":[{"request":{"method":"GET","url":"/x"},"response":{"status":"200"}}]}}`, []string{"x.har", "log.entries[0]", "status"}},
		{"missing url", `{"log":{"entries":[{"request":{"method":"GET"},"response":{"status":200}}]}}`, []string{"x.har", "log.entries[0]", "request.url"}},
		{"bad base64", `{"log":{"entries":[{"request":{"method":"GET","url":"/x"},"response":{"status":200,"content":{"text":"%%%","encoding":"base64"}}}]}}`, []string{"x.har", "log.entries[0]", "base64"}},
		{"bad time", `{"log":{"entries":[{"startedDateTime":"yesterday","request":{"method":"GET","url":"/x"},"response":{"status":200}}]}}`, []string{"x.har", "log.entries[0]", "startedDateTime"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadHAR(strings.NewReader(tt.har), "x.har")
			require.Error(t, err)
			for _, w := range tt.want {
				require.Contains(t, err.Error(), w)
			}
			require.True(t, strings.HasPrefix(err.Error(), "contract: x.har: "), err.Error())
		})
	}
}

// A HAR whose bodies are not JSON is readable; the check reports the bodies.
func TestCheckNonJSONBodies(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	har := `{"log":{"version":"1.2","entries":[{"request":{"method":"POST","url":"https://x-h1.ekoapp.com/bot/v1/notify/text","headers":[{"name":"Authorization","value":"Bearer t"},{"name":":authority","value":"x"}],"postData":{"mimeType":"application/json","text":"not json"}},"response":{"status":201,"headers":[],"content":{"mimeType":"application/json","text":"<html>"}}}]}}`
	ex, err := ReadHAR(strings.NewReader(har), "x.har")
	require.NoError(t, err)
	got := c.Check(ex)
	require.Len(t, got, 1)
	require.Equal(t, []string{"body", "body"}, locations(got[0].Violations))
}

func FuzzHAR(f *testing.F) {
	var good bytes.Buffer
	if err := WriteHAR(&good, sampleExchanges()); err != nil {
		f.Fatal(err)
	}
	f.Add(good.Bytes())
	f.Add([]byte(`{"log":{"entries":[{"request":{"method":"GET","url":"/x"},"response":{"status":200}}]}}`))
	f.Add([]byte(`{"log":null}`))
	f.Add([]byte(`[]`))
	c, err := Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ex, err := ReadHAR(bytes.NewReader(data), "fuzz.har")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "contract: fuzz.har: ") {
				t.Fatalf("error without file name: %v", err)
			}
			return
		}
		checked := c.Check(ex) // must not panic on anything readable
		var buf bytes.Buffer
		if err := WriteHAR(&buf, checked); err != nil {
			t.Fatalf("WriteHAR: %v", err)
		}
		again, err := ReadHAR(&buf, "again.har")
		if err != nil {
			t.Fatalf("re-reading our own HAR: %v", err)
		}
		if len(again) != len(checked) {
			t.Fatalf("round trip: %d entries, want %d", len(again), len(checked))
		}
	})
}
