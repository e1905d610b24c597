package mockeko_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mockeko/mockeko/mockeko"
)

// The embedded default fixtures: what a newcomer's sandbox holds.
func TestDefaultFixtures(t *testing.T) {
	t.Parallel()
	srv := mockeko.NewServer()
	t.Cleanup(srv.Close)
	b := srv.Bot()
	if b.ID != botID || b.Name != "Acme Helper" || !uuidRe.MatchString(b.ClientID) || !hex40.MatchString(b.ClientSecret) {
		t.Errorf("default bot = %+v", b)
	}
	if n := len(srv.Users()); n != 5 {
		t.Errorf("users = %d, want 5", n)
	}
	groups := srv.Groups()
	if len(groups) != 2 {
		t.Fatalf("groups = %d, want 2", len(groups))
	}
	team, dm := groups[0], groups[1]
	if team.ID != teamGID || team.Type != mockeko.GroupTypeGroup || team.MainTopic() != generalTID || len(team.Topics) != 2 || !team.HasMember(botID) {
		t.Errorf("team = %+v", team)
	}
	if dm.ID != aliceDMGID || dm.Type != mockeko.GroupTypeDirect || !dm.Settings.IsPrivate {
		t.Errorf("direct chat = %+v", dm)
	}
	// The fixture DM is the bot's DM with alice.
	got, err := srv.DirectChat(botID, aliceID)
	if err != nil || got.ID != aliceDMGID {
		t.Errorf("DirectChat(alice) = %s, %v", got.ID, err)
	}
	if len(srv.Messages("", "")) != 0 {
		t.Error("fresh server has messages")
	}
	// The README's quick start works on them: token, then a push.
	tok := botToken(t, srv)
	checkPushAnswer(t, srv, postJSON(t, srv, tok, "/bot/v1/group/message", groupMsg(teamGID, "", "hello team")), 201)
}

func TestWithoutFixtures(t *testing.T) {
	t.Parallel()
	srv := mockeko.NewServer(mockeko.WithoutFixtures(), mockeko.WithSeed(7))
	t.Cleanup(srv.Close)
	if b := srv.Bot(); b.ID != "" || b.ClientID != "" {
		t.Errorf("Bot() = %+v, want zero", b)
	}
	if len(srv.Users()) != 0 || len(srv.Groups()) != 0 {
		t.Error("not empty")
	}
	// Still one network: added users and bots go there.
	u, err := srv.AddUser(mockeko.User{Username: "x"})
	if err != nil || !hexID.MatchString(u.NetworkID) {
		t.Errorf("AddUser = %+v, %v", u, err)
	}
}

// Options fill in what is left empty.
func TestOptionsFillDefaults(t *testing.T) {
	t.Parallel()
	srv := start(t, mockeko.WithoutFixtures(),
		mockeko.WithBot(mockeko.Bot{}),
		mockeko.WithUser(mockeko.User{Username: "a"}),
		mockeko.WithUser(mockeko.User{ID: "5b0000000000000000000e02", Username: "b"}),
	)
	b := srv.Bot()
	if !hexID.MatchString(b.ID) || b.Name != "Bot "+b.ID[20:] || !uuidRe.MatchString(b.ClientID) || !hex40.MatchString(b.ClientSecret) {
		t.Errorf("bot = %+v", b)
	}
	if diff := cmp.Diff([]string{"bot", "workflow", "library"}, b.Scopes); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}
	g, err := srv.AddGroup(mockeko.Group{Name: "G", MemberIDs: []string{b.ID, "5b0000000000000000000e02", "5b0000000000000000000e02"}})
	if err != nil {
		t.Fatal(err)
	}
	if g.Type != mockeko.GroupTypeGroup || len(g.Topics) != 1 || g.Topics[0].Name != "General" || g.Topics[0].GID != g.ID || len(g.MemberIDs) != 2 ||
		g.Settings != (mockeko.GroupSettings{IsAdminManaged: true, IsCreatorManaged: true}) {
		t.Errorf("group = %+v", g)
	}
	// A "team" (the webhook's groupType) is a group chat.
	g2, err := srv.AddGroup(mockeko.Group{Type: "team", MemberIDs: []string{b.ID}})
	if err != nil || g2.Type != mockeko.GroupTypeGroup {
		t.Errorf("team group = %+v, %v", g2, err)
	}
}

// What the Go API returns is a copy: changing it changes nothing.
func TestInspectionReturnsCopies(t *testing.T) {
	t.Parallel()
	srv := start(t)
	tok := botToken(t, srv)
	if r := postJSON(t, srv, tok, "/bot/v2/message/push",
		`{"gid":"`+teamGID+`","messages":[{"type":"text","text":"x","quickReply":{"items":[{"type":"action","action":{"type":"message","label":"L","text":"t"}}]}}]}`); r.status != 201 {
		t.Fatalf("push: %d %s", r.status, r.body)
	}
	uploadTo(t, srv, tok)
	before := snapshot(srv)
	bots := srv.Bots()

	g, _ := srv.Group(teamGID)
	g.MemberIDs[0], g.Topics[0].Name = "mutated", "mutated"
	gs := srv.Groups()
	gs[0].MemberIDs[1] = "mutated"
	ms := srv.Messages("", "")
	ms[0].Items[0].Label, ms[0].Payload[0] = "mutated", 'X'
	us := srv.Users()
	us[0].Profile["Department"] = "mutated"
	u, _ := srv.User("bob@acme.example")
	u.Username = "mutated"
	bots[0].Scopes[0] = "mutated"
	_, data, _ := srv.File(ms[1].FileID)
	data[0] = 'X'

	unchanged(t, srv, before)
	if diff := cmp.Diff([]string{"bot", "workflow", "library"}, srv.Bots()[0].Scopes); diff != "" {
		t.Errorf("bot scopes changed (-want +got):\n%s", diff)
	}
	if _, data, _ := srv.File(ms[1].FileID); data[0] != pngBytes[0] {
		t.Error("file bytes changed through a returned slice")
	}
}

func TestUserLookupByIDOrUsername(t *testing.T) {
	t.Parallel()
	srv := start(t)
	for _, key := range []string{bobID, "bob@acme.example"} {
		if u, ok := srv.User(key); !ok || u.ID != bobID {
			t.Errorf("User(%q) = %+v, %v", key, u, ok)
		}
	}
	if _, ok := srv.User("nobody"); ok {
		t.Error("User(nobody) found someone")
	}
}

func TestDirectChatGoAPI(t *testing.T) {
	t.Parallel()
	srv := start(t)
	dm, err := srv.DirectChat(botID, danaID)
	if err != nil || dm.Type != mockeko.GroupTypeDirect {
		t.Fatalf("DirectChat = %+v, %v", dm, err)
	}
	again, _ := srv.DirectChat(botID, danaID)
	if again.ID != dm.ID {
		t.Errorf("second DirectChat made a new chat")
	}
	if _, err := srv.DirectChat(unknownID, danaID); err == nil || err.Error() != "mockeko: 404 not_found: bot "+unknownID+" not found" {
		t.Errorf("unknown bot: %v", err)
	}
	if _, err := srv.DirectChat(botID, formerID); err == nil || err.Error() != "mockeko: 404 not_found: user "+formerID+" not found in the bot's network" {
		t.Errorf("deleted user: %v", err)
	}
}

// The fake clock drives every timestamp.
func TestTimestampsFollowTheClock(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clk := mockeko.NewFakeClock(t0)
	srv := start(t, mockeko.WithClock(clk))
	tok := botToken(t, srv)
	clk.Advance(time.Minute)
	srv.Advance(time.Second)
	m := checkPushAnswer(t, srv, postJSON(t, srv, tok, "/bot/v1/direct/message", directMsg(danaID, "hi")), 201)
	want := t0.Add(time.Minute + time.Second)
	if !m.CreatedAt.Equal(want) {
		t.Errorf("message at %v, want %v", m.CreatedAt, want)
	}
	if g, _ := srv.Group(m.GID); !g.CreatedAt.Equal(want) {
		t.Errorf("DM created at %v, want %v", g.CreatedAt, want)
	}
	if r := send(t, srv, http.MethodGet, "/_mockeko/health", "", "", nil); r.status != 200 {
		t.Error(r.status)
	}
}

// Replacing a group without one of its topics makes that topic unknown:
// a push to it is a 404, not a message hidden from the group's listing.
func TestReplaceGroupDropsTopics(t *testing.T) {
	t.Parallel()
	srv := start(t)
	g, _ := srv.Group(teamGID)
	g.Topics = g.Topics[:1]
	if _, err := srv.AddGroup(g); err != nil {
		t.Fatal(err)
	}
	tok := botToken(t, srv)
	before := snapshot(srv)
	r := postJSON(t, srv, tok, "/bot/v1/group/message", groupMsg(teamGID, incidentsTID, "lost"))
	wantError(t, r, 404, "not_found", "topic "+incidentsTID+" not found in group "+teamGID)
	unchanged(t, srv, before)
	// The dropped topic id is free for another group.
	if _, err := srv.AddGroup(mockeko.Group{Name: "New", MemberIDs: []string{botID}, Topics: []mockeko.Topic{{ID: incidentsTID, Name: "Mine"}}}); err != nil {
		t.Errorf("reusing the dropped topic id: %v", err)
	}
}

// A group that fails validation leaves no trace, not even its topic ids.
func TestFailedAddGroupLeavesNoTopic(t *testing.T) {
	t.Parallel()
	srv := start(t)
	const newTID = "5f00000000000000000d00aa"
	_, err := srv.AddGroup(mockeko.Group{ID: "5f00000000000000000d00a0", MemberIDs: []string{botID},
		Topics: []mockeko.Topic{{ID: newTID, Name: "A"}, {ID: generalTID, Name: "taken"}}})
	if err == nil || err.Error() != "mockeko: group 5f00000000000000000d00a0: topic "+generalTID+" belongs to group "+teamGID {
		t.Fatalf("err = %v", err)
	}
	if _, err := srv.AddGroup(mockeko.Group{ID: "5f00000000000000000d00b0", MemberIDs: []string{botID}, Topics: []mockeko.Topic{{ID: newTID, Name: "A"}}}); err != nil {
		t.Errorf("topic id of the failed group is still taken: %v", err)
	}
	r := postJSON(t, srv, botToken(t, srv), "/bot/v1/group/message", groupMsg("5f00000000000000000d00a0", newTID, "x"))
	wantError(t, r, 404, "not_found", "group 5f00000000000000000d00a0 not found")
}
