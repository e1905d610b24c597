package contract

import (
	"strings"
	"testing"

	"github.com/go-openapi/loads"
	"github.com/go-openapi/strfmt"
	"github.com/go-openapi/swag/yamlutils"
	"github.com/go-openapi/validate"

	"github.com/mockeko/mockeko/openapi"
)

func TestEmbeddedDocumentsAreValid(t *testing.T) {
	t.Parallel()
	for name, data := range map[string][]byte{"eko-bot-api.yaml": openapi.EkoBotAPI, "mockeko-control.yaml": openapi.ControlPlane} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// validate.Spec itself, as the design asks.
			y, err := yamlutils.BytesToYAMLDoc(data)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := yamlutils.YAMLToJSON(y)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := loads.Analyzed(raw, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := validate.Spec(doc, strfmt.Default); err != nil {
				t.Fatalf("validate.Spec: %v", err)
			}
			// What Lint adds to validate.Spec: the vendor extensions, the
			// engine's compile, and every example against its schema.
			probs := lintExtensions(doc, infoFromLoads(doc), name)
			c, err := compile(data, name, true)
			if err != nil {
				t.Fatal(err)
			}
			probs = append(probs, c.exampleProblems()...)
			for _, p := range probs {
				t.Errorf("%s", p)
			}
		})
	}
}

func TestLoadControlPlane(t *testing.T) {
	t.Parallel()
	c, err := Load(openapi.ControlPlane, "mockeko-control.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Operation("GET", "/_mockeko/deliveries/d-1"); !ok {
		t.Error("control plane: getDelivery not routed")
	}
}

// tiny is a small valid document for mutation tests (the real one is slow to lint).
const tiny = `swagger: "2.0"
info: {title: t, version: "1"}
paths:
  /bot/v1/things/{id}:
    get:
      operationId: getThing
      parameters:
        - {name: id, in: path, required: true, type: string}
      responses:
        "200":
          description: ok
          schema: {$ref: "#/definitions/Thing"}
x-webhooks: {delivery: Envelope}
definitions:
  Thing:
    type: object
    required: [type]
    properties:
      type: {type: string, enum: [a]}
    x-mockeko-oneOf:
      discriminator: type
      mapping: {a: ThingA}
    example: {type: a, n: 1}
  ThingA:
    type: object
    properties:
      type: {type: string}
      n: {type: integer}
  Envelope:
    type: object
    properties:
      events: {type: array, items: {type: object}}
`

func TestLintTinyIsClean(t *testing.T) {
	t.Parallel()
	if probs := Lint([]byte(tiny), "tiny.yaml"); len(probs) != 0 {
		t.Fatalf("problems in the reference document: %v", probs)
	}
	if _, err := Load([]byte(tiny), "tiny.yaml"); err != nil {
		t.Fatal(err)
	}
}

var loadToo = map[string]bool{"empty": true, "bad ref": true, "union to nowhere": true, "truncated": true}

func TestLintBrokenDocuments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc string
		want      []string // substrings of the first error
	}{
		{"empty", "", []string{"broken.yaml", "empty document"}},
		{"not YAML", "swagger: \"2.0\"\n  info: [\n", []string{"broken.yaml", "line"}},
		{"a list", "- a\n- b\n", []string{"broken.yaml", "objects"}},
		{"OpenAPI 3", "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n", []string{"broken.yaml", "not a Swagger 2.0 document"}},
		{"bad ref", strings.Replace(tiny, "#/definitions/Thing\"", "#/definitions/Thimg\"", 1), []string{"broken.yaml", "Thimg"}},
		{"no responses", strings.Replace(tiny, "      responses:\n        \"200\":\n          description: ok\n          schema: {$ref: \"#/definitions/Thing\"}\n", "", 1), []string{"broken.yaml", "responses"}},
		{"no description", strings.Replace(tiny, "description: ok", "x-d: ok", 1), []string{"broken.yaml", "description"}},
		{"path param mismatch", strings.Replace(tiny, "/bot/v1/things/{id}", "/bot/v1/things/{thing}", 1), []string{"broken.yaml", "thing"}},
		{"nullable keyword", strings.Replace(tiny, "n: {type: integer}", "n: {type: integer, nullable: true}", 1), []string{"broken.yaml", "nullable"}},
		{"unknown top key", tiny + "foo: bar\n", []string{"broken.yaml", "foo"}},
		{"no operationId", strings.Replace(tiny, "operationId: getThing", "summary: x", 1), []string{"broken.yaml", "operationId"}},
		{"union to nowhere", strings.Replace(tiny, "mapping: {a: ThingA}", "mapping: {a: ThingB}", 1), []string{"broken.yaml", "ThingB"}},
		{"union without discriminator", strings.Replace(tiny, "discriminator: type", "discriminator: kind", 1), []string{"broken.yaml", "kind"}},
		{"webhook to nowhere", strings.Replace(tiny, "delivery: Envelope", "delivery: Envelop", 1), []string{"broken.yaml", "Envelop"}},
		{"bad example", strings.Replace(tiny, "example: {type: a, n: 1}", "example: {type: a, n: one}", 1), []string{"broken.yaml", "definitions.Thing.example", "/n"}},
		{"truncated", tiny[:len(tiny)/2], []string{"broken.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			probs := Lint([]byte(tt.doc), "broken.yaml")
			if !HasErrors(probs) {
				t.Fatalf("no error; problems: %v", probs)
			}
			var all []string
			for _, p := range probs {
				if p.Severity == SeverityError {
					all = append(all, p.String())
				}
			}
			got := strings.Join(all, "\n")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("first problem %q lacks %q (all: %v)", got, w, probs)
				}
			}
			if !loadToo[tt.name] { // validate.Spec is slow under -race; Load shares Lint's code
				return
			}
			if _, err := Load([]byte(tt.doc), "broken.yaml"); err == nil {
				t.Errorf("Load accepted the broken document")
			} else if err != nil && !strings.Contains(err.Error(), "broken.yaml") {
				t.Errorf("Load error %q does not name the file", err)
			}
		})
	}
}

// Truncating the real document anywhere must give an error or a valid
// contract, never a panic. Cuts inside the first lines keep it fast.
func TestLoadTruncatedNeverPanics(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 10, 100, 1000} {
		_, err := Load(openapi.EkoBotAPI[:n], "eko-bot-api.yaml")
		if err == nil {
			t.Errorf("cut at %d: loaded", n)
		} else if !strings.HasPrefix(err.Error(), "contract: eko-bot-api.yaml: ") {
			t.Errorf("cut at %d: error %q lacks the prefix", n, err)
		}
	}
}
