package contract

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// Sign returns the X-Eko-Signature of body: standard base64 of
// HMAC-SHA256(key = the bot's client secret, message = the raw body).
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// VerifySignature reports, in constant time, whether sig is the
// X-Eko-Signature of body under secret.
func VerifySignature(secret string, body []byte, sig string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(sig))
}
