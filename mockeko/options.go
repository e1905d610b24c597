package mockeko

import (
	"errors"
	"fmt"
	"github.com/mockeko/mockeko/contract"
	"log/slog"
	"net"
	"time"

	"github.com/mockeko/mockeko/fixtures"
)

// Defaults for the options below.
const (
	DefaultTokenTTL       = time.Hour   // expires_in 3600, like real Eko
	DefaultReplyTokenTTL  = time.Minute // INFERRED: real Eko's TTL is unknown
	DefaultSuccessStatus  = 201         // what real bots check for (eko-api.md §3.1)
	DefaultMaxBodyBytes   = 1 << 20     // JSON and urlencoded bodies
	DefaultMaxUploadBytes = 25 << 20    // multipart bodies
	DefaultMaxMessages    = 5           // BotV2 messages per call (INFERRED, LINE's limit)
	DefaultMessageCap     = 100_000     // stored messages kept per Server
	defaultAddr           = "127.0.0.1:0"
	defaultShutdown       = 10 * time.Second
)

// Option configures a Server. Options are applied in order; one that fails
// makes New return its error.
type Option func(*config) error

type config struct {
	fixtures       *fixtures.Set
	noFixtures     bool
	bots           []Bot
	users          []User
	groups         []Group
	tokenTTL       time.Duration
	replyTTL       time.Duration
	replySingleUse bool
	clock          Clock
	seed           *uint64
	logger         *slog.Logger
	successStatus  int
	maxBody        int64
	maxUpload      int64
	maxMessages    int
	messageCap     int
	addr           string
	listener       net.Listener
	webhooks       webhookOptions
	contractMode   contract.Mode      // contract.go
	contract       *contract.Contract // nil: the embedded description
	// compileContract and gateWaiting are set by this package's tests
	// only: a contract compiled by compileContract instead of
	// embeddedContract, and a call when a request starts waiting for it
	// (contractGate).
	compileContract func() (*contract.Contract, error)
	gateWaiting     func()
}

func defaultConfig() config {
	return config{
		tokenTTL:      DefaultTokenTTL,
		replyTTL:      DefaultReplyTokenTTL,
		successStatus: DefaultSuccessStatus,
		maxBody:       DefaultMaxBodyBytes,
		maxUpload:     DefaultMaxUploadBytes,
		maxMessages:   DefaultMaxMessages,
		messageCap:    DefaultMessageCap,
		addr:          defaultAddr,
	}
}

// WithFixtures replaces the embedded default fixtures with set.
func WithFixtures(set *fixtures.Set) Option {
	return func(c *config) error {
		if set == nil {
			return errors.New("mockeko: WithFixtures: nil set")
		}
		c.fixtures, c.noFixtures = set, false
		return nil
	}
}

// WithoutFixtures starts the Server empty but for one network; add bots,
// users and groups with the other options.
func WithoutFixtures() Option {
	return func(c *config) error { c.fixtures, c.noFixtures = nil, true; return nil }
}

// WithBot adds a bot. Empty ID, ClientID and ClientSecret are generated,
// an empty NetworkID means the first network, and no Scopes means all.
func WithBot(b Bot) Option {
	return func(c *config) error { c.bots = append(c.bots, b.clone()); return nil }
}

// WithUser adds a user. An empty ID is generated; an empty NetworkID means the first network.
func WithUser(u User) Option {
	return func(c *config) error {
		if u.Username == "" {
			return errors.New("mockeko: WithUser: empty Username")
		}
		c.users = append(c.users, u.clone())
		return nil
	}
}

// WithGroup adds a group chat or direct chat. Empty IDs are generated and a
// group without topics gets a main topic named "General".
func WithGroup(g Group) Option {
	return func(c *config) error { c.groups = append(c.groups, g.clone()); return nil }
}

// WithTokenTTL sets the access tokens' lifetime (expires_in). Default: one hour.
func WithTokenTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second {
			return fmt.Errorf("mockeko: WithTokenTTL: %v is under one second", d)
		}
		c.tokenTTL = d
		return nil
	}
}

// WithReplyTokenTTL sets how long a reply token stays valid. Default: one minute.
// An expired token answers reply_token_expired for at least another TTL;
// the Server may forget it after that, and then it answers
// invalid_reply_token, so a long-running sandbox stays bounded.
func WithReplyTokenTTL(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("mockeko: WithReplyTokenTTL: %v is not positive", d)
		}
		c.replyTTL = d
		return nil
	}
}

// WithReplyTokenSingleUse makes a reply token valid for one reply only.
// By default a token may be reused within its TTL, as real bots do.
func WithReplyTokenSingleUse() Option {
	return func(c *config) error { c.replySingleUse = true; return nil }
}

// WithClock sets the clock the Server reads (token expiry, timestamps).
// Server.Advance moves time forward on top of it. Default: the system clock.
func WithClock(clk Clock) Option {
	return func(c *config) error {
		if clk == nil {
			return errors.New("mockeko: WithClock: nil clock")
		}
		c.clock = clk
		return nil
	}
}

// WithSeed makes generated ids (ObjectIds, client ids, secrets) reproducible.
// Access and reply tokens always come from crypto/rand.
func WithSeed(seed uint64) Option { return func(c *config) error { c.seed = &seed; return nil } }

// WithLogger sets the logger. Default: discard. Secrets and tokens are never logged.
func WithLogger(l *slog.Logger) Option { return func(c *config) error { c.logger = l; return nil } }

// WithSuccessStatus sets the status of successful BotV1/BotV2 sends: 201
// (default; what real bots check) or 200 (what Eko's docs show).
func WithSuccessStatus(code int) Option {
	return func(c *config) error {
		if code != 200 && code != 201 {
			return fmt.Errorf("mockeko: WithSuccessStatus: %d is not 200 or 201", code)
		}
		c.successStatus = code
		return nil
	}
}

// WithBodyLimits sets the largest JSON or urlencoded body and the largest
// multipart body accepted; larger ones get 413. Defaults: 1 MiB and 25 MiB.
func WithBodyLimits(body, upload int64) Option {
	return func(c *config) error {
		if body <= 0 || upload <= 0 {
			return errors.New("mockeko: WithBodyLimits: limits must be positive")
		}
		c.maxBody, c.maxUpload = body, upload
		return nil
	}
}

// WithMessageCap bounds how many messages the Server keeps; the oldest are
// dropped first. Default: 100,000. Files of dropped messages are dropped too.
func WithMessageCap(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return errors.New("mockeko: WithMessageCap: must be at least 1")
		}
		c.messageCap = n
		return nil
	}
}

// WithAddr sets the address to listen on. Default: 127.0.0.1:0.
func WithAddr(addr string) Option { return func(c *config) error { c.addr = addr; return nil } }

// WithListener serves on l instead of listening on an address. The Server closes it.
func WithListener(l net.Listener) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("mockeko: WithListener: nil listener")
		}
		c.listener = l
		return nil
	}
}
