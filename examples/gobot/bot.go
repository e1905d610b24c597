// Package gobot is a recipe: a minimal Eko bot written in Go, and in
// bot_test.go its test against an in-process mockeko. A bot's own code
// knows nothing of mockeko; the test only points the base URL at it.
//
//	go get github.com/mockeko/mockeko@latest
package gobot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2/clientcredentials"
)

// Config is what a bot reads from its environment.
type Config struct {
	BaseURL      string // EKO_HTTP_URI
	ClientID     string // EKO_OAUTH_CLIENT_ID
	ClientSecret string // EKO_OAUTH_CLIENT_SECRET
}

// Bot talks to the Eko Bot API with a client-credentials token.
type Bot struct {
	base string
	hc   *http.Client
}

// New returns a Bot whose HTTP client fetches and refreshes its token.
// ctx carries the HTTP client used for the token requests (oauth2.HTTPClient).
func New(ctx context.Context, cfg Config) *Bot {
	base := strings.TrimRight(cfg.BaseURL, "/")
	cc := clientcredentials.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		TokenURL:     base + "/oauth/token",
		Scopes:       []string{"bot"},
	}
	return &Bot{base: base, hc: cc.Client(ctx)}
}

// Notify sends text to the user with the given username as a direct message.
func (b *Bot) Notify(ctx context.Context, username, text string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.base+"/bot/v1/users?username="+url.QueryEscape(username), nil)
	if err != nil {
		return err
	}
	var found struct {
		Users []struct {
			ID string `json:"_id"`
		} `json:"users"`
	}
	if err := b.do(req, &found); err != nil {
		return err
	}
	if len(found.Users) == 0 {
		return fmt.Errorf("gobot: no user %q", username)
	}
	body, _ := json.Marshal(map[string]any{"uid": found.Users[0].ID, "message": map[string]string{"type": "text", "data": text}})
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, b.base+"/bot/v1/direct/message", strings.NewReader(string(body)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return b.do(req, nil)
}

func (b *Bot) do(req *http.Request, out any) error {
	resp, err := b.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("gobot: %s %s: %s", req.Method, req.URL.Path, resp.Status)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
