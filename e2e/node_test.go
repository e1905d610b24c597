package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// nodeDir holds the Node bots and their package-lock.json.
const nodeDir = "node"

// requireNode returns the node binary, or skips the test when node or
// e2e/node/node_modules is missing. Under CI (CI set) a missing one fails
// the test instead: CI must run what the README promises.
func requireNode(t *testing.T) string {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set, so the Node end-to-end test must run: "+format, args...)
		}
		t.Skipf("skipping the Node end-to-end test: "+format, args...)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH (install Node 20+)")
	}
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "client-oauth2")); errors.Is(err, fs.ErrNotExist) {
		missing("e2e/node/node_modules is missing: run ./scripts/test.sh, or (cd e2e/node && npm ci)")
	} else if err != nil {
		t.Fatal(err)
	}
	return node
}

// testNode runs e2e/node/bot.js, a bot written the way Eko's docs and the
// public Node bots are (client-oauth2 for the token, axios for the calls),
// against the binary, and checks the state it leaves.
func testNode(t *testing.T, bin string) {
	node := requireNode(t)
	p := startMockeko(t, bin)
	ctx := testContext(t)
	w := p.world(t, ctx)
	sp := p.addBot(t, ctx, specialBot())

	cmd := exec.CommandContext(ctx, node, "bot.js")
	cmd.Dir = nodeDir
	cmd.Env = append(os.Environ(),
		"EKO_HTTP_URI="+p.URL,
		"EKO_OAUTH_CLIENT_ID="+p.ClientID,
		"EKO_OAUTH_CLIENT_SECRET="+p.ClientSecret,
		"E2E_UID="+w.alice.ID,
		"E2E_USERNAME="+w.alice.Username,
		"E2E_GID="+w.team.ID,
		"E2E_TID="+w.incidents,
		"E2E_SPECIAL_CLIENT_ID="+sp.ClientID,
		"E2E_SPECIAL_CLIENT_SECRET="+sp.ClientSecret,
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node bot.js: %v\nstderr:\n%s\nstdout:\n%s", err, stderr.String(), stdout.String())
	}
	var out struct {
		Direct, V2, Group, Retried pushResult
		DMLookup                   struct{ GID, TID string }
		WrongSecret                envelope
		Tokens                     []string
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("bot.js printed %q: %v", stdout.String(), err)
	}
	p.noLeak(out.Tokens...)
	if len(out.Tokens) != 3 {
		t.Errorf("bot.js reports %d tokens, want 3 (first, after the refresh, special bot)", len(out.Tokens))
	}
	if out.WrongSecret.Status != 401 || out.WrongSecret.Error != "invalid_client" {
		t.Errorf("client-oauth2 saw the wrong-secret error as %+v, want the 401 invalid_client envelope", out.WrongSecret)
	}
	if out.DMLookup.GID != w.aliceDM.ID || out.DMLookup.TID != w.aliceDM.main() {
		t.Errorf("v2 DM lookup from node: %+v, want alice's DM %s/%s", out.DMLookup, w.aliceDM.ID, w.aliceDM.main())
	}

	bot := func(id, gid, tid, text, endpoint string) messageJSON {
		m := messageJSON{ID: id, GID: gid, TID: tid, Type: "text", Text: text, Endpoint: endpoint}
		m.Sender.Kind, m.Sender.ID = "bot", w.bot.ID
		return m
	}
	want := []messageJSON{
		bot("", w.team.ID, w.incidents, "Hold on a sec ...", "/bot/v1/message/text"),
		bot("", w.team.ID, w.incidents, "Here is your report", "/bot/v1/message/text"),
		bot(out.Direct.ID, w.aliceDM.ID, w.aliceDM.main(), "Your build is green", "/bot/v1/direct/message"),
		bot(out.V2.ID, w.team.ID, w.team.main(), "v2 hello from node", "/bot/v2/message/push"),
		bot(out.Group.ID, w.team.ID, w.team.main(), "signed by client-oauth2", "/bot/v1/group/message"),
		bot(out.Retried.ID, w.team.ID, w.incidents, "after a refresh", "/bot/v1/group/message"),
	}
	got := p.messages(t, ctx, "")
	// Replies answer {"status":"success"} without an id: take the ids from the state.
	for i := 0; i < 2 && i < len(got); i++ {
		want[i].ID = got[i].ID
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(messageJSON{}, "CreatedAt", "Payload")); diff != "" {
		t.Errorf("GET /_mockeko/messages after bot.js (-want +got):\n%s", diff)
	}
	if out.V2.Type != "text" || out.Group.GroupID != w.team.ID || out.Retried.ThreadID != w.incidents {
		t.Errorf("push answers seen by axios: v2 %+v, group %+v, retried %+v", out.V2, out.Group, out.Retried)
	}
}
