package mockeko_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mockeko/mockeko/mockeko"
)

type createdGroup struct {
	Group struct {
		ID        string                `json:"_id"`
		Name      string                `json:"name"`
		Type      string                `json:"type"`
		Settings  mockeko.GroupSettings `json:"settings"`
		UserCount int                   `json:"userCount"`
	} `json:"group"`
}

func TestCreateGroupEncodings(t *testing.T) {
	t.Parallel()
	const path = "/bot/v1/groups"
	tests := []struct {
		name       string
		send       func(t *testing.T, srv *mockeko.Server, tok string) resp
		wantMember []string
	}{
		{"multipart, uids as one JSON-array field (the docs)", func(t *testing.T, srv *mockeko.Server, tok string) resp {
			return postMultipart(t, srv, tok, path, []field{{"name", "My first group"}, {"uids", `["` + aliceID + `","` + bobID + `"]`}})
		}, []string{botID, aliceID, bobID}},
		{"multipart, repeated uids fields (S7)", func(t *testing.T, srv *mockeko.Server, tok string) resp {
			return postMultipart(t, srv, tok, path, []field{{"name", "My first group"}, {"uids", aliceID}, {"uids", bobID}})
		}, []string{botID, aliceID, bobID}},
		{"multipart with an avatar", func(t *testing.T, srv *mockeko.Server, tok string) resp {
			return postMultipart(t, srv, tok, path, []field{{"name", "My first group"}, {"uids", `["` + aliceID + `","` + bobID + `"]`}},
				filePart{"file", "avatar.png", "image/png", pngBytes})
		}, []string{botID, aliceID, bobID}},
		{"JSON array", func(t *testing.T, srv *mockeko.Server, tok string) resp {
			return postJSON(t, srv, tok, path, map[string]any{"name": "My first group", "uids": []string{aliceID, bobID}})
		}, []string{botID, aliceID, bobID}},
		{"JSON, uids as a JSON-array string", func(t *testing.T, srv *mockeko.Server, tok string) resp {
			return postJSON(t, srv, tok, path, map[string]any{"name": "My first group", "uids": `["` + aliceID + `","` + bobID + `"]`})
		}, []string{botID, aliceID, bobID}},
		{"urlencoded, repeated uids", func(t *testing.T, srv *mockeko.Server, tok string) resp {
			return postForm(t, srv, tok, path, url.Values{"name": {"My first group"}, "uids": {aliceID, bobID}})
		}, []string{botID, aliceID, bobID}},
		{"urlencoded, uids[] (qs style)", func(t *testing.T, srv *mockeko.Server, tok string) resp {
			return postForm(t, srv, tok, path, url.Values{"name": {"My first group"}, "uids[]": {aliceID, bobID}})
		}, []string{botID, aliceID, bobID}},
		{"urlencoded, comma-separated", func(t *testing.T, srv *mockeko.Server, tok string) resp {
			return postForm(t, srv, tok, path, url.Values{"name": {"My first group"}, "uids": {aliceID + ", " + bobID}})
		}, []string{botID, aliceID, bobID}},
		{"duplicates collapse", func(t *testing.T, srv *mockeko.Server, tok string) resp {
			return postJSON(t, srv, tok, path, map[string]any{"name": "My first group", "uids": []string{aliceID, aliceID, bobID}})
		}, []string{botID, aliceID, bobID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t)
			tok := botToken(t, srv)
			r := tt.send(t, srv, tok)
			if r.status != 200 {
				t.Fatalf("status %d %s", r.status, r.body)
			}
			var got createdGroup
			r.decode(t, &got)
			if !hexID.MatchString(got.Group.ID) {
				t.Errorf("_id = %q, want a 24-hex ObjectId", got.Group.ID)
			}
			want := createdGroup{}
			want.Group.ID, want.Group.Name, want.Group.Type, want.Group.UserCount = got.Group.ID, "My first group", "group_chatv2", len(tt.wantMember)
			want.Group.Settings = mockeko.GroupSettings{IsAdminManaged: true, IsCreatorManaged: true}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			g, ok := srv.Group(got.Group.ID)
			if !ok {
				t.Fatal("created group is not in srv.Groups")
			}
			if diff := cmp.Diff(tt.wantMember, g.MemberIDs); diff != "" || g.CreatorID != botID || len(g.Topics) != 1 || g.Topics[0].Name != "General" {
				t.Errorf("group %+v; members (-want +got):\n%s", g, diff)
			}
			// Later calls see it: a push without tid lands in its main topic, lookups find its members.
			m := checkPushAnswer(t, srv, postJSON(t, srv, tok, "/bot/v1/group/message", groupMsg(g.ID, "", "welcome")), 201)
			if m.TID != g.MainTopic() {
				t.Errorf("push went to topic %s, want main %s", m.TID, g.MainTopic())
			}
			if r := send(t, srv, http.MethodGet, "/bot/v2/groups/"+g.ID+"/users/"+aliceID+"/info", tok, "", nil); r.status != 200 {
				t.Errorf("user info in the new group: %d %s", r.status, r.body)
			}
		})
	}
}

// Eko serves Thai and other non-ASCII names: the limit counts characters, not bytes.
func TestGroupAndTopicNamesCountCharacters(t *testing.T) {
	t.Parallel()
	srv := start(t)
	tok := botToken(t, srv)
	thai := strings.Repeat("ทีม", 60) // 180 characters, 540 bytes
	r := postJSON(t, srv, tok, "/bot/v1/groups", map[string]any{"name": thai, "uids": []string{aliceID}})
	if r.status != 200 {
		t.Fatalf("180-character Thai group name: %d %s", r.status, r.body)
	}
	var g createdGroup
	r.decode(t, &g)
	if r := postJSON(t, srv, tok, "/bot/v1/groups/"+g.Group.ID+"/topics", map[string]string{"name": thai}); r.status != 200 {
		t.Errorf("180-character Thai topic name: %d %s", r.status, r.body)
	}
}

func TestCreateGroupFailures(t *testing.T) {
	t.Parallel()
	const path = "/bot/v1/groups"
	j := func(v any) func(*testing.T, *mockeko.Server, string, string) resp {
		return func(t *testing.T, srv *mockeko.Server, tok, _ string) resp { return postJSON(t, srv, tok, path, v) }
	}
	mp := func(fields []field, files ...filePart) func(*testing.T, *mockeko.Server, string, string) resp {
		return func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return postMultipart(t, srv, tok, path, fields, files...)
		}
	}
	const uidsMsg = `"uids" is required: the ids of the group's users, e.g. ["5d8c318c22fba500114ed1c5"]`
	png := filePart{"file", "a.png", "image/png", pngBytes}
	runFailures(t, []failCase{
		{name: "name missing", do: j(map[string]any{"uids": []string{aliceID}}), status: 400, code: "invalid_request", msg: `"name" is required`},
		{name: "name empty", do: mp([]field{{"name", ""}, {"uids", aliceID}}), status: 400, code: "invalid_request", msg: `"name" is not allowed to be empty`},
		{name: "name too long", do: j(map[string]any{"name": strings.Repeat("n", 201), "uids": []string{aliceID}}), status: 400, code: "invalid_request", msg: "name is longer than 200 characters"},
		{name: "name a number", do: j(`{"name":1,"uids":[]}`), status: 400, code: "invalid_request", msg: "name must be a string, got a number"},
		{name: "uids missing", do: mp([]field{{"name", "G"}}), status: 400, code: "invalid_request", msg: uidsMsg},
		{name: "uids empty array string", do: mp([]field{{"name", "G"}, {"uids", "[]"}}), status: 400, code: "invalid_request", msg: uidsMsg},
		{name: "uids empty JSON array", do: j(map[string]any{"name": "G", "uids": []string{}}), status: 400, code: "invalid_request", msg: uidsMsg},
		{name: "uids malformed JSON string", do: mp([]field{{"name", "G"}, {"uids", `["` + aliceID + `",`}}), status: 400, code: "invalid_request",
			msg: `uids holds malformed JSON: want an array of strings such as ["5d8c318c22fba500114ed1c5"]`},
		{name: "uids a number", do: j(`{"name":"G","uids":5}`), status: 400, code: "invalid_request", msg: "uids must be an array of strings, got a number"},
		{name: "uids array of numbers", do: j(`{"name":"G","uids":[1,2]}`), status: 400, code: "invalid_request", msg: "uids must be an array of strings, got an array"},
		{name: "unknown user", do: j(map[string]any{"name": "G", "uids": []string{aliceID, unknownID}}), status: 404, code: "not_found", msg: "user " + unknownID + " not found in the bot's network"},
		{name: "deleted user", do: mp([]field{{"name", "G"}, {"uids", formerID}}), status: 404, code: "not_found", msg: "user " + formerID + " not found in the bot's network"},
		{name: "other network's user", do: mp([]field{{"name", "G"}, {"uids", zedID}}), status: 404, code: "not_found", msg: "user " + zedID + " not found in the bot's network"},
		{name: "two avatars", do: mp([]field{{"name", "G"}, {"uids", aliceID}}, png, png), status: 400, code: "invalid_request", msg: "send one file part, got 2"},
		{name: "text/plain", do: func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return send(t, srv, http.MethodPost, path, tok, "text/plain", strings.NewReader("name=G"))
		}, status: 415, code: "unsupported_media_type", msg: "Content-Type text/plain is not accepted here: send one of " + allEnc},
		{name: "oversized multipart", opts: []mockeko.Option{mockeko.WithBodyLimits(1<<20, 1024)},
			do:     mp([]field{{"name", "G"}, {"uids", aliceID}}, filePart{"file", "a.png", "image/png", bytes.Repeat([]byte{7}, 2048)}),
			status: 413, code: "request_too_large", msg: "multipart exceeds the 1024 bytes limit"},
	})
}

func TestCreateTopic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, gid string
		send      func(t *testing.T, srv *mockeko.Server, tok, path string) resp
	}{
		{"JSON (the docs)", teamGID, func(t *testing.T, srv *mockeko.Server, tok, path string) resp {
			return postJSON(t, srv, tok, path, `{"name":"My first Topic"}`)
		}},
		{"multipart", teamGID, func(t *testing.T, srv *mockeko.Server, tok, path string) resp {
			return postMultipart(t, srv, tok, path, []field{{"name", "My first Topic"}})
		}},
		{"urlencoded", teamGID, func(t *testing.T, srv *mockeko.Server, tok, path string) resp {
			return postForm(t, srv, tok, path, url.Values{"name": {"My first Topic"}})
		}},
		{"in a direct chat (S7)", aliceDMGID, func(t *testing.T, srv *mockeko.Server, tok, path string) resp {
			return postJSON(t, srv, tok, path, `{"name":"My first Topic"}`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t)
			tok := botToken(t, srv)
			r := tt.send(t, srv, tok, "/bot/v1/groups/"+tt.gid+"/topics")
			var got struct {
				Topic struct {
					ID   string `json:"_id"`
					Name string `json:"name"`
					GID  string `json:"gid"`
				} `json:"topic"`
			}
			r.decode(t, &got)
			if r.status != 200 || !hexID.MatchString(got.Topic.ID) || got.Topic.Name != "My first Topic" || got.Topic.GID != tt.gid {
				t.Fatalf("got %d %s", r.status, r.body)
			}
			g, _ := srv.Group(tt.gid)
			if last := g.Topics[len(g.Topics)-1]; last != (mockeko.Topic{ID: got.Topic.ID, Name: "My first Topic", GID: tt.gid}) {
				t.Errorf("group's last topic = %+v", last)
			}
			if g.MainTopic() == got.Topic.ID {
				t.Error("a new topic became the main topic")
			}
			// Pushes and reply tokens can target it.
			m := checkPushAnswer(t, srv, postJSON(t, srv, tok, "/bot/v1/group/message", groupMsg(tt.gid, got.Topic.ID, "in the topic")), 201)
			if m.TID != got.Topic.ID {
				t.Errorf("push landed in %s", m.TID)
			}
			if _, err := srv.MintReplyToken(botID, tt.gid, got.Topic.ID); err != nil {
				t.Errorf("minting a reply token for the topic: %v", err)
			}
		})
	}
}

func TestCreateTopicFailures(t *testing.T) {
	t.Parallel()
	j := func(gid string, v any) func(*testing.T, *mockeko.Server, string, string) resp {
		return func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return postJSON(t, srv, tok, "/bot/v1/groups/"+gid+"/topics", v)
		}
	}
	runFailures(t, []failCase{
		{name: "name missing", do: j(teamGID, `{}`), status: 400, code: "invalid_request", msg: `"name" is required`},
		{name: "name empty", do: j(teamGID, `{"name":""}`), status: 400, code: "invalid_request", msg: `"name" is not allowed to be empty`},
		{name: "name too long", do: j(teamGID, map[string]string{"name": strings.Repeat("t", 201)}), status: 400, code: "invalid_request", msg: "name is longer than 200 characters"},
		{name: "unknown group", do: j(unknownID, `{"name":"T"}`), status: 404, code: "not_found", msg: "group " + unknownID + " not found"},
		{name: "other network's group", do: j(otherGID, `{"name":"T"}`), status: 404, code: "not_found", msg: "group " + otherGID + " not found"},
		{name: "group without the bot", do: j(botlessGID, `{"name":"T"}`), status: 403, code: "forbidden", msg: "the bot is not a member of group " + botlessGID},
		{name: "malformed JSON", do: j(teamGID, `{"name":`), status: 400, code: "invalid_request", msg: "malformed JSON at byte 8: unexpected end of JSON input"},
		{name: "text/plain", do: func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return send(t, srv, http.MethodPost, "/bot/v1/groups/"+teamGID+"/topics", tok, "text/plain", strings.NewReader("T"))
		}, status: 415, code: "unsupported_media_type", msg: "Content-Type text/plain is not accepted here: send one of " + allEnc},
	})
}
