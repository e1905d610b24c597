//go:build mockeko_regen

package contract

import (
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mockeko/mockeko/openapi"
)

// ekoBotAPIDoc converts openapi/eko-bot-api.yaml at run time. This build
// (tag mockeko_regen) exists to regenerate ekodoc_gen.go when it no longer
// compiles, for example after a kin-openapi upgrade renamed a field:
//
//	go generate ./contract
func ekoBotAPIDoc() (*openapi3.T, string) {
	doc, webhook, err := convert(openapi.EkoBotAPI, DefaultName, false)
	if err != nil {
		panic(err)
	}
	return doc, webhook
}
