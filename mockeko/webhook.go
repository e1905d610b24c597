package mockeko

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"time"
)

// Webhook delivery defaults. Real Eko's timeout, retry policy and ordering
// are unknown (eko-api.md §8.5); these are mockeko's choices.
const (
	DefaultWebhookTimeout    = 10 * time.Second       // per attempt
	DefaultWebhookAttempts   = 3                      // first try plus two retries
	DefaultWebhookBackoff    = 500 * time.Millisecond // before the first retry; doubles after each
	DefaultWebhookMaxBackoff = 30 * time.Second
	DefaultDeliveryCap       = 10_000 // finished deliveries kept in the journal
	DefaultReorderWindow     = time.Second
	maxRetryAfter            = time.Hour
	maxResponseRead          = 64 << 10 // bytes of a bot's answer read before the connection is dropped
	maxResponseExcerpt       = 1 << 10  // bytes of it kept in the journal
)

// Headers of a webhook request, as real Eko sends them (eko-api.md §4.1):
// axios 0.19.2 defaults plus the signature.
const (
	webhookContentType = "application/json;charset=utf-8"
	webhookUserAgent   = "axios/0.19.2"
	webhookAccept      = "application/json, text/plain, */*"
	// SignatureHeader carries base64(HMAC-SHA256(client secret, body)).
	SignatureHeader = "X-Eko-Signature"
)

// Ordering values of WebhookConfig.Ordering.
const (
	OrderPerChat = "chat" // one delivery at a time per chat, in trigger order (default)
	OrderNone    = "none" // every delivery at once
)

// WebhookConfig is how a Server delivers one bot's webhooks. The zero value
// of each field means its default.
type WebhookConfig struct {
	// Timeout bounds each attempt, from connecting to reading the answer.
	// Default: DefaultWebhookTimeout.
	Timeout time.Duration
	// Retry says how often and when a failed attempt is retried.
	Retry RetryPolicy
	// Ordering is OrderPerChat (default) or OrderNone.
	Ordering string
	// Faults are injected into deliveries, for testing a bot's resilience.
	Faults WebhookFaults
	// FileEvents makes a user's file send a message event of type "file"
	// (fields fileId, fileName: INFERRED). Real Eko sends no webhook for
	// files (eko-api.md §4.5), so by default the file is only stored.
	FileEvents bool
}

// RetryPolicy says how a failed attempt (a connection error, a timeout or
// any non-2xx answer) is retried. Waits run on the Server's time: Advance
// moves them along, and so does the wall clock.
type RetryPolicy struct {
	// Attempts is the most attempts per delivery, the first included.
	// Default: DefaultWebhookAttempts. 1 disables retries.
	Attempts int
	// Backoff is the wait before the first retry; it doubles after each
	// retry up to MaxBackoff. Defaults: DefaultWebhookBackoff and
	// DefaultWebhookMaxBackoff.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// IgnoreRetryAfter makes retries ignore a Retry-After header. By
	// default a longer Retry-After (seconds or an HTTP date, at most an
	// hour) replaces the backoff.
	IgnoreRetryAfter bool
}

// WebhookFaults are injected into a bot's deliveries. Each rate is a
// probability from 0 (never, the default) to 1 (every delivery), drawn per
// delivery from the Server's random source (reproducible with WithSeed).
// The faults that hit a delivery are listed in Delivery.Faults.
type WebhookFaults struct {
	// Delay holds every delivery this long (Server time) before its first attempt.
	Delay time.Duration
	// Drop is the rate of deliveries never sent; they end "dropped".
	Drop float64
	// Duplicate is the rate of deliveries sent twice: the copy is a
	// delivery of its own, with DuplicateOf set, sent right after.
	Duplicate float64
	// BadSignature is the rate of deliveries signed with the wrong key.
	BadSignature float64
	// Reorder is the rate of deliveries held back until the chat's next
	// delivery has been sent (or DefaultReorderWindow has passed), so the
	// bot sees them out of order. It needs OrderPerChat.
	Reorder float64
}

func (c WebhookConfig) withDefaults() WebhookConfig {
	if c.Timeout <= 0 {
		c.Timeout = DefaultWebhookTimeout
	}
	if c.Retry.Attempts <= 0 {
		c.Retry.Attempts = DefaultWebhookAttempts
	}
	if c.Retry.Backoff <= 0 {
		c.Retry.Backoff = DefaultWebhookBackoff
	}
	if c.Retry.MaxBackoff <= 0 {
		c.Retry.MaxBackoff = DefaultWebhookMaxBackoff
	}
	if c.Retry.MaxBackoff < c.Retry.Backoff {
		c.Retry.MaxBackoff = c.Retry.Backoff
	}
	if c.Ordering == "" {
		c.Ordering = OrderPerChat
	}
	return c
}

func (c WebhookConfig) validate() error {
	switch {
	case c.Timeout < 0:
		return errors.New("timeout must not be negative")
	case c.Retry.Attempts < 0 || c.Retry.Attempts > 100:
		return fmt.Errorf("retry.attempts must be 1 to 100, got %d", c.Retry.Attempts)
	case c.Retry.Backoff < 0 || c.Retry.MaxBackoff < 0:
		return errors.New("retry backoffs must not be negative")
	case c.Ordering != "" && c.Ordering != OrderPerChat && c.Ordering != OrderNone:
		return fmt.Errorf("ordering must be %q or %q, got %q", OrderPerChat, OrderNone, c.Ordering)
	case c.Faults.Delay < 0:
		return errors.New("faults.delay must not be negative")
	}
	for name, r := range map[string]float64{"drop": c.Faults.Drop, "duplicate": c.Faults.Duplicate,
		"badSignature": c.Faults.BadSignature, "reorder": c.Faults.Reorder} {
		if r < 0 || r > 1 {
			return fmt.Errorf("faults.%s must be a rate from 0 to 1, got %v", name, r)
		}
	}
	return nil
}

// webhookConfigJSON is WebhookConfig on the control plane: durations in milliseconds.
type webhookConfigJSON struct {
	TimeoutMs  int64  `json:"timeoutMs"`
	Ordering   string `json:"ordering"`
	FileEvents bool   `json:"fileEvents"`
	Retry      struct {
		Attempts         int   `json:"attempts"`
		BackoffMs        int64 `json:"backoffMs"`
		MaxBackoffMs     int64 `json:"maxBackoffMs"`
		IgnoreRetryAfter bool  `json:"ignoreRetryAfter"`
	} `json:"retry"`
	Faults struct {
		DelayMs      int64   `json:"delayMs"`
		Drop         float64 `json:"drop"`
		Duplicate    float64 `json:"duplicate"`
		BadSignature float64 `json:"badSignature"`
		Reorder      float64 `json:"reorder"`
	} `json:"faults"`
}

// MarshalJSON writes the config as the control plane shows it, with
// durations in milliseconds (timeoutMs, retry.backoffMs, faults.delayMs, ...).
func (c WebhookConfig) MarshalJSON() ([]byte, error) {
	var j webhookConfigJSON
	j.TimeoutMs, j.Ordering, j.FileEvents = c.Timeout.Milliseconds(), c.Ordering, c.FileEvents
	j.Retry.Attempts, j.Retry.BackoffMs, j.Retry.MaxBackoffMs = c.Retry.Attempts, c.Retry.Backoff.Milliseconds(), c.Retry.MaxBackoff.Milliseconds()
	j.Retry.IgnoreRetryAfter = c.Retry.IgnoreRetryAfter
	j.Faults.DelayMs = c.Faults.Delay.Milliseconds()
	j.Faults.Drop, j.Faults.Duplicate, j.Faults.BadSignature, j.Faults.Reorder = c.Faults.Drop, c.Faults.Duplicate, c.Faults.BadSignature, c.Faults.Reorder
	return json.Marshal(j)
}

// UnmarshalJSON reads the control-plane form written by MarshalJSON.
func (c *WebhookConfig) UnmarshalJSON(b []byte) error {
	var j webhookConfigJSON
	dec := json.NewDecoder(bytesReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	ms := func(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
	*c = WebhookConfig{
		Timeout:    ms(j.TimeoutMs),
		Ordering:   j.Ordering,
		FileEvents: j.FileEvents,
		Retry: RetryPolicy{Attempts: j.Retry.Attempts, Backoff: ms(j.Retry.BackoffMs), MaxBackoff: ms(j.Retry.MaxBackoffMs),
			IgnoreRetryAfter: j.Retry.IgnoreRetryAfter},
		Faults: WebhookFaults{Delay: ms(j.Faults.DelayMs), Drop: j.Faults.Drop, Duplicate: j.Faults.Duplicate,
			BadSignature: j.Faults.BadSignature, Reorder: j.Faults.Reorder},
	}
	return nil
}

// webhookOptions are the webhook settings given as Server options, by bot
// id ("" is the default bot).
type webhookOptions struct {
	configs  map[string]WebhookConfig
	handlers map[string]http.Handler
	urls     map[string]string
	cap      int
}

// WithWebhookConfig sets how the bot's webhooks are delivered: timeout,
// retries, ordering and faults. botID "" means the default bot (the first
// loaded). Server.SetWebhookConfig changes it at run time.
func WithWebhookConfig(botID string, cfg WebhookConfig) Option {
	return func(c *config) error {
		if err := cfg.validate(); err != nil {
			return fmt.Errorf("mockeko: WithWebhookConfig: %w", err)
		}
		if c.webhooks.configs == nil {
			c.webhooks.configs = map[string]WebhookConfig{}
		}
		c.webhooks.configs[botID] = cfg
		return nil
	}
}

// WithWebhookHandler delivers the bot's webhooks to h in process, with no
// socket, instead of POSTing them to its WebhookURL: the Go-test
// counterpart of a bot's HTTP endpoint. h gets the same request a bot's
// server would (method, headers, signed body); its context carries the
// attempt's timeout, and a handler that ignores it holds up Close. botID
// "" means the default bot.
func WithWebhookHandler(botID string, h http.Handler) Option {
	return func(c *config) error {
		if h == nil {
			return errors.New("mockeko: WithWebhookHandler: nil handler")
		}
		if c.webhooks.handlers == nil {
			c.webhooks.handlers = map[string]http.Handler{}
		}
		c.webhooks.handlers[botID] = h
		return nil
	}
}

// WithWebhookURL sets the bot's webhook URL, overriding the fixtures
// (Reset keeps it). botID "" means the default bot. The URL must be http
// or https.
func WithWebhookURL(botID, rawURL string) Option {
	return func(c *config) error {
		u, err := url.Parse(rawURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("mockeko: WithWebhookURL: %q is not an http(s) URL", rawURL)
		}
		if c.webhooks.urls == nil {
			c.webhooks.urls = map[string]string{}
		}
		c.webhooks.urls[botID] = rawURL
		return nil
	}
}

// WithDeliveryCap bounds how many finished deliveries the journal keeps;
// the oldest go first. Pending deliveries are always kept. Default:
// DefaultDeliveryCap.
func WithDeliveryCap(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return errors.New("mockeko: WithDeliveryCap: must be at least 1")
		}
		c.webhooks.cap = n
		return nil
	}
}

// Sign returns the X-Eko-Signature value of body for a bot with the client
// secret: standard base64 of HMAC-SHA256(secret, body), with no prefix.
// Bots verify a webhook by computing it over the raw body they received.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// VerifySignature reports whether sig is body's valid X-Eko-Signature for
// the client secret, comparing in constant time. A "sha256=" prefix is
// tolerated, as some bots strip it defensively.
func VerifySignature(secret string, body []byte, sig string) bool {
	if len(sig) > 7 && sig[:7] == "sha256=" {
		sig = sig[7:]
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

// signer computes Sign with an HMAC kept for the last secret it saw, so
// signing a delivery costs no key setup and no allocation but the
// signature string. Not safe for concurrent use (Server.mu guards it).
type signer struct {
	secret string
	mac    hash.Hash
}

func (s *signer) sign(secret string, body []byte) string {
	if s.mac == nil || s.secret != secret {
		s.secret, s.mac = secret, hmac.New(sha256.New, []byte(secret))
	} else {
		s.mac.Reset()
	}
	s.mac.Write(body)
	var sum [sha256.Size]byte
	return base64.StdEncoding.EncodeToString(s.mac.Sum(sum[:0]))
}

// wrongSignature is the BadSignature fault: a well-formed signature made with the wrong key.
func wrongSignature(secret string, body []byte) string {
	return Sign("mockeko-wrong-key:"+secret, body)
}
