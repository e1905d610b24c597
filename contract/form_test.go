package contract

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
)

// formSeeds are urlencoded requests the form fast path sees: what token
// clients send, and near misses.
var formSeeds = []struct {
	op, ct, auth, body string
}{
	{"getToken", formType, "Basic N2JjZWUyMWEtM2Y3ZS00MzM4LTk3YWYtYTkwODQyMTc2ODQ5OnNlY3JldA==", "grant_type=client_credentials&scope=bot"},
	{"getToken", formType, "", "grant_type=client_credentials&client_id=7bcee21a&client_secret=s3cr3t&scope=bot+workflow+library"},
	{"getToken", formType, "", "grant_type=client_credentials"},
	{"getToken", formType, "Basic a b", "grant_type=client_credentials"},
	{"getToken", formType, "Bearer " + token, "grant_type=client_credentials"},
	{"getToken", formType, "", "grant_type=password&scope=bot"},
	{"getToken", formType, "", "scope=bot"},
	{"getToken", formType, "", "grant_type=client_credentials&scope=admin"},
	{"getToken", formType, "", "grant_type=client_credentials&client_id="},
	{"getToken", formType, "", "grant_type=client_credentials&grant_type=x"},
	{"getToken", formType, "", "grant_type=&grant_type=client_credentials"},
	{"getToken", formType, "", "grant_type=client_credentials;scope=bot"},
	{"getToken", formType, "", "grant_type=client_credentials&scope=%zz"},
	{"getToken", formType, "", "grant_type=client%5Fcredentials&extra=1&=x&&"},
	{"getToken", formType + "; charset=utf-8", "", "grant_type=client_credentials"},
	{"getToken", "application/json", "", `{"grant_type":"client_credentials"}`},
	{"getToken", formType, "", ""},
	{"replyText", formType, "Bearer " + token, "replyToken=" + replyTk + "&message=hi"},
	{"replyText", formType, "", "replyToken=" + replyTk + "&message=hi"},
}

// kinValidateRequest is what ValidateRequest did before its fast paths:
// openapi3filter alone.
func kinValidateRequest(c *Contract, o *operation, r *http.Request, body []byte) error {
	r.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{Request: r, Route: o.route,
		Options: &openapi3filter.Options{MultiError: true, SkipSettingDefaults: true,
			AuthenticationFunc: c.authenticate, SchemaValidationOptions: schemaOpts}}
	return openapi3filter.ValidateRequest(context.Background(), in)
}

// FuzzFormRequestValid holds the form fast path of ValidateRequest to
// openapi3filter: whatever it passes, openapi3filter passes too.
func FuzzFormRequestValid(f *testing.F) {
	c := mustDefault(f)
	for i, s := range formSeeds {
		f.Add(uint8(i), s.ct, s.auth, []byte(s.body))
	}
	ops := c.order
	f.Fuzz(func(t *testing.T, op uint8, ct, auth string, body []byte) {
		o := c.ops[ops[int(op)%len(ops)]]
		if int(op) < len(formSeeds) {
			o = c.ops[formSeeds[op].op]
		}
		r, err := http.NewRequest(o.method, "http://eko.invalid"+o.path, http.NoBody)
		if err != nil {
			t.Skip()
		}
		r.Header.Set("Content-Type", ct)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		if !c.formRequestValid(o, r, body) {
			return
		}
		if err := kinValidateRequest(c, o, r, body); err != nil {
			t.Fatalf("%s %q %q %q: the fast path passed what openapi3filter refuses: %v", o.id, ct, auth, body, err)
		}
	})
}

// The form fast path covers the token requests clients send (else it is
// dead weight), and ValidateRequest reports what openapi3filter reports
// for every seed.
func TestFormRequestValid(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	if c.ops["getToken"].form == nil {
		t.Fatal("getToken has no form plan")
	}
	for i, s := range formSeeds {
		o := c.ops[s.op]
		newReq := func() *http.Request {
			r, err := http.NewRequest(o.method, "http://eko.invalid"+o.path, http.NoBody)
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Content-Type", s.ct)
			if s.auth != "" {
				r.Header.Set("Authorization", s.auth)
			}
			return r
		}
		fast := c.formRequestValid(o, newReq(), []byte(s.body))
		kinErr := kinValidateRequest(c, o, newReq(), []byte(s.body))
		if fast && kinErr != nil {
			t.Errorf("seed %d %+v: the fast path passed what openapi3filter refuses: %v", i, s, kinErr)
		}
		if i < 3 && !fast {
			t.Errorf("seed %d %+v: not passed by the fast path (openapi3filter: %v)", i, s, kinErr)
		}
		_, vs := c.ValidateRequest(newReq(), []byte(s.body))
		var want []Violation
		if kinErr != nil {
			want = violationsOf(o.id, DirectionRequest, kinErr)
		}
		if len(vs) != len(want) {
			t.Errorf("seed %d %+v: ValidateRequest found %d violations, openapi3filter %d: %v vs %v", i, s, len(vs), len(want), vs, want)
		}
	}
}

// stringCheck's memory of the last valid string never passes an invalid
// one, and a valid one passes again.
func TestStringCheckRemembersOnlyValid(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	h := c.ops["getToken"].form.headers[0]
	sc := &stringCheck{schema: h.check.schema}
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"Basic dXNlcjpwYXNz", true}, {"Basic dXNlcjpwYXNz", true}, {"Basic dXNlcjpwYXN", true},
		{"Basic a b", false}, {"Basic dXNlcjpwYXN", true}, {"Bearer x", false}, {"", false},
	} {
		if got := sc.valid(tc.s); got != tc.want {
			t.Errorf("valid(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}
