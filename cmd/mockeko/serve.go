package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mockeko/mockeko/contract"
	"github.com/mockeko/mockeko/fixtures"
	"github.com/mockeko/mockeko/mockeko"
)

// envFlags binds every flag of fs to MOCKEKO_<NAME> unless set on the command line.
func envFlags(fs *flag.FlagSet) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		env := envName(f.Name)
		if v, ok := os.LookupEnv(env); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", env, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

func envName(flagName string) string {
	return "MOCKEKO_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// ballastBytes is the size of the heap ballast serve keeps (gcBallast).
const ballastBytes = 16 << 20

// gcBallast returns the heap ballast a serving sandbox keeps alive, or nil
// when the environment tunes the collector itself (GOGC or GOMEMLIMIT set).
//
// The collector starts a cycle once the heap has grown by GOGC% of what the
// last one left live, but not before 4 MB: a sandbox's live heap (the
// compiled contract, the fixtures, the journal) is ~2.5 MB, so it collected
// every ~2.5 MB allocated, marking all of it each time: 13% of a users
// request's instructions with the contract strict. The ballast counts as
// live heap, so cycles come every ~18 MB instead. It holds no pointers, so
// marking it is free, and it is never written, so its pages are never
// touched and it takes no resident memory; what the sandbox does hold is
// the garbage between cycles: ~17 MB more RSS under steady load (21 → 38
// MB after 50,000 users requests). Once the store holds more than the
// ballast, it barely matters either way.
func gcBallast(getenv func(string) string) []byte {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return nil
	}
	return make([]byte, ballastBytes)
}

// startupGCPercent is the GOGC in force while serve starts (see serve).
const startupGCPercent = 400

type serveFlags struct {
	addr          string
	fixtures      string
	tokenTTL      time.Duration
	replyTTL      time.Duration
	seed          string
	successStatus int
	logLevel      string
	logFormat     string
	messageCap    int
	webhookURL    string
	contractMode  contract.Mode
}

func newServeFlags(stderr io.Writer) (*flag.FlagSet, *serveFlags) {
	f := &serveFlags{}
	fs := flag.NewFlagSet("mockeko serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on (the container image sets 0.0.0.0:8080)")
	fs.StringVar(&f.fixtures, "fixtures", "", "fixture file to load (default: the embedded fixtures/default.yaml)")
	fs.DurationVar(&f.tokenTTL, "token-ttl", mockeko.DefaultTokenTTL, "lifetime of issued access tokens (expires_in)")
	fs.DurationVar(&f.replyTTL, "reply-token-ttl", mockeko.DefaultReplyTokenTTL, "lifetime of reply tokens")
	fs.StringVar(&f.seed, "seed", "", "seed that makes generated ids reproducible (an unsigned integer)")
	fs.IntVar(&f.successStatus, "success-status", mockeko.DefaultSuccessStatus, "status of successful sends: 201 (what bots check) or 200 (what the docs show)")
	fs.IntVar(&f.messageCap, "message-cap", mockeko.DefaultMessageCap, "most messages kept; the oldest are dropped first")
	fs.StringVar(&f.webhookURL, "webhook-url", "", "the default bot's webhook URL, where simulated users' events go (overrides the fixtures)")
	fs.Var(&f.contractMode, "contract", "contract mode: strict (invalid requests get 400), warn (recorded only) or off")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fs.Usage = func() { printUsage(fs.Output()) }
	return fs, f
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// options turns the flags into Server options.
func (f *serveFlags) options(logger *slog.Logger) ([]mockeko.Option, error) {
	opts := []mockeko.Option{
		mockeko.WithTokenTTL(f.tokenTTL),
		mockeko.WithReplyTokenTTL(f.replyTTL),
		mockeko.WithSuccessStatus(f.successStatus),
		mockeko.WithMessageCap(f.messageCap),
		mockeko.WithLogger(logger),
		mockeko.WithContractMode(f.contractMode),
	}
	if f.fixtures != "" {
		set, err := fixtures.ReadFile(f.fixtures)
		if err != nil {
			return nil, err
		}
		opts = append(opts, mockeko.WithFixtures(set))
	}
	if f.webhookURL != "" {
		opts = append(opts, mockeko.WithWebhookURL("", f.webhookURL))
	}
	if f.seed != "" {
		n, err := strconv.ParseUint(f.seed, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("--seed %q: want an unsigned integer", f.seed)
		}
		opts = append(opts, mockeko.WithSeed(n))
	}
	return opts, nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f := newServeFlags(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitCode(2)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mockeko: unexpected argument %q\n", fs.Arg(0))
		return exitCode(2)
	}
	if err := envFlags(fs); err != nil {
		return err
	}
	// Starting allocates a few MB once (the contract, the fixtures, the
	// routes) on top of what package init left; a collection in the middle
	// of it only delays the first answer. Collect less often until the
	// server is up, then go back to the configured GOGC.
	gcPercent := debug.SetGCPercent(startupGCPercent)
	restoreGC := sync.OnceFunc(func() { debug.SetGCPercent(gcPercent) })
	defer restoreGC()
	logger, err := newLogger(stderr, f.logLevel, f.logFormat)
	if err != nil {
		return err
	}
	opts, err := f.options(logger)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.addr, err)
	}
	srv, err := mockeko.New(append(opts, mockeko.WithListener(ln))...)
	restoreGC()
	if err != nil {
		ln.Close()
		return err
	}
	ballast := gcBallast(os.Getenv)
	defer runtime.KeepAlive(ballast)
	bot := srv.Bot()
	base := publicURL(ln.Addr())
	// Printed, not logged: the newcomer pastes these into the bot's environment.
	fmt.Fprintf(stdout, "mockeko is serving a fake Eko tenant at %s\n\n", base)
	fmt.Fprintf(stdout, "  EKO_HTTP_URI=%s\n  EKO_OAUTH_CLIENT_ID=%s\n  EKO_OAUTH_CLIENT_SECRET=%s\n\n", base, bot.ClientID, bot.ClientSecret)
	fmt.Fprintf(stdout, "Control plane: %s/_mockeko/health, /_mockeko/messages, ... (see README)\n", base)
	logger.Info("serving", "addr", ln.Addr().String(), "bots", len(srv.Bots()), "users", len(srv.Users()), "groups", len(srv.Groups()))
	<-ctx.Done()
	logger.Info("shutting down")
	srv.Close()
	logger.Info("stopped")
	return nil
}

// publicURL turns a listen address into a URL a local client can use.
func publicURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
