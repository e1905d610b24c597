package contract

import (
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
)

// WebhookOperation is the Operation of webhook violations.
const WebhookOperation = "webhook"

// ValidateWebhook checks the body of a webhook delivery (Eko → bot) against
// the envelope definition named by the document's x-webhooks.
func (c *Contract) ValidateWebhook(body []byte) []Violation {
	if c.webhook == nil {
		return []Violation{{Operation: WebhookOperation, Direction: DirectionWebhook, Location: "", Message: "the document declares no x-webhooks delivery definition"}}
	}
	if c.webhookPlan.valid(body) { // certainly valid: kin-openapi would find nothing
		return nil
	}
	v, err := decodeJSON(body)
	if err != nil {
		return []Violation{{Operation: WebhookOperation, Direction: DirectionWebhook, Location: "body", Message: "not JSON: " + err.Error()}}
	}
	err = c.webhook.Value.VisitJSON(v, openapi3.MultiErrors(), openapi3.DisableSchemaErrorDetails())
	if err == nil {
		return nil
	}
	return violationsOf(WebhookOperation, DirectionWebhook, err)
}

// ValidateWebhookHeader checks the headers of a webhook delivery: a JSON
// Content-Type and an X-Eko-Signature holding standard base64 of a 32-byte
// HMAC-SHA256. Whether the signature is right needs the secret; see
// [VerifySignature].
func (c *Contract) ValidateWebhookHeader(h http.Header) []Violation {
	var vs []Violation
	add := func(loc, msg string) {
		vs = append(vs, Violation{Operation: WebhookOperation, Direction: DirectionWebhook, Location: loc, Message: msg})
	}
	if ct := h.Get("Content-Type"); !isJSONMediaType(ct) {
		add("header.Content-Type", fmt.Sprintf("must be application/json, not %q", ct))
	}
	sig := h.Get("X-Eko-Signature")
	if sig == "" {
		add("header.X-Eko-Signature", "missing")
	} else if !isBase64HMAC(sig) {
		add("header.X-Eko-Signature", "must be standard base64 of a 32-byte HMAC-SHA256")
	}
	return vs
}

// isJSONMediaType reports whether a Content-Type value is application/json,
// with or without parameters. The two values axios sends are answered
// without mime.ParseMediaType, which builds a map for the parameters.
func isJSONMediaType(ct string) bool {
	if ct == "application/json" || ct == "application/json;charset=utf-8" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// isBase64HMAC reports whether sig is standard base64 of 32 bytes, decoding
// it on the stack when it is no longer than a signature needs to be.
func isBase64HMAC(sig string) bool {
	var in [48]byte
	if len(sig) > len(in) {
		raw, err := base64.StdEncoding.DecodeString(sig) // base64 skips CR and LF: it may still be 32 bytes
		return err == nil && len(raw) == 32
	}
	var out [36]byte // base64.StdEncoding.DecodedLen(48)
	n, err := base64.StdEncoding.Decode(out[:], in[:copy(in[:], sig)])
	return err == nil && n == 32
}

// ValidateWebhookAnswer checks a bot's answer to a webhook delivery. Any 2xx
// counts as delivered and the body is ignored (INFERRED from every client
// seen); anything else is a failed delivery.
func (c *Contract) ValidateWebhookAnswer(status int, _ http.Header, _ []byte) []Violation {
	if status >= 200 && status < 300 {
		return nil
	}
	return []Violation{{Operation: WebhookOperation, Direction: DirectionWebhookResponse, Location: "status",
		Message: fmt.Sprintf("the bot answered %d; only a 2xx counts as delivered", status)}}
}
