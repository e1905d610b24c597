// Package mockeko is an in-memory fake of the Eko Bot API, shaped like
// net/http/httptest.
//
// A Server issues OAuth2 client-credentials tokens at /oauth/token and serves
// the BotV1 and BotV2 users, chats and messages endpoints, and the file
// endpoints, with real state: a push to a user lands in the bot's direct chat
// with that user, created groups and topics are visible to later calls, and
// uploaded files come back byte for byte. A bot written for real Eko runs
// against it unchanged; only its base URL (EKO_HTTP_URI) differs.
//
// Every Server owns its state, so parallel tests never interfere:
//
//	srv := mockeko.NewServer()
//	defer srv.Close()
//	cfg := srv.ClientCredentials() // golang.org/x/oauth2/clientcredentials
//	client := cfg.Client(ctx)
//	client.Post(srv.URL+"/bot/v1/direct/message", "application/json", body)
//	msgs := srv.Messages(gid, tid)
//
// By default a Server starts from the embedded default fixtures (package
// fixtures); options add bots, users and groups or replace the fixtures.
// Go-level methods seed and inspect state; everything they return is a copy.
// The same operations are available to other languages under the reserved
// /_mockeko/ control-plane prefix.
package mockeko
