// Package openapi embeds the OpenAPI (Swagger 2.0) descriptions that mockeko
// serves and checks traffic against.
package openapi

import _ "embed"

// EkoBotAPI is the Swagger 2.0 YAML description of the Eko Bot API surface
// mockeko emulates (token, BotV1, BotV2, files) including the webhook payloads,
// listed under the vendor extension x-webhooks.
//
// The contract package serves this document converted at build time
// (contract/ekodoc_gen.go): after editing the YAML, run go generate
// ./contract (the contract tests fail until the two agree).
//
//go:embed eko-bot-api.yaml
var EkoBotAPI []byte

// ControlPlane is the Swagger 2.0 YAML description of mockeko's own control
// plane under /_mockeko/. It is never part of the Eko contract.
//
//go:embed mockeko-control.yaml
var ControlPlane []byte
