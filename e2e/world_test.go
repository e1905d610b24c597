package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"
)

// The control plane's JSON, as design.md's stable-interface table names it.
// The tests decode the wire format with their own types so that a renamed
// field fails here.

type botJSON struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	NetworkID    string   `json:"networkId"`
	ClientID     string   `json:"clientId"`
	ClientSecret string   `json:"clientSecret"`
	WebhookURL   string   `json:"webhookUrl"`
	Scopes       []string `json:"scopes"`
}

type userJSON struct {
	ID        string `json:"id"`
	NetworkID string `json:"networkId"`
	Username  string `json:"username"`
	Email     string `json:"email"`
	Firstname string `json:"firstname"`
	Lastname  string `json:"lastname"`
	Position  string `json:"position"`
	Deleted   bool   `json:"deleted"`
}

type topicJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type groupJSON struct {
	ID        string      `json:"id"`
	Name      string      `json:"name"`
	Type      string      `json:"type"`
	MemberIDs []string    `json:"memberIds"`
	Topics    []topicJSON `json:"topics"`
}

func (g groupJSON) main() string { return g.Topics[0].ID }

type itemJSON struct {
	Type  string `json:"type"`
	Label string `json:"label,omitempty"`
	Value string `json:"value,omitempty"`
	Data  string `json:"data,omitempty"`
	Text  string `json:"text,omitempty"`
}

type messageJSON struct {
	ID     string `json:"id"`
	GID    string `json:"gid"`
	TID    string `json:"tid"`
	Sender struct {
		Kind string `json:"kind"`
		ID   string `json:"id"`
	} `json:"sender"`
	Type        string          `json:"type"`
	Text        string          `json:"text,omitempty"`
	FileID      string          `json:"fileId,omitempty"`
	FileName    string          `json:"fileName,omitempty"`
	ContentType string          `json:"contentType,omitempty"`
	Size        int             `json:"size,omitempty"`
	Caption     string          `json:"caption,omitempty"`
	Items       []itemJSON      `json:"items,omitempty"`
	Payload     json.RawMessage `json:"payload,omitempty"`
	Endpoint    string          `json:"endpoint,omitempty"`
	CreatedAt   time.Time       `json:"createdAt"`
}

// pushResult is the "message" object of a BotV1 push answer (eko-api.md §3.2).
type pushResult struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	GroupID  string `json:"groupId"`
	ThreadID string `json:"threadId"`
}

// world is what the embedded default fixtures hold, found through the
// control plane rather than hard-coded.
type world struct {
	bot         botJSON   // the default bot
	alice, bob  userJSON  // members of team
	dana        userJSON  // in the network, not in team
	team        groupJSON // "Platform Team": topics General (main) and Incidents
	incidents   string    // team's Incidents topic
	aliceDM     groupJSON // the bot's direct chat with alice, from the fixtures
	usersByName map[string]userJSON
}

func (p *mockeko) world(t *testing.T, ctx context.Context) world {
	t.Helper()
	var bots struct{ Bots []botJSON }
	p.getJSON(t, ctx, nil, "/_mockeko/bots", &bots)
	if len(bots.Bots) == 0 {
		t.Fatal("GET /_mockeko/bots: no bots")
	}
	w := world{bot: bots.Bots[0], usersByName: map[string]userJSON{}}
	if w.bot.ClientID != p.ClientID || w.bot.ClientSecret != p.ClientSecret {
		t.Fatalf("GET /_mockeko/bots: first bot %q/%q, but the binary printed %q/%q",
			w.bot.ClientID, w.bot.ClientSecret, p.ClientID, p.ClientSecret)
	}
	var users struct{ Users []userJSON }
	p.getJSON(t, ctx, nil, "/_mockeko/users", &users)
	for _, u := range users.Users {
		w.usersByName[u.Username] = u
	}
	w.alice, w.bob, w.dana = w.usersByName["alice@acme.example"], w.usersByName["bob@acme.example"], w.usersByName["dana@acme.example"]
	var groups struct{ Groups []groupJSON }
	p.getJSON(t, ctx, nil, "/_mockeko/groups", &groups)
	for _, g := range groups.Groups {
		switch {
		case g.Name == "Platform Team":
			w.team = g
		case g.Type == "direct_chat" && slices.Contains(g.MemberIDs, w.alice.ID) && slices.Contains(g.MemberIDs, w.bot.ID):
			w.aliceDM = g
		}
	}
	for _, tp := range w.team.Topics {
		if tp.Name == "Incidents" {
			w.incidents = tp.ID
		}
	}
	if w.alice.ID == "" || w.bob.ID == "" || w.dana.ID == "" || w.team.ID == "" || w.incidents == "" || w.aliceDM.ID == "" {
		t.Fatalf("the default fixtures lack what the tests use: %+v", w)
	}
	return w
}

// messages returns GET /_mockeko/messages?query.
func (p *mockeko) messages(t *testing.T, ctx context.Context, query string) []messageJSON {
	t.Helper()
	var out struct{ Messages []messageJSON }
	path := "/_mockeko/messages"
	if query != "" {
		path += "?" + query
	}
	p.getJSON(t, ctx, nil, path, &out)
	return out.Messages
}

// group returns the group gid from GET /_mockeko/groups.
func (p *mockeko) group(t *testing.T, ctx context.Context, gid string) groupJSON {
	t.Helper()
	var groups struct{ Groups []groupJSON }
	p.getJSON(t, ctx, nil, "/_mockeko/groups", &groups)
	for _, g := range groups.Groups {
		if g.ID == gid {
			return g
		}
	}
	t.Fatalf("GET /_mockeko/groups: no group %s", gid)
	return groupJSON{}
}

// addBot adds a bot through POST /_mockeko/bots and returns it.
func (p *mockeko) addBot(t *testing.T, ctx context.Context, b botJSON) botJSON {
	t.Helper()
	var out struct{ Bot botJSON }
	p.postJSON(t, ctx, nil, "/_mockeko/bots", b).want(t, "POST /_mockeko/bots", http.StatusCreated, &out)
	p.noLeak(out.Bot.ClientSecret)
	return out.Bot
}
