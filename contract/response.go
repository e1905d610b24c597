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

	"github.com/getkin/kin-openapi/openapi3filter"
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
		vs = append(vs, violationsOf(op, DirectionResponse, err)...)
	}
	return vs
}
