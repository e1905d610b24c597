package shipcheck

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/google/go-cmp/cmp"
	"github.com/mockeko/mockeko/fixtures"
	"github.com/mockeko/mockeko/mockeko"
)

var composeDir = filepath.Join(repoRoot, "examples", "compose")

// loadCompose loads a compose file the way `docker compose config` does
// (compose-go, schema validation, interpolation, normalization).
func loadCompose(t *testing.T, dir, file string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{filepath.Join(dir, file)},
		cli.WithWorkingDirectory(dir),
		cli.WithResolvedPaths(true),
		cli.WithName("shipcheck"),
	)
	if err != nil {
		return nil, err
	}
	return cli.ProjectFromOptions(context.Background(), opts)
}

func TestComposeFileIsValid(t *testing.T) {
	p, err := loadCompose(t, composeDir, "compose.yaml")
	if err != nil {
		t.Fatalf("docker compose config would fail: %v", err)
	}
	mk, err := p.GetService("mockeko")
	if err != nil {
		t.Fatal(err)
	}
	bot, err := p.GetService("bot")
	if err != nil {
		t.Fatal(err)
	}
	abs := func(rel string) string { a, _ := filepath.Abs(filepath.Join(composeDir, rel)); return a }
	var mounts []string
	for _, v := range append(mk.Volumes, bot.Volumes...) {
		mounts = append(mounts, v.Source+":"+v.Target)
		if _, err := os.Stat(v.Source); err != nil {
			t.Errorf("volume source %s: %v", v.Source, err)
		}
	}
	var ports []string
	for _, pc := range mk.Ports {
		ports = append(ports, fmt.Sprintf("%s:%s->%d", pc.HostIP, pc.Published, pc.Target))
	}
	got := map[string]any{
		"mockeko image":     mk.Image,
		"mockeko fixtures":  deref(mk.Environment["MOCKEKO_FIXTURES"]),
		"mockeko ports":     ports,
		"mounts":            mounts,
		"mockeko health":    []string(mk.HealthCheck.Test),
		"bot waits for":     bot.DependsOn["mockeko"].Condition,
		"bot EKO_HTTP_URI":  deref(bot.Environment["EKO_HTTP_URI"]),
		"bot client id":     deref(bot.Environment["EKO_OAUTH_CLIENT_ID"]),
		"bot client secret": deref(bot.Environment["EKO_OAUTH_CLIENT_SECRET"]),
	}
	want := map[string]any{
		"mockeko image":     "ghcr.io/mockeko/mockeko:latest",
		"mockeko fixtures":  "/fixtures.yaml",
		"mockeko ports":     []string{"127.0.0.1:8080->8080"},
		"mounts":            []string{abs("fixtures.yaml") + ":/fixtures.yaml", abs("bot") + ":/bot"},
		"mockeko health":    []string{"CMD", "/mockeko", "health"},
		"bot waits for":     "service_healthy",
		"bot EKO_HTTP_URI":  "http://mockeko:8080",
		"bot client id":     "sample-bot",
		"bot client secret": "sample-bot-secret",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("compose project (-want +got):\n%s", diff)
	}

	// The fixtures the recipe mounts must load, and name the bot the
	// bot service authenticates as, with its webhook on the bot service.
	set, err := fixtures.ReadFile(filepath.Join(composeDir, "fixtures.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Bots) != 1 || set.Bots[0].ClientID != "sample-bot" || set.Bots[0].ClientSecret != "sample-bot-secret" ||
		set.Bots[0].WebhookURL != "http://bot:3000/webhook" {
		t.Errorf("fixtures bot = %+v, want sample-bot/sample-bot-secret with webhook http://bot:3000/webhook", set.Bots)
	}
}

// TestComposeValidationCanFail shows the loader rejects what `docker
// compose config` rejects.
func TestComposeValidationCanFail(t *testing.T) {
	tests := map[string]string{
		"unknown key":    "services:\n  a:\n    image: x\n    imagee: y\n",
		"bad port":       "services:\n  a:\n    image: x\n    ports: [\"80:eighty\"]\n",
		"unknown depend": "services:\n  a:\n    image: x\n    depends_on: [b]\n",
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := loadCompose(t, dir, "compose.yaml"); err == nil {
				t.Errorf("loaded %q without error", doc)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestComposeSampleBotRunsAgainstMockeko runs the recipe's bot with the
// environment the compose file gives it, against an in-process mockeko
// loaded with the recipe's fixtures: the bot greets alice at start, and
// answers a signed webhook through the reply endpoint. Only the hosts
// differ from the compose network (127.0.0.1 instead of mockeko and bot).
func TestComposeSampleBotRunsAgainstMockeko(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed (scripts/container-check.sh installs it): the sample bot cannot run")
	}
	p, err := loadCompose(t, composeDir, "compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	botSvc, _ := p.GetService("bot")
	set, err := fixtures.ReadFile(filepath.Join(composeDir, "fixtures.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mockeko.New(mockeko.WithFixtures(set))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, botSvc.Command[1:]...)
	cmd.Dir = filepath.Join(composeDir, "bot")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range botSvc.Environment {
		switch k {
		case "EKO_HTTP_URI":
			cmd.Env = append(cmd.Env, k+"="+srv.URL)
		case "PORT":
			cmd.Env = append(cmd.Env, "PORT=0") // any free port; the bot prints it
		default:
			cmd.Env = append(cmd.Env, k+"="+deref(v))
		}
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitLine := func(re *regexp.Regexp) []string {
		t.Helper()
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("bot exited before printing %s; stderr:\n%s", re, stderr.String())
				}
				if m := re.FindStringSubmatch(l); m != nil {
					return m
				}
			case <-ctx.Done():
				t.Fatalf("bot did not print %s in time; stderr:\n%s", re, stderr.String())
			}
		}
	}
	port := waitLine(regexp.MustCompile(`listening on :(\d+)`))[1]
	waitLine(regexp.MustCompile(`greeted alice@acme\.example`))

	bot := srv.Bot()
	alice, _ := srv.User("alice@acme.example")
	dm, err := srv.DirectChat(bot.ID, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	texts := func() []string {
		var out []string
		for _, m := range srv.Messages(dm.ID, "") {
			out = append(out, m.Sender.Kind+": "+m.Text)
		}
		return out
	}
	if diff := cmp.Diff([]string{"bot: Sample bot is online"}, texts()); diff != "" {
		t.Fatalf("direct chat after start (-want +got):\n%s", diff)
	}

	rt, err := srv.MintReplyToken(bot.ID, dm.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	event, _ := json.Marshal(map[string]any{"events": []any{map[string]any{
		"replyToken": rt.Token,
		"type":       "message",
		"source":     map[string]any{"type": "user", "userId": alice.ID, "username": alice.Username},
		"message":    map[string]any{"id": "5bcaa50554ffc8d4b1a861b1", "type": "text", "groupId": dm.ID, "groupType": "direct_chat", "text": "hello"},
		"timestamp":  "2026-11-25T12:00:00.000Z",
	}}})
	post := func(sig string) int {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://127.0.0.1:"+port+"/webhook", bytes.NewReader(event))
		req.Header.Set("Content-Type", "application/json;charset=utf-8")
		req.Header.Set("X-Eko-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	mac := hmac.New(sha256.New, []byte(bot.ClientSecret))
	mac.Write(event)
	good := base64.StdEncoding.EncodeToString(mac.Sum(nil))

	if status := post(strings.Repeat("A", len(good)-1) + "="); status != http.StatusForbidden {
		t.Errorf("webhook with a bad signature answered %d, want 403", status)
	}
	if status := post(good); status != http.StatusOK {
		t.Fatalf("signed webhook answered %d, want 200; bot stderr:\n%s", status, stderr.String())
	}
	// The bot replies before it answers the webhook, so the reply is there.
	if diff := cmp.Diff([]string{"bot: Sample bot is online", "bot: echo: hello"}, texts()); diff != "" {
		t.Errorf("direct chat after the webhook (-want +got):\n%s", diff)
	}
}
