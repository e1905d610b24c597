package contract

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// queryDoc declares the plain string parameter shapes paramsValid covers
// (required, optional, enum, pattern, the access_token alternative to the
// Authorization header, a header) a GET without parameters, and two it leaves to openapi3filter.
const queryDoc = `swagger: "2.0"
info: {title: query, version: "1"}
consumes: [application/json]
produces: [application/json]
securityDefinitions:
  eko: {type: oauth2, flow: application, tokenUrl: /oauth/token, scopes: {bot: bot}}
security:
  - eko: [bot]
paths:
  /search:
    get:
      operationId: search
      parameters:
        - {name: q, in: query, required: true, type: string, minLength: 1, maxLength: 8, pattern: '^[a-z@.]+$'}
        - {name: size, in: query, required: false, type: string, enum: [small, large]}
        - {name: access_token, in: query, required: false, type: string, pattern: '^[0-9a-f]{40}$'}
        - {name: X-Trace, in: header, required: false, type: string, maxLength: 4}
      responses:
        "200": {description: ok}
  /ping:
    get:
      operationId: ping
      responses:
        "200": {description: ok}
  /open:
    get:
      operationId: open
      security: []
      parameters:
        - {name: n, in: query, required: false, type: integer}
      responses:
        "200": {description: ok}
  /list:
    get:
      operationId: list
      security: []
      parameters:
        - {name: tags, in: query, required: false, type: array, items: {type: string}}
      responses:
        "200": {description: ok}
`

var (
	queryOnce sync.Once
	queryC    *Contract
	queryErr  error
)

func mustQueryDoc(tb testing.TB) *Contract {
	tb.Helper()
	queryOnce.Do(func() { queryC, queryErr = Load([]byte(queryDoc), "query.yaml") })
	if queryErr != nil {
		tb.Fatalf("Load: %v", queryErr)
	}
	return queryC
}

// querySeeds are GET requests the parameter fast path sees: what clients
// send, and near misses. fast marks the ones it must pass itself.
var querySeeds = []struct {
	doc             bool // queryDoc, not the embedded contract
	op, query, auth string
	trace           []string // X-Trace values; nil: none
	fast            bool
}{
	{false, "findUsers", "username=test01%40ekoapp.com", "Bearer " + token, nil, true},
	{false, "findUsers", "username=test01@ekoapp.com&extra=1&&=x", "Bearer " + token, nil, true},
	{false, "findUsers", "username=bob&access_token=" + token, "", nil, false},
	{false, "findUsers", "username=bob", "", nil, false},
	{false, "findUsers", "username=bob", "Basic a", nil, false},
	{false, "findUsers", "", "Bearer " + token, nil, false},
	{false, "findUsers", "username=", "Bearer " + token, nil, false},
	{false, "findUsers", "username", "Bearer " + token, nil, false},
	{false, "findUsers", "username=&username=bob", "Bearer " + token, nil, false},
	{false, "findUsers", "username=bob&username=", "Bearer " + token, nil, false},
	{false, "findUsers", "username=bob&user%6Eame=al", "Bearer " + token, nil, false},
	{false, "findUsers", "username=bob;x=1", "Bearer " + token, nil, false},
	{false, "findUsers", "username=%zz", "Bearer " + token, nil, false},
	{false, "findUsers", "x=%zz&username=bob", "Bearer " + token, nil, false},
	{true, "ping", "a=1&a=2", "Bearer " + token, nil, true},
	{true, "ping", "", "", nil, false},
	{true, "search", "q=bob", "Bearer " + token, nil, true},
	{true, "search", "q=bob&size=large", "Bearer " + token, []string{"ab"}, true},
	{true, "search", "q=bob&access_token=" + token, "", nil, true},
	{true, "search", "q=bob&access_token=xyz", "", nil, false},
	{true, "search", "q=bob&size=medium", "Bearer " + token, nil, false},
	{true, "search", "q=bob&size=", "Bearer " + token, nil, false},
	{true, "search", "q=Bob", "Bearer " + token, nil, false},
	{true, "search", "q=bobbobbob", "Bearer " + token, nil, false},
	{true, "search", "q=b+b", "Bearer " + token, nil, false},
	{true, "search", "q=bob", "Bearer " + token, []string{"abcde"}, false},
	{true, "search", "q=bob", "Bearer " + token, []string{""}, false},
	{true, "search", "q=bob", "Bearer " + token, []string{}, false},
	{true, "search", "q=bob", "Bearer " + token, []string{"ab", "abcde"}, true},
	{true, "open", "n=1", "", nil, false},
	{true, "list", "tags=a&tags=b", "", nil, false},
}

// queryRequest builds a GET for o with the raw query, Authorization and
// X-Trace values given.
func queryRequest(tb testing.TB, o *operation, query, auth string, trace []string) *http.Request {
	tb.Helper()
	r, err := http.NewRequest(o.method, "http://eko.invalid"+o.path, http.NoBody)
	if err != nil {
		tb.Fatal(err)
	}
	r.URL.RawQuery = query
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	if trace != nil {
		r.Header["X-Trace"] = trace
	}
	return r
}

// kinParamsAndSecurity is openapi3filter's verdict on r's security and
// parameters, the request body excluded.
func kinParamsAndSecurity(c *Contract, o *operation, r *http.Request) error {
	in := &openapi3filter.RequestValidationInput{Request: r, Route: o.route,
		Options: &openapi3filter.Options{MultiError: true, SkipSettingDefaults: true, ExcludeRequestBody: true,
			AuthenticationFunc: c.authenticate, SchemaValidationOptions: schemaOpts}}
	return openapi3filter.ValidateRequest(context.Background(), in)
}

// FuzzParamsAndSecurityValid holds the parameter fast path of
// ValidateRequest to openapi3filter: whatever it passes, openapi3filter
// passes too.
func FuzzParamsAndSecurityValid(f *testing.F) {
	cs := []*Contract{mustDefault(f), mustQueryDoc(f)}
	for i, s := range querySeeds {
		trace := ""
		if len(s.trace) > 0 {
			trace = s.trace[0]
		}
		f.Add(uint8(i), s.query, s.auth, trace)
	}
	f.Fuzz(func(t *testing.T, op uint8, query, auth, trace string) {
		c := cs[op&1]
		o := c.ops[c.order[int(op>>1)%len(c.order)]]
		if int(op) < len(querySeeds) {
			s := querySeeds[op]
			c = cs[0]
			if s.doc {
				c = cs[1]
			}
			o = c.ops[s.op]
		}
		var traces []string
		if trace != "" {
			traces = []string{trace}
		}
		if !c.paramsAndSecurityValid(o.route, queryRequest(t, o, query, auth, traces)) {
			return
		}
		if err := kinParamsAndSecurity(c, o, queryRequest(t, o, query, auth, traces)); err != nil {
			t.Fatalf("%s %q %q %q: the fast path passed what openapi3filter refuses: %v", o.id, query, auth, trace, err)
		}
	})
}

// The parameter fast path passes the requests clients send (else it is
// dead weight) and nothing openapi3filter refuses, and ValidateRequest
// reports what openapi3filter reports for every seed.
func TestParamsAndSecurityValid(t *testing.T) {
	t.Parallel()
	for i, s := range querySeeds {
		c := mustDefault(t)
		if s.doc {
			c = mustQueryDoc(t)
		}
		o := c.ops[s.op]
		if o == nil {
			t.Fatalf("seed %d: no operation %s", i, s.op)
		}
		newReq := func() *http.Request { return queryRequest(t, o, s.query, s.auth, s.trace) }
		fast := c.paramsAndSecurityValid(o.route, newReq())
		kinErr := kinParamsAndSecurity(c, o, newReq())
		if fast && kinErr != nil {
			t.Errorf("seed %d %+v: the fast path passed what openapi3filter refuses: %v", i, s, kinErr)
		}
		if fast != s.fast {
			t.Errorf("seed %d %+v: fast path says %v, want %v (openapi3filter: %v)", i, s, fast, s.fast, kinErr)
		}
		_, vs := c.ValidateRequest(newReq(), nil)
		var want []Violation
		if kinErr != nil {
			want = violationsOf(o.id, DirectionRequest, kinErr)
		}
		if len(vs) != len(want) {
			t.Errorf("seed %d %+v: ValidateRequest found %d violations, openapi3filter %d: %v vs %v", i, s, len(vs), len(want), vs, want)
		}
	}
}

// plainString (by field index) says what onlyFields (by field name) says about every parameter
// schema of both documents, and about schemas just outside its shape.
func TestPlainStringIsOnlyFields(t *testing.T) {
	t.Parallel()
	var schemas []*openapi3.Schema
	for _, c := range []*Contract{mustDefault(t), mustQueryDoc(t)} {
		for _, id := range c.order {
			for _, p := range c.ops[id].route.Operation.Parameters {
				if p.Value != nil && p.Value.Schema != nil {
					schemas = append(schemas, p.Value.Schema.Value)
				}
			}
		}
	}
	str := openapi3.NewStringSchema // With* methods change their receiver
	schemas = append(schemas, nil, str(), openapi3.NewIntegerSchema(), str().WithFormat("date"),
		str().WithDefault("x"), str().WithNullable(), str().WithMinLength(2).WithPattern("^a").WithEnum("ab", "ac"))
	plain := 0
	for i, s := range schemas {
		want := s != nil && s.Type.Is(openapi3.TypeString) && onlyFields(s, plainStringFields...)
		if got := plainString(s); got != want {
			t.Errorf("schema %d %+v: plainString %v, onlyFields %v", i, s, got, want)
		}
		if want {
			plain++
		}
	}
	if plain < 3 || plain == len(schemas) {
		t.Errorf("%d of %d schemas plain: the table does not tell plain from not", plain, len(schemas))
	}
}
