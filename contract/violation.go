package contract

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// Directions of a [Violation].
const (
	DirectionRequest         = "request"          // a client's (bot's) API request
	DirectionResponse        = "response"         // the API's response
	DirectionWebhook         = "webhook"          // a webhook delivery to the bot
	DirectionWebhookResponse = "webhook-response" // the bot's answer to a delivery
)

// Violation is one way a message breaks the contract.
type Violation struct {
	// Operation is the operationId ("" when no operation matched).
	Operation string `json:"operation"`
	// Direction is request, response, webhook or webhook-response.
	Direction string `json:"direction"`
	// Location is a JSON pointer into the body (/messages/0/text, "" for the
	// whole body), or a parameter as in.name (query.username,
	// header.Authorization, path.gid), or "status", "path", "body".
	Location string `json:"location"`
	// Message says what is wrong, in words a bot developer can act on.
	Message string `json:"message"`
}

// String formats the violation on one line.
func (v Violation) String() string {
	loc := v.Location
	if loc == "" {
		loc = "/"
	}
	op := v.Operation
	if op == "" {
		op = "?"
	}
	return fmt.Sprintf("%s %s %s: %s", op, v.Direction, loc, v.Message)
}

// violationsOf flattens a kin-openapi error tree into violations.
func violationsOf(op, dir string, err error) []Violation {
	var out []Violation
	add := func(loc, msg string) {
		out = append(out, Violation{Operation: op, Direction: dir, Location: loc, Message: msg})
	}
	var walk func(err error, loc string)
	walk = func(err error, loc string) {
		if err == nil {
			return
		}
		var me openapi3.MultiError
		if errors.As(err, &me) && !isSchemaOrRequest(err) {
			for _, e := range me {
				walk(e, loc)
			}
			return
		}
		var re *openapi3filter.RequestError
		if errors.As(err, &re) {
			switch {
			case re.Parameter != nil:
				loc := re.Parameter.In + "." + re.Parameter.Name
				if schemaErr(re.Err) != nil {
					walkSchemaAny(re.Err, loc, add, false)
					return
				}
				add(loc, firstNonEmpty(re.Reason, errText(re.Err)))
			case re.Err != nil && schemaErr(re.Err) != nil:
				walkSchemaTree(re.Err, add)
			case re.Err != nil:
				var pe *openapi3filter.ParseError
				if errors.As(re.Err, &pe) {
					loc := "body"
					if p := pe.Path(); len(p) > 0 {
						loc = pointer(p)
					}
					add(loc, "cannot parse: "+firstNonEmpty(pe.Reason, errText(pe.Cause), pe.Error()))
					return
				}
				add(bodyOrHeaderLoc(re.Reason), firstNonEmpty(re.Reason+": "+errText(re.Err), errText(re.Err)))
			default:
				add(bodyOrHeaderLoc(re.Reason), re.Reason)
			}
			return
		}
		var sre *openapi3filter.SecurityRequirementsError
		if errors.As(err, &sre) {
			msg := "missing or malformed credentials; send Authorization: Bearer <access_token>"
			for _, e := range sre.Errors {
				if e != nil && !errors.Is(e, errSecurity) {
					msg = e.Error()
				}
			}
			add("header.Authorization", msg)
			return
		}
		var rse *openapi3filter.ResponseError
		if errors.As(err, &rse) {
			if rse.Err != nil && schemaErr(rse.Err) != nil {
				walkSchemaTree(rse.Err, add)
				return
			}
			switch {
			case strings.Contains(rse.Reason, "status"):
				add("status", firstNonEmpty(rse.Reason, errText(rse.Err)))
			case strings.Contains(strings.ToLower(rse.Reason), "content-type") || strings.Contains(rse.Reason, "header"):
				add("header.Content-Type", joinReason(rse.Reason, rse.Err))
			default:
				add("body", joinReason(rse.Reason, rse.Err))
			}
			return
		}
		if schemaErr(err) != nil {
			walkSchemaTree(err, add)
			return
		}
		add(loc, err.Error())
	}
	walk(err, "")
	return out
}

// errSecurity marks the generic "no credentials" failure.
var errSecurity = errors.New("no credentials")

func isSchemaOrRequest(err error) bool {
	switch err.(type) {
	case *openapi3filter.RequestError, *openapi3.SchemaError, *openapi3filter.ResponseError, *openapi3filter.SecurityRequirementsError:
		return true
	}
	return false
}

func schemaErr(err error) *openapi3.SchemaError {
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return se
	}
	return nil
}

// walkSchemaTree reports every schema error in err (a SchemaError or a
// MultiError of them), each at its JSON pointer.
func walkSchemaTree(err error, add func(loc, msg string)) {
	walkSchemaAny(err, "", add, true)
}

// walkSchemaAny walks a MultiError (by type, not errors.As, which would stop
// at its first element), a SchemaError, or anything wrapping one of them.
func walkSchemaAny(err error, paramLoc string, add func(loc, msg string), body bool) {
	switch e := err.(type) {
	case openapi3.MultiError:
		for _, x := range e {
			walkSchemaAny(x, paramLoc, add, body)
		}
		return
	case *openapi3.SchemaError:
		walkSchema(e, paramLoc, add, body)
		return
	}
	if u := errors.Unwrap(err); u != nil {
		walkSchemaAny(u, paramLoc, add, body)
		return
	}
	loc := paramLoc
	if body {
		loc = "body"
	}
	add(loc, err.Error())
}

// walkSchema reports a schema error, descending into the branch errors of a
// oneOf (selected by its discriminator) or an allOf, whose JSON pointers
// kin-openapi keeps absolute.
func walkSchema(se *openapi3.SchemaError, paramLoc string, add func(loc, msg string), body bool) {
	if se.Origin != nil && (se.SchemaField == "oneOf" || se.SchemaField == "allOf" || se.SchemaField == "anyOf") {
		if u := errors.Unwrap(se.Origin); u != nil { // the fmt wrapper
			if inner := errors.Unwrap(u); inner != nil { // multiErrorFor{One,All}Of -> MultiError
				if me, ok := inner.(openapi3.MultiError); ok && len(me) > 0 {
					walkSchemaAny(me, paramLoc, add, body)
					return
				}
			}
		}
	}
	if se.SchemaField == "discriminator" && se.Schema != nil && se.Schema.Discriminator != nil {
		d := se.Schema.Discriminator
		tags := make([]string, 0, len(d.Mapping))
		for k := range d.Mapping {
			tags = append(tags, strconv.Quote(k))
		}
		sort.Strings(tags)
		add(locFor(se, paramLoc, body)+"/"+d.PropertyName, reasonOf(se)+"; want one of "+strings.Join(tags, ", "))
		return
	}
	loc := locFor(se, paramLoc, body)
	if m := unsupportedProp.FindStringSubmatch(se.Reason); m != nil {
		loc += pointerStrings([]string{m[1]}) // point at the forbidden property itself
	}
	add(loc, reasonOf(se))
}

var unsupportedProp = regexp.MustCompile(`^property "(.+)" is unsupported$`)

func locFor(se *openapi3.SchemaError, paramLoc string, body bool) string {
	p := se.JSONPointer()
	if !body {
		if len(p) == 0 {
			return paramLoc
		}
		return paramLoc + pointerStrings(p)
	}
	return pointerStrings(p)
}

func reasonOf(se *openapi3.SchemaError) string {
	if se.Reason != "" {
		return se.Reason
	}
	return se.Error()
}

// pointerStrings builds an RFC 6901 JSON pointer.
func pointerStrings(p []string) string {
	if len(p) == 0 {
		return ""
	}
	var b strings.Builder
	for _, s := range p {
		b.WriteByte('/')
		s = strings.ReplaceAll(s, "~", "~0")
		b.WriteString(strings.ReplaceAll(s, "/", "~1"))
	}
	return b.String()
}

func pointer(p []any) string {
	s := make([]string, len(p))
	for i, v := range p {
		s[i] = fmt.Sprint(v)
	}
	return pointerStrings(s)
}

func bodyOrHeaderLoc(reason string) string {
	if strings.Contains(strings.ToLower(reason), "content-type") {
		return "header.Content-Type"
	}
	return "body"
}

func joinReason(reason string, err error) string {
	if err == nil {
		return reason
	}
	if reason == "" {
		return err.Error()
	}
	return reason + ": " + err.Error()
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" && v != ": " {
			return v
		}
	}
	return ""
}
