package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mockeko/mockeko/mockeko"
)

// bot records the events it receives, in process.
type bot struct {
	mu     sync.Mutex
	events []map[string]any
	status int
}

func (b *bot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var env struct {
		Events []map[string]any `json:"events"`
	}
	json.Unmarshal(raw, &env)
	b.mu.Lock()
	b.events = append(b.events, env.Events...)
	status := b.status
	b.mu.Unlock()
	if status != 0 {
		w.WriteHeader(status)
	}
}

func (b *bot) last() map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.events) == 0 {
		return nil
	}
	return b.events[len(b.events)-1]
}

func TestTrigger(t *testing.T) {
	b := &bot{}
	srv := mockeko.NewServer(mockeko.WithWebhookHandler("", b),
		mockeko.WithWebhookConfig("", mockeko.WebhookConfig{Retry: mockeko.RetryPolicy{Attempts: 1}}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pic := filepath.Join(t.TempDir(), "cat.png")
	os.WriteFile(pic, []byte("\x89PNG\r\n\x1a\nfake"), 0o600)

	tests := []struct {
		name    string
		args    []string
		code    int // exit status
		check   func(t *testing.T, ev map[string]any)
		wantErr string
	}{
		{name: "text", args: []string{"text", "--user", "alice@acme.example", "hello bot"}, check: func(t *testing.T, ev map[string]any) {
			if m := ev["message"].(map[string]any); m["text"] != "hello bot" || ev["type"] != "message" {
				t.Errorf("event %v", ev)
			}
		}},
		{name: "flags first", args: []string{"--user=bob@acme.example", "--gid", "5ae99669299892c81ec1d7fa", "text", "hi team"}, check: func(t *testing.T, ev map[string]any) {
			if m := ev["message"].(map[string]any); m["groupType"] != "team" {
				t.Errorf("event %v", ev)
			}
		}},
		{name: "join", args: []string{"join", "--user", "chai.s"}, check: func(t *testing.T, ev map[string]any) {
			if ev["type"] != "join" {
				t.Errorf("event %v", ev)
			}
		}},
		{name: "picture", args: []string{"picture", "--user", "alice@acme.example", pic}, check: func(t *testing.T, ev map[string]any) {
			if m := ev["message"].(map[string]any); m["type"] != "picture" || m["fileName"] != "cat.png" {
				t.Errorf("event %v", ev)
			}
		}},
		{name: "sticker", args: []string{"sticker", "--user", "alice@acme.example", "p1", "s2"}, check: func(t *testing.T, ev map[string]any) {
			if m := ev["message"].(map[string]any); m["packageId"] != "p1" || m["stickerId"] != "s2" {
				t.Errorf("event %v", ev)
			}
		}},
		{name: "postback", args: []string{"postback", "--user", "alice@acme.example", "a=1", "Yes"}, check: func(t *testing.T, ev map[string]any) {
			if pb := ev["postback"].(map[string]any); pb["data"] != "a=1" || pb["text"] != "Yes" {
				t.Errorf("event %v", ev)
			}
		}},
		{name: "workflow", args: []string{"workflow", "approval", "Leave", "alice@acme.example"}, check: func(t *testing.T, ev map[string]any) {
			if w := ev["workflow"].(map[string]any); w["title"] != "Leave" {
				t.Errorf("event %v", ev)
			}
		}},
		{name: "raw event", args: []string{"event", `{"type":"message","uid":"alice@acme.example","message":{"text":"raw"}}`}, check: func(t *testing.T, ev map[string]any) {
			if m := ev["message"].(map[string]any); m["text"] != "raw" {
				t.Errorf("event %v", ev)
			}
		}},
		{name: "unknown user", args: []string{"text", "--user", "nobody", "hi"}, code: 1, wantErr: "404 Not Found: user nobody not found"},
		{name: "unknown kind", args: []string{"dance", "--user", "alice@acme.example"}, code: 2, wantErr: `unknown kind "dance"`},
		{name: "missing text", args: []string{"text", "--user", "alice@acme.example"}, code: 2, wantErr: "text takes TEXT"},
		{name: "tap what was never sent", args: []string{"tap", "--user", "alice@acme.example", "5ae996692998924badc1dfff", "0"}, code: 1, wantErr: "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"trigger", "--addr", srv.URL}, tt.args...)
			err := run(ctx, args, &stdout, &stderr)
			code := 0
			if err != nil {
				ec, ok := err.(exitCode)
				if !ok {
					t.Fatalf("run: %v", err)
				}
				code = int(ec)
			}
			if code != tt.code || !strings.Contains(stderr.String(), tt.wantErr) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, stderr.String(), tt.code, tt.wantErr)
			}
			if tt.check == nil {
				return
			}
			var out struct {
				Delivery mockeko.Delivery `json:"delivery"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &out); err != nil || out.Delivery.State != "delivered" {
				t.Fatalf("stdout %s: want a delivered delivery (%v)", stdout.String(), err)
			}
			tt.check(t, b.last())
		})
	}

	// A failing bot: exit 1; replay re-sends the same body.
	b.mu.Lock()
	b.status = 500
	b.mu.Unlock()
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"trigger", "--addr", srv.URL, "text", "--user", "alice@acme.example", "boom"}, &stdout, &stderr); err != exitCode(1) || !strings.Contains(stderr.String(), "failed") {
		t.Fatalf("failing bot: %v, stderr %q", err, stderr.String())
	}
	var out struct {
		Delivery mockeko.Delivery `json:"delivery"`
	}
	json.Unmarshal(stdout.Bytes(), &out)
	b.mu.Lock()
	b.status = 0
	b.mu.Unlock()
	stdout.Reset()
	if err := run(ctx, []string{"trigger", "--addr", srv.URL, "replay", out.Delivery.ID}, &stdout, &stderr); err != nil {
		t.Fatalf("replay: %v %s", err, stderr.String())
	}
	var rep struct {
		Delivery mockeko.Delivery `json:"delivery"`
	}
	json.Unmarshal(stdout.Bytes(), &rep)
	if rep.Delivery.ReplayOf != out.Delivery.ID || rep.Delivery.State != "delivered" || !bytes.Equal(rep.Delivery.Body, out.Delivery.Body) {
		t.Errorf("replay = %+v", rep.Delivery)
	}

	// --wait=false answers at once with the pending delivery.
	stdout.Reset()
	if err := run(ctx, []string{"trigger", "--addr", srv.URL, "--wait=false", "join", "--user", "dana@acme.example"}, &stdout, &stderr); err != nil {
		t.Fatalf("no wait: %v", err)
	}
	json.Unmarshal(stdout.Bytes(), &out)
	if d, err := srv.WaitDone(ctx, out.Delivery.ID); err != nil || d.State != "delivered" {
		t.Errorf("no-wait delivery: %v %+v", err, d)
	}
}
