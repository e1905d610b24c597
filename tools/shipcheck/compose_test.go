package shipcheck

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/google/go-cmp/cmp"
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
