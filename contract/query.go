package contract

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// maxQueryParams is the most declared query parameters paramsValid checks
// itself; an operation with more goes to openapi3filter.
const maxQueryParams = 8

// paramPlan is an operation's parameters compiled for paramsValid, built
// only when every parameter is a plain string one (plainString schemas, no
// content, no allowEmptyValue): headers in the simple style and query
// parameters in the form style (explode), at most maxQueryParams of these.
type paramPlan struct {
	headers []paramCheck
	query   []paramCheck
}

type paramCheck struct {
	name     string // canonical, for a header
	required bool
	plan     *jsonPlan
}

// newParamPlan compiles the parameters of route's operation, or returns nil
// when their shapes are outside what paramsValid predicts.
func newParamPlan(route *routers.Route, ps plans) *paramPlan {
	o := route.Operation
	if len(route.PathItem.Parameters) > 0 || route.Spec == nil || route.Spec.IsOpenAPI31OrLater() {
		return nil
	}
	pp := &paramPlan{}
	for _, ref := range o.Parameters {
		if ref == nil {
			return nil
		}
		pv := ref.Value
		if pv == nil || pv.Content != nil || pv.AllowEmptyValue || pv.Schema == nil || !plainString(pv.Schema.Value) {
			return nil
		}
		check := paramCheck{name: pv.Name, required: pv.Required, plan: ps.compile(pv.Schema.Value)}
		if check.plan.unknown {
			return nil
		}
		switch pv.In {
		case openapi3.ParameterInHeader:
			if pv.Style != "" && pv.Style != openapi3.SerializationSimple {
				return nil
			}
			check.name = http.CanonicalHeaderKey(pv.Name)
			pp.headers = append(pp.headers, check)
		case openapi3.ParameterInQuery:
			if (pv.Style != "" && pv.Style != openapi3.SerializationForm) || (pv.Explode != nil && !*pv.Explode) ||
				len(pp.query) == maxQueryParams {
				return nil
			}
			for _, q := range pp.query {
				if q.name == pv.Name {
					return nil
				}
			}
			pp.query = append(pp.query, check)
		default:
			return nil
		}
	}
	return pp
}

// paramsValid reports whether openapi3filter.ValidateParameter would
// certainly find nothing wrong with any parameter of route's operation in
// r. It covers the operations with a paramPlan: headers, whose first value
// openapi3filter checks, and query parameters, which openapi3filter reads
// from r.URL.Query(), each checked by its schema's plan (what
// Schema.VisitJSON says of a string). It decodes the query as
// url.ParseQuery does and says false for anything it does not decode
// itself (a semicolon, a bad escape, many pairs, a declared parameter
// repeated or empty), for a required parameter missing, and for any other
// parameter shape. False sends r to openapi3filter for the full report.
func (c *Contract) paramsValid(route *routers.Route, r *http.Request) bool {
	o := c.ops[route.Operation.OperationID]
	if o == nil || o.route.Operation != route.Operation || o.params == nil {
		return false
	}
	pp := o.params
	for _, h := range pp.headers {
		vs, ok := r.Header[h.name]
		if !ok {
			if h.required {
				return false
			}
			continue
		}
		if len(vs) == 0 || vs[0] == "" || !h.plan.textValid(vs[0]) {
			return false
		}
	}
	n := len(pp.query)
	if n == 0 {
		return true
	}
	var seen [maxQueryParams]bool
	pairs := 0
	for q := r.URL.RawQuery; q != ""; {
		var seg string
		seg, q, _ = strings.Cut(q, "&")
		if seg == "" {
			continue
		}
		if pairs == maxFormPairs || strings.IndexByte(seg, ';') >= 0 {
			return false
		}
		pairs++
		k, v, _ := strings.Cut(seg, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return false
		}
		i := 0
		for i < n && pp.query[i].name != k {
			i++
		}
		if i == n {
			continue // openapi3filter checks declared parameters only
		}
		if v == "" || seen[i] || !pp.query[i].plan.textValid(v) {
			return false
		}
		seen[i] = true
	}
	for i := range n {
		if pp.query[i].required && !seen[i] {
			return false
		}
	}
	return true
}
