package mockeko_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mockeko/mockeko/mockeko"
)

func token(t *testing.T, srv *mockeko.Server) string {
	t.Helper()
	b := srv.Bot()
	req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader("grant_type=client_credentials&scope=bot"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(b.ClientID, b.ClientSecret)
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	var tok mockeko.TokenResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || rec.Code != 200 {
		t.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	return tok.AccessToken
}

func TestFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      mockeko.Fault
		wantStatus []int // statuses of three consecutive pushes
		wantCode   string
	}{
		{"once by route name", mockeko.Fault{Operation: "pushGroupMessage", Status: 503, Count: 1}, []int{503, 201, 201}, "service_unavailable"},
		{"twice by path", mockeko.Fault{Operation: "/bot/v1/group/message", Status: 429, Count: 2}, []int{429, 429, 201}, "rate_limited"},
		{"until cleared", mockeko.Fault{Status: 500}, []int{500, 500, 500}, "server_error"},
		{"other operation", mockeko.Fault{Operation: "findUsers", Status: 500}, []int{201, 201, 201}, ""},
		{"401 to exercise refresh", mockeko.Fault{Operation: "pushGroupMessage", Status: 401, Count: 1}, []int{401, 201, 201}, "invalid_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := mockeko.NewServer()
			t.Cleanup(srv.Close)
			tok := token(t, srv)
			if _, err := srv.InjectFault(tt.fault); err != nil {
				t.Fatal(err)
			}
			gid := srv.Groups()[0].ID
			var got []int
			for range 3 {
				req := httptest.NewRequest(http.MethodPost, "/bot/v1/group/message", strings.NewReader(`{"gid":"`+gid+`","message":{"type":"text","data":"hi"}}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tok)
				rec := httptest.NewRecorder()
				srv.Handler().ServeHTTP(rec, req)
				got = append(got, rec.Code)
				if rec.Code >= 400 {
					var env mockeko.ErrorBody
					if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Error != tt.wantCode || env.Status != rec.Code {
						t.Errorf("fault answer = %s, want the envelope with error %q", rec.Body, tt.wantCode)
					}
				}
			}
			if diff := cmp.Diff(tt.wantStatus, got); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			// Faulted calls change no state.
			ok := 0
			for _, s := range got {
				if s == 201 {
					ok++
				}
			}
			if n := len(srv.Messages(gid, "")); n != ok {
				t.Errorf("stored %d messages, want %d (one per successful push)", n, ok)
			}
		})
	}
}

func TestFaultControlPlane(t *testing.T) {
	t.Parallel()
	srv := mockeko.NewServer()
	t.Cleanup(srv.Close)
	do := func(method, path, body string) (int, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	for _, bad := range []string{`{"status":200}`, `{}`, `{"operation":"nope","status":500}`, `{"status":500,"bogus":1}`, `{`} {
		if code, body := do(http.MethodPost, "/_mockeko/faults", bad); code != 400 || !strings.Contains(body, `"error":"invalid_request"`) {
			t.Errorf("POST faults %s = %d %s, want 400 invalid_request", bad, code, body)
		}
	}
	if code, body := do(http.MethodPost, "/_mockeko/faults", `{"operation":"getToken","status":503}`); code != 201 {
		t.Fatalf("POST faults = %d %s", code, body)
	}
	if _, body := do(http.MethodGet, "/_mockeko/faults", ""); !strings.Contains(body, `"operation":"getToken"`) {
		t.Errorf("GET faults = %s, want the fault listed", body)
	}
	// Control plane is never faulted, even by a catch-all fault.
	if _, err := srv.InjectFault(mockeko.Fault{Status: 500}); err != nil {
		t.Fatal(err)
	}
	if code, _ := do(http.MethodGet, "/_mockeko/health", ""); code != 200 {
		t.Errorf("health under a catch-all fault = %d, want 200", code)
	}
	if code, _ := do(http.MethodDelete, "/_mockeko/faults", ""); code != 200 || len(srv.Faults()) != 0 {
		t.Errorf("DELETE faults left %d faults", len(srv.Faults()))
	}
}
