package mockeko_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mockeko/mockeko/mockeko"
)

// kbGroupMessage is a 1 KiB group push body.
func kbGroupMessage() []byte {
	head := `{"gid":"` + teamGID + `","tid":"` + incidentsTID + `","message":{"type":"text","data":"`
	tail := `"}}`
	return []byte(head + strings.Repeat("x", 1024-len(head)-len(tail)) + tail)
}

// BenchmarkPushGroupMessage measures POST /bot/v1/group/message with a
// 1 KiB body, in-process through Handler and over loopback through Client.
// The message cap keeps the store at a steady size.
func BenchmarkPushGroupMessage(b *testing.B) {
	body := kbGroupMessage()
	if len(body) != 1024 {
		b.Fatalf("body is %d bytes", len(body))
	}
	b.Run("in-process", func(b *testing.B) {
		srv := start(b, mockeko.WithMessageCap(1000))
		authz := "Bearer " + botToken(b, srv)
		h := srv.Handler()
		rd := bytes.NewReader(body)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			rd.Reset(body)
			req := httptest.NewRequest(http.MethodPost, "/bot/v1/group/message", rd)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", authz)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 201 {
				b.Fatalf("status %d %s", rec.Code, rec.Body)
			}
		}
	})
	b.Run("loopback", func(b *testing.B) {
		srv := start(b, mockeko.WithMessageCap(1000))
		authz := "Bearer " + botToken(b, srv)
		c := srv.Client()
		u := srv.URL + "/bot/v1/group/message"
		rd := bytes.NewReader(body)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			rd.Reset(body)
			req, _ := http.NewRequest(http.MethodPost, u, rd)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", authz)
			res, err := c.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 201 {
				b.Fatalf("status %d", res.StatusCode)
			}
		}
	})
}

// BenchmarkToken measures POST /oauth/token with a Basic header, as
// client-oauth2 sends it, in-process and over loopback.
func BenchmarkToken(b *testing.B) {
	form := "grant_type=client_credentials&scope=bot"
	b.Run("in-process", func(b *testing.B) {
		srv := start(b)
		bot := srv.Bot()
		h := srv.Handler()
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(bot.ClientID, bot.ClientSecret)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("status %d %s", rec.Code, rec.Body)
			}
		}
	})
	b.Run("loopback", func(b *testing.B) {
		srv := start(b)
		bot := srv.Bot()
		c := srv.Client()
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/oauth/token", strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(bot.ClientID, bot.ClientSecret)
			res, err := c.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Fatalf("status %d", res.StatusCode)
			}
		}
	})
}

// BenchmarkNewServerTokenPushClose is the life of a Server in a typical
// test: start on the default fixtures, get a token, push once over
// loopback, Close. Target: at most 500 µs.
func BenchmarkNewServerTokenPushClose(b *testing.B) {
	body := kbGroupMessage()
	b.ReportAllocs()
	for b.Loop() {
		srv := mockeko.NewServer()
		bot := srv.Bot()
		c := srv.Client()
		res, err := c.PostForm(srv.URL+"/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {bot.ClientID}, "client_secret": {bot.ClientSecret}})
		if err != nil {
			b.Fatal(err)
		}
		var tok mockeko.TokenResponse
		if err := decodeJSONBody(res.Body, &tok); err != nil || res.StatusCode != 200 {
			b.Fatalf("token: %d %v", res.StatusCode, err)
		}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/bot/v1/group/message", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		res, err = c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 201 {
			b.Fatalf("push: %d", res.StatusCode)
		}
		srv.Close()
	}
}
