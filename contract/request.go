package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// schemaOpts keep messages short: no schema or value dumps, so a secret sent
// in a field never lands in a report.
var schemaOpts = []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()}

// ValidateRequest checks one API request against the operation that serves
// it. body is the request body (r.Body is not read). It returns the
// operationId ("" when no documented operation serves the method and path,
// which is itself reported) and every violation found.
func (c *Contract) ValidateRequest(r *http.Request, body []byte) (op string, vs []Violation) {
	path := cleanPath(r.URL.Path)
	route, params := c.exactRoute(r.Method, path)
	var r2 *http.Request // r with the cleaned path, for the router and openapi3filter
	if route == nil {
		r2 = cleanedRequest(r, path)
		var err error
		if route, params, err = c.router.FindRoute(r2); err != nil {
			return "", []Violation{c.noRoute(r.Method, path, err)}
		}
	}
	op = route.Operation.OperationID
	// JSON bodies are checked here rather than by openapi3filter: in its
	// request mode kin-openapi deep-copies the value and visits every oneOf
	// branch twice (to inject defaults), which costs 10x on BotV2 messages.
	jsonSchema := jsonBodySchema(route, r.Header.Get("Content-Type"))
	// The fast paths read r's headers and query only, which cleaning the
	// path leaves as they are.
	if jsonSchema == nil {
		if o := c.ops[op]; o != nil && o.route.Operation == route.Operation && c.formRequestValid(o, r, body) {
			return op, nil
		}
		// Without a request body to check, openapi3filter checks security
		// and parameters only.
		if route.Operation.RequestBody == nil && c.paramsAndSecurityValid(route, r) {
			return op, nil
		}
	}
	if jsonSchema == nil || !c.paramsAndSecurityValid(route, r) {
		if r2 == nil {
			r2 = cleanedRequest(r, path)
		}
		if err := c.kinValidateRequest(r2, route, params, body, jsonSchema != nil); err != nil {
			vs = violationsOf(op, DirectionRequest, err)
		}
	}
	if jsonSchema != nil && !c.plans[jsonSchema].valid(body) {
		vs = append(vs, validateJSONBody(op, DirectionRequest, jsonSchema, body, route.Operation.RequestBody.Value.Required)...)
	}
	return op, vs
}

// cleanedRequest is a shallow copy of r with path as its URL's path.
func cleanedRequest(r *http.Request, path string) *http.Request {
	r2 := *r // shallow: the route lookup needs the cleaned path, the validator a fresh body
	u := *r.URL
	u.Path, u.RawPath = path, ""
	r2.URL = &u
	r2.GetBody = nil
	return &r2
}

// kinValidateRequest validates r2 (see cleanedRequest) with
// openapi3filter.ValidateRequest; excludeBody leaves a JSON body to
// ValidateRequest's own check.
func (c *Contract) kinValidateRequest(r2 *http.Request, route *routers.Route, params map[string]string, body []byte, excludeBody bool) error {
	in := &openapi3filter.RequestValidationInput{
		Request:    r2,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			MultiError:              true,
			SkipSettingDefaults:     true,
			AuthenticationFunc:      c.authenticate,
			SchemaValidationOptions: schemaOpts,
			ExcludeRequestBody:      excludeBody,
		},
	}
	if excludeBody {
		r2.Body = http.NoBody // nothing reads it: spare the security check its copy
	} else {
		r2.Body = io.NopCloser(bytes.NewReader(body))
	}
	ctx := r2.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return openapi3filter.ValidateRequest(ctx, in)
}

// paramsAndSecurityValid reports whether openapi3filter.ValidateRequest,
// with the request body excluded, would certainly find nothing: the
// operation's parameters pass (none, or plain string ones that paramsValid
// checks), and a security requirement is met (as openapi3filter checks it:
// every scheme declared, and c.authenticate content). False sends the
// request to openapi3filter for the full report.
func (c *Contract) paramsAndSecurityValid(route *routers.Route, r *http.Request) bool {
	o := route.Operation
	if (len(o.Parameters) > 0 || len(route.PathItem.Parameters) > 0) && !c.paramsValid(route, r) {
		return false
	}
	return c.securityValid(route, r)
}

// securityValid reports whether r certainly meets route's security
// requirement as openapi3filter checks it (see paramsAndSecurityValid).
func (c *Contract) securityValid(route *routers.Route, r *http.Request) bool {
	o := route.Operation
	srs := o.Security
	if srs == nil {
		srs = &route.Spec.Security
	}
	if len(*srs) == 0 {
		return true
	}
	var schemes openapi3.SecuritySchemes
	if route.Spec.Components != nil {
		schemes = route.Spec.Components.SecuritySchemes
	}
	for _, sr := range *srs {
		declared := true
		for name := range sr {
			if ref := schemes[name]; ref == nil || ref.Value == nil {
				declared = false
			}
		}
		if declared && (len(sr) == 0 || c.credentialsOK(r, o.OperationID) == nil) {
			return true
		}
	}
	return false
}

// exactRoute finds the operation documented at exactly path (a template
// without parameters) for method, as the router would: paths without
// parameters are matched first, and at most one of them is equal to path.
// It returns nil when the router must decide (a path with parameters, a
// method the path does not document, no such path).
func (c *Contract) exactRoute(method, path string) (*routers.Route, map[string]string) {
	for _, op := range c.ops {
		if op.path == path && op.method == method && !strings.Contains(op.path, "{") {
			return op.route, nil
		}
	}
	return nil, nil
}

// jsonBodySchema is the schema of a JSON request body of route, or nil when
// the request is not JSON or the operation takes no JSON body.
func jsonBodySchema(route *routers.Route, contentType string) *openapi3.Schema {
	rb := route.Operation.RequestBody
	if rb == nil || rb.Value == nil {
		return nil
	}
	if contentType != "application/json" { // the usual case, without mime.ParseMediaType's map
		if mt, _, err := mime.ParseMediaType(contentType); err != nil || mt != "application/json" {
			return nil
		}
	}
	m := rb.Value.Content.Get("application/json")
	if m == nil || m.Schema == nil || m.Schema.Value == nil {
		return nil
	}
	return m.Schema.Value
}

// validateJSONBody decodes and validates a JSON body.
func validateJSONBody(op, dir string, s *openapi3.Schema, body []byte, required bool) []Violation {
	if len(bytes.TrimSpace(body)) == 0 {
		if !required {
			return nil
		}
		return []Violation{{Operation: op, Direction: dir, Location: "body", Message: "a JSON body is required"}}
	}
	v, err := decodeJSON(body)
	if err != nil {
		return []Violation{{Operation: op, Direction: dir, Location: "body", Message: "cannot parse: " + err.Error()}}
	}
	if err := s.VisitJSON(v, openapi3.MultiErrors(), openapi3.DisableSchemaErrorDetails()); err != nil {
		return violationsOf(op, dir, err)
	}
	return nil
}

// decodeJSON decodes one JSON value (trailing data is an error).
//
// It decodes with github.com/go-json-experiment/json/v1, encoding/json's
// API and semantics at about twice the speed; a body it refuses is decoded
// again by encoding/json, whose error texts the violations quote.
func decodeJSON(body []byte) (any, error) {
	var v any
	if err := jsonv1.Unmarshal(body, &v); err == nil {
		return v, nil
	}
	v = nil
	if err := json.Unmarshal(body, &v); err != nil {
		if err.Error() == "unexpected end of JSON input" {
			return nil, errors.New("the JSON ends too early")
		}
		return nil, err
	}
	return v, nil
}
func (c *Contract) noRoute(method, path string, err error) Violation {
	v := Violation{Direction: DirectionRequest, Location: "path"}
	if errors.Is(err, routers.ErrMethodNotAllowed) {
		var allowed []string
		for _, id := range c.order {
			if op := c.ops[id]; templateMatches(op.path, path) {
				allowed = append(allowed, op.method)
			}
		}
		v.Message = fmt.Sprintf("%s is not documented for %s (documented: %s)", method, path, strings.Join(allowed, ", "))
		return v
	}
	v.Message = fmt.Sprintf("%s: %s %s", errNoOperation, method, path)
	return v
}

// templateMatches reports whether a concrete path fits a path template.
func templateMatches(tmpl, path string) bool {
	ts, ps := strings.Split(tmpl, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i := range ts {
		if strings.HasPrefix(ts[i], "{") || ts[i] == ps[i] {
			continue
		}
		return false
	}
	return true
}

// authenticate checks the shape of the credentials an operation requires:
// "Authorization: Bearer <token>", or (file downloads) access_token in the
// query. Whether the token is valid is the server's business (401), not the
// contract's.
func (c *Contract) authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	return c.credentialsOK(in.RequestValidationInput.Request, in.RequestValidationInput.Route.Operation.OperationID)
}

// credentialsOK is authenticate for request r to operation opID.
func (c *Contract) credentialsOK(r *http.Request, opID string) error {
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, tok, _ := strings.Cut(auth, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			return fmt.Errorf("the Authorization header must be \"Bearer <access_token>\", not a %q credential", scheme)
		}
		return nil
	}
	if op := c.ops[opID]; op != nil && op.tokenQry && r.URL.Query().Get("access_token") != "" {
		return nil
	}
	return errSecurity
}
