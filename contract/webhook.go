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
	if mt, _, err := mime.ParseMediaType(h.Get("Content-Type")); err != nil || mt != "application/json" {
		add("header.Content-Type", fmt.Sprintf("must be application/json, not %q", h.Get("Content-Type")))
	}
	sig := h.Get("X-Eko-Signature")
	if sig == "" {
		add("header.X-Eko-Signature", "missing")
	} else if raw, err := base64.StdEncoding.DecodeString(sig); err != nil || len(raw) != 32 {
		add("header.X-Eko-Signature", "must be standard base64 of a 32-byte HMAC-SHA256")
	}
	return vs
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
