package gobot_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mockeko/mockeko/examples/gobot"
	"github.com/mockeko/mockeko/mockeko"
	"golang.org/x/oauth2"
)

// Each test gets its own fake tenant, like httptest.NewServer: parallel
// tests never share state.
func TestNotify(t *testing.T) {
	t.Parallel()
	srv := mockeko.NewServer() // the embedded default fixtures: one bot, a few users
	defer srv.Close()

	bot := srv.Bot()
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	b := gobot.New(ctx, gobot.Config{BaseURL: srv.URL, ClientID: bot.ClientID, ClientSecret: bot.ClientSecret})

	if err := b.Notify(ctx, "alice@acme.example", "Deploy finished"); err != nil {
		t.Fatal(err)
	}

	alice, _ := srv.User("alice@acme.example")
	dm, err := srv.DirectChat(bot.ID, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range srv.Messages(dm.ID, "") {
		got = append(got, m.Sender.Kind+": "+m.Text)
	}
	if diff := cmp.Diff([]string{"bot: Deploy finished"}, got); diff != "" {
		t.Errorf("alice's chat with the bot (-want +got):\n%s", diff)
	}
}

func TestNotifyUnknownUser(t *testing.T) {
	t.Parallel()
	srv := mockeko.NewServer()
	defer srv.Close()
	bot := srv.Bot()
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	b := gobot.New(ctx, gobot.Config{BaseURL: srv.URL, ClientID: bot.ClientID, ClientSecret: bot.ClientSecret})

	if err := b.Notify(ctx, "nobody@acme.example", "hi"); err == nil {
		t.Fatal("Notify to an unknown user succeeded")
	}
	if n := len(srv.Messages("", "")); n != 0 {
		t.Errorf("%d messages stored after a failed notify, want 0", n)
	}
}

func TestNotifyWrongSecret(t *testing.T) {
	t.Parallel()
	srv := mockeko.NewServer()
	defer srv.Close()
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	b := gobot.New(ctx, gobot.Config{BaseURL: srv.URL, ClientID: srv.Bot().ClientID, ClientSecret: "wrong"})
	if err := b.Notify(ctx, "alice@acme.example", "hi"); err == nil {
		t.Fatal("Notify with a wrong secret succeeded")
	}
}
