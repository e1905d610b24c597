package contract

import (
	"context"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"
)

// planSchemas lists every schema the embedded contract compiled a plan for,
// in a fixed order (operations in c.order, request body first, responses by
// status, then depth first), so that a fuzz input names the same schema on
// every run.
func planSchemas(c *Contract) []*openapi3.Schema {
	var out []*openapi3.Schema
	seen := map[*openapi3.Schema]bool{}
	var walk func(s *openapi3.Schema)
	walk = func(s *openapi3.Schema) {
		if s == nil || seen[s] || c.plans[s] == nil {
			return
		}
		seen[s] = true
		out = append(out, s)
		for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
			walk(s.Properties[name].Value)
		}
		if s.Items != nil {
			walk(s.Items.Value)
		}
		if s.AdditionalProperties.Schema != nil {
			walk(s.AdditionalProperties.Schema.Value)
		}
		for _, ref := range s.OneOf {
			walk(ref.Value)
		}
	}
	if c.webhook != nil {
		walk(c.webhook.Value)
	}
	for _, id := range c.order {
		o := c.ops[id].route.Operation
		if rb := o.RequestBody; rb != nil && rb.Value != nil {
			if mt := rb.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
				walk(mt.Schema.Value)
			}
		}
		for _, code := range slices.Sorted(maps.Keys(o.Responses.Map())) {
			if mt := o.Responses.Value(code).Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
				walk(mt.Schema.Value)
			}
		}
	}
	return out
}

// kinBodyErr is what the long way says about doc against s: the request
// check (validateJSONBody: decodeJSON, then VisitJSON) and the response
// check (the same decoding, VisitJSON as a response), joined.
func kinBodyErr(s *openapi3.Schema, doc []byte) error {
	v, err := decodeJSON(doc)
	if err != nil {
		return err
	}
	if err := s.VisitJSON(v, openapi3.MultiErrors(), openapi3.DisableSchemaErrorDetails()); err != nil {
		return err
	}
	v, _ = decodeJSON(doc) // VisitJSON may have changed it
	return s.VisitJSON(v, responseSchemaOpts...)
}

// planSeeds are documents for the plans of the embedded contract: what
// mockeko and its clients send, and near misses.
var planSeeds = []struct {
	op   string
	code string // "" for the request body
	doc  string
}{
	{"pushMessagesV2", "", string(body1KB)},
	{"pushMessagesV2", "", `{"gid":"67f8b9d48233e6a3b68501ef","messages":[{"text":"hi","type":"text"}]}`},
	{"pushMessagesV2", "", `{"gid":"67f8b9d48233e6a3b68501ef","messages":[{"type":"text","text":"hi","type":"image"}]}`},
	{"pushMessagesV2", "", `{"gid":"67f8b9d48233e6a3b68501ef","messages":[{"type":"image","originalContentUrl":"https://x","previewImageUrl":"https://y"}]}`},
	{"pushMessagesV2", "", `{"gid":"67f8b9d48233e6a3b68501ef","messages":[{"type":"sticker","text":"hi"}]}`},
	{"pushMessagesV2", "", `{"gid":"67f8b9d48233e6a3b68501ef","messages":[]}`},
	{"pushGroupMessage", "", `{"gid":"` + gid + `","tid":"` + tid + `","message":"` + strings.Repeat("x", 950) + `"}`},
	{"pushGroupMessage", "", `{"gid":"` + gid + `","message":"hi \u00e9\ud83d\ude00 \"q\"","extra":[1,2.5,-3e2,{"a":null}]}`},
	{"pushGroupMessage", "", `{"gid":"` + gid + `","message":null}`},
	{"pushGroupMessage", "", `{"gid":"x","message":"hi"}`},
	{"getToken", "200", `{"access_token":"` + token + `","token_type":"Bearer","expires_in":3600,"scope":"bot"}`},
	{"getToken", "200", `{"access_token":"` + token + `","token_type":"Bearer","expires_in":1e2,"scope":"bot"}`},
	{"getToken", "200", `{"access_token":"` + token + `","token_type":"Bearer","expires_in":36.5,"scope":"bot"}`},
	{"findUsers", "200", `{"users":[{"_id":"5d8af2ff164176ecaec49e5c","username":"a","email":"a@b.c","firstname":"A","lastname":"B","position":"","deleted":false}]}`},
	{"findUsers", "200", `{"users":[{"_id":"5d8af2ff164176ecaec49e5c","username":"a","deleted":"no"}]}`},
	{"pushGroupMessage", "201", `{"status":"success","message":{"id":"5de48f26707e9f529a9c03ff","type":"text","groupId":"5de48f02707e9f529a9c03f8","threadId":"5de48f02707e9f529a9c03f9"}}`},
	{"pushMessagesV2", "201", `{"status":"success","messages":[{"id":"5de48f26707e9f529a9c0400","type":"text","groupId":"5de48f02707e9f529a9c03f8","threadId":"5de48f02707e9f529a9c03f9"}]}`},
}

// seedSchema is the JSON schema of op's request body (code "") or response.
func seedSchema(t testing.TB, c *Contract, op, code string) *openapi3.Schema {
	t.Helper()
	o := c.ops[op].route.Operation
	var content openapi3.Content
	if code == "" {
		content = o.RequestBody.Value.Content
	} else {
		content = o.Responses.Value(code).Value.Content
	}
	return content.Get("application/json").Schema.Value
}

// FuzzJSONPlan holds every plan of the embedded contract to kin-openapi:
// whatever a plan passes, decodeJSON decodes and Schema.VisitJSON passes,
// as a request body and as a response.
func FuzzJSONPlan(f *testing.F) {
	c := mustDefault(f)
	schemas := planSchemas(c)
	index := map[*openapi3.Schema]int{}
	for i, s := range schemas {
		index[s] = i
	}
	for _, s := range planSeeds {
		f.Add(uint16(index[seedSchema(f, c, s.op, s.code)]), []byte(s.doc))
	}
	for _, doc := range []string{`{"events":[` + joinEvent + `]}`, `{"events":[` + messageEvent + `]}`, `{"events":[` + messageEvent + `,` + joinEvent + `]}`, `{"events":[]}`} {
		f.Add(uint16(index[c.webhook.Value]), []byte(doc))
	}
	f.Fuzz(func(t *testing.T, i uint16, doc []byte) {
		s := schemas[int(i)%len(schemas)]
		if !c.plans[s].valid(doc) {
			return
		}
		if err := kinBodyErr(s, doc); err != nil {
			t.Fatalf("schema %d, %q: the plan passed what kin-openapi refuses: %v", int(i)%len(schemas), doc, err)
		}
	})
}

// FuzzJSONPlanSchema holds plans of arbitrary (valid) schemas to
// kin-openapi.
func FuzzJSONPlanSchema(f *testing.F) {
	for _, tc := range planCases {
		f.Add([]byte(tc.schema), []byte(tc.doc))
	}
	f.Fuzz(func(t *testing.T, schema, doc []byte) {
		var s openapi3.Schema
		if json.Unmarshal(schema, &s) != nil || s.Validate(context.Background()) != nil {
			return
		}
		if !(plans{}).compile(&s).valid(doc) {
			return
		}
		if err := kinBodyErr(&s, doc); err != nil {
			t.Fatalf("schema %s, %q: the plan passed what kin-openapi refuses: %v", schema, doc, err)
		}
	})
}

// planCases are the edge cases of the plans: each with the plan's verdict
// ("certainly valid") and kin-openapi's ("no violation"). A plan may say
// false where kin says true (it does not know), never the reverse.
var planCases = []struct {
	name, schema, doc string
	plan, kin         bool
}{
	{"object", `{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}`, `{"a":"x"}`, true, true},
	{"missing required", `{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}`, `{"b":"x"}`, false, false},
	{"required without property", `{"type":"object","required":["a"]}`, `{"a":[1,{"b":null}]}`, true, true},
	{"wrong type", `{"type":"object","properties":{"a":{"type":"string"}}}`, `{"a":1}`, false, false},
	{"not an object", `{"type":"object"}`, `[]`, false, false},
	{"additionalProperties false", `{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}`, `{"a":"x","b":1}`, false, false},
	{"additionalProperties false, declared only", `{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}`, `{"a":"x"}`, true, true},
	{"additionalProperties schema", `{"type":"object","additionalProperties":{"type":"integer"}}`, `{"a":1,"b":2.5}`, false, false},
	{"additionalProperties schema ok", `{"type":"object","additionalProperties":{"type":"integer"}}`, `{"a":1,"b":2.0}`, true, true},
	{"int64", `{"type":"integer","format":"int64","minimum":0}`, `1539920767866`, true, true},
	{"int64, max", `{"type":"integer","format":"int64"}`, `9223372036854775807`, true, true},
	{"int64, 2^63", `{"type":"integer","format":"int64"}`, `9223372036854775808`, true, true}, // float64 rounds MaxInt64 up to 2^63, as kin does
	{"int64, beyond", `{"type":"integer","format":"int64"}`, `1e19`, false, false},
	{"int64, min", `{"type":"integer","format":"int64"}`, `-9223372036854775808`, true, true},
	{"int64, below", `{"type":"integer","format":"int64"}`, `-1e19`, false, false},
	{"int64, below minimum", `{"type":"integer","format":"int64","minimum":0}`, `-1`, false, false},
	{"int32", `{"type":"integer","format":"int32"}`, `2147483647`, true, true},
	{"int32, beyond", `{"type":"integer","format":"int32"}`, `2147483648`, false, false},
	{"int32, fraction", `{"type":"integer","format":"int32"}`, `1.5`, false, false},
	{"unknown integer format", `{"type":"integer","format":"uint8"}`, `300`, true, true},
	{"float", `{"type":"number","format":"float"}`, `1.5e300`, true, true}, // kin registers no number formats
	{"double", `{"type":"number","format":"double"}`, `1.5e300`, true, true},
	{"enum", `{"type":"string","enum":["a","b"]}`, `"b"`, true, true},
	{"not in enum", `{"type":"string","enum":["a","b"]}`, `"c"`, false, false},
	{"enum, escaped", `{"type":"string","enum":["a/b"]}`, `"a\/b"`, true, true},
	{"number enum", `{"type":"integer","enum":[1,2]}`, `1`, false, true},
	{"maxLength counts runes", `{"type":"string","maxLength":2}`, `"éé"`, true, true},
	{"maxLength", `{"type":"string","maxLength":2}`, `"abc"`, false, false},
	{"minLength, astral", `{"type":"string","minLength":2}`, `"😀"`, false, false},
	{"minLength, escaped pair", `{"type":"string","minLength":1,"maxLength":1}`, `"\ud83d\ude00"`, true, true},
	{"pattern", `{"type":"string","pattern":"^[0-9a-f]{24}$"}`, `"5d8af2ff164176ecaec49e5c"`, true, true},
	{"pattern miss", `{"type":"string","pattern":"^[0-9a-f]{24}$"}`, `"5d8af2ff164176ecaec49e5"`, false, false},
	{"uuid", `{"type":"string","format":"uuid"}`, `"7bcee21a-3f7e-4338-97af-a90842176849"`, true, true},
	{"not a uuid", `{"type":"string","format":"uuid"}`, `"7bcee21a"`, false, false},
	{"email", `{"type":"string","format":"email"}`, `"a@b.c"`, true, true},
	{"date-time", `{"type":"string","format":"date-time"}`, `"2026-12-05T06:47:55Z"`, true, true},
	{"not a date-time", `{"type":"string","format":"date-time"}`, `"yesterday"`, false, false},
	{"unknown format", `{"type":"string","format":"binary"}`, `"x"`, true, true},
	{"null", `{"type":"string"}`, `null`, false, false},
	{"nullable", `{"type":"string","nullable":true,"enum":["a"]}`, `null`, true, true},
	{"null in empty schema", `{}`, `null`, false, false},
	{"anything in empty schema", `{}`, `{"a":[true,false,null,-0.5e-3]}`, true, true},
	{"integer 1e2", `{"type":"integer"}`, `1e2`, true, true},
	{"integer 1.0", `{"type":"integer"}`, `1.0`, true, true},
	{"integer 1.5", `{"type":"integer"}`, `1.5`, false, false},
	{"integer, big", `{"type":"integer"}`, `123456789012345678901234567890`, true, true},
	{"number out of range", `{}`, `1e400`, false, false},
	{"number out of range, unchecked member", `{"type":"object"}`, `{"a":-1e999}`, false, false},
	{"minimum", `{"type":"integer","minimum":1}`, `0`, false, false},
	{"minimum ok", `{"type":"number","minimum":1,"maximum":2}`, `15e-1`, true, true},
	{"maximum", `{"type":"number","maximum":2}`, `2.01`, false, false},
	{"leading zero", `{"type":"integer"}`, `01`, false, false},
	{"boolean", `{"type":"boolean"}`, `false`, true, true},
	{"boolean as string", `{"type":"boolean"}`, `"false"`, false, false},
	{"items", `{"type":"array","items":{"type":"string"},"minItems":1,"maxItems":2}`, `["a","b"]`, true, true},
	{"too many items", `{"type":"array","items":{"type":"string"},"maxItems":1}`, `["a","b"]`, false, false},
	{"too few items", `{"type":"array","items":{},"minItems":1}`, `[]`, false, false},
	{"item type", `{"type":"array","items":{"type":"string"}}`, `["a",1]`, false, false},
	{"duplicate key, both valid", `{"type":"object","properties":{"a":{"type":"string"}}}`, `{"a":"x","a":"y"}`, true, true},
	{"duplicate key, first invalid", `{"type":"object","properties":{"a":{"type":"string"}}}`, `{"a":1,"a":"y"}`, false, true},
	{"invalid UTF-8", `{"type":"string"}`, "\"a\xffb\"", false, true},
	{"lone surrogate", `{"type":"string"}`, `"\ud800"`, false, true},
	{"control character", `{"type":"string"}`, "\"a\nb\"", false, false},
	{"trailing data", `{"type":"string"}`, `"a" "b"`, false, false},
	{"whitespace around", `{"type":"string"}`, " \t\r\n\"a\" \n", true, true},
	{"empty document", `{"type":"string"}`, ``, false, false},
	{"deep nesting", `{}`, strings.Repeat("[", 100) + strings.Repeat("]", 100), false, true},
	{"nesting within bounds", `{}`, strings.Repeat("[", 50) + strings.Repeat("]", 50), true, true},
	{"unmodelled keyword", `{"type":"string","not":{"enum":["a"]}}`, `"b"`, false, true},
	{"uniqueItems", `{"type":"array","items":{},"uniqueItems":true}`, `[1,2]`, false, true},
	{"truncated", `{"type":"object"}`, `{"a":`, false, false},
}

func TestJSONPlan(t *testing.T) {
	t.Parallel()
	for _, tc := range planCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var s openapi3.Schema
			if err := json.Unmarshal([]byte(tc.schema), &s); err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(context.Background()); err != nil {
				t.Fatal(err)
			}
			got := verdict{(plans{}).compile(&s).valid([]byte(tc.doc)), kinBodyErr(&s, []byte(tc.doc)) == nil}
			if diff := cmp.Diff(verdict{tc.plan, tc.kin}, got); diff != "" {
				t.Errorf("%s against %s (-want +got):\n%s", tc.doc, tc.schema, diff)
			}
		})
	}
}

// Unions: the discriminator picks the branch, wherever it is in the object,
// and a repeated discriminator with another value is not guessed at.
func TestJSONPlanUnions(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	s := seedSchema(t, c, "pushMessagesV2", "")
	checkVerdicts(t, c.plans[s], s, []verdictCase{
		{`{"gid":"` + gid + `","messages":[{"type":"text","text":"hi"}]}`, verdict{true, true}},
		{`{"gid":"` + gid + `","messages":[{"text":"hi","type":"text"}]}`, verdict{true, true}},
		{`{"gid":"` + gid + `","messages":[{"text":"hi"}]}`, verdict{false, false}},
		{`{"gid":"` + gid + `","messages":[{"type":"nope","text":"hi"}]}`, verdict{false, false}},
		{`{"gid":"` + gid + `","messages":[{"type":1,"text":"hi"}]}`, verdict{false, false}},
		{`{"gid":"` + gid + `","messages":[{"type":"image","text":"hi"}]}`, verdict{false, false}},
		{`{"gid":"` + gid + `","messages":[{"type":"text","text":"hi","type":"text"}]}`, verdict{true, true}},
		{`{"gid":"` + gid + `","messages":[{"type":"image","text":"hi","type":"text"}]}`, verdict{false, true}},
		{`{"gid":"` + gid + `","messages":[{"type":"te\u0078t","text":"hi"}]}`, verdict{false, true}},
		{`{"gid":"` + gid + `","messages":["text"]}`, verdict{false, false}},
		{string(body1KB), verdict{true, true}},
	})
}

// verdict is what a plan and kin-openapi say of a document: certainly
// valid, and without a violation.
type verdict struct{ Plan, Kin bool }

type verdictCase struct {
	doc  string
	want verdict
}

// checkVerdicts holds p, the plan of s, and kin-openapi to each case.
func checkVerdicts(t *testing.T, p *jsonPlan, s *openapi3.Schema, cases []verdictCase) {
	t.Helper()
	for _, tc := range cases {
		got := verdict{p.valid([]byte(tc.doc)), kinBodyErr(s, []byte(tc.doc)) == nil}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.doc, diff)
		}
	}
}

// Every schema of the embedded contract compiles to a plan that reads
// documents: an unknown plan would send its bodies the long way.
func TestJSONPlanCoversTheContract(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	var unknown []string
	for i, s := range planSchemas(c) {
		if c.plans[s].unknown {
			unknown = append(unknown, sprintf("%d %s", i, s.Title))
		}
	}
	if diff := cmp.Diff([]string(nil), unknown); diff != "" {
		t.Errorf("schemas without a plan (-want +got):\n%s", diff)
	}
	for _, s := range planSeeds {
		if s.doc == string(body1KB) || strings.HasPrefix(s.doc, `{"access_token"`) && strings.Contains(s.doc, `3600`) {
			if !c.plans[seedSchema(t, c, s.op, s.code)].valid([]byte(s.doc)) {
				t.Errorf("%s %s: not passed by its plan", s.op, s.code)
			}
		}
	}
}

// FuzzHexPattern holds the hand matcher of hex-run patterns (^[0-9a-f]{n}$,
// optional, or joined by "_"; see hexShape) to the regexp.
func FuzzHexPattern(f *testing.F) {
	f.Add("^[0-9a-f]{24}$", "5ae99669299892c81ec1d7fa")
	f.Add("^[0-9a-f]{40}$", "5ae99669299892c81ec1d7fa5ae99669299892c8")
	f.Add("^[0-9a-f]{2}$", "aé")
	f.Add("^[0-9a-f]{3}$", "AB1")
	f.Add("^[0-9a-f]{02}$", "ab")
	f.Add("^[0-9a-f]{1,2}$", "ab")
	f.Add("^[0-9a-f]{1001}$", "a") // beyond regexp's largest repeat count
	f.Add("^([0-9a-f]{24})?$", "")
	f.Add("^([0-9a-f]{2})?$", "a")
	f.Add("^([0-9a-f]{2}?$", "ab")
	f.Add("^[0-9a-f]{2}_[0-9a-f]{3}$", "ab_cde")
	f.Add("^[0-9a-f]{2}_[0-9a-f]{3}$", "ab__cd")
	f.Add("^([0-9a-f]{1}_[0-9a-f]{1})?$", "a_")
	f.Add("^[0-9a-f]{2}_$", "ab_")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		h := parseHexShape(pattern)
		if h == nil {
			return
		}
		re, err := regexp.Compile(pattern)
		if err != nil {
			t.Fatalf("parseHexShape(%q) = %+v for a pattern that does not compile: %v", pattern, h, err)
		}
		if got, want := matchHexShape(h, s), re.MatchString(s); got != want {
			t.Errorf("matchHexShape(%+v, %q) = %v, regexp %q says %v", h, s, got, pattern, want)
		}
		if got, want := matchHexShape(h, []byte(s)), re.Match([]byte(s)); got != want {
			t.Errorf("matchHexShape(%+v, []byte(%q)) = %v, regexp %q says %v", h, s, got, pattern, want)
		}
	})
}

// The document's id, token and session id patterns are matched without the
// regexp; other patterns keep it.
func TestParseHexShape(t *testing.T) {
	t.Parallel()
	for pattern, want := range map[string]*hexShape{
		"^[0-9a-f]{24}$":              {runs: []int{24}},
		"^([0-9a-f]{24})?$":           {runs: []int{24}, optional: true},
		"^[0-9a-f]{24}_[0-9a-f]{24}$": {runs: []int{24, 24}},
		"^#[0-9A-Fa-f]{6}$":           nil,
		"^([0-9a-f]{24}|\\[.*\\])$":   nil,
		"^[a-z][a-z0-9_]*$":           nil,
		"^[0-9a-f]{24}_[0-9a-f]{24}":  nil,
		"^([0-9a-f]{24})$":            nil,
	} {
		if diff := cmp.Diff(want, parseHexShape(pattern), cmp.AllowUnexported(hexShape{})); diff != "" {
			t.Errorf("parseHexShape(%q) (-want +got):\n%s", pattern, diff)
		}
	}
}

// A union whose shared schema declares only its tag reads the tag's value
// again, not the whole object, and still holds it to the shared schema:
// here the shared enum leaves out "b", which the mapping has.
func TestJSONPlanTagOnly(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData([]byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{},
	"components":{"schemas":{
	  "U":{"type":"object","required":["type"],"properties":{"type":{"type":"string","enum":["a"]}},
	       "oneOf":[{"$ref":"#/components/schemas/A"},{"$ref":"#/components/schemas/B"}],
	       "discriminator":{"propertyName":"type","mapping":{"a":"#/components/schemas/A","b":"#/components/schemas/B"}}},
	  "A":{"type":"object","required":["type","x"],"properties":{"type":{"type":"string"},"x":{"type":"string"}}},
	  "B":{"type":"object","required":["type"],"properties":{"type":{"type":"string"}}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	s := doc.Components.Schemas["U"].Value
	p := (plans{}).compile(s)
	if !p.tagOnly {
		t.Fatal("the union's plan does not read its tag alone")
	}
	checkVerdicts(t, p, s, []verdictCase{
		{`{"type":"a","x":"1"}`, verdict{true, true}},
		{`{"x":"1","type":"a"}`, verdict{true, true}},
		{`{"type":"a"}`, verdict{false, false}},               // A requires x
		{`{"type":"b"}`, verdict{false, false}},               // B is fine, the shared enum is not
		{`{"type":"a","x":"1","y":[1]}`, verdict{true, true}}, // open objects
		{`{"type":"a","x":"1","type":"a"}`, verdict{true, true}},
		{`{"type":"a","x":"1","type":"b"}`, verdict{false, false}},
		{`{"type":"a","x":"1"} `, verdict{true, true}},
		{`{"type":"a","x":"1"`, verdict{false, false}},
	})
	c := mustDefault(t)
	n := 0
	for _, s := range planSchemas(c) {
		if c.plans[s].tagOnly {
			n++
		}
	}
	if n < 2 {
		t.Errorf("%d plans of the contract read their tag alone, want the webhook event and the BotV2 message at least", n)
	}
}
