package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// schemaOpts keep messages short: no schema or value dumps, so a secret sent
// in a field never lands in a report.
var schemaOpts = []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()}

// ValidateRequest checks one API request against the operation that serves
// it. body is the request body (r.Body is not read). It returns the
// operationId ("" when no documented operation serves the method and path,
// which is itself reported) and every violation found.
func (c *Contract) ValidateRequest(r *http.Request, body []byte) (op string, vs []Violation) {
	r2 := *r // shallow: the route lookup needs the cleaned path, the validator a fresh body
	u := *r.URL
	u.Path, u.RawPath = cleanPath(u.Path), ""
	r2.URL = &u
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.GetBody = nil
	route, params, err := c.router.FindRoute(&r2)
	if err != nil {
		return "", []Violation{c.noRoute(r.Method, u.Path, err)}
	}
	op = route.Operation.OperationID
	in := &openapi3filter.RequestValidationInput{
		Request:    &r2,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			MultiError:              true,
			SkipSettingDefaults:     true,
			AuthenticationFunc:      c.authenticate,
			SchemaValidationOptions: schemaOpts,
		},
	}
	ctx := r.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		return op, violationsOf(op, DirectionRequest, err)
	}
	return op, nil
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
	r := in.RequestValidationInput.Request
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, tok, _ := strings.Cut(auth, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			return fmt.Errorf("the Authorization header must be \"Bearer <access_token>\", not a %q credential", scheme)
		}
		return nil
	}
	if op := c.ops[in.RequestValidationInput.Route.Operation.OperationID]; op != nil && op.tokenQry && r.URL.Query().Get("access_token") != "" {
		return nil
	}
	return errSecurity
}
