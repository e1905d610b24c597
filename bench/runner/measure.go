package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Target keys, in table order.
const (
	tStrict = "strict"
	tOff    = "off"
	tBase   = "baseline"
	tBare   = "bare"
	tPrism  = "prism"
)

// target is a server the load runs compare.
type target struct {
	key, title string
	na         string // why the target has no figures; empty when it runs
	argv       func(port int) []string
	env        []string
	srv        *server
	auth       map[string]string // call key -> Authorization header
}

// results is everything one run measured.
type results struct {
	Date      time.Time
	Machine   machine
	Elapsed   time.Duration
	Targets   []*target
	Calls     []call
	Conns     []int
	Load      map[string][]wrkResult // cellKey(target, call, conns) -> runs
	Contract  bool                   // the binary has --contract
	Cold      map[string][]time.Duration
	ColdAPI   map[string][]time.Duration // mockeko: process start to its first token
	ColdNA    map[string]string
	Loopback  *loopbackMemory
	Inproc    *inprocMemory // no cap: every message kept
	InprocCap *inprocMemory // with the cap
	GoBench   []goBench
	GoBenchNA string
	Notes     []string
}

func cellKey(target, call string, conns int) string {
	return fmt.Sprintf("%s/%s/%d", target, call, conns)
}

// fakeToken is the bearer token sent to servers that do not check it.
const fakeToken = "0123456789abcdef0123456789abcdef01234567"

func measure(ctx context.Context, cfg *config, log io.Writer) (*results, error) {
	dir, err := os.MkdirTemp("", "mockeko-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ld, err := newLoader(cfg.wrk, cfg.cpuLoad, dir)
	if err != nil {
		return nil, err
	}
	res := &results{Date: time.Now().UTC(), Conns: cfg.conns, Load: map[string][]wrkResult{},
		Cold: map[string][]time.Duration{}, ColdAPI: map[string][]time.Duration{}, ColdNA: map[string]string{}}
	res.Machine = describeMachine(cfg)
	res.Contract = hasContractFlag(cfg.mockeko)

	targets := buildTargets(cfg, res.Contract)
	res.Targets = targets
	defer func() {
		for _, t := range targets {
			if t.srv != nil {
				t.srv.stop()
			}
		}
	}()
	logf := func(format string, args ...any) { fmt.Fprintf(log, "bench: "+format+"\n", args...) }

	// Every call gets fresh servers, so that what one call leaves behind
	// (an hour's worth of tokens, a full message store) does not slow the next.
	var fx fixtureFacts
	startAll := func() error {
		for _, t := range targets {
			if t.na != "" {
				continue
			}
			port, err := freePort()
			if err != nil {
				return err
			}
			srv, err := startServer(t.title, pinned(cfg.cpuServer, t.argv(port)), t.env, port)
			if err != nil {
				return err
			}
			t.srv = srv
			rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			_, err = srv.waitReady(rctx, readyProbe(t.key), time.Now())
			cancel()
			if err != nil {
				return err
			}
		}
		// What the calls need: a group, a user and credentials from the fixtures.
		if fx.gid == "" {
			for _, t := range targets {
				if t.srv != nil && isMockeko(t.key) {
					if fx, err = learnFixtures(ctx, t.srv); err != nil {
						return err
					}
					break
				}
			}
			if fx.gid == "" {
				return fmt.Errorf("no mockeko target started")
			}
			res.Calls = benchCalls(fx)
		}
		for _, t := range targets {
			if t.srv == nil {
				continue
			}
			tok := fakeToken
			if isMockeko(t.key) {
				if tok, err = fetchToken(ctx, t.srv.base, fx); err != nil {
					return fmt.Errorf("%s: %w", t.title, err)
				}
			}
			t.auth = map[string]string{"push": "Bearer " + tok, "users": "Bearer " + tok, "token": fx.basic}
			for _, c := range res.Calls {
				if err := preflight(ctx, t, c); err != nil {
					return err
				}
			}
		}
		return nil
	}
	stopAll := func() {
		for _, t := range targets {
			if t.srv != nil {
				t.srv.stop()
				t.srv = nil
			}
		}
	}
	if err := startAll(); err != nil {
		return nil, err
	}
	for _, t := range targets {
		if t.srv != nil {
			logf("%s is up at %s", t.title, t.srv.base)
		}
	}

	// Load: interleave the targets so drift hits them alike.
	for i, c := range res.Calls {
		if i > 0 {
			stopAll()
			if err := startAll(); err != nil {
				return nil, err
			}
		}
		for ci, conns := range cfg.conns {
			for rep := range cfg.reps {
				// Each rep starts one target later, so none always runs
				// right after the same one (Prism's Node keeps a core busy
				// for a while after its load stops).
				for j := range targets {
					t := targets[(j+rep)%len(targets)]
					if t.srv == nil {
						continue
					}
					if err := settle(ctx, targets, logf); err != nil {
						return nil, err
					}
					if ci == 0 && rep == 0 && cfg.warmup > 0 {
						if _, err := ld.run(ctx, t.srv.base, c, t.auth[c.key], conns, cfg.warmup, 0); err != nil {
							return nil, fmt.Errorf("%s warm-up %s: %w", t.title, c.key, err)
						}
					}
					before, err := t.srv.usage()
					if err != nil {
						return nil, err
					}
					r, err := ld.run(ctx, t.srv.base, c, t.auth[c.key], conns, cfg.dur, 0)
					if err != nil {
						return nil, fmt.Errorf("%s %s c%d: %w", t.title, c.key, conns, err)
					}
					after, err := t.srv.usage()
					if err != nil {
						return nil, err
					}
					r.ServerCPU, r.Wait, r.Faults = after.cpu-before.cpu, after.wait-before.wait, after.faults-before.faults
					k := cellKey(t.key, c.key, conns)
					res.Load[k] = append(res.Load[k], r)
					logf("%-26s %-5s c%-3d %8.0f req/s p50 %-9v p99 %-9v cpu/req %-8v waited %-8v faults/req %.2f errors %d/%d", t.title, c.key, conns, r.RPS(), r.P50, r.P99, r.CPUPerRequest(), r.Wait.Round(time.Millisecond), float64(r.Faults)/float64(max(r.Requests, 1)), r.StatusErrors, r.SocketErrors)
				}
			}
		}
	}
	stopAll()

	// Cold start.
	if err := measureCold(ctx, cfg, res, targets, fx, logf); err != nil {
		return nil, err
	}

	// Memory over loopback, then in-process.
	lm, err := measureLoopbackMemory(ctx, cfg, res.Contract, ld, fx, logf)
	if err != nil {
		return nil, err
	}
	res.Loopback = lm
	if res.Inproc, err = runInproc(ctx, cfg, cfg.pushes, cfg.pushes); err != nil {
		return nil, err
	}
	logf("in-process: %d pushes kept: %.0f B/message (%.0f B beyond the text)", res.Inproc.Pushes, res.Inproc.PerMessage, res.Inproc.OverheadBytes)
	if res.InprocCap, err = runInproc(ctx, cfg, cfg.pushes, cfg.capMsgs); err != nil {
		return nil, err
	}
	logf("in-process: %d pushes, cap %d: heap %d B", res.InprocCap.Pushes, res.InprocCap.Cap, res.InprocCap.HeapAfter)

	// In-process Go benchmarks of package mockeko.
	if cfg.goBin == "" {
		res.GoBenchNA = "skipped (-go \"\")"
	} else if res.GoBench, err = runGoBench(ctx, cfg); err != nil {
		return nil, err
	}
	return res, nil
}

// buildTargets lists the four targets; the ones that cannot run say why.
func buildTargets(cfg *config, contract bool) []*target {
	gmp := "GOMAXPROCS=" + strconv.Itoa(cfg.gomaxprocs)
	mk := func(key, title, mode string) *target {
		t := &target{key: key, title: title, env: []string{gmp}}
		if !contract && mode == "strict" {
			t.na = "n/a (contract not built)"
			return t
		}
		t.argv = func(port int) []string { return mockekoArgv(cfg.mockeko, port, contract, mode, 0) }
		return t
	}
	ts := []*target{
		mk(tStrict, "mockeko (contract strict)", "strict"),
		mk(tOff, "mockeko (contract off)", "off"),
	}
	if cfg.baseline != "" {
		baseContract := hasContractFlag(cfg.baseline)
		ts = append(ts, &target{key: tBase, title: "mockeko (baseline)", env: []string{gmp}, argv: func(port int) []string {
			return mockekoArgv(cfg.baseline, port, baseContract, "off", 0)
		}})
	}
	ts = append(ts,
		&target{key: tBare, title: "bare net/http", env: []string{gmp}, argv: func(port int) []string {
			return []string{cfg.bare, "-addr", fmt.Sprintf("127.0.0.1:%d", port)}
		}},
	)
	prism := &target{key: tPrism, title: "Prism"}
	switch {
	case cfg.prism == "":
		prism.na = "n/a (Prism not installed)"
	case cfg.spec == "":
		prism.na = "n/a (no OpenAPI document)"
	default:
		prism.argv = func(port int) []string { return prismArgv(cfg, port) }
	}
	return append(ts, prism)
}

// mockekoArgv is how the benchmark runs mockeko: access log off (warn), so
// the figures are the server's, not the terminal's.
func mockekoArgv(bin string, port int, contract bool, mode string, msgCap int) []string {
	argv := []string{bin, "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--log-level", "warn"}
	if contract {
		argv = append(argv, "--contract", mode)
	}
	if msgCap > 0 {
		argv = append(argv, "--message-cap", strconv.Itoa(msgCap))
	}
	return argv
}

// prismArgv runs Prism's static mock with per-request logging off, like mockeko's.
func prismArgv(cfg *config, port int) []string {
	return []string{cfg.prism, "mock", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-v", "warn", cfg.spec}
}

func isMockeko(key string) bool { return key == tStrict || key == tOff || key == tBase }

// readyProbe is the request that tells a target is up: mockeko's health
// check; for the others (which have no control plane) a documented GET.
func readyProbe(key string) probe {
	if isMockeko(key) {
		return probe{path: "/_mockeko/health"}
	}
	return probe{path: "/bot/v1/users?username=alice", header: http.Header{"Authorization": {"Bearer " + fakeToken}}}
}

// contractFlag matches the --contract flag in mockeko serve's usage.
var contractFlag = regexp.MustCompile(`(?m)^\s*--?contract\b`)

// hasContractFlag reports whether mockeko serve takes --contract.
func hasContractFlag(bin string) bool {
	out, _ := exec.Command(bin, "serve", "--help").CombinedOutput()
	return contractFlag.Match(out)
}

// fixtureFacts is what the load needs from mockeko's default fixtures.
type fixtureFacts struct {
	clientID, clientSecret string
	basic                  string // Basic header for /oauth/token
	gid                    string // a group chat the bot is in
	username               string // a live user
}

func learnFixtures(ctx context.Context, srv *server) (fixtureFacts, error) {
	var fx fixtureFacts
	var bots struct {
		Bots []struct {
			ID, ClientID, ClientSecret string
		} `json:"bots"`
	}
	var groups struct {
		Groups []struct {
			ID, Type  string
			MemberIDs []string `json:"memberIds"`
		} `json:"groups"`
	}
	var users struct {
		Users []struct {
			Username string
			Deleted  bool
		} `json:"users"`
	}
	for path, v := range map[string]any{"/_mockeko/bots": &bots, "/_mockeko/groups": &groups, "/_mockeko/users": &users} {
		if err := getJSON(ctx, srv.base+path, v); err != nil {
			return fx, err
		}
	}
	if len(bots.Bots) == 0 {
		return fx, fmt.Errorf("fixtures have no bot")
	}
	b := bots.Bots[0]
	fx.clientID, fx.clientSecret = b.ClientID, b.ClientSecret
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(url.QueryEscape(b.ClientID), url.QueryEscape(b.ClientSecret))
	fx.basic = r.Header.Get("Authorization")
	for _, g := range groups.Groups {
		if g.Type == "group_chatv2" && contains(g.MemberIDs, b.ID) {
			fx.gid = g.ID
			break
		}
	}
	for _, u := range users.Users {
		if !u.Deleted {
			fx.username = u.Username
			break
		}
	}
	if fx.gid == "" || fx.username == "" {
		return fx, fmt.Errorf("fixtures lack a group chat with bot %s or a live user", b.ID)
	}
	return fx, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// benchCalls are the three measured calls.
func benchCalls(fx fixtureFacts) []call {
	return []call{
		{key: "push", title: "POST /bot/v1/group/message (1 KB)", method: http.MethodPost, path: "/bot/v1/group/message",
			contentType: "application/json", body: pushBody(fx.gid, 950)},
		{key: "token", title: "POST /oauth/token", method: http.MethodPost, path: "/oauth/token",
			contentType: "application/x-www-form-urlencoded", body: []byte("grant_type=client_credentials")},
		{key: "users", title: "GET /bot/v1/users?username=", method: http.MethodGet,
			path: "/bot/v1/users?username=" + url.QueryEscape(fx.username)},
	}
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

func getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// fetchToken gets an access token from the mockeko at base.
func fetchToken(ctx context.Context, base string, fx fixtureFacts) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", fx.basic)
	resp, err := httpClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || tr.AccessToken == "" {
		return "", fmt.Errorf("token: status %d", resp.StatusCode)
	}
	return tr.AccessToken, nil
}

// preflight sends c once and wants a 2xx, so the load measures successes.
func preflight(ctx context.Context, t *target, c call) error {
	req, err := http.NewRequestWithContext(ctx, c.method, t.srv.base+c.path, bytes.NewReader(c.body))
	if err != nil {
		return err
	}
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	req.Header.Set("Authorization", t.auth[c.key])
	resp, err := httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", t.title, c.key, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answers %s %s with %d, not 2xx: %s", t.title, c.method, c.path, resp.StatusCode, b)
	}
	return nil
}

// settle waits until every running server is idle (together under 2 ms of
// CPU in 100 ms), so no run starts while the last one's server still works
// off its load (a Go collection, Node's compiler and collector). It gives
// up after 3 s and says so.
func settle(ctx context.Context, targets []*target, logf func(string, ...any)) error {
	total := func() time.Duration {
		var sum time.Duration
		for _, t := range targets {
			if t.srv != nil {
				if u, err := t.srv.usage(); err == nil {
					sum += u.cpu
				}
			}
		}
		return sum
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	prev := total()
	for range 30 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		now := total()
		if now-prev < 2*time.Millisecond {
			return nil
		}
		prev = now
	}
	logf("servers still busy after 3s; starting the next run anyway")
	return nil
}
