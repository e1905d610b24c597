package contract

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// fakeEko answers every call the way mockeko's wire shapes say, except
// notify/text, which forgets "recipients" (a response violation).
func fakeEko(calls *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Header.Get("Authorization") == "":
			w.WriteHeader(401)
			_, _ = io.WriteString(w, `{"status":401,"message":"no token","error":"invalid_token","error_description":"no token"}`)
		case r.URL.Path == "/bot/v1/notify/text":
			w.WriteHeader(201)
			_, _ = io.WriteString(w, `{"status":"success"}`)
		case strings.HasPrefix(r.URL.Path, "/_mockeko/"):
			_, _ = io.WriteString(w, `{"status":"ok"}`)
		default:
			w.WriteHeader(201)
			_, _ = io.WriteString(w, `{"status":"success"}`)
		}
	})
}

func TestParseMode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Mode{"strict": ModeStrict, "WARN": ModeWarn, " off ": ModeOff} {
		got, err := ParseMode(in)
		require.NoError(t, err)
		require.Equal(t, want, got)
		require.Equal(t, strings.ToLower(strings.TrimSpace(in)), got.String())
	}
	_, err := ParseMode("loose")
	require.ErrorContains(t, err, `contract: unknown mode "loose"`)
	var m Mode
	require.NoError(t, m.Set("warn"))
	require.Equal(t, ModeWarn, m)
}

func TestWrap(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	badReply := `{"replyToken":"` + replyTk + `","message":""}`
	goodReply := `{"replyToken":"` + replyTk + `","message":"hi"}`
	tests := []struct {
		name       string
		mode       Mode
		r          *http.Request
		wantStatus int
		wantCalled bool
		wantLocs   []string // recorded violations
	}{
		{"strict refuses an invalid request", ModeStrict, req("POST", "/bot/v1/message/text", "application/json", badReply), 400, false, []string{"/message"}},
		{"strict serves a valid request", ModeStrict, req("POST", "/bot/v1/message/text", "application/json", goodReply), 201, true, nil},
		{"strict leaves missing auth to the server", ModeStrict, withoutAuth(req("POST", "/bot/v1/message/text", "application/json", goodReply)), 401, true, []string{"header.Authorization"}},
		{"warn serves an invalid request", ModeWarn, req("POST", "/bot/v1/message/text", "application/json", badReply), 201, true, []string{"/message"}},
		{"off validates nothing", ModeOff, req("POST", "/bot/v1/message/text", "application/json", badReply), 201, true, nil},
		{"response violations are recorded", ModeStrict, req("POST", "/bot/v1/notify/text", "application/json", `{"message":"hi"}`), 201, true, []string{"/recipients"}},
		{"undocumented paths pass through", ModeStrict, req("GET", "/api/workflow/v1", "", ""), 201, true, []string{"path"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			rec := &Recorder{}
			h := c.Wrap(fakeEko(&calls), tt.mode, rec.Record)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tt.r)
			require.Equal(t, tt.wantStatus, w.Code, w.Body.String())
			require.Equal(t, tt.wantCalled, calls.Load() == 1)
			ex := rec.Exchanges()
			require.Len(t, ex, 1)
			got := locations(ex[0].Violations)
			if len(got) == 0 {
				got = nil
			}
			if diff := cmp.Diff(tt.wantLocs, got); diff != "" {
				t.Errorf("recorded violations (-want +got):\n%s\n%v", diff, ex[0].Violations)
			}
			require.Equal(t, tt.wantStatus, ex[0].Status)
			if a := ex[0].RequestHeaders.Get("Authorization"); a != "" {
				require.Equal(t, "Bearer [redacted]", a)
			}
			if w.Code == 400 {
				var eb ErrorBody
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &eb))
				require.Equal(t, 400, eb.Status)
				require.Equal(t, "invalid_request", eb.Error)
				require.Contains(t, eb.Message, "/message")
				require.NotEmpty(t, eb.Violations)
				// The strict answer itself keeps the contract.
				require.Empty(t, c.ValidateResponse("replyText", 400, w.Header(), w.Body.Bytes()))
			}
		})
	}
}

func TestWrapPassesControlPlane(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	var calls atomic.Int32
	rec := &Recorder{}
	w := httptest.NewRecorder()
	c.Wrap(fakeEko(&calls), ModeStrict, rec.Record).ServeHTTP(w, req("POST", "/_mockeko/reset", "text/plain", "garbage"))
	require.Equal(t, 200, w.Code)
	require.Empty(t, rec.Exchanges())
}

func withoutAuth(r *http.Request) *http.Request {
	r.Header.Del("Authorization")
	return r
}

// fakeTB records failures instead of failing.
type fakeTB struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.failed = true
	f.msg = sprintf(format, args...)
}

func TestTransportAndAssert(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	var calls atomic.Int32
	srv := httptest.NewServer(fakeEko(&calls))
	defer srv.Close()
	rec := &Recorder{}
	client := &http.Client{Transport: c.Transport(nil, rec.Record)}
	post := func(path, body string) {
		want := `{"status":"success"}`
		if strings.HasPrefix(path, "/_mockeko/") {
			want = `{"status":"ok"}`
		}
		r, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(r)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		require.Equal(t, want, string(b), "the body still reaches the caller")
	}
	post("/bot/v1/message/text", `{"replyToken":"`+replyTk+`","message":"hi"}`)

	tb := &fakeTB{TB: t}
	require.True(t, AssertNoViolations(tb, rec.Exchanges()))
	require.False(t, tb.failed)

	post("/bot/v1/direct/message", `{"uid":"bob","message":{"type":"text","data":"hi"}}`)
	post("/_mockeko/reset", ``)
	ex := rec.Exchanges()
	require.Len(t, ex, 2, "control-plane calls are not recorded")
	require.False(t, AssertNoViolations(tb, ex))
	require.True(t, tb.failed)
	for _, want := range []string{"2 violations in 1 of 2 exchanges", "pushDirectMessage", "/uid", `"uid":"bob"`} {
		require.Contains(t, tb.msg, want)
	}
	require.NotContains(t, tb.msg, token)
}
