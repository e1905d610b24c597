package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// DefaultName is the file name reported for the embedded Eko Bot API document.
const DefaultName = "openapi/eko-bot-api.yaml"

// ControlPrefix is the reserved path prefix of mockeko's control plane. It is
// never part of the Eko contract: [Contract.Wrap] passes it through untouched
// and offline checks skip it.
const ControlPrefix = "/_mockeko/"

// Contract is a loaded and compiled API description. It is immutable after
// loading and safe for concurrent use.
type Contract struct {
	name    string
	doc     *openapi3.T
	router  routers.Router
	ops     map[string]*operation // by operationId
	order   []string              // operation ids sorted by path, then method
	webhook *openapi3.SchemaRef   // the delivery envelope, nil without x-webhooks
	// webhookPlan is webhook's plan (nil without x-webhooks); read-only.
	webhookPlan *jsonPlan
	plans       plans // JSON body schemas compiled for the fast checks; read-only after build
}

// operation is what the engine compiled for one operation.
type operation struct {
	id       string
	method   string
	path     string // Swagger path template, for example /bot/v1/groups/{gid}/topics
	route    *routers.Route
	req      *http.Request // a stand-in request for response validation
	statuses []string      // documented status codes, sorted; "default" excluded
	tokenQry bool          // the access_token query parameter may carry the token
	form     *formPlan     // nil: urlencoded requests go to openapi3filter
	plans    plans         // the Contract's plans
	params   *paramPlan    // nil: parameters go to openapi3filter
}

// OperationInfo describes one documented operation.
type OperationInfo struct {
	// ID is the operationId.
	ID string `json:"id"`
	// Method is the HTTP method in upper case.
	Method string `json:"method"`
	// Path is the path template, for example /bot/v1/groups/{gid}/topics.
	Path string `json:"path"`
	// Statuses are the documented status codes, sorted ("default" excluded).
	Statuses []string `json:"statuses"`
}

// Default loads the embedded Eko Bot API description. The document is
// converted to OpenAPI 3 at build time (ekodoc_gen.go, written by go generate
// from openapi/eko-bot-api.yaml), so Default only builds the router: no YAML
// parsing, no conversion and no lint at run time. This package's tests prove
// that the generated document equals the conversion of today's YAML and that
// the YAML lints clean. Each call returns a fresh Contract.
func Default() (c *Contract, err error) {
	defer recoverCompile(DefaultName, &c, &err)
	doc, webhook := ekoBotAPIDoc()
	return build(doc, DefaultName, webhook)
}

// Load lints a Swagger 2.0 document (YAML or JSON) and compiles it. name is
// the file name used in error messages. A document with lint errors is
// refused with an error listing them; warnings are ignored.
func Load(data []byte, name string) (*Contract, error) {
	doc, err := analyze(data, name)
	if err != nil {
		return nil, err
	}
	if errs := onlyErrors(lintDoc(doc, name)); len(errs) > 0 {
		return nil, &DocumentError{File: name, Problems: errs}
	}
	return compile(data, name, true)
}

// Name is the file name the contract was loaded from.
func (c *Contract) Name() string { return c.name }

// Operations lists every documented operation, sorted by path and method.
func (c *Contract) Operations() []OperationInfo {
	out := make([]OperationInfo, 0, len(c.order))
	for _, id := range c.order {
		op := c.ops[id]
		out = append(out, OperationInfo{ID: op.id, Method: op.method, Path: op.path, Statuses: slices.Clone(op.statuses)})
	}
	return out
}

// Operation finds the operation serving method and path (a concrete path such
// as /bot/v1/groups/5d91c6017755dba7a80a93c6/topics, or a template). It
// tolerates doubled slashes, as real Eko clients send them.
func (c *Contract) Operation(method, path string) (op string, ok bool) {
	r, err := http.NewRequest(method, "http://eko.invalid"+cleanPath(path), nil)
	if err != nil {
		return "", false
	}
	route, _, err := c.router.FindRoute(r)
	if err != nil {
		return "", false
	}
	return route.Operation.OperationID, true
}

// compile turns a (linted) document into the validation engine. check runs
// kin-openapi's own document validation too; the embedded document skips it
// because the tests lint it.
func compile(data []byte, name string, check bool) (c *Contract, err error) {
	defer recoverCompile(name, &c, &err)
	d3, webhook, err := convert(data, name, check)
	if err != nil {
		return nil, err
	}
	return build(d3, name, webhook)
}

// recoverCompile turns a panic in the engine's compile into an error.
func recoverCompile(name string, c **Contract, err *error) {
	if r := recover(); r != nil {
		*c, *err = nil, fmt.Errorf("contract: %s: cannot compile the document: %v", name, r)
	}
}

// convert parses a Swagger 2.0 document and converts it into the OpenAPI 3
// document the engine validates against: servers dropped, the base path
// moved into the paths, x-mockeko-oneOf unions and open forms applied.
// webhook names the webhook delivery definition (x-webhooks), if any. This
// is the slow part of compiling; for the embedded document it runs at build
// time (see ekodoc_gen.go).
func convert(data []byte, name string, check bool) (d3 *openapi3.T, webhook string, err error) {
	var d2 openapi2.T
	if err := openapi2.UnmarshalFromData(data, &d2); err != nil {
		return nil, "", fmt.Errorf("contract: %s: %w", name, err)
	}
	info := infoFromKin(&d2)
	d3, err = openapi2conv.ToV3(&d2)
	if err != nil {
		return nil, "", fmt.Errorf("contract: %s: converting to OpenAPI 3: %w", name, err)
	}
	d3.Servers = nil // match any host: the contract is the same on every tenant
	if base := strings.TrimRight(d2.BasePath, "/"); base != "" {
		// Without servers the base path must live in the paths themselves.
		prefixed := openapi3.NewPaths()
		for p, item := range d3.Paths.Map() {
			prefixed.Set(base+p, item)
		}
		d3.Paths = prefixed
	}
	if err := applyUnions(d3, info); err != nil {
		return nil, "", fmt.Errorf("contract: %s: %w", name, err)
	}
	relaxForms(d3)
	if check {
		// Examples are checked by Lint, each at its location.
		if err := d3.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
			return nil, "", fmt.Errorf("contract: %s: %w", name, err)
		}
	}
	webhook, _ = webhookDefinition(info)
	return d3, webhook, nil
}

// build compiles a converted document (see convert) into a Contract: the
// router and the per-operation tables. webhook names the delivery
// definition, "" for none.
func build(d3 *openapi3.T, name, webhook string) (*Contract, error) {
	router, err := gorillamux.NewRouter(d3)
	if err != nil {
		return nil, fmt.Errorf("contract: %s: %w", name, err)
	}
	c := &Contract{name: name, doc: d3, router: router, ops: map[string]*operation{}, plans: plans{}}
	for path, item := range d3.Paths.Map() {
		for method, o := range item.Operations() {
			if o.OperationID == "" {
				return nil, fmt.Errorf("contract: %s: %s %s has no operationId", name, method, path)
			}
			if _, dup := c.ops[o.OperationID]; dup {
				return nil, fmt.Errorf("contract: %s: operationId %q is used twice", name, o.OperationID)
			}
			op := &operation{
				id:     o.OperationID,
				method: method,
				path:   path,
				route:  &routers.Route{Spec: d3, Path: path, PathItem: item, Method: method, Operation: o},
				req:    &http.Request{Method: method, Header: http.Header{}},
			}
			for code := range o.Responses.Map() {
				if code != "default" {
					op.statuses = append(op.statuses, code)
				}
			}
			sort.Strings(op.statuses)
			for _, p := range o.Parameters {
				if p.Value != nil && p.Value.In == openapi3.ParameterInQuery && p.Value.Name == "access_token" {
					op.tokenQry = true
				}
			}
			op.form = newFormPlan(op.route)
			op.plans = c.plans
			c.plans.compileOperation(o)
			op.params = newParamPlan(op.route, c.plans)
			c.ops[op.id] = op
			c.order = append(c.order, op.id)
		}
	}
	sort.Slice(c.order, func(i, j int) bool {
		a, b := c.ops[c.order[i]], c.ops[c.order[j]]
		if a.path != b.path {
			return a.path < b.path
		}
		return a.method < b.method
	})
	if webhook != "" {
		s := d3.Components.Schemas[webhook]
		if s == nil {
			return nil, fmt.Errorf("contract: %s: x-webhooks names the undefined definition %q", c.name, webhook)
		}
		c.webhook = s
		c.webhookPlan = c.plans.compile(s.Value)
	}
	return c, nil
}

// relaxForms lets form and multipart bodies carry fields the document does
// not name, as JSON bodies may: real servers ignore unknown fields, and a
// stray form field must not turn into a 400 that real Eko would not give.
func relaxForms(d3 *openapi3.T) {
	yes := true
	for _, item := range d3.Paths.Map() {
		for _, o := range item.Operations() {
			if o.RequestBody == nil || o.RequestBody.Value == nil {
				continue
			}
			for ct, mt := range o.RequestBody.Value.Content {
				if ct != "multipart/form-data" && ct != "application/x-www-form-urlencoded" {
					continue
				}
				if mt.Schema != nil && mt.Schema.Ref == "" && mt.Schema.Value != nil && mt.Schema.Value.AdditionalProperties.Has == nil && mt.Schema.Value.AdditionalProperties.Schema == nil {
					// Copy: the converter shares one schema between media types.
					s := *mt.Schema.Value
					s.AdditionalProperties = openapi3.AdditionalProperties{Has: &yes}
					mt.Schema = &openapi3.SchemaRef{Value: &s}
				}
			}
		}
	}
}

// cleanPath collapses doubled slashes ("//bot/v1/..." from a base URL ending
// in "/") and drops any query string.
func cleanPath(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if !strings.Contains(p, "//") {
		if p == "" || p[0] != '/' {
			return "/" + p
		}
		return p
	}
	var b strings.Builder
	b.Grow(len(p))
	prevSlash := false
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			if prevSlash {
				continue
			}
			prevSlash = true
		} else {
			prevSlash = false
		}
		b.WriteByte(p[i])
	}
	s := b.String()
	if s == "" || s[0] != '/' {
		s = "/" + s
	}
	return s
}

// DocumentError is returned by [Load] for a document with lint errors.
type DocumentError struct {
	// File is the document's name.
	File string
	// Problems are the lint errors.
	Problems []Problem
}

// Error lists up to five problems.
func (e *DocumentError) Error() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "contract: %s: invalid document (%d errors)", e.File, len(e.Problems))
	for i, p := range e.Problems {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-5)
			break
		}
		b.WriteString("; ")
		b.WriteString(p.locMessage())
	}
	return b.String()
}

// errNoOperation reports a request that no documented operation serves.
var errNoOperation = errors.New("no documented operation")
