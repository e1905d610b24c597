package mockeko_test

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mockeko/mockeko/mockeko"
	"golang.org/x/oauth2"
)

// A bot obtains a token with golang.org/x/oauth2/clientcredentials, exactly
// as it would from a real tenant, and pushes a message to a user; the test
// then reads the bot's direct chat with that user.
func Example() {
	srv := mockeko.NewServer()
	defer srv.Close()

	// What the bot under test would read from its environment.
	cfg := srv.ClientCredentials("bot")
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	client := cfg.Client(ctx)

	alice, _ := srv.User("alice@acme.example")
	resp, err := client.Post(srv.URL+"/bot/v1/direct/message", "application/json",
		strings.NewReader(`{"uid":"`+alice.ID+`","message":{"type":"text","data":"Deploy finished"}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status)

	dm, _ := srv.DirectChat(srv.Bot().ID, alice.ID)
	for _, m := range srv.Messages(dm.ID, "") {
		fmt.Printf("%s %s: %s\n", m.Sender.Kind, m.Type, m.Text)
	}
	// Output:
	// 201 Created
	// bot text: Deploy finished
}

// Tests start from the embedded default fixtures, or from their own.
func ExampleNewServer() {
	srv := mockeko.NewServer(
		mockeko.WithoutFixtures(),
		mockeko.WithBot(mockeko.Bot{Name: "Build Bot", ClientID: "build-bot", ClientSecret: "s3cret"}),
		mockeko.WithUser(mockeko.User{Username: "erin@example.com", Firstname: "Erin"}),
		mockeko.WithSeed(1),
	)
	defer srv.Close()
	fmt.Println(srv.Bot().Name, len(srv.Users()), strings.HasPrefix(srv.URL, "http://127.0.0.1:"))
	// Output: Build Bot 1 true
}

// A reply token normally arrives in a webhook event; MintReplyToken makes one
// for a chat so a test can exercise the reply endpoints on their own.
func ExampleServer_MintReplyToken() {
	srv := mockeko.NewServer()
	defer srv.Close()
	team := srv.Groups()[0]
	rt, err := srv.MintReplyToken(srv.Bot().ID, team.ID, "")
	fmt.Println(err, len(rt.Token), rt.TID == team.MainTopic())
	// Output: <nil> 40 true
}
