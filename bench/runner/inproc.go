package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/mockeko/mockeko/mockeko"
)

// inprocMemory is what inproc-memory measured: the Go heap a Server keeps
// for its stored messages, read from runtime.MemStats after a full GC.
type inprocMemory struct {
	Pushes        int     `json:"pushes"`
	Cap           int     `json:"cap"`
	Stored        int     `json:"stored"`
	TextBytes     int     `json:"textBytes"`
	HeapBefore    uint64  `json:"heapBefore"`
	HeapAfter     uint64  `json:"heapAfter"`
	HeapPeak      uint64  `json:"heapPeak"` // HeapSys after: what the heap grew to hold
	PerMessage    float64 `json:"perMessage"`
	OverheadBytes float64 `json:"overheadBytes"` // per message, beyond its text
	PushesPerSec  float64 `json:"pushesPerSec"`
}

// inprocMemoryMain pushes -n messages through a Server's Handler (no
// network) and prints an inprocMemory as JSON. It runs in a process of its
// own so that nothing else is on the heap.
func inprocMemoryMain(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("runner inproc-memory", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 1_000_000, "pushes")
	capMsgs := fs.Int("cap", 1_000_000, "retention cap (WithMessageCap)")
	textLen := fs.Int("text", 950, "bytes of text per message")
	if err := fs.Parse(args); err != nil {
		return err
	}
	m, err := inprocPush(*n, *capMsgs, *textLen)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(m)
}

func inprocPush(n, capMsgs, textLen int) (*inprocMemory, error) {
	srv, err := mockeko.New(mockeko.WithMessageCap(capMsgs))
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	h := srv.Handler()
	tok, err := handlerToken(h, srv.Bot())
	if err != nil {
		return nil, err
	}
	gid, err := pushGroup(srv)
	if err != nil {
		return nil, err
	}
	body := pushBody(gid, textLen)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	w := &nullWriter{h: http.Header{}}
	start := time.Now()
	for i := range n {
		r := httptest.NewRequest(http.MethodPost, "/bot/v1/group/message", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+tok)
		w.status = 0
		h.ServeHTTP(w, r)
		if w.status/100 != 2 {
			return nil, fmt.Errorf("push %d: status %d", i, w.status)
		}
	}
	elapsed := time.Since(start)
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	stored := len(srv.Messages("", ""))
	if want := min(n, capMsgs); stored != want {
		return nil, fmt.Errorf("stored %d messages, want %d", stored, want)
	}
	m := &inprocMemory{
		Pushes: n, Cap: capMsgs, Stored: stored, TextBytes: textLen,
		HeapBefore: before.HeapAlloc, HeapAfter: after.HeapAlloc, HeapPeak: after.HeapSys,
		PushesPerSec: float64(n) / elapsed.Seconds(),
	}
	m.PerMessage = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(stored)
	m.OverheadBytes = m.PerMessage - float64(textLen)
	runtime.KeepAlive(srv)
	return m, nil
}

// handlerToken gets an access token for bot through h.
func handlerToken(h http.Handler, bot mockeko.Bot) (string, error) {
	r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader("grant_type=client_credentials"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth(url.QueryEscape(bot.ClientID), url.QueryEscape(bot.ClientSecret))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	var tr mockeko.TokenResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &tr); err != nil || rec.Code != http.StatusOK || tr.AccessToken == "" {
		return "", fmt.Errorf("token: status %d: %s", rec.Code, rec.Body.String())
	}
	return tr.AccessToken, nil
}

// pushGroup finds a group chat the default bot is a member of.
func pushGroup(srv *mockeko.Server) (string, error) {
	bot := srv.Bot()
	for _, g := range srv.Groups() {
		if g.Type == mockeko.GroupTypeGroup && g.HasMember(bot.ID) {
			return g.ID, nil
		}
	}
	return "", fmt.Errorf("no group chat with bot %s in the fixtures", bot.ID)
}

// pushBody is a BotV1 group push whose text is textLen bytes.
func pushBody(gid string, textLen int) []byte {
	b, _ := json.Marshal(map[string]any{
		"gid":     gid,
		"message": map[string]string{"type": "text", "data": strings.Repeat("x", textLen)},
	})
	return b
}

// nullWriter is a ResponseWriter that keeps only the status.
type nullWriter struct {
	h      http.Header
	status int
}

func (w *nullWriter) Header() http.Header { return w.h }
func (w *nullWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *nullWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(p), nil
}
