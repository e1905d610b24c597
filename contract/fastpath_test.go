package contract

import (
	"context"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
)

// fastSeeds are responses the fast path sees: valid ones, and near misses.
var fastSeeds = []struct {
	op     string
	status int
	ct     string
	body   string
}{
	{"getToken", 200, "application/json; charset=utf-8", `{"access_token":"` + token + `","token_type":"Bearer","expires_in":3600,"scope":"bot"}`},
	{"getToken", 200, "application/json", `{"access_token":"` + token + `","token_type":"Bearer","expires_in":3600.5,"scope":"bot"}`},
	{"pushGroupMessage", 201, "application/json; charset=utf-8", `{"status":"success","message":{"id":"5de48f26707e9f529a9c03ff","type":"text","groupId":"5de48f02707e9f529a9c03f8","threadId":"5de48f02707e9f529a9c03f9"}}` + "\n"},
	{"pushGroupMessage", 201, "application/json", `{"status":"success","message":{"id":"5de48f26707e9f529a9c03ff","type":"text","groupId":"5de48f02707e9f529a9c03f8","threadId":"5de48f02707e9f529a9c03f9"}} trailing`},
	{"pushGroupMessage", 201, "Application/JSON", `{"status":"success","message":{"id":"5de48f26707e9f529a9c03ff","type":"text","groupId":"5de48f02707e9f529a9c03f8","threadId":"5de48f02707e9f529a9c03f9"},"status":"x"}`},
	{"findUsers", 200, "application/json; charset=utf-8", `{"users":[{"_id":"5d8af2ff164176ecaec49e5c","username":"a","email":"a@b.c","firstname":"A","lastname":"B","position":"","deleted":false}]}`},
	{"findUsers", 401, "application/json", `{"status":401,"message":"m","error":"invalid_token","error_description":"m"}`},
	{"notifyText", 201, "application/json", `{"status":"success","recipients":1e2}`},
	{"notifyText", 201, "text/plain", `{"status":"success","recipients":1}`},
	{"viewFile", 200, "application/json", `{}`},
	{"pushMessagesV2", 503, "application/json", `{"status":503,"message":"m","error":"temporarily_unavailable","error_description":"m"}`},
}

// FuzzJSONResponseValid holds the fast path of ValidateResponse to
// openapi3filter: whatever it passes, openapi3filter passes too.
func FuzzJSONResponseValid(f *testing.F) {
	c := mustDefault(f)
	for i, s := range fastSeeds {
		f.Add(uint8(i), uint16(s.status), s.ct, []byte(s.body))
	}
	ops := c.order
	f.Fuzz(func(t *testing.T, op uint8, status uint16, ct string, body []byte) {
		o := c.ops[ops[int(op)%len(ops)]]
		if int(op) < len(fastSeeds) {
			o = c.ops[fastSeeds[op].op]
		}
		h := http.Header{"Content-Type": {ct}}
		if jsonResponseValid(o, int(status), h, body) {
			if vs := kinValidateResponse(o, int(status), h, body); len(vs) > 0 {
				t.Fatalf("%s %d %q %q: the fast path passed what openapi3filter refuses: %v", o.id, status, ct, body, vs)
			}
		}
	})
}

// The fast path covers mockeko's usual answers (else it is dead weight).
func TestJSONResponseValidCovers(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	for _, s := range []int{0, 2, 5, 6} {
		s := fastSeeds[s]
		if !jsonResponseValid(c.ops[s.op], s.status, http.Header{"Content-Type": {s.ct}}, []byte(s.body)) {
			t.Errorf("%s %d %s: not passed by the fast path", s.op, s.status, s.body)
		}
	}
}

// paramsAndSecurityValid passes only what openapi3filter passes, for every
// operation and a range of credentials.
func TestParamsAndSecurityValidAgreesWithOpenapi3filter(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	auths := []string{"", "Bearer " + token, "bearer " + token, "Bearer ", "Basic dXNlcjpwYXNz", "Token x", "Bearer a b"}
	covered := false
	for _, id := range c.order {
		o := c.ops[id]
		for _, auth := range auths {
			for _, query := range []string{"", "?access_token=" + token} {
				r, err := http.NewRequest(o.method, "http://eko.invalid"+o.path+query, http.NoBody)
				if err != nil {
					t.Fatal(err)
				}
				if auth != "" {
					r.Header.Set("Authorization", auth)
				}
				if !c.paramsAndSecurityValid(o.route, r) {
					continue
				}
				in := &openapi3filter.RequestValidationInput{Request: r, Route: o.route,
					Options: &openapi3filter.Options{MultiError: true, ExcludeRequestBody: true, AuthenticationFunc: c.authenticate}}
				if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
					t.Errorf("%s with %q%s: the fast path passed what openapi3filter refuses: %v", id, auth, query, err)
				}
				if id == "pushGroupMessage" && auth == "Bearer "+token {
					covered = true
				}
			}
		}
	}
	if !covered {
		t.Error("the fast path does not cover a group push with a bearer token")
	}
}
