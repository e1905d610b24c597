package mockeko_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mockeko/mockeko/mockeko"
)

func TestCloseIdempotentAndFinal(t *testing.T) {
	t.Parallel()
	srv, err := mockeko.New()
	if err != nil {
		t.Fatal(err)
	}
	tok := botToken(t, srv)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(srv.Close)
	}
	wg.Wait()
	srv.Close()
	// Nothing listens any more.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/_mockeko/health", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if res, err := srv.Client().Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("a closed server answered %d", res.StatusCode)
	}
}

// Close waits for a request in flight and lets it finish.
func TestCloseWaitsForInFlight(t *testing.T) {
	t.Parallel()
	srv, err := mockeko.New()
	if err != nil {
		t.Fatal(err)
	}
	tok := botToken(t, srv)
	// A body sent in two halves keeps the request in flight until we send the rest.
	bodyR, bodyW := io.Pipe()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/bot/v1/group/message", bodyR)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	// With Expect: 100-continue the transport sends the body only once the
	// handler starts reading it, so the first write below returns only when
	// the request is in the handler's hands.
	req.Header.Set("Expect", "100-continue")
	tr := &http.Transport{ExpectContinueTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	done := make(chan int, 1)
	go func() {
		res, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			done <- -1
			return
		}
		res.Body.Close()
		done <- res.StatusCode
	}()
	fmt.Fprintf(bodyW, `{"gid":"%s",`, teamGID) // returns once the handler reads the body
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	// Close has begun once the listener refuses connections.
	waitFor(t, func() bool {
		c, err := net.Dial("tcp", srv.Addr().String())
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	fmt.Fprint(bodyW, `"message":{"type":"text","data":"last words"}}`)
	bodyW.Close()
	if got := <-done; got != 201 {
		t.Errorf("in-flight request got %d, want 201", got)
	}
	<-closed
	if m := srv.Messages(teamGID, ""); len(m) != 1 || m[0].Text != "last words" {
		t.Errorf("messages = %+v", m)
	}
}

// waitFor polls cond until it holds or the test's context ends.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("condition not met before the deadline")
		case <-tick.C:
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  mockeko.Option
		want string
	}{
		{"token TTL", mockeko.WithTokenTTL(0), "mockeko: WithTokenTTL: 0s is under one second"},
		{"reply TTL", mockeko.WithReplyTokenTTL(-time.Second), "mockeko: WithReplyTokenTTL: -1s is not positive"},
		{"success status", mockeko.WithSuccessStatus(204), "mockeko: WithSuccessStatus: 204 is not 200 or 201"},
		{"body limits", mockeko.WithBodyLimits(0, 1), "mockeko: WithBodyLimits: limits must be positive"},
		{"message cap", mockeko.WithMessageCap(0), "mockeko: WithMessageCap: must be at least 1"},
		{"nil clock", mockeko.WithClock(nil), "mockeko: WithClock: nil clock"},
		{"nil fixtures", mockeko.WithFixtures(nil), "mockeko: WithFixtures: nil set"},
		{"nil listener", mockeko.WithListener(nil), "mockeko: WithListener: nil listener"},
		{"user without username", mockeko.WithUser(mockeko.User{ID: unknownID}), "mockeko: WithUser: empty Username"},
		{"bot with unknown scope", mockeko.WithBot(mockeko.Bot{ID: "5ac20cd38c62770001538bff", Scopes: []string{"admin"}}),
			`mockeko: bot 5ac20cd38c62770001538bff: unknown scope "admin"`},
		{"bot reusing a client id", mockeko.WithBot(mockeko.Bot{ID: "5ac20cd38c62770001538bff", ClientID: "7bcee21a-3f7e-4338-97af-a90842176849"}),
			`mockeko: bot 5ac20cd38c62770001538bff: client id "7bcee21a-3f7e-4338-97af-a90842176849" is used by bot ` + botID},
		{"group with unknown member", mockeko.WithGroup(mockeko.Group{ID: "5f00000000000000000d00ff", MemberIDs: []string{unknownID}}),
			`mockeko: group 5f00000000000000000d00ff: unknown member "` + unknownID + `"`},
		{"unusable address", mockeko.WithAddr("256.0.0.1:0"), "mockeko: listen on 256.0.0.1:0: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, err := mockeko.New(tt.opt)
			if err == nil {
				srv.Close()
				t.Fatal("New succeeded")
			}
			if !strings.HasPrefix(err.Error(), tt.want) || (!strings.HasSuffix(tt.want, ": ") && err.Error() != tt.want) {
				t.Errorf("err = %q, want %q", err, tt.want)
			}
			defer func() {
				if recover() == nil {
					t.Error("NewServer did not panic")
				}
			}()
			mockeko.NewServer(tt.opt)
		})
	}
}

func TestWithListener(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := start(t, mockeko.WithListener(ln))
	if srv.URL != "http://"+ln.Addr().String() || srv.Addr().String() != ln.Addr().String() {
		t.Errorf("URL %s, listener %s", srv.URL, ln.Addr())
	}
	if r := ctlGet(t, srv, "/health", nil); r.status != 200 {
		t.Errorf("health %d", r.status)
	}
}

// The Handler serves in-process, without the listener.
func TestHandlerInProcess(t *testing.T) {
	t.Parallel()
	srv := start(t)
	tok := botToken(t, srv)
	req := httptest.NewRequest(http.MethodPost, "/bot/v1/group/message", strings.NewReader(groupMsg(teamGID, "", "in-process")))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != 201 || lastMessage(t, srv).Text != "in-process" {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
}

// A base URL ending in "/" makes clients send "//bot/...": real Eko tolerates it.
func TestDoubleSlashTolerated(t *testing.T) {
	t.Parallel()
	srv := start(t)
	tok := botToken(t, srv)
	r := postJSON(t, srv, tok, "//bot/v1/group/message", groupMsg(teamGID, "", "slashes"))
	if r.status != 201 {
		t.Errorf("//bot/...: %d %s", r.status, r.body)
	}
	if r := send(t, srv, http.MethodGet, "/bot/v2//groups/users/"+aliceID, tok, "", nil); r.status != 200 {
		t.Errorf("/bot/v2//groups: %d %s", r.status, r.body)
	}
}

func TestUnknownRoute(t *testing.T) {
	t.Parallel()
	srv := start(t)
	r := send(t, srv, http.MethodPost, "/bot/v3/message/push", "", "application/json", strings.NewReader(`{}`))
	wantError(t, r, 404, "not_found", "no such endpoint: POST /bot/v3/message/push (see the README's list of emulated endpoints)")
	r = send(t, srv, http.MethodDelete, "/bot/v1/group/message", "", "", nil)
	wantError(t, r, 405, "method_not_allowed", "DELETE is not allowed on /bot/v1/group/message")
	if got := r.header.Get("Allow"); got != "POST" {
		t.Errorf("Allow = %q, want POST", got)
	}
	r = send(t, srv, http.MethodPut, "/_mockeko/bots", "", "", nil)
	wantError(t, r, 405, "method_not_allowed", "PUT is not allowed on /_mockeko/bots")
	if got := r.header.Get("Allow"); got != "GET, POST" {
		t.Errorf("Allow = %q, want GET, POST", got)
	}
	r = send(t, srv, http.MethodPut, "/_mockeko/faults", "", "", nil)
	wantError(t, r, 405, "method_not_allowed", "PUT is not allowed on /_mockeko/faults")
	if got := r.header.Get("Allow"); got != "GET, POST, DELETE" {
		t.Errorf("Allow = %q, want GET, POST, DELETE", got)
	}
}

func TestRoutesListed(t *testing.T) {
	t.Parallel()
	srv := start(t)
	byName := map[string]mockeko.Route{}
	for _, r := range srv.Routes() {
		byName[r.Name] = r
	}
	for name, want := range map[string]mockeko.Route{
		"getToken":           {Name: "getToken", Method: "POST", Path: "/oauth/token"},
		"pushGroupMessage":   {Name: "pushGroupMessage", Method: "POST", Path: "/bot/v1/group/message"},
		"getGroupUserInfoV2": {Name: "getGroupUserInfoV2", Method: "GET", Path: "/bot/v2/groups/{gid}/users/{uid}/info"},
		"viewImage":          {Name: "viewImage", Method: "GET", Path: "/file/image/{id}"},
		"advanceClock":       {Name: "advanceClock", Method: "POST", Path: "/_mockeko/clock/advance", Control: true},
	} {
		if diff := cmp.Diff(want, byName[name]); diff != "" {
			t.Errorf("route %s (-want +got):\n%s", name, diff)
		}
	}
}

// Concurrent pushes are all stored, and concurrent first pushes to a user
// create exactly one direct chat. Run with -race.
func TestConcurrentPushes(t *testing.T) {
	t.Parallel()
	srv := start(t)
	tok := botToken(t, srv)
	groups := len(srv.Groups())
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan string, workers*each*2)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if r := postJSON(t, srv, tok, "/bot/v1/group/message", groupMsg(teamGID, "", fmt.Sprintf("w%d-%d", w, i))); r.status != 201 {
					errs <- fmt.Sprintf("group push: %d %s", r.status, r.body)
				}
				if r := postJSON(t, srv, tok, "/bot/v1/direct/message", directMsg(danaID, "hi")); r.status != 201 {
					errs <- fmt.Sprintf("direct push: %d %s", r.status, r.body)
				}
			}
		})
	}
	wg.Go(func() {
		for range each {
			_ = srv.Messages("", "")
			_ = srv.Groups()
		}
	})
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := len(srv.Messages(teamGID, generalTID)); n != workers*each {
		t.Errorf("team messages = %d, want %d", n, workers*each)
	}
	if n := len(srv.Groups()); n != groups+1 {
		t.Errorf("groups = %d, want %d: concurrent first pushes made more than one DM", n, groups+1)
	}
	dm, err := srv.DirectChat(botID, danaID)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages(dm.ID, "")); n != workers*each {
		t.Errorf("DM messages = %d, want %d", n, workers*each)
	}
	// Ids are unique.
	seen := map[string]bool{}
	for _, m := range srv.Messages("", "") {
		if seen[m.ID] {
			t.Fatalf("message id %s used twice", m.ID)
		}
		seen[m.ID] = true
	}
}

// Many Servers side by side share nothing: not state, not tokens.
func TestParallelServersIsolated(t *testing.T) {
	t.Parallel()
	const n = 12
	srvs := make([]*mockeko.Server, n)
	toks := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		srvs[i] = start(t)
		toks[i] = botToken(t, srvs[i])
	}
	for i := range n {
		wg.Go(func() {
			for j := range 5 {
				postJSON(t, srvs[i], toks[i], "/bot/v1/group/message", groupMsg(teamGID, "", fmt.Sprintf("server %d #%d", i, j)))
			}
		})
	}
	wg.Wait()
	for i, srv := range srvs {
		var texts []string
		for _, m := range srv.Messages("", "") {
			texts = append(texts, m.Text)
		}
		want := []string{}
		for j := range 5 {
			want = append(want, fmt.Sprintf("server %d #%d", i, j))
		}
		if diff := cmp.Diff(want, texts); diff != "" {
			t.Errorf("server %d (-want +got):\n%s", i, diff)
		}
	}
	// A token is only good on the server that issued it.
	r := send(t, srvs[1], http.MethodGet, "/bot/v1/users?username=bob@acme.example", toks[0], "", nil)
	wantError(t, r, 401, "invalid_token", "access token is unknown or revoked: get a new one from POST /oauth/token")
}

// Same seed, same calls: same ids, on two servers and after Reset.
func TestSeedReproducible(t *testing.T) {
	t.Parallel()
	opts := func(seed uint64) []mockeko.Option {
		return []mockeko.Option{mockeko.WithoutFixtures(), mockeko.WithSeed(seed),
			mockeko.WithBot(mockeko.Bot{Name: "B"}), mockeko.WithUser(mockeko.User{Username: "u1"}), mockeko.WithUser(mockeko.User{Username: "u2"}),
			mockeko.WithClock(mockeko.NewFakeClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)))}
	}
	type ids struct {
		Bot      mockeko.Bot
		Users    []mockeko.User
		Groups   []mockeko.Group
		Messages []mockeko.Message
	}
	run := func(srv *mockeko.Server) ids {
		tok := botToken(t, srv)
		for _, u := range srv.Users() {
			postJSON(t, srv, tok, "/bot/v1/direct/message", directMsg(u.ID, "hi"))
		}
		var g createdGroup
		postJSON(t, srv, tok, "/bot/v1/groups", map[string]any{"name": "G", "uids": []string{srv.Users()[0].ID}}).decode(t, &g)
		postJSON(t, srv, tok, "/bot/v1/groups/"+g.Group.ID+"/topics", `{"name":"T"}`)
		return ids{srv.Bot(), srv.Users(), srv.Groups(), srv.Messages("", "")}
	}
	a, b, c := start(t, opts(42)...), start(t, opts(42)...), start(t, opts(43)...)
	ra, rb := run(a), run(b)
	if diff := cmp.Diff(ra, rb, ignoreUnexported); diff != "" {
		t.Errorf("same seed, different ids (-a +b):\n%s", diff)
	}
	if !hexID.MatchString(ra.Bot.ID) || !uuidRe.MatchString(ra.Bot.ClientID) || !hex40.MatchString(ra.Bot.ClientSecret) || !hexID.MatchString(ra.Messages[0].ID) {
		t.Errorf("seeded ids have the wrong shape: %+v", ra.Bot)
	}
	if rc := run(c); rc.Bot.ClientID == ra.Bot.ClientID || rc.Users[0].ID == ra.Users[0].ID {
		t.Error("different seeds gave the same ids")
	}
	if err := a.Reset(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ra, run(a), ignoreUnexported); diff != "" {
		t.Errorf("after Reset, different ids (-before +after):\n%s", diff)
	}
}

func TestMessageCapDropsOldest(t *testing.T) {
	t.Parallel()
	srv := start(t, mockeko.WithMessageCap(3))
	tok := botToken(t, srv)
	fileID := uploadTo(t, srv, tok)
	for i := range 4 {
		checkPushAnswer(t, srv, postJSON(t, srv, tok, "/bot/v1/group/message", groupMsg(teamGID, "", fmt.Sprint(i))), 201)
	}
	var texts []string
	for _, m := range srv.Messages("", "") {
		texts = append(texts, m.Text)
	}
	if diff := cmp.Diff([]string{"1", "2", "3"}, texts); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	if n := len(srv.Messages(teamGID, generalTID)); n != 3 {
		t.Errorf("topic keeps %d", n)
	}
	if _, _, ok := srv.File(fileID); ok {
		t.Error("the dropped message's file is still stored")
	}
	r := send(t, srv, http.MethodGet, "/file/view/"+fileID, tok, "", nil)
	wantError(t, r, 404, "not_found", "file "+fileID+" not found")
}

// Secrets and tokens never reach the log, even at debug level.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	srv := start(t, mockeko.WithLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))), oddBot())
	tok := botToken(t, srv)
	rt := mint(t, srv, teamGID, "")
	postJSON(t, srv, tok, "/bot/v1/message/text", map[string]string{"replyToken": rt, "message": "hi"})
	tokenRequest(t, srv, formCT, "grant_type=client_credentials", map[string]string{"Authorization": basic(oddClientID, oddSecret)})
	tokenRequest(t, srv, formCT, "grant_type=client_credentials&client_id=x&client_secret=wrong-secret-value", nil)
	send(t, srv, http.MethodGet, "/file/view/x?access_token="+tok, "", "", nil)
	log := buf.String()
	if !strings.Contains(log, "token issued") {
		t.Fatalf("nothing logged? %s", log)
	}
	for _, secret := range []string{tok, rt, srv.Bot().ClientSecret, oddSecret, "wrong-secret-value"} {
		if strings.Contains(log, secret) {
			t.Errorf("log holds a secret %q:\n%s", secret, log)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Reset while bots are busy: no race, no panic, and the server serves the
// fixtures afterwards. Run with -race.
func TestResetUnderLoad(t *testing.T) {
	t.Parallel()
	srv := start(t)
	bot := srv.Bot()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				tok := tokenOrEmpty(t, srv, bot)
				postJSON(t, srv, tok, "/bot/v1/direct/message", directMsg(danaID, "hi"))
				postJSON(t, srv, tok, "/bot/v1/groups", map[string]any{"name": "G", "uids": []string{aliceID}})
			}
		})
	}
	wg.Go(func() {
		for range 10 {
			if err := srv.Reset(); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	if err := srv.Reset(); err != nil {
		t.Fatal(err)
	}
	if len(srv.Messages("", "")) != 0 || len(srv.Groups()) != 4 {
		t.Errorf("after the last Reset: %d messages, %d groups", len(srv.Messages("", "")), len(srv.Groups()))
	}
	checkPushAnswer(t, srv, postJSON(t, srv, botToken(t, srv), "/bot/v1/group/message", groupMsg(teamGID, "", "after")), 201)
}

// tokenOrEmpty gets a token, or "" if a concurrent Reset got in the way.
func tokenOrEmpty(t *testing.T, srv *mockeko.Server, b mockeko.Bot) string {
	r := postForm(t, srv, "", "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {b.ClientID}, "client_secret": {b.ClientSecret}})
	var tr mockeko.TokenResponse
	_ = json.Unmarshal(r.body, &tr)
	return tr.AccessToken
}
