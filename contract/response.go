package contract

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// ValidateResponse checks a response of operation op (an operationId): the
// status must be documented, and the headers and body must match the
// response documented for it.
func (c *Contract) ValidateResponse(op string, status int, header http.Header, body []byte) []Violation {
	o := c.ops[op]
	if o == nil {
		return []Violation{{Operation: op, Direction: DirectionResponse, Location: "operation", Message: fmt.Sprintf("unknown operation %q", op)}}
	}
	var vs []Violation
	code := strconv.Itoa(status)
	if status >= 200 && status < 300 && !slices.Contains(o.statuses, code) {
		// "default" covers error statuses (injected faults); a success must be named.
		vs = append(vs, Violation{Operation: op, Direction: DirectionResponse, Location: "status",
			Message: fmt.Sprintf("status %d is not documented (documented: %s)", status, strings.Join(o.statuses, ", "))})
		return vs
	}
	if header == nil {
		header = http.Header{}
	}
	if jsonResponseValid(o, status, header, body) {
		return vs
	}
	return append(vs, kinValidateResponse(o, status, header, body)...)
}

// kinValidateResponse validates a response with openapi3filter.
func kinValidateResponse(o *operation, status int, header http.Header, body []byte) []Violation {
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: o.req, Route: o.route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus:   true,
			MultiError:              true,
			SkipSettingDefaults:     true,
			SchemaValidationOptions: schemaOpts,
		},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return violationsOf(o.id, DirectionResponse, err)
	}
	return nil
}

// jsonResponseValid is the common case of ValidateResponse made cheap: a
// JSON response, to an operation that documents no response headers,
// checked as openapi3filter.ValidateResponse checks it (same lookup, same
// schema options) without its overhead, and with a faster decoder. It reports true only
// when the response is valid; anything else (a violation, or a case it does
// not cover) goes to openapi3filter for the full report.
func jsonResponseValid(o *operation, status int, header http.Header, body []byte) bool {
	route := o.route
	if o.req.Method == http.MethodHead || route.Spec.IsOpenAPI31OrLater() {
		return false
	}
	responses := route.Operation.Responses
	ref := responses.Status(status)
	if ref == nil {
		ref = responses.Default()
	}
	if ref == nil || ref.Value == nil {
		return false
	}
	for name := range ref.Value.Headers {
		if name != "Content-Type" {
			return false
		}
	}
	ct := header.Get("Content-Type")
	media, _, _ := strings.Cut(ct, ";")
	if strings.ToLower(strings.TrimSpace(media)) != "application/json" {
		return false
	}
	mt := ref.Value.Content.Get(ct)
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil || mt.Encoding[""] != nil ||
		mt.Schema.Value.Type.Is("string") && mt.Schema.Value.Format == "binary" {
		return false
	}
	if o.plans[mt.Schema.Value].valid(body) {
		return true
	}
	// openapi3filter decodes numbers as json.Number and the schema check
	// turns them into the float64 that plain decoding gives. (Plain decoding
	// also refuses trailing data, which openapi3filter would ignore: such a
	// response takes the long way.)
	var v any
	if jsonv1.Unmarshal(body, &v) != nil {
		return false
	}
	return mt.Schema.Value.VisitJSON(v, responseSchemaOpts...) == nil
}

// responseSchemaOpts are the options openapi3filter.ValidateResponse
// validates a body with, given the Options ValidateResponse sets.
var responseSchemaOpts = slices.Concat([]openapi3.SchemaValidationOption{openapi3.MultiErrors()},
	schemaOpts, []openapi3.SchemaValidationOption{openapi3.VisitAsResponse()})
