package mockeko_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mockeko/mockeko/mockeko"
)

type m = map[string]any

func textMsg(s string) m { return m{"type": "text", "text": s} }

func msgAction(label, text string) m { return m{"type": "message", "label": label, "text": text} }

func buttons(text string, actions ...any) m {
	return m{"type": "template", "altText": "alt", "template": m{"type": "buttons", "text": text, "actions": actions}}
}

func carousel(n, actionsPerColumn int) m {
	cols := make([]any, n)
	for i := range cols {
		acts := make([]any, actionsPerColumn)
		for j := range acts {
			acts[j] = msgAction("Pick", "pick")
		}
		cols[i] = m{"thumbnailImageUrl": "https://img.example/c.png", "title": "Column", "text": "Column text", "actions": acts}
	}
	return m{"type": "template", "altText": "carousel", "template": m{"type": "carousel", "imageAspectRatio": "square", "imageSize": "contain", "columns": cols}}
}

func quickReply(msg m, n int) m {
	items := make([]any, n)
	for i := range items {
		items[i] = m{"type": "action", "action": msgAction("Yes", "yes")}
	}
	msg["quickReply"] = m{"items": items}
	return msg
}

func repeatSlice(v any, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = v
	}
	return out
}

type v2Answer struct {
	Status   string `json:"status"`
	Messages []struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		GroupID  string `json:"groupId"`
		ThreadID string `json:"threadId"`
	} `json:"messages"`
}

func TestPushV2(t *testing.T) {
	t.Parallel()
	imagemap := m{"type": "imagemap", "baseUrl": "https://img.example/map", "altText": "map", "baseSize": m{"width": 1040, "height": 1040},
		"actions": []any{
			m{"type": "uri", "linkUri": "https://example.com/a", "area": m{"x": 0, "y": 0, "width": 520, "height": 1040}},
			m{"type": "message", "text": "right half", "area": m{"x": 520, "y": 0, "width": 520, "height": 1040}},
		}}
	fullButtons := m{"type": "template", "altText": "Deploy?", "template": m{"type": "buttons", "thumbnailImageUrl": "https://img.example/t.png",
		"imageAspectRatio": "rectangle", "imageSize": "cover", "imageBackgroundColor": "#FFFFFF",
		"title": strings.Repeat("T", 40), "text": strings.Repeat("x", 60),
		"actions": []any{
			msgAction(strings.Repeat("L", 20), "deploy"),
			m{"type": "postback", "label": "Later", "data": "action=later", "text": "Later"},
			m{"type": "uri", "label": "Open", "uri": "https://ci.example/run/1"},
			m{"type": "workflowTemplate", "label": "Approve", "templateId": "tmpl-1"},
		}}}
	tests := []struct {
		name      string
		tid       string
		msgs      []any
		wantTypes []string
		wantItems [][]mockeko.QuickReplyItem
		wantTexts []string
	}{
		{"one text, main topic", "", []any{textMsg("OTP test: 12345")}, []string{"text"}, [][]mockeko.QuickReplyItem{nil}, []string{"OTP test: 12345"}},
		{"five messages, a topic", incidentsTID, repeatSlice(textMsg("x"), 5), []string{"text", "text", "text", "text", "text"}, make([][]mockeko.QuickReplyItem, 5), []string{"x", "x", "x", "x", "x"}},
		{"media", "", []any{
			m{"type": "image", "originalContentUrl": "https://img.example/o.jpg", "previewImageUrl": "https://img.example/p.jpg"},
			m{"type": "video", "originalContentUrl": "https://img.example/o.mp4", "previewImageUrl": "https://img.example/p.jpg"},
			m{"type": "audio", "originalContentUrl": "https://img.example/o.m4a", "duration": 60000},
		}, []string{"image", "video", "audio"}, make([][]mockeko.QuickReplyItem, 3), []string{"", "", ""}},
		{"imagemap", "", []any{imagemap}, []string{"imagemap"}, [][]mockeko.QuickReplyItem{{
			{Type: "uri", Value: "https://example.com/a"}, {Type: "message", Value: "right half"}}}, []string{"map"}},
		{"buttons at every limit", "", []any{fullButtons}, []string{"template"}, [][]mockeko.QuickReplyItem{{
			{Type: "message", Label: strings.Repeat("L", 20), Value: "deploy"},
			{Type: "postback", Label: "Later", Data: "action=later", Text: "Later"},
			{Type: "uri", Label: "Open", Value: "https://ci.example/run/1"},
			{Type: "workflowTemplate", Label: "Approve", Value: "tmpl-1"},
		}}, []string{"Deploy?"}},
		{"buttons: 160-character text without image or title", "", []any{buttons(strings.Repeat("y", 160), msgAction("OK", "ok"))}, []string{"template"},
			[][]mockeko.QuickReplyItem{{{Type: "message", Label: "OK", Value: "ok"}}}, []string{"alt"}},
		{"carousel of 10 columns", "", []any{carousel(10, 3)}, []string{"template"}, [][]mockeko.QuickReplyItem{func() []mockeko.QuickReplyItem {
			var out []mockeko.QuickReplyItem
			for range 30 {
				out = append(out, mockeko.QuickReplyItem{Type: "message", Label: "Pick", Value: "pick"})
			}
			return out
		}()}, []string{"carousel"}},
		{"text with 13 quick replies of every action type", "", []any{func() m {
			msg := quickReply(textMsg("Pick one"), 9)
			items := msg["quickReply"].(m)["items"].([]any)
			items = append(items,
				m{"type": "action", "imageUrl": "https://img.example/i.png", "action": m{"type": "postback", "label": "PB", "data": "d=1"}},
				m{"type": "action", "action": m{"type": "workflow", "label": "WF", "workflowId": "wf-1"}},
				m{"type": "action", "action": m{"type": "library", "label": "Lib", "url": "https://lib.example/doc"}},
				m{"type": "action", "action": m{"type": "uri", "label": "Web", "uri": "http://example.com"}})
			msg["quickReply"].(m)["items"] = items
			return msg
		}()}, []string{"text"}, [][]mockeko.QuickReplyItem{func() []mockeko.QuickReplyItem {
			var out []mockeko.QuickReplyItem
			for range 9 {
				out = append(out, mockeko.QuickReplyItem{Type: "message", Label: "Yes", Value: "yes"})
			}
			return append(out, mockeko.QuickReplyItem{Type: "postback", Label: "PB", Data: "d=1"}, mockeko.QuickReplyItem{Type: "workflow", Label: "WF", Value: "wf-1"},
				mockeko.QuickReplyItem{Type: "library", Label: "Lib", Value: "https://lib.example/doc"}, mockeko.QuickReplyItem{Type: "uri", Label: "Web", Value: "http://example.com"})
		}()}, []string{"Pick one"}},
		{"20-character Thai label", "", []any{buttons("t", msgAction(strings.Repeat("ก", 20), "th"))}, []string{"template"},
			[][]mockeko.QuickReplyItem{{{Type: "message", Label: strings.Repeat("ก", 20), Value: "th"}}}, []string{"alt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t)
			body := m{"gid": teamGID, "messages": tt.msgs}
			if tt.tid != "" {
				body["tid"] = tt.tid
			}
			r := postJSON(t, srv, botToken(t, srv), "/bot/v2/message/push", body)
			if r.status != 201 {
				t.Fatalf("status %d %s", r.status, r.body)
			}
			var ans v2Answer
			r.decode(t, &ans)
			stored := srv.Messages(teamGID, "")
			if ans.Status != "success" || len(ans.Messages) != len(tt.msgs) || len(stored) != len(tt.msgs) {
				t.Fatalf("answer %s; %d stored", r.body, len(stored))
			}
			wantTID := tt.tid
			if wantTID == "" {
				wantTID = generalTID
			}
			for i, s := range stored {
				a := ans.Messages[i]
				if a.ID != s.ID || a.Type != tt.wantTypes[i] || s.Type != tt.wantTypes[i] || a.GroupID != teamGID || a.ThreadID != wantTID || s.TID != wantTID {
					t.Errorf("message %d: answer %+v, stored %+v", i, a, s)
				}
				if s.Text != tt.wantTexts[i] || s.Endpoint != "/bot/v2/message/push" || s.Sender.ID != botID {
					t.Errorf("message %d: text %q endpoint %q", i, s.Text, s.Endpoint)
				}
				if diff := cmp.Diff(tt.wantItems[i], s.Items); diff != "" {
					t.Errorf("message %d items (-want +got):\n%s", i, diff)
				}
				var sent, kept any
				_ = json.Unmarshal(jsonBytes(t, tt.msgs[i]), &sent)
				if err := json.Unmarshal(s.Payload, &kept); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(sent, kept); diff != "" {
					t.Errorf("message %d payload not kept as sent (-sent +kept):\n%s", i, diff)
				}
			}
		})
	}
}

func TestReplyV2(t *testing.T) {
	t.Parallel()
	srv := start(t, mockeko.WithSuccessStatus(200))
	tok := botToken(t, srv)
	rt := mint(t, srv, aliceDMGID, "")
	r := postJSON(t, srv, tok, "/bot/v2/message/reply", m{"replyToken": rt, "messages": []any{textMsg("one"), buttons("two", msgAction("OK", "ok"))}})
	if r.status != 200 {
		t.Fatalf("status %d %s", r.status, r.body)
	}
	var ans v2Answer
	r.decode(t, &ans)
	got := srv.Messages(aliceDMGID, aliceDMTID)
	if len(got) != 2 || len(ans.Messages) != 2 || got[0].Text != "one" || got[1].Type != "template" || got[1].Endpoint != "/bot/v2/message/reply" || ans.Messages[1].ID != got[1].ID {
		t.Errorf("answer %s, stored %+v", r.body, got)
	}
}

func TestPushV2Failures(t *testing.T) {
	t.Parallel()
	const path = "/bot/v2/message/push"
	one := func(msg any) func(*testing.T, *mockeko.Server, string, string) resp {
		return func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return postJSON(t, srv, tok, path, m{"gid": teamGID, "messages": []any{msg}})
		}
	}
	raw := func(body string) func(*testing.T, *mockeko.Server, string, string) resp {
		return func(t *testing.T, srv *mockeko.Server, tok, _ string) resp { return postJSON(t, srv, tok, path, body) }
	}
	long := "https://img.example/" + strings.Repeat("p", 981) // 1001 characters
	bad := func(name string, msg any, text string) failCase {
		return failCase{name: name, do: one(msg), status: 400, code: "invalid_request", msg: text}
	}
	withTemplate := func(f func(tp m)) m {
		b := buttons("text", msgAction("OK", "ok"))
		f(b["template"].(m))
		return b
	}
	action0 := func(a m) m { return buttons("text", a) }
	const actionTypes = "want message, postback, uri, workflowTemplate, workflow or library"
	runFailures(t, []failCase{
		{name: "gid missing", do: raw(`{"messages":[{"type":"text","text":"x"}]}`), status: 400, code: "invalid_request", msg: `"gid" is required`},
		{name: "messages missing", do: raw(`{"gid":"` + teamGID + `"}`), status: 400, code: "invalid_request", msg: `"messages" is required: an array of 1 to 5 message objects`},
		{name: "messages empty", do: raw(`{"gid":"` + teamGID + `","messages":[]}`), status: 400, code: "invalid_request", msg: `"messages" is required: an array of 1 to 5 message objects`},
		{name: "six messages", do: func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return postJSON(t, srv, tok, path, m{"gid": teamGID, "messages": repeatSlice(textMsg("x"), 6)})
		}, status: 400, code: "invalid_request", msg: "messages holds 6 message objects; at most 5 are allowed"},
		{name: "messages an object", do: raw(`{"gid":"` + teamGID + `","messages":{"type":"text"}}`), status: 400, code: "invalid_request", msg: "messages must be an array, got object"},
		{name: "second message invalid: nothing stored", do: func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return postJSON(t, srv, tok, path, m{"gid": teamGID, "messages": []any{textMsg("ok"), textMsg("")}})
		}, status: 400, code: "invalid_request", msg: "messages[1].text is not allowed to be empty"},
		bad("message a number", 1, "messages[0] must be an object, got a number"),
		bad("message null", nil, "messages[0] must be an object, got null"),
		bad("type missing", m{"text": "x"}, "messages[0].type is required"),
		bad("type a number", m{"type": 1}, "messages[0].type must be a string"),
		bad("type message (doc typo)", m{"type": "message", "text": "x"}, `messages[0].type "message" is not a BotV2 message type: want text, image, video, audio, imagemap or template`),
		bad("sticker", m{"type": "sticker"}, `messages[0].type "sticker" is not a BotV2 message type: want text, image, video, audio, imagemap or template`),
		bad("text missing", m{"type": "text"}, "messages[0].text is required"),
		bad("text empty", textMsg(""), "messages[0].text is not allowed to be empty"),
		bad("text too long", textMsg(strings.Repeat("a", 5001)), "messages[0].text is 5001 characters long; at most 5000 are allowed"),
		bad("image without original", m{"type": "image", "previewImageUrl": "https://a.example/p"}, "messages[0].originalContentUrl is required"),
		bad("image without preview", m{"type": "image", "originalContentUrl": "https://a.example/p"}, "messages[0].previewImageUrl is required"),
		bad("image URL not http", m{"type": "image", "originalContentUrl": "ftp://a.example/o", "previewImageUrl": "https://a.example/p"},
			`messages[0].originalContentUrl must be an http(s) URL, got "ftp://a.example/o"`),
		bad("video URL too long", m{"type": "video", "originalContentUrl": "https://a.example/o", "previewImageUrl": long},
			"messages[0].previewImageUrl is 1001 characters long; at most 1000 are allowed"),
		bad("audio without duration", m{"type": "audio", "originalContentUrl": "https://a.example/o"}, "messages[0].duration is required: a positive number"),
		bad("audio duration zero", m{"type": "audio", "originalContentUrl": "https://a.example/o", "duration": 0}, "messages[0].duration must be positive"),
		bad("imagemap without baseSize", m{"type": "imagemap", "baseUrl": "https://a.example/m", "actions": []any{}}, "messages[0].baseSize is required"),
		bad("imagemap width zero", m{"type": "imagemap", "baseUrl": "https://a.example/m", "baseSize": m{"width": 0, "height": 1}}, "messages[0].baseSize.width must be positive"),
		bad("imagemap 51 actions", m{"type": "imagemap", "baseUrl": "https://a.example/m", "baseSize": m{"width": 1, "height": 1},
			"actions": repeatSlice(m{"type": "message", "text": "x", "area": m{"x": 0, "y": 0, "width": 1, "height": 1}}, 51)},
			"messages[0].actions holds 51 items; want 1 to 50"),
		bad("imagemap action without area", m{"type": "imagemap", "baseUrl": "https://a.example/m", "baseSize": m{"width": 1, "height": 1},
			"actions": []any{m{"type": "message", "text": "x"}}}, "messages[0].actions[0].area is required"),
		bad("imagemap area without x", m{"type": "imagemap", "baseUrl": "https://a.example/m", "baseSize": m{"width": 1, "height": 1},
			"actions": []any{m{"type": "message", "text": "x", "area": m{"y": 0, "width": 1, "height": 1}}}}, "messages[0].actions[0].area.x is required: a number"),
		bad("imagemap uri action wants linkUri", m{"type": "imagemap", "baseUrl": "https://a.example/m", "baseSize": m{"width": 1, "height": 1},
			"actions": []any{m{"type": "uri", "uri": "https://x.example", "area": m{"x": 0, "y": 0, "width": 1, "height": 1}}}}, "messages[0].actions[0].linkUri is required"),
		bad("template missing", m{"type": "template", "altText": "x"}, "messages[0].template is required"),
		bad("template a string", m{"type": "template", "template": "buttons"}, "messages[0].template must be an object"),
		bad("confirm template", withTemplate(func(tp m) { tp["type"] = "confirm" }), `messages[0].template.type "confirm" is not a template type: want buttons or carousel`),
		bad("title 41", withTemplate(func(tp m) { tp["title"] = strings.Repeat("T", 41) }), "messages[0].template.title is 41 characters long; at most 40 are allowed"),
		bad("text 161 without image", buttons(strings.Repeat("x", 161), msgAction("OK", "ok")), "messages[0].template.text is 161 characters long; at most 160 are allowed"),
		bad("text 61 with image", withTemplate(func(tp m) {
			tp["thumbnailImageUrl"], tp["text"] = "https://a.example/t.png", strings.Repeat("x", 61)
		}), "messages[0].template.text is 61 characters long; at most 60 are allowed"),
		bad("text 61 with title", withTemplate(func(tp m) { tp["title"], tp["text"] = "Title", strings.Repeat("x", 61) }),
			"messages[0].template.text is 61 characters long; at most 60 are allowed"),
		bad("template text missing", withTemplate(func(tp m) { delete(tp, "text") }), "messages[0].template.text is required"),
		bad("five actions", buttons("t", msgAction("a", "a"), msgAction("b", "b"), msgAction("c", "c"), msgAction("d", "d"), msgAction("e", "e")),
			"messages[0].template.actions holds 5 items; want 1 to 4"),
		bad("no actions", withTemplate(func(tp m) { tp["actions"] = []any{} }), "messages[0].template.actions holds 0 items; want 1 to 4"),
		bad("actions missing", withTemplate(func(tp m) { delete(tp, "actions") }), "messages[0].template.actions is required"),
		bad("imageAspectRatio", withTemplate(func(tp m) { tp["imageAspectRatio"] = "wide" }), `messages[0].template.imageAspectRatio must be one of ["rectangle" "square"], got "wide"`),
		bad("imageSize", withTemplate(func(tp m) { tp["imageSize"] = "fill" }), `messages[0].template.imageSize must be one of ["cover" "contain"], got "fill"`),
		bad("label 21", action0(msgAction(strings.Repeat("L", 21), "x")), "messages[0].template.actions[0].label is 21 characters long; at most 20 are allowed"),
		bad("label missing in a template", action0(m{"type": "message", "text": "x"}), "messages[0].template.actions[0].label is required"),
		bad("unknown action type", action0(m{"type": "camera", "label": "Cam"}), `messages[0].template.actions[0].type "camera" is not an action type: `+actionTypes),
		bad("action not an object", buttons("t", "go"), "messages[0].template.actions[0] must be an object"),
		bad("message action without text", action0(m{"type": "message", "label": "L"}), "messages[0].template.actions[0].text is required"),
		bad("postback without data", action0(m{"type": "postback", "label": "L"}), "messages[0].template.actions[0].data is required"),
		bad("uri action javascript", action0(m{"type": "uri", "label": "L", "uri": "javascript:alert(1)"}),
			`messages[0].template.actions[0].uri must be an http(s) URL, got "javascript:alert(1)"`),
		bad("workflowTemplate without id", action0(m{"type": "workflowTemplate", "label": "L"}), "messages[0].template.actions[0].templateId is required"),
		bad("workflow without id", action0(m{"type": "workflow", "label": "L"}), "messages[0].template.actions[0].workflowId is required"),
		bad("library without url", action0(m{"type": "library", "label": "L"}), "messages[0].template.actions[0].url is required"),
		bad("carousel of 11 columns", carousel(11, 1), "messages[0].template.columns holds 11 items; want 1 to 10"),
		bad("carousel without columns", m{"type": "template", "template": m{"type": "carousel"}}, "messages[0].template.columns is required"),
		bad("carousel column with 4 actions", carousel(1, 4), "messages[0].template.columns[0].actions holds 4 items; want 1 to 3"),
		bad("14 quick replies", quickReply(textMsg("x"), 14), "messages[0].quickReply.items holds 14 items; want 1 to 13"),
		bad("quick reply item type", func() m {
			msg := quickReply(textMsg("x"), 1)
			msg["quickReply"].(m)["items"].([]any)[0].(m)["type"] = "button"
			return msg
		}(), `messages[0].quickReply.items[0].type must be "action", got "button"`),
		bad("quick reply action label missing", func() m {
			msg := textMsg("x")
			msg["quickReply"] = m{"items": []any{m{"type": "action", "action": m{"type": "message", "text": "y"}}}}
			return msg
		}(), "messages[0].quickReply.items[0].action.label is required"),
		bad("quick reply without action", func() m {
			msg := textMsg("x")
			msg["quickReply"] = m{"items": []any{m{"type": "action"}}}
			return msg
		}(), "messages[0].quickReply.items[0].action is required"),
		{name: "unknown group", do: raw(`{"gid":"` + unknownID + `","messages":[{"type":"text","text":"x"}]}`), status: 404, code: "not_found", msg: "group " + unknownID + " not found"},
		{name: "group without the bot", do: raw(`{"gid":"` + botlessGID + `","messages":[{"type":"text","text":"x"}]}`), status: 403, code: "forbidden", msg: "the bot is not a member of group " + botlessGID},
		{name: "other network's group", do: raw(`{"gid":"` + otherGID + `","messages":[{"type":"text","text":"x"}]}`), status: 404, code: "not_found", msg: "group " + otherGID + " not found"},
		{name: "wrong topic", do: raw(`{"gid":"` + teamGID + `","tid":"` + aliceDMTID + `","messages":[{"type":"text","text":"x"}]}`), status: 404, code: "not_found",
			msg: "topic " + aliceDMTID + " not found in group " + teamGID},
		{name: "multipart", do: func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return postMultipart(t, srv, tok, path, []field{{"gid", teamGID}})
		}, status: 415, code: "unsupported_media_type", msg: "Content-Type multipart/form-data is not accepted here: send one of application/json"},
		{name: "oversized", opts: []mockeko.Option{mockeko.WithBodyLimits(512, 1<<20)}, do: one(textMsg(strings.Repeat("a", 600))),
			status: 413, code: "request_too_large", msg: "body exceeds the 512 bytes limit"},
	})
}

func TestReplyV2Failures(t *testing.T) {
	t.Parallel()
	runFailures(t, []failCase{
		{name: "replyToken missing", do: func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return postJSON(t, srv, tok, "/bot/v2/message/reply", `{"messages":[{"type":"text","text":"x"}]}`)
		}, status: 400, code: "invalid_request", msg: `"replyToken" is required`},
		{name: "messages missing", setup: teamToken, do: func(t *testing.T, srv *mockeko.Server, tok, rt string) resp {
			return postJSON(t, srv, tok, "/bot/v2/message/reply", `{"replyToken":"`+rt+`"}`)
		}, status: 400, code: "invalid_request", msg: `"messages" is required: an array of 1 to 5 message objects`},
		{name: "invalid message", setup: teamToken, do: func(t *testing.T, srv *mockeko.Server, tok, rt string) resp {
			return postJSON(t, srv, tok, "/bot/v2/message/reply", `{"replyToken":"`+rt+`","messages":[{"type":"text"}]}`)
		}, status: 400, code: "invalid_request", msg: "messages[0].text is required"},
		{name: "urlencoded", do: func(t *testing.T, srv *mockeko.Server, tok, _ string) resp {
			return send(t, srv, http.MethodPost, "/bot/v2/message/reply", tok, formCT, strings.NewReader("replyToken=x"))
		}, status: 415, code: "unsupported_media_type", msg: "Content-Type application/x-www-form-urlencoded is not accepted here: send one of application/json"},
	})
}
