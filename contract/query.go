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

// paramsValid reports whether openapi3filter.ValidateParameter would
// certainly find nothing wrong with any parameter of route's operation in
// r. It covers plain string parameters only (plainString schemas, no
// content, no allowEmptyValue): headers in the simple style, whose first
// value openapi3filter checks, and query parameters in the form style
// (explode), which openapi3filter reads from r.URL.Query(). It decodes the
// query as url.ParseQuery does and says false for anything it does not
// decode itself (a semicolon, a bad escape, many pairs, a declared
// parameter repeated or empty), for a required parameter missing, and for
// any other parameter shape. False sends r to openapi3filter for the full
// report.
func paramsValid(route *routers.Route, r *http.Request) bool {
	o := route.Operation
	if len(route.PathItem.Parameters) > 0 || route.Spec == nil || route.Spec.IsOpenAPI31OrLater() {
		return false
	}
	var (
		names    [maxQueryParams]string
		required [maxQueryParams]bool
		schemas  [maxQueryParams]*openapi3.Schema
		seen     [maxQueryParams]bool
	)
	n := 0
	for _, ref := range o.Parameters {
		if ref == nil {
			return false
		}
		pv := ref.Value
		if pv == nil || pv.Content != nil || pv.AllowEmptyValue || pv.Schema == nil || !plainString(pv.Schema.Value) {
			return false
		}
		s := pv.Schema.Value
		switch pv.In {
		case openapi3.ParameterInHeader:
			if pv.Style != "" && pv.Style != openapi3.SerializationSimple {
				return false
			}
			vs, ok := r.Header[http.CanonicalHeaderKey(pv.Name)]
			if !ok {
				if pv.Required {
					return false
				}
				continue
			}
			if len(vs) == 0 || vs[0] == "" || !stringValid(s, vs[0]) {
				return false
			}
		case openapi3.ParameterInQuery:
			if (pv.Style != "" && pv.Style != openapi3.SerializationForm) || (pv.Explode != nil && !*pv.Explode) ||
				n == maxQueryParams || contains(names[:n], pv.Name) {
				return false
			}
			names[n], required[n], schemas[n] = pv.Name, pv.Required, s
			n++
		default:
			return false
		}
	}
	if n == 0 {
		return true
	}
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
		for i < n && names[i] != k {
			i++
		}
		if i == n {
			continue // openapi3filter checks declared parameters only
		}
		if v == "" || seen[i] || !stringValid(schemas[i], v) {
			return false
		}
		seen[i] = true
	}
	for i := range n {
		if required[i] && !seen[i] {
			return false
		}
	}
	return true
}

// stringValid reports whether s passes the parameter schema, as
// openapi3filter.ValidateParameter validates it.
func stringValid(schema *openapi3.Schema, s string) bool {
	return schema.VisitJSON(s, openapi3.MultiErrors(), openapi3.DisableSchemaErrorDetails()) == nil
}
