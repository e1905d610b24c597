package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	oaerrors "github.com/go-openapi/errors"
	"github.com/go-openapi/loads"
	"github.com/go-openapi/spec"
	"github.com/go-openapi/strfmt"
	"github.com/go-openapi/swag/yamlutils"
	"github.com/go-openapi/validate"
)

// Severity of a lint [Problem].
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Problem is one finding of [Lint].
type Problem struct {
	// Severity is "error" or "warning".
	Severity string `json:"severity"`
	// File is the document's name.
	File string `json:"file"`
	// Location is where in the document, as a dotted path
	// (paths./bot/v1/users.get.responses.200), or "" for the whole document.
	Location string `json:"location,omitempty"`
	// Message says what is wrong.
	Message string `json:"message"`
}

// String formats the problem as "file: severity: message".
func (p Problem) String() string {
	return p.File + ": " + p.Severity + ": " + p.locMessage()
}

func (p Problem) locMessage() string {
	if p.Location != "" && !strings.Contains(p.Message, p.Location) {
		return p.Location + ": " + p.Message
	}
	return p.Message
}

// Lint checks a Swagger 2.0 document (YAML or JSON) with go-openapi's
// validate.Spec rules, checks mockeko's vendor extensions (x-webhooks,
// x-mockeko-oneOf), and compiles it with the validation engine. It returns
// every problem found, errors first; nil means clean. It never panics.
func Lint(data []byte, name string) []Problem {
	doc, err := analyze(data, name)
	if err != nil {
		return []Problem{{Severity: SeverityError, File: name, Message: strings.TrimPrefix(err.Error(), "contract: "+name+": ")}}
	}
	probs := lintDoc(doc, name)
	if len(onlyErrors(probs)) == 0 {
		c, err := compile(data, name, true)
		if err != nil {
			probs = append(probs, Problem{Severity: SeverityError, File: name, Message: strings.TrimPrefix(err.Error(), "contract: "+name+": ")})
		} else {
			probs = append(probs, c.exampleProblems()...)
		}
	}
	sort.SliceStable(probs, func(i, j int) bool {
		return probs[i].Severity == SeverityError && probs[j].Severity != SeverityError
	})
	return probs
}

// HasErrors reports whether any problem is an error (not a warning).
func HasErrors(probs []Problem) bool { return len(onlyErrors(probs)) > 0 }

func onlyErrors(probs []Problem) []Problem {
	var out []Problem
	for _, p := range probs {
		if p.Severity == SeverityError {
			out = append(out, p)
		}
	}
	return out
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// analyze parses and analyzes a document; a clean error, never a panic.
func analyze(data []byte, name string) (doc *loads.Document, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("contract: %s: unreadable document: %v", name, r)
		}
	}()
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("contract: %s: empty document", name)
	}
	y, err := yamlutils.BytesToYAMLDoc(data)
	if err != nil {
		return nil, fmt.Errorf("contract: %s: not YAML or JSON: %w", name, err)
	}
	raw, err := yamlutils.YAMLToJSON(y)
	if err != nil {
		return nil, fmt.Errorf("contract: %s: not YAML or JSON: %w", name, err)
	}
	var top map[string]any
	if err := json.Unmarshal(raw, &top); err != nil || top == nil {
		return nil, fmt.Errorf("contract: %s: the document is not a mapping of keys to values", name)
	}
	if v, _ := top["swagger"].(string); v != "2.0" {
		return nil, fmt.Errorf("contract: %s: not a Swagger 2.0 document (swagger: %v)", name, top["swagger"])
	}
	doc, err = loads.Analyzed(raw, "")
	if err != nil {
		return nil, fmt.Errorf("contract: %s: %w", name, err)
	}
	return doc, nil
}

// lintDoc runs validate.Spec's checks plus mockeko's own.
func lintDoc(doc *loads.Document, name string) (probs []Problem) {
	defer func() {
		if r := recover(); r != nil {
			probs = append(probs, Problem{Severity: SeverityError, File: name, Message: fmt.Sprintf("the validator failed on this document: %v", r)})
		}
	}()
	errs, warns := validate.NewSpecValidator(doc.Schema(), strfmt.Default).Validate(doc)
	// Definitions used only through vendor extensions are used.
	info := infoFromLoads(doc)
	indirect := map[string]bool{}
	for _, u := range unionsOf(info) {
		for _, target := range u.mapping {
			indirect[target] = true
		}
	}
	for _, n := range webhookDefinitions(info) {
		indirect[n] = true
	}
	if errs != nil {
		for _, e := range errs.Errors {
			probs = append(probs, toProblems(SeverityError, name, e)...)
		}
	}
	if warns != nil {
		for _, e := range warns.Errors {
			for _, p := range toProblems(SeverityWarning, name, e) {
				if m := unusedDef.FindStringSubmatch(p.Message); m != nil && indirect[m[1]] {
					continue
				}
				// Examples are judged by the validation engine (exampleProblems,
				// as errors). go-openapi's own example check also mistakes a
				// property named "items" for the keyword, so its verdicts
				// would only add false alarms.
				if strings.Contains(p.Location, ".example") || strings.Contains(p.Message, ".example") || strings.HasPrefix(p.Message, "example value for") {
					continue
				}
				probs = append(probs, p)
			}
		}
	}
	probs = append(probs, lintExtensions(doc, info, name)...)
	return probs
}

var unusedDef = regexp.MustCompile(`definition "#/definitions/([^"]+)" is not used anywhere`)

func toProblems(sev, file string, err error) []Problem {
	var ce *oaerrors.CompositeError
	if errors.As(err, &ce) {
		var out []Problem
		for _, e := range ce.Errors {
			out = append(out, toProblems(sev, file, e)...)
		}
		return out
	}
	p := Problem{Severity: sev, File: file, Message: err.Error()}
	var ve *oaerrors.Validation
	if errors.As(err, &ve) {
		p.Location = ve.Name
	}
	return []Problem{p}
}

// lintExtensions checks x-webhooks and x-mockeko-oneOf and operationIds.
func lintExtensions(doc *loads.Document, info docInfo, name string) []Problem {
	var out []Problem
	defs := doc.Spec().Definitions
	for _, u := range unionsOf(info) {
		if u.err != "" {
			out = append(out, Problem{Severity: SeverityError, File: name, Location: "definitions." + u.def + ".x-mockeko-oneOf", Message: u.err})
			continue
		}
		for value, target := range u.mapping {
			if _, ok := defs[target]; !ok {
				out = append(out, Problem{Severity: SeverityError, File: name, Location: "definitions." + u.def + ".x-mockeko-oneOf.mapping." + value,
					Message: fmt.Sprintf("maps to the undefined definition %q", target)})
			}
		}
	}
	for _, n := range webhookDefinitions(info) {
		if _, ok := defs[n]; !ok {
			out = append(out, Problem{Severity: SeverityError, File: name, Location: "x-webhooks",
				Message: fmt.Sprintf("names the undefined definition %q", n)})
		}
	}
	if doc.Spec().Paths != nil {
		for path, item := range doc.Spec().Paths.Paths {
			for method, op := range map[string]*spec.Operation{"get": item.Get, "put": item.Put, "post": item.Post, "delete": item.Delete, "patch": item.Patch, "head": item.Head, "options": item.Options} {
				if op != nil && op.ID == "" {
					out = append(out, Problem{Severity: SeverityError, File: name, Location: "paths." + path + "." + method, Message: "operation has no operationId"})
				}
			}
		}
	}
	return out
}
