package mockeko_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mockeko/mockeko/mockeko"
)

// wireUser is a user as the Bot API answers it.
type wireUser struct {
	ID        string `json:"_id"`
	Username  string `json:"username"`
	Email     string `json:"email"`
	Firstname string `json:"firstname"`
	Lastname  string `json:"lastname"`
	Position  string `json:"position"`
	Deleted   bool   `json:"deleted"`
}

var bobWire = wireUser{ID: bobID, Username: "bob@acme.example", Email: "bob@acme.example", Firstname: "Bob", Lastname: "Baker", Position: "Site Reliability Engineer"}

func TestFindUsers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, username string
		want           []wireUser
	}{
		{"exact", "bob@acme.example", []wireUser{bobWire}},
		{"case-insensitive", "BOB@Acme.Example", []wireUser{bobWire}},
		{"not an email", "chai.s", []wireUser{{ID: chaiID, Username: "chai.s", Email: "chai.s@acme.example", Firstname: "Chai", Lastname: "Srisuk", Position: "Product Designer"}}},
		{"deleted users are shown as deleted", "former.employee", []wireUser{{ID: formerID, Username: "former.employee", Email: "former@acme.example", Firstname: "Former", Lastname: "Employee", Deleted: true}}},
		{"no prefix match", "bob", []wireUser{}},
		{"unknown", "nobody@acme.example", []wireUser{}},
		{"other network's user is invisible", "zed@globex.example", []wireUser{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t)
			r := send(t, srv, http.MethodGet, "/bot/v1/users?username="+url.QueryEscape(tt.username), botToken(t, srv), "", nil)
			if r.status != 200 {
				t.Fatalf("status %d %s", r.status, r.body)
			}
			var got struct {
				Users []wireUser `json:"users"`
			}
			r.decode(t, &got)
			if diff := cmp.Diff(tt.want, got.Users); diff != "" {
				t.Errorf("users (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFindUsersFailures(t *testing.T) {
	t.Parallel()
	get := func(q string) func(*testing.T, *mockeko.Server, string, string) resp {
		return func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return send(t, srv, http.MethodGet, "/bot/v1/users"+q, tok, "", nil)
		}
	}
	runFailures(t, []failCase{
		{name: "no username", do: get(""), status: 400, code: "invalid_request", msg: `query parameter "username" is required`},
		{name: "empty username", do: get("?username="), status: 400, code: "invalid_request", msg: `query parameter "username" is required`},
		{name: "blank username", do: get("?username=%20"), status: 400, code: "invalid_request", msg: `query parameter "username" is required`},
	})
}

func TestGroupUserInfoV2(t *testing.T) {
	t.Parallel()
	srv := start(t)
	r := send(t, srv, http.MethodGet, "/bot/v2/groups/"+teamGID+"/users/"+bobID+"/info", botToken(t, srv), "", nil)
	var got wireUser
	r.decode(t, &got)
	if diff := cmp.Diff(bobWire, got); diff != "" || r.status != 200 {
		t.Errorf("status %d, user (-want +got):\n%s", r.status, diff)
	}
}

func TestGroupUserInfoV2Failures(t *testing.T) {
	t.Parallel()
	get := func(gid, uid string) func(*testing.T, *mockeko.Server, string, string) resp {
		return func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return send(t, srv, http.MethodGet, "/bot/v2/groups/"+gid+"/users/"+uid+"/info", tok, "", nil)
		}
	}
	runFailures(t, []failCase{
		{name: "user not in the group", do: get(teamGID, danaID), status: 404, code: "not_found", msg: "user " + danaID + " is not a member of group " + teamGID},
		{name: "unknown user", do: get(teamGID, unknownID), status: 404, code: "not_found", msg: "user " + unknownID + " not found in the bot's network"},
		{name: "deleted user", do: get(teamGID, formerID), status: 404, code: "not_found", msg: "user " + formerID + " not found in the bot's network"},
		{name: "other network's user", do: get(teamGID, zedID), status: 404, code: "not_found", msg: "user " + zedID + " not found in the bot's network"},
		{name: "unknown group", do: get(unknownID, bobID), status: 404, code: "not_found", msg: "group " + unknownID + " not found"},
		{name: "other network's group", do: get(otherGID, zedID), status: 404, code: "not_found", msg: "group " + otherGID + " not found"},
		{name: "group without the bot", do: get(botlessGID, aliceID), status: 403, code: "forbidden", msg: "the bot is not a member of group " + botlessGID},
		{name: "bad path", do: get(teamGID, ""), status: 404, code: "not_found", msg: "no such endpoint: GET /bot/v2/groups/" + teamGID + "/users/info (see the README's list of emulated endpoints)"},
	})
}

func TestDirectChatV2(t *testing.T) {
	t.Parallel()
	srv := start(t)
	tok := botToken(t, srv)
	var got map[string]string
	r := send(t, srv, http.MethodGet, "/bot/v2/groups/users/"+aliceID, tok, "", nil)
	r.decode(t, &got)
	if diff := cmp.Diff(map[string]string{"gid": aliceDMGID, "tid": aliceDMTID}, got); diff != "" {
		t.Errorf("existing DM (-want +got):\n%s", diff)
	}
	// A lookup for a user without a DM creates it, and a later push lands there.
	r = send(t, srv, http.MethodGet, "/bot/v2/groups/users/"+danaID, tok, "", nil)
	r.decode(t, &got)
	g, ok := srv.Group(got["gid"])
	if !ok || g.Type != mockeko.GroupTypeDirect || g.MainTopic() != got["tid"] || !g.HasMember(danaID) || !g.HasMember(botID) {
		t.Fatalf("lookup answered %v; group %+v", got, g)
	}
	m := checkPushAnswer(t, srv, postJSON(t, srv, tok, "/bot/v1/direct/message", directMsg(danaID, "hi")), 201)
	if m.GID != got["gid"] || m.TID != got["tid"] {
		t.Errorf("push went to %s/%s, lookup said %v", m.GID, m.TID, got)
	}
	// Each bot has its own DM with a user.
	other := tokenFor(t, srv, otherBotCID, otherBotSecr, "bot")
	var theirs map[string]string
	send(t, srv, http.MethodGet, "/bot/v2/groups/users/"+danaID, other, "", nil).decode(t, &theirs)
	if theirs["gid"] == got["gid"] || theirs["gid"] == "" {
		t.Errorf("other bot's DM with dana = %v, mine %v", theirs, got)
	}
}

func TestDirectChatV2Failures(t *testing.T) {
	t.Parallel()
	get := func(uid string) func(*testing.T, *mockeko.Server, string, string) resp {
		return func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return send(t, srv, http.MethodGet, "/bot/v2/groups/users/"+uid, tok, "", nil)
		}
	}
	runFailures(t, []failCase{
		{name: "unknown user", do: get(unknownID), status: 404, code: "not_found", msg: "user " + unknownID + " not found in the bot's network"},
		{name: "deleted user", do: get(formerID), status: 404, code: "not_found", msg: "user " + formerID + " not found in the bot's network"},
		{name: "other network's user", do: get(zedID), status: 404, code: "not_found", msg: "user " + zedID + " not found in the bot's network"},
	})
}
