package contract

import "github.com/getkin/kin-openapi/openapi3"

// The embedded Eko Bot API description is converted to OpenAPI 3 at build
// time: ekodoc_gen.go holds the converted document as Go code, so a process
// that serves the embedded contract starts without parsing YAML. Regenerate
// it after changing openapi/eko-bot-api.yaml, convert or kin-openapi (the
// tests fail while it is stale):
//
//go:generate go test -count=1 -tags mockeko_regen -run ^TestEkoDocIsFresh$ . -args -update

// pathsOf builds the paths object of a generated document.
func pathsOf(m map[string]*openapi3.PathItem) *openapi3.Paths {
	p := openapi3.NewPathsWithCapacity(len(m))
	for k, v := range m {
		p.Set(k, v)
	}
	return p
}

// responsesOf builds an operation's responses object in a generated document.
func responsesOf(m map[string]*openapi3.ResponseRef) *openapi3.Responses {
	r := openapi3.NewResponsesWithCapacity(len(m))
	for k, v := range m {
		r.Set(k, v)
	}
	return r
}
