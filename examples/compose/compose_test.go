package compose_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mockeko/mockeko/fixtures"
	"github.com/mockeko/mockeko/mockeko"
	"go.yaml.in/yaml/v3"
)

// service is the part of a compose service the sample-bot test needs. The
// whole file is validated the way `docker compose config` does it by
// tools/shipcheck (compose-go), which scripts/container-check.sh runs.
type service struct {
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
}

func loadBotService(t *testing.T) service {
	t.Helper()
	data, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Services map[string]service `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	bot, ok := f.Services["bot"]
	if !ok || len(bot.Command) < 2 {
		t.Fatalf("compose.yaml: no bot service with a command: %+v", f.Services)
	}
	return bot
}

// TestComposeFixtures checks that the fixtures the recipe mounts load and
// name the bot the bot service authenticates as, with its webhook on the
// bot service.
func TestComposeFixtures(t *testing.T) {
	set, err := fixtures.ReadFile("fixtures.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bot := loadBotService(t)
	if len(set.Bots) != 1 || set.Bots[0].ClientID != bot.Environment["EKO_OAUTH_CLIENT_ID"] ||
		set.Bots[0].ClientSecret != bot.Environment["EKO_OAUTH_CLIENT_SECRET"] ||
		set.Bots[0].WebhookURL != "http://bot:3000/webhook" {
		t.Errorf("fixtures bot = %+v, want the bot service's credentials with webhook http://bot:3000/webhook", set.Bots)
	}
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
	botSvc := loadBotService(t)
	set, err := fixtures.ReadFile("fixtures.yaml")
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
	cmd.Dir = "bot"
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range botSvc.Environment {
		switch k {
		case "EKO_HTTP_URI":
			cmd.Env = append(cmd.Env, k+"="+srv.URL)
		case "PORT":
			cmd.Env = append(cmd.Env, "PORT=0") // any free port; the bot prints it
		default:
			cmd.Env = append(cmd.Env, k+"="+v)
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
