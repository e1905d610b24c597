package mockeko_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/mockeko/mockeko/mockeko"
	"golang.org/x/oauth2"
)

// A simulated user writes to the bot under test, which is mounted in
// process: it verifies the signature, replies with the event's reply token,
// and the conversation reads in order.
func ExampleServer_SendText() {
	var srv *mockeko.Server
	bot := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !mockeko.VerifySignature(srv.Bot().ClientSecret, body, r.Header.Get("X-Eko-Signature")) {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		var env struct {
			Events []struct {
				ReplyToken string `json:"replyToken"`
				Message    struct {
					Text string `json:"text"`
				} `json:"message"`
			} `json:"events"`
		}
		json.Unmarshal(body, &env)
		ev := env.Events[0]
		ctx := context.WithValue(r.Context(), oauth2.HTTPClient, srv.Client())
		client := srv.ClientCredentials("bot").Client(ctx)
		resp, err := client.PostForm(srv.URL+"/bot/v1/message/text", url.Values{"replyToken": {ev.ReplyToken}, "message": {"pong: " + ev.Message.Text}})
		if err == nil {
			resp.Body.Close()
		}
	})
	srv = mockeko.NewServer(mockeko.WithWebhookHandler("", bot))
	defer srv.Close()

	d, err := srv.SendText(context.Background(), "alice@acme.example", "ping", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.EventType, d.State)
	for _, m := range srv.Messages(d.GID, d.TID) {
		fmt.Printf("%s: %s\n", m.Sender.Kind, m.Text)
	}
	// Output:
	// message delivered
	// user: ping
	// bot: pong: ping
}

// Retries wait on the Server's time, so a test advances the clock instead
// of sleeping.
func ExampleWithWebhookConfig() {
	calls := 0
	bot := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls++; calls == 1 {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
		}
	})
	srv := mockeko.NewServer(mockeko.WithWebhookHandler("", bot), mockeko.WithWebhookConfig("", mockeko.WebhookConfig{
		Retry: mockeko.RetryPolicy{Attempts: 3, Backoff: time.Minute},
	}))
	defer srv.Close()
	ctx := context.Background()

	d, _ := srv.Trigger(mockeko.Event{Type: "join", UID: "bob@acme.example"})
	srv.WaitDelivery(ctx, func(x mockeko.Delivery) bool { return x.ID == d.ID && x.NextAttempt != nil })
	srv.Advance(time.Minute)
	d, _ = srv.WaitDone(ctx, d.ID)
	for _, a := range d.Attempts {
		fmt.Println(a.N, a.Status)
	}
	fmt.Println(d.State)
	// Output:
	// 1 503
	// 2 200
	// delivered
}
