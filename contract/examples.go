package contract

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// exampleProblems validates every example in the document against its own
// schema with the validation engine: definition examples, response
// examples, and the x-example of parameters and form fields.
func (c *Contract) exampleProblems() []Problem {
	var out []Problem
	check := func(loc string, s *openapi3.SchemaRef, example any) {
		if s == nil || s.Value == nil || example == nil {
			return
		}
		v, err := jsonValue(example)
		if err != nil {
			out = append(out, Problem{Severity: SeverityError, File: c.name, Location: loc, Message: "example is not JSON: " + err.Error()})
			return
		}
		if err := s.Value.VisitJSON(v, openapi3.MultiErrors(), openapi3.DisableSchemaErrorDetails()); err != nil {
			for _, vi := range violationsOf("", "", err) {
				out = append(out, Problem{Severity: SeverityError, File: c.name, Location: loc,
					Message: fmt.Sprintf("example does not match its schema at %s: %s", orRoot(vi.Location), vi.Message)})
			}
		}
	}
	names := make([]string, 0, len(c.doc.Components.Schemas))
	for n := range c.doc.Components.Schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := c.doc.Components.Schemas[n]
		if s.Value != nil {
			check("definitions."+n+".example", s, s.Value.Example)
		}
	}
	for _, id := range c.order {
		op := c.ops[id]
		o := op.route.Operation
		base := "paths." + op.path + "." + strings.ToLower(op.method)
		for _, p := range o.Parameters {
			if p.Value == nil {
				continue
			}
			if ex, ok := p.Value.Extensions["x-example"]; ok {
				check(base+".parameters."+p.Value.Name+".x-example", p.Value.Schema, ex)
			}
		}
		if o.RequestBody != nil && o.RequestBody.Value != nil {
			for _, mt := range o.RequestBody.Value.Content {
				if mt.Schema == nil || mt.Schema.Value == nil {
					continue
				}
				for name, prop := range mt.Schema.Value.Properties {
					if prop.Value == nil {
						continue
					}
					if ex, ok := prop.Value.Extensions["x-example"]; ok {
						check(base+".parameters."+name+".x-example", prop, ex)
					}
				}
				break // every media type shares the form schema
			}
		}
		for code, r := range o.Responses.Map() {
			if r.Value == nil {
				continue
			}
			for ct, mt := range r.Value.Content {
				if mt.Example != nil {
					check(base+".responses."+code+".examples."+ct, mt.Schema, mt.Example)
				}
			}
		}
	}
	return out
}

// jsonValue normalises a decoded example to plain JSON types.
func jsonValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	return out, json.Unmarshal(b, &out)
}
