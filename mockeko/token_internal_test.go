package mockeko

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzTokenResponseJSON checks the token response encoder against
// encoding/json, byte for byte.
func FuzzTokenResponseJSON(f *testing.F) {
	f.Add("835c1bc124ca99be1c6a8a175018252c84b22bbf", "Bearer", 3600, "bot workflow library")
	f.Add("a<b>&c", "Be\"arer", -1, "sc\\ope\u2028\x00é\xff")
	f.Add("", "", 0, "")
	f.Fuzz(func(t *testing.T, tok, typ string, exp int, scope string) {
		tr := TokenResponse{AccessToken: tok, TokenType: typ, ExpiresIn: exp, Scope: scope}
		want, err := json.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		got := appendTokenResponse([]byte("prefix"), tr)
		if diff := cmp.Diff("prefix"+string(want), string(got)); diff != "" {
			t.Errorf("appendTokenResponse(%+v) (-want +got):\n%s", tr, diff)
		}
	})
}

// FuzzParseTokenForm checks tokenForm.parse against what the token
// endpoint did before it: url.ParseQuery, then a refusal of repeated keys.
func FuzzParseTokenForm(f *testing.F) {
	for _, s := range []string{
		"grant_type=client_credentials&scope=bot",
		"grant_type=client_credentials&client_id=a%2Bb&client_secret=x+y",
		"a=1&a=2", "a=1;b=2", "a=%zz", "%zz=1", "&&a&=&b=", "a=1&%61=2",
		"k0&k1&k2&k3&k4&k5&k6&k7&k8&k9&k10&k11&k12&k13&k14&k15&k16",
		"k0&k1&k2&k3&k4&k5&k6&k7&k8&k9&k10&k11&k12&k13&k14&k15&k15",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var got tokenForm
		gotErr := got.parse(body)
		vals, err := url.ParseQuery(body)
		if err != nil {
			want := badRequest("malformed urlencoded body: %v", err)
			if diff := cmp.Diff(want.Error(), errString(gotErr)); diff != "" {
				t.Fatalf("tokenForm.parse(%q) error (-want +got):\n%s", body, diff)
			}
			return
		}
		var repeated []string
		for k, v := range vals {
			if len(v) > 1 {
				repeated = append(repeated, k)
			}
		}
		if len(repeated) > 0 {
			e, ok := gotErr.(*Error)
			if !ok || e.Status != http.StatusBadRequest || e.Code != "invalid_request" || !strings.HasPrefix(e.Msg, "parameter ") {
				t.Fatalf("tokenForm.parse(%q) = %v, want a repeated-parameter error (repeated: %q)", body, gotErr, repeated)
			}
			if k := strings.TrimSuffix(strings.TrimPrefix(e.Msg, "parameter "), " is repeated"); len(vals[k]) < 2 {
				t.Fatalf("tokenForm.parse(%q) names %q, which is not repeated (%q are)", body, k, repeated)
			}
			return
		}
		if gotErr != nil {
			t.Fatalf("tokenForm.parse(%q): %v, want no error", body, gotErr)
		}
		for _, k := range append([]string{"grant_type", "scope", "client_id", "client_secret", ""}, keys(vals)...) {
			if g, w := got.get(k), vals.Get(k); g != w {
				t.Fatalf("tokenForm.parse(%q).get(%q) = %q, want %q", body, k, g, w)
			}
		}
	})
}

func keys(v url.Values) []string {
	var ks []string
	for k := range v {
		ks = append(ks, k)
	}
	return ks
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestSecretEqual(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"", "", true}, {"s3cr3t", "s3cr3t", true}, {"s3cr3t", "s3cr3T", false},
		{"s3cr3t", "s3cr3", false}, {"", "x", false}, {"aé", "a\xc3\xa9", true},
	} {
		if got := secretEqual(tc.a, tc.b); got != tc.want {
			t.Errorf("secretEqual(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// FuzzBasicAuth checks basicAuth against net/http's Request.BasicAuth.
func FuzzBasicAuth(f *testing.F) {
	for _, h := range []string{
		"Basic " + base64.StdEncoding.EncodeToString([]byte("7bcee21a-3f7e:s3cr3t")),
		"basic " + base64.StdEncoding.EncodeToString([]byte("a%20b:c+d")),
		"BASIC " + base64.StdEncoding.EncodeToString([]byte("nocolon")),
		"Basic " + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 300)+":y")),
		"Basic !!!", "Basic", "Basic ", "Bearer abc", "Basic  YTpi", "Basic YTpi=",
	} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, h string) {
		r := &http.Request{Header: http.Header{"Authorization": {h}}}
		wu, wp, wok := r.BasicAuth()
		gu, gp, gok := basicAuth(h)
		if gu != wu || gp != wp || gok != wok {
			t.Fatalf("basicAuth(%q) = %q, %q, %v; BasicAuth gives %q, %q, %v", h, gu, gp, gok, wu, wp, wok)
		}
	})
}
