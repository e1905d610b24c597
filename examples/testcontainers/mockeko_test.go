package testcontainers

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
	"golang.org/x/oauth2/clientcredentials"
)

// image is the mockeko image to test against; MOCKEKO_IMAGE overrides it
// (for example with a locally built "mockeko:dev").
func image() string {
	if img := os.Getenv("MOCKEKO_IMAGE"); img != "" {
		return img
	}
	return "ghcr.io/mockeko/mockeko:latest"
}

// startMockeko runs one mockeko container for the test, loaded with
// testdata/fixtures.yaml, and returns its base URL: the bot's EKO_HTTP_URI.
func startMockeko(t *testing.T) string {
	t.Helper()
	testcontainers.SkipIfProviderIsNotHealthy(t)
	ctx := context.Background()
	ctr, err := testcontainers.Run(ctx, image(),
		testcontainers.WithExposedPorts("8080/tcp"),
		testcontainers.WithFiles(testcontainers.ContainerFile{
			HostFilePath:      "testdata/fixtures.yaml",
			ContainerFilePath: "/fixtures.yaml",
			FileMode:          0o644,
		}),
		testcontainers.WithEnv(map[string]string{
			"MOCKEKO_FIXTURES":  "/fixtures.yaml",
			"MOCKEKO_LOG_LEVEL": "debug",
		}),
		testcontainers.WithWaitStrategy(
			wait.ForHTTP("/_mockeko/health").WithPort("8080/tcp").WithStartupTimeout(30*time.Second),
		),
	)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatalf("start mockeko: %v", err)
	}
	base, err := ctr.PortEndpoint(ctx, "8080/tcp", "http")
	if err != nil {
		t.Fatal(err)
	}
	return base
}

func TestBotPushesToMockeko(t *testing.T) {
	base := startMockeko(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Your bot does this part: a client-credentials token, then an API call.
	cfg := clientcredentials.Config{
		ClientID:     "ci-bot",
		ClientSecret: "ci-secret",
		TokenURL:     base + "/oauth/token",
		Scopes:       []string{"bot"},
	}
	bot := cfg.Client(ctx)
	resp, err := bot.Post(base+"/bot/v1/direct/message", "application/json",
		strings.NewReader(`{"uid":"5ac20cd38c62770001538e01","message":{"type":"text","data":"Deploy finished"}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("push answered %s, want 201 Created", resp.Status)
	}

	// The test asserts through mockeko's control plane.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/_mockeko/messages", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Messages []struct {
			Text   string `json:"text"`
			Sender struct {
				Kind string `json:"kind"`
			} `json:"sender"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 1 || got.Messages[0].Text != "Deploy finished" || got.Messages[0].Sender.Kind != "bot" {
		t.Errorf("messages = %+v, want the bot's one \"Deploy finished\"", got.Messages)
	}
}
