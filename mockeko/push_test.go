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

func directMsg(uid, text string) string {
	return `{"uid":"` + uid + `","message":{"type":"text","data":"` + text + `"}}`
}

func groupMsg(gid, tid, text string) string {
	return `{"gid":"` + gid + `","tid":"` + tid + `","message":{"type":"text","data":"` + text + `"}}`
}

// checkPushAnswer checks a push's 201 answer against the stored message and returns it.
func checkPushAnswer(t *testing.T, srv *mockeko.Server, r resp, status int) mockeko.Message {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d: %s", r.status, status, r.body)
	}
	var a pushAnswer
	r.decode(t, &a)
	m := lastMessage(t, srv)
	if a.Status != "success" || a.Message.ID != m.ID || a.Message.Type != m.Type || a.Message.GroupID != m.GID || a.Message.ThreadID != m.TID {
		t.Errorf("answer %+v does not describe the stored message %+v", a, m)
	}
	return m
}

// A push to a user lands in the bot's direct chat with them: created on
// first use, reused after, and the same chat BotV2 reports.
func TestPushDirectCreatesThenReusesDM(t *testing.T) {
	t.Parallel()
	srv := start(t)
	tok := botToken(t, srv)
	groupsBefore := len(srv.Groups())

	m1 := checkPushAnswer(t, srv, postJSON(t, srv, tok, "/bot/v1/direct/message", directMsg(bobID, "first")), 201)
	groups := srv.Groups()
	if len(groups) != groupsBefore+1 {
		t.Fatalf("groups: %d, want %d (one new DM)", len(groups), groupsBefore+1)
	}
	dm := groups[len(groups)-1]
	if dm.ID != m1.GID || dm.Type != mockeko.GroupTypeDirect || dm.MainTopic() != m1.TID {
		t.Errorf("new DM %+v does not hold message %+v", dm, m1)
	}
	if diff := cmp.Diff([]string{bobID, botID}, dm.MemberIDs); diff != "" {
		t.Errorf("DM members (-want +got):\n%s", diff)
	}

	m2 := checkPushAnswer(t, srv, postJSON(t, srv, tok, "/bot/v1/direct/message", `{"uid":"`+bobID+`","message":{"data":"second, type omitted"}}`), 201)
	if m2.GID != m1.GID || m2.TID != m1.TID || len(srv.Groups()) != groupsBefore+1 {
		t.Errorf("second push went to %s/%s, want the same DM %s/%s", m2.GID, m2.TID, m1.GID, m1.TID)
	}

	var got map[string]string
	r := send(t, srv, http.MethodGet, "/bot/v2/groups/users/"+bobID, tok, "", nil)
	r.decode(t, &got)
	if diff := cmp.Diff(map[string]string{"gid": m1.GID, "tid": m1.TID}, got); diff != "" || r.status != 200 {
		t.Errorf("v2 DM lookup %d (-want +got):\n%s", r.status, diff)
	}
	var texts []string
	for _, m := range srv.Messages(m1.GID, "") {
		texts = append(texts, m.Text)
	}
	if diff := cmp.Diff([]string{"first", "second, type omitted"}, texts); diff != "" {
		t.Errorf("DM texts (-want +got):\n%s", diff)
	}
}

// The fixture's existing DM is used, not a new one.
func TestPushDirectUsesFixtureDM(t *testing.T) {
	t.Parallel()
	srv := start(t)
	m := checkPushAnswer(t, srv, postJSON(t, srv, botToken(t, srv), "/bot/v1/direct/message", directMsg(aliceID, "hi")), 201)
	if m.GID != aliceDMGID || m.TID != aliceDMTID || m.Endpoint != "/bot/v1/direct/message" || m.Sender != (mockeko.Sender{Kind: "bot", ID: botID}) {
		t.Errorf("stored %+v", m)
	}
}

func TestPushGroupMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, wantTID string
		status              int
		opts                []mockeko.Option
	}{
		{"no tid: main topic", `{"gid":"` + teamGID + `","message":{"type":"text","data":"hi"}}`, generalTID, 201, nil},
		{"empty tid: main topic", groupMsg(teamGID, "", "hi"), generalTID, 201, nil},
		{"tid", groupMsg(teamGID, incidentsTID, "hi"), incidentsTID, 201, nil},
		{"DM topic via group endpoint", groupMsg(aliceDMGID, aliceDMTID, "hi"), aliceDMTID, 201, nil},
		{"success status 200", groupMsg(teamGID, "", "hi"), generalTID, 200, []mockeko.Option{mockeko.WithSuccessStatus(200)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t, tt.opts...)
			m := checkPushAnswer(t, srv, postJSON(t, srv, botToken(t, srv), "/bot/v1/group/message", tt.body), tt.status)
			if m.TID != tt.wantTID || m.Text != "hi" || m.Type != "text" {
				t.Errorf("stored %+v, want topic %s", m, tt.wantTID)
			}
			if got := srv.Messages("", tt.wantTID); len(got) != 1 {
				t.Errorf("topic holds %d messages", len(got))
			}
		})
	}
}

func TestPushUploads(t *testing.T) {
	t.Parallel()
	pdf := []byte("%PDF-1.7\n binary \x00\x01\x02\xff end")
	tests := []struct {
		name, path       string
		fields           []field
		file             filePart
		wantGID, wantTID string
		wantType         string
		wantCaption      string
	}{
		{"direct picture with caption", "/bot/v1/direct/picture", []field{{"uid", aliceID}, {"caption", "the graph"}},
			filePart{"file", "graph.png", "image/png", pngBytes}, aliceDMGID, aliceDMTID, "picture", "the graph"},
		{"direct file", "/bot/v1/direct/file", []field{{"uid", aliceID}},
			filePart{"file", "report.pdf", "application/pdf", pdf}, aliceDMGID, aliceDMTID, "file", ""},
		{"group picture in a topic", "/bot/v1/group/picture", []field{{"gid", teamGID}, {"tid", incidentsTID}, {"caption", "c"}},
			filePart{"file", "a.jpg", "image/jpeg", pngBytes}, teamGID, incidentsTID, "picture", "c"},
		{"group file, no tid (sivwork)", "/bot/v1/group/file", []field{{"gid", teamGID}},
			filePart{"file", "report.pdf", "application/pdf", pdf}, teamGID, generalTID, "file", ""},
		{"picture as octet-stream is kept (real Eko drops it)", "/bot/v1/group/picture", []field{{"gid", teamGID}},
			filePart{"file", "a.png", "application/octet-stream", pngBytes}, teamGID, generalTID, "picture", ""},
		{"file part without Content-Type", "/bot/v1/group/file", []field{{"gid", teamGID}},
			filePart{"file", "blob", "", pdf}, teamGID, generalTID, "file", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t)
			tok := botToken(t, srv)
			m := checkPushAnswer(t, srv, postMultipart(t, srv, tok, tt.path, tt.fields, tt.file), 201)
			wantCT := tt.file.ctype
			if wantCT == "" {
				wantCT = "application/octet-stream"
			}
			want := mockeko.Message{ID: m.ID, GID: tt.wantGID, TID: tt.wantTID, Sender: mockeko.Sender{Kind: "bot", ID: botID}, Type: tt.wantType,
				FileID: m.FileID, FileName: tt.file.filename, ContentType: wantCT, Size: len(tt.file.data), Caption: tt.wantCaption,
				Endpoint: tt.path, CreatedAt: m.CreatedAt}
			if diff := cmp.Diff(want, m, ignoreUnexported); diff != "" {
				t.Errorf("stored message (-want +got):\n%s", diff)
			}
			// The bytes come back, byte for byte, with their content type, on both file URLs and both auth styles.
			for _, u := range []struct{ path, tok string }{
				{"/file/view/" + m.FileID + "?size=large", tok},
				{"/file/image/" + m.FileID, tok},
				{"/file/image/" + m.FileID + "?size=small&access_token=" + tok, ""},
			} {
				r := send(t, srv, http.MethodGet, u.path, u.tok, "", nil)
				if r.status != 200 || !bytes.Equal(r.body, tt.file.data) || r.header.Get("Content-Type") != wantCT {
					t.Errorf("GET %s: %d %q %q", u.path, r.status, r.header.Get("Content-Type"), r.body)
				}
			}
		})
	}
}

func TestPushDirectMessageFailures(t *testing.T) {
	t.Parallel()
	const path = "/bot/v1/direct/message"
	j := func(body string) func(*testing.T, *mockeko.Server, string, string) resp {
		return func(t *testing.T, srv *mockeko.Server, tok, _ string) resp { return postJSON(t, srv, tok, path, body) }
	}
	runFailures(t, []failCase{
		{name: "uid missing", do: j(`{"message":{"type":"text","data":"hi"}}`), status: 400, code: "invalid_request", msg: `"uid" is required`},
		{name: "uid a number", do: j(`{"uid":5,"message":{"type":"text","data":"hi"}}`), status: 400, code: "invalid_request", msg: "uid must be a string, got number"},
		{name: "message missing", do: j(`{"uid":"` + aliceID + `"}`), status: 400, code: "invalid_request", msg: `"message" is required: send {"type":"text","data":"..."}`},
		{name: "message a string", do: j(`{"uid":"` + aliceID + `","message":"hi"}`), status: 400, code: "invalid_request", msg: "message must be an object, got string"},
		{name: "data empty (S7)", do: j(directMsg(aliceID, "")), status: 400, code: "invalid_request", msg: `"data" is not allowed to be empty`},
		{name: "data blank", do: j(directMsg(aliceID, "  ")), status: 400, code: "invalid_request", msg: `"data" is not allowed to be empty`},
		{name: "type picture", do: j(`{"uid":"` + aliceID + `","message":{"type":"picture","data":"x"}}`), status: 400, code: "invalid_request",
			msg: `message.type must be "text", got "picture" (send pictures and files to the picture and file endpoints)`},
		{name: "unknown user", do: j(directMsg(unknownID, "hi")), status: 404, code: "not_found", msg: "user " + unknownID + " not found in the bot's network"},
		{name: "user of another network", do: j(directMsg(zedID, "hi")), status: 404, code: "not_found", msg: "user " + zedID + " not found in the bot's network"},
		{name: "deleted user", do: j(directMsg(formerID, "hi")), status: 404, code: "not_found", msg: "user " + formerID + " not found in the bot's network"},
		{name: "the bot's own id", do: j(directMsg(botID, "hi")), status: 404, code: "not_found", msg: "user " + botID + " not found in the bot's network"},
		{name: "malformed JSON", do: j(`{"uid":"` + aliceID + `",}`), status: 400, code: "invalid_request", msg: "malformed JSON at byte 35: invalid character '}' looking for beginning of object key string"},
		{name: "multipart", do: func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return postMultipart(t, srv, tok, path, []field{{"uid", aliceID}, {"message", "hi"}})
		}, status: 415, code: "unsupported_media_type", msg: "Content-Type multipart/form-data is not accepted here: send one of application/json"},
		{name: "urlencoded", do: func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return postForm(t, srv, tok, path, url.Values{"uid": {aliceID}})
		}, status: 415, code: "unsupported_media_type", msg: "Content-Type application/x-www-form-urlencoded is not accepted here: send one of application/json"},
		{name: "oversized", opts: []mockeko.Option{mockeko.WithBodyLimits(256, 1<<20)}, do: j(directMsg(aliceID, strings.Repeat("a", 300))),
			status: 413, code: "request_too_large", msg: "body exceeds the 256 bytes limit"},
	})
}

func TestPushGroupMessageFailures(t *testing.T) {
	t.Parallel()
	const path = "/bot/v1/group/message"
	j := func(body string) func(*testing.T, *mockeko.Server, string, string) resp {
		return func(t *testing.T, srv *mockeko.Server, tok, _ string) resp { return postJSON(t, srv, tok, path, body) }
	}
	runFailures(t, []failCase{
		{name: "gid missing", do: j(`{"message":{"type":"text","data":"hi"}}`), status: 400, code: "invalid_request", msg: `"gid" is required`},
		{name: "data empty", do: j(groupMsg(teamGID, "", "")), status: 400, code: "invalid_request", msg: `"data" is not allowed to be empty`},
		{name: "message null", do: j(`{"gid":"` + teamGID + `","message":null}`), status: 400, code: "invalid_request", msg: `"message" is required: send {"type":"text","data":"..."}`},
		{name: "unknown group", do: j(groupMsg(unknownID, "", "hi")), status: 404, code: "not_found", msg: "group " + unknownID + " not found"},
		{name: "group of another network", do: j(groupMsg(otherGID, "", "hi")), status: 404, code: "not_found", msg: "group " + otherGID + " not found"},
		{name: "group without the bot", do: j(groupMsg(botlessGID, "", "hi")), status: 403, code: "forbidden", msg: "the bot is not a member of group " + botlessGID},
		{name: "unknown topic", do: j(groupMsg(teamGID, unknownID, "hi")), status: 404, code: "not_found", msg: "topic " + unknownID + " not found in group " + teamGID},
		{name: "topic of another group", do: j(groupMsg(teamGID, aliceDMTID, "hi")), status: 404, code: "not_found", msg: "topic " + aliceDMTID + " not found in group " + teamGID},
		{name: "tid a number", do: j(`{"gid":"` + teamGID + `","tid":1,"message":{"data":"hi"}}`), status: 400, code: "invalid_request", msg: "tid must be a string, got number"},
		{name: "text/plain", do: func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return send(t, srv, http.MethodPost, path, tok, "text/plain", strings.NewReader(groupMsg(teamGID, "", "hi")))
		}, status: 415, code: "unsupported_media_type", msg: "Content-Type text/plain is not accepted here: send one of application/json"},
	})
}

func TestPushUploadFailures(t *testing.T) {
	t.Parallel()
	png := filePart{"file", "a.png", "image/png", pngBytes}
	mp := func(path string, fields []field, files ...filePart) func(*testing.T, *mockeko.Server, string, string) resp {
		return func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return postMultipart(t, srv, tok, path, fields, files...)
		}
	}
	runFailures(t, []failCase{
		{name: "direct: uid missing", do: mp("/bot/v1/direct/picture", nil, png), status: 400, code: "invalid_request", msg: `"uid" is required`},
		{name: "direct: uid empty", do: mp("/bot/v1/direct/file", []field{{"uid", ""}}, png), status: 400, code: "invalid_request", msg: `"uid" is not allowed to be empty`},
		{name: "direct: file missing", do: mp("/bot/v1/direct/picture", []field{{"uid", aliceID}}), status: 400, code: "invalid_request",
			msg: `"file" is required: send the picture as a multipart file part named file`},
		{name: "direct file: file missing", do: mp("/bot/v1/direct/file", []field{{"uid", aliceID}}), status: 400, code: "invalid_request",
			msg: `"file" is required: send the file as a multipart file part named file`},
		{name: "direct: empty file", do: mp("/bot/v1/direct/file", []field{{"uid", aliceID}}, filePart{"file", "x", "text/plain", nil}), status: 400, code: "invalid_request", msg: `"file" is empty`},
		{name: "direct: unknown user", do: mp("/bot/v1/direct/picture", []field{{"uid", unknownID}}, png), status: 404, code: "not_found", msg: "user " + unknownID + " not found in the bot's network"},
		{name: "direct: deleted user", do: mp("/bot/v1/direct/file", []field{{"uid", formerID}}, png), status: 404, code: "not_found", msg: "user " + formerID + " not found in the bot's network"},
		{name: "direct: other network", do: mp("/bot/v1/direct/file", []field{{"uid", zedID}}, png), status: 404, code: "not_found", msg: "user " + zedID + " not found in the bot's network"},
		{name: "direct: JSON", do: func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return postJSON(t, srv, tok, "/bot/v1/direct/picture", `{"uid":"`+aliceID+`"}`)
		}, status: 415, code: "unsupported_media_type", msg: "Content-Type application/json is not accepted here: send one of multipart/form-data"},
		{name: "group: gid missing", do: mp("/bot/v1/group/file", nil, png), status: 400, code: "invalid_request", msg: `"gid" is required`},
		{name: "group: unknown group", do: mp("/bot/v1/group/picture", []field{{"gid", unknownID}}, png), status: 404, code: "not_found", msg: "group " + unknownID + " not found"},
		{name: "group: without the bot", do: mp("/bot/v1/group/file", []field{{"gid", botlessGID}}, png), status: 403, code: "forbidden", msg: "the bot is not a member of group " + botlessGID},
		{name: "group: other network", do: mp("/bot/v1/group/file", []field{{"gid", otherGID}}, png), status: 404, code: "not_found", msg: "group " + otherGID + " not found"},
		{name: "group: wrong topic", do: mp("/bot/v1/group/picture", []field{{"gid", teamGID}, {"tid", aliceDMTID}}, png), status: 404, code: "not_found",
			msg: "topic " + aliceDMTID + " not found in group " + teamGID},
		{name: "group: file missing", do: mp("/bot/v1/group/file", []field{{"gid", teamGID}}), status: 400, code: "invalid_request",
			msg: `"file" is required: send the file as a multipart file part named file`},
		{name: "group: oversized", opts: []mockeko.Option{mockeko.WithBodyLimits(1<<20, 1024)},
			do:     mp("/bot/v1/group/file", []field{{"gid", teamGID}}, filePart{"file", "big", "application/pdf", bytes.Repeat([]byte("x"), 4096)}),
			status: 413, code: "request_too_large", msg: "multipart exceeds the 1024 bytes limit"},
	})
}

// notify/text reaches the bot's direct chats with live users, nothing else.
func TestNotifyText(t *testing.T) {
	t.Parallel()
	srv := start(t)
	tok := botToken(t, srv)
	checkPushAnswer(t, srv, postJSON(t, srv, tok, "/bot/v1/direct/message", directMsg(bobID, "hi bob")), 201)
	// A DM with a user who has since been deleted.
	if _, err := srv.AddGroup(mockeko.Group{Type: mockeko.GroupTypeDirect, MemberIDs: []string{formerID, botID}}); err != nil {
		t.Fatal(err)
	}
	bobDM, err := srv.DirectChat(botID, bobID)
	if err != nil {
		t.Fatal(err)
	}
	teamBefore := srv.Messages(teamGID, "")

	r := postJSON(t, srv, tok, "/bot/v1/notify/text", `{"message":"Daily report"}`)
	if r.status != 201 || strings.TrimSpace(string(r.body)) != `{"status":"success","recipients":2}` {
		t.Fatalf("got %d %s", r.status, r.body)
	}
	for _, gid := range []string{aliceDMGID, bobDM.ID} {
		ms := srv.Messages(gid, "")
		if last := ms[len(ms)-1]; last.Text != "Daily report" || last.Endpoint != "/bot/v1/notify/text" {
			t.Errorf("DM %s: last message %+v", gid, last)
		}
	}
	if diff := cmp.Diff(teamBefore, srv.Messages(teamGID, ""), ignoreUnexported); diff != "" {
		t.Errorf("notify reached a group chat (-before +after):\n%s", diff)
	}
	// The other bot has no DMs: no recipients, no messages.
	other := tokenFor(t, srv, otherBotCID, otherBotSecr, "bot")
	n := len(srv.Messages("", ""))
	r = postJSON(t, srv, other, "/bot/v1/notify/text", `{"message":"nobody"}`)
	if r.status != 201 || strings.TrimSpace(string(r.body)) != `{"status":"success","recipients":0}` || len(srv.Messages("", "")) != n {
		t.Errorf("other bot: %d %s", r.status, r.body)
	}
}

func TestNotifyTextFailures(t *testing.T) {
	t.Parallel()
	runFailures(t, []failCase{
		{name: "message missing", do: func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return postJSON(t, srv, tok, "/bot/v1/notify/text", `{}`)
		}, status: 400, code: "invalid_request", msg: `"message" is required`},
		{name: "message empty", do: func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return postJSON(t, srv, tok, "/bot/v1/notify/text", `{"message":""}`)
		}, status: 400, code: "invalid_request", msg: `"message" is not allowed to be empty`},
		{name: "message an object", do: func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return postJSON(t, srv, tok, "/bot/v1/notify/text", `{"message":{"data":"x"}}`)
		}, status: 400, code: "invalid_request", msg: "message must be a string, got an object"},
		{name: "multipart", do: func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return postMultipart(t, srv, tok, "/bot/v1/notify/text", []field{{"message", "x"}})
		}, status: 415, code: "unsupported_media_type", msg: "Content-Type multipart/form-data is not accepted here: send one of application/json"},
	})
}
