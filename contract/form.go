package contract

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// formType is the media type formPlan checks: the token request's.
const formType = "application/x-www-form-urlencoded"

// formPlan is what an operation's urlencoded requests are checked against
// without openapi3filter: built only for operations whose parameters are
// plain string headers and whose form body is an object of plain string
// properties, the shapes whose openapi3filter verdict formRequestValid can
// predict exactly (see formRequestValid).
type formPlan struct {
	headers  []formHeader
	props    map[string]*stringCheck
	required []string
}

type formHeader struct {
	name     string // canonical
	required bool
	check    *stringCheck
}

// stringCheck validates strings against a plain string schema (see
// plainString) and remembers the last string that passed: a client sends
// the same Authorization header and scope on every token request, and the
// verdict on a string depends on the string alone.
type stringCheck struct {
	schema  *openapi3.Schema
	request bool // validate as a request body property (openapi3.VisitAsRequest)
	last    atomic.Pointer[string]
}

// valid reports whether s passes the schema, as Schema.VisitJSON says.
func (c *stringCheck) valid(s string) bool {
	if last := c.last.Load(); last != nil && *last == s {
		return true
	}
	var err error
	if c.request {
		err = c.schema.VisitJSON(s, openapi3.VisitAsRequest(), openapi3.MultiErrors(), openapi3.DisableSchemaErrorDetails())
	} else {
		err = c.schema.VisitJSON(s, openapi3.MultiErrors(), openapi3.DisableSchemaErrorDetails())
	}
	if err != nil {
		return false
	}
	kept := strings.Clone(s) // not a slice of the body, which it would keep alive
	c.last.Store(&kept)
	return true
}

// maxFormPairs is the most parameters formRequestValid decodes itself.
const maxFormPairs = 64

// newFormPlan compiles the form plan of route's operation, or returns nil
// when its shape is outside what formRequestValid predicts.
func newFormPlan(route *routers.Route) *formPlan {
	o := route.Operation
	if len(route.PathItem.Parameters) > 0 || o.RequestBody == nil || o.RequestBody.Value == nil ||
		route.Spec == nil || route.Spec.IsOpenAPI31OrLater() {
		return nil
	}
	mt := o.RequestBody.Value.Content[formType]
	if mt == nil || len(mt.Encoding) > 0 || mt.Schema == nil || mt.Schema.Value == nil {
		return nil
	}
	p := &formPlan{props: map[string]*stringCheck{}}
	for _, ref := range o.Parameters {
		pv := ref.Value
		if pv == nil || pv.In != openapi3.ParameterInHeader || pv.Content != nil || pv.AllowEmptyValue ||
			(pv.Style != "" && pv.Style != openapi3.SerializationSimple) || pv.Schema == nil || !plainString(pv.Schema.Value) {
			return nil
		}
		p.headers = append(p.headers, formHeader{http.CanonicalHeaderKey(pv.Name), pv.Required, &stringCheck{schema: pv.Schema.Value}})
	}
	s := mt.Schema.Value
	// additionalProperties cannot fail: openapi3filter's decoder puts
	// declared properties only in the object it validates.
	if !s.Type.Is(openapi3.TypeObject) || s.AdditionalProperties.Schema != nil ||
		!onlyFields(s, "Type", "Properties", "Required", "AdditionalProperties") {
		return nil
	}
	for name, ref := range s.Properties {
		if ref == nil || !plainString(ref.Value) {
			return nil
		}
		p.props[name] = &stringCheck{schema: ref.Value, request: true}
	}
	p.required = s.Required
	return p
}

// plainStringFields are the fields a plain string schema may set (besides
// annotations).
var plainStringFields = []string{"Type", "Pattern", "MinLength", "MaxLength", "Enum"}

// plainStringZero are the indices of the fields of openapi3.Schema that
// plainString requires to be zero: every exported field but
// plainStringFields and annotations. It is computed once from the type and
// never changes, so plainString looks no field up by name: paramsValid
// calls it on every request.
var plainStringZero = func() []int {
	t := reflect.TypeFor[openapi3.Schema]()
	var idx []int
	for i := range t.NumField() {
		f := t.Field(i)
		if f.IsExported() && !contains(plainStringFields, f.Name) && !contains(annotations, f.Name) {
			idx = append(idx, i)
		}
	}
	return idx
}()

// plainString reports whether s is {type: string} with at most a pattern,
// length bounds and an enum (and annotations): onlyFields(s,
// plainStringFields...) for a string schema.
func plainString(s *openapi3.Schema) bool {
	if s == nil || !s.Type.Is(openapi3.TypeString) {
		return false
	}
	v := reflect.ValueOf(s).Elem()
	for _, i := range plainStringZero {
		if !fieldZero(v.Field(i)) {
			return false
		}
	}
	return true
}

// annotations are schema fields that never change a validation verdict.
var annotations = []string{"Extensions", "Origin", "Title", "Description", "Example", "Examples", "Comment"}

// onlyFields reports whether every exported field of s other than allowed
// and annotations is zero (or an empty map or slice). A field added to openapi3.Schema later is not
// allowed until listed here: the plan then stays off, never wrong.
func onlyFields(s *openapi3.Schema, allowed ...string) bool {
	v := reflect.ValueOf(s).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || contains(allowed, f.Name) || contains(annotations, f.Name) {
			continue
		}
		if !fieldZero(v.Field(i)) {
			return false
		}
	}
	return true
}

// fieldZero reports whether a schema field is unset: zero, or an empty map
// or slice (kin-openapi tests their length).
func fieldZero(fv reflect.Value) bool {
	if k := fv.Kind(); k == reflect.Map || k == reflect.Slice {
		return fv.Len() == 0
	}
	return fv.IsZero()
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// formRequestValid reports whether openapi3filter.ValidateRequest would
// certainly find nothing wrong with r (body is its body): its credentials
// meet the security requirement, its header parameters and its
// urlencoded body pass op's plan. It decodes and validates as
// openapi3filter does (first header value; declared form properties only,
// as strings; each checked by the same Schema.VisitJSON) and says false
// for anything it does not decode itself (another Content-Type, an empty
// body, a semicolon, a bad escape, a repeated or empty declared property,
// many parameters). False sends r to openapi3filter for the full report.
func (c *Contract) formRequestValid(op *operation, r *http.Request, body []byte) bool {
	p := op.form
	if p == nil || len(body) == 0 || r.Header.Get("Content-Type") != formType || !c.securityValid(op.route, r) {
		return false
	}
	for _, h := range p.headers {
		vs := r.Header[h.name]
		if len(vs) == 0 {
			if h.required {
				return false
			}
			continue
		}
		if vs[0] == "" || !h.check.valid(vs[0]) {
			return false
		}
	}
	var seen [maxFormPairs]string
	n := 0
	for q := string(body); q != ""; {
		var seg string
		seg, q, _ = strings.Cut(q, "&")
		if seg == "" {
			continue
		}
		if n == maxFormPairs || strings.IndexByte(seg, ';') >= 0 {
			return false
		}
		k, v, _ := strings.Cut(seg, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return false
		}
		check := p.props[k]
		if check == nil {
			continue // openapi3filter decodes declared properties only
		}
		if v == "" || contains(seen[:n], k) {
			return false
		}
		seen[n] = k
		n++
		if !check.valid(v) {
			return false
		}
	}
	for _, k := range p.required {
		if !contains(seen[:n], k) {
			return false
		}
	}
	return true
}
