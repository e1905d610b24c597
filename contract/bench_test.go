package contract

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// body1KB is a realistic ~1 KB BotV2 push: a text with quick replies, a
// buttons template and an image.
var body1KB = []byte(`{"gid":"67f8b9d48233e6a3b68501ef","tid":"67f8b9d48233e6b19c8501f1","messages":[` +
	`{"type":"text","text":"Your build 1432 passed. What next?","quickReply":{"items":[` +
	`{"type":"action","action":{"type":"message","label":"Deploy","text":"deploy 1432"}},` +
	`{"type":"action","action":{"type":"postback","label":"Rerun","data":"action=rerun&build=1432"}},` +
	`{"type":"action","action":{"type":"uri","label":"Logs","uri":"https://ci.example.com/builds/1432/logs"}}]}},` +
	`{"type":"template","altText":"Build menu","template":{"type":"buttons","thumbnailImageUrl":"https://ci.example.com/badge.png",` +
	`"imageAspectRatio":"rectangle","imageSize":"cover","imageBackgroundColor":"#FFFFFF","title":"Build 1432","text":"Pick an action",` +
	`"actions":[{"type":"postback","label":"Promote","data":"action=promote&build=1432"},{"type":"uri","label":"Diff","uri":"https://git.example.com/compare/a1b2c3...d4e5f6"},` +
	`{"type":"workflowTemplate","label":"Change request","templateId":"5cb6f9e1c3a4b2001f0e4d21"},{"type":"message","label":"Mute","text":"mute builds"}]}},` +
	`{"type":"image","originalContentUrl":"https://ci.example.com/graphs/1432.png","previewImageUrl":"https://ci.example.com/graphs/1432-small.png"}]}`)

func BenchmarkValidateRequest1KB(b *testing.B) {
	c := mustDefault(b)
	r := httptest.NewRequest("POST", "/bot/v2/message/push", nil)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+token)
	b.SetBytes(int64(len(body1KB)))
	b.ReportAllocs()
	for b.Loop() {
		if _, vs := c.ValidateRequest(r, body1KB); len(vs) != 0 {
			b.Fatal(vs)
		}
	}
}

func BenchmarkValidateResponse(b *testing.B) {
	c := mustDefault(b)
	h := http.Header{"Content-Type": {"application/json"}}
	body := []byte(`{"status":"success","messages":[` + strings.Repeat(`{"id":"5de48f26707e9f529a9c0400","type":"text","groupId":"5de48f02707e9f529a9c03f8","threadId":"5de48f02707e9f529a9c03f9"},`, 2) +
		`{"id":"5de48f26707e9f529a9c0401","type":"image","groupId":"5de48f02707e9f529a9c03f8","threadId":"5de48f02707e9f529a9c03f9"}]}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if vs := c.ValidateResponse("pushMessagesV2", 201, h, body); len(vs) != 0 {
			b.Fatal(vs)
		}
	}
}

func BenchmarkValidateWebhook(b *testing.B) {
	c := mustDefault(b)
	body := []byte(`{"events":[` + messageEvent + `]}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if vs := c.ValidateWebhook(body); len(vs) != 0 {
			b.Fatal(vs)
		}
	}
}

// BenchmarkWrap measures the middleware end to end (request + response
// validation + recording) against a handler that answers at once.
func BenchmarkWrap(b *testing.B) {
	c := mustDefault(b)
	resp := []byte(`{"status":"success","messages":[{"id":"5de48f26707e9f529a9c0400","type":"text","groupId":"5de48f02707e9f529a9c03f8","threadId":"5de48f02707e9f529a9c03f9"}]}`)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		_, _ = w.Write(resp)
	})
	for _, mode := range []Mode{ModeOff, ModeStrict} {
		b.Run(mode.String(), func(b *testing.B) {
			h := c.Wrap(next, mode, func(Exchange) {})
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest("POST", "/bot/v2/message/push", bytes.NewReader(body1KB))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Authorization", "Bearer "+token)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != 201 {
					b.Fatal(w.Code, w.Body.String())
				}
			}
		})
	}
}

func BenchmarkDefault(b *testing.B) {
	for b.Loop() {
		if _, err := Default(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONDecode1KB is the floor: decoding the same body, no validation.
// Compare the validators against it when the machine is shared.
func BenchmarkJSONDecode1KB(b *testing.B) {
	b.SetBytes(int64(len(body1KB)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeJSON(body1KB); err != nil {
			b.Fatal(err)
		}
	}
}
