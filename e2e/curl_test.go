package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// curl runs curl with args plus -w for the status, and returns the answer.
func curl(t *testing.T, ctx context.Context, args ...string) response {
	t.Helper()
	args = append([]string{"-sS", "-w", "\n%{http_code}"}, args...)
	cmd := exec.CommandContext(ctx, "curl", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("curl %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	i := bytes.LastIndexByte(out, '\n')
	status, err := strconv.Atoi(string(out[i+1:]))
	if i < 0 || err != nil {
		t.Fatalf("curl printed %q: no status line", out)
	}
	return response{Status: status, Body: out[:i], Header: map[string][]string{"Content-Type": {"application/json"}}}
}

// testCurl drives the binary with curl the way Eko's docs do: tokens with
// HTTP Basic (-u, raw like client-oauth2) and with the credentials in the
// form body, the docs' multipart reply and group creation, a picture
// upload and its download.
func testCurl(t *testing.T, bin string) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not on PATH")
	}
	p := startMockeko(t, bin)
	ctx := testContext(t)
	w := p.world(t, ctx)
	tokenURL := p.URL + "/oauth/token"

	token := func(what string, r response) string {
		t.Helper()
		var tok struct {
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type"`
			ExpiresIn   any    `json:"expires_in"`
			Scope       string `json:"scope"`
		}
		r.want(t, what, 200, &tok)
		p.noLeak(tok.AccessToken)
		if !hex40.MatchString(tok.AccessToken) || tok.TokenType != "Bearer" || tok.ExpiresIn != float64(3600) || tok.Scope != "bot" {
			t.Errorf("%s: %s, want a 40-hex Bearer token, expires_in 3600, scope bot", what, r.Body)
		}
		return tok.AccessToken
	}
	tok := token("token with -u (Basic)", curl(t, ctx, "-u", p.ClientID+":"+p.ClientSecret,
		"-d", "grant_type=client_credentials", "-d", "scope=bot", tokenURL))
	token("token with the credentials in the form body", curl(t, ctx, "--data-urlencode", "grant_type=client_credentials",
		"--data-urlencode", "client_id="+p.ClientID, "--data-urlencode", "client_secret="+p.ClientSecret, "--data-urlencode", "scope=bot", tokenURL))
	sp := p.addBot(t, ctx, specialBot())
	token("token with -u for credentials that need escaping", curl(t, ctx, "-u", sp.ClientID+":"+sp.ClientSecret,
		"-d", "grant_type=client_credentials", tokenURL))
	js, _ := json.Marshal(map[string]string{"grant_type": "client_credentials", "client_id": p.ClientID, "client_secret": p.ClientSecret})
	e := checkEnvelope(t, "token request as JSON", curl(t, ctx, "-H", "Content-Type: application/json", "--data-binary", string(js), tokenURL),
		400, "invalid_request")
	if !strings.Contains(e.Message, "x-www-form-urlencoded") {
		t.Errorf("the JSON token request's message %q does not say to send a form", e.Message)
	}

	auth := "Authorization: Bearer " + tok
	var found struct{ Users []wireUser }
	curl(t, ctx, "-G", "-H", auth, "--data-urlencode", "username="+w.alice.Username, p.URL+"/bot/v1/users").
		want(t, "GET /bot/v1/users", 200, &found)
	if diff := cmp.Diff([]wireUser{wireOf(w.alice)}, found.Users); diff != "" {
		t.Errorf("GET /bot/v1/users (-want +got):\n%s", diff)
	}

	// The docs' reply: curl -F 'message=Hello There' -F replyToken=...
	var rt struct{ ReplyToken string }
	p.postJSON(t, ctx, nil, "/_mockeko/replytokens", map[string]string{"gid": w.team.ID, "tid": w.incidents}).
		want(t, "POST /_mockeko/replytokens", 201, &rt)
	var ok struct{ Status string }
	curl(t, ctx, "-X", "POST", "-H", auth, "-F", "message=Hello There", "-F", "replyToken="+rt.ReplyToken, p.URL+"/bot/v1/message/text").
		want(t, "multipart reply", 201, &ok)
	if ok.Status != "success" {
		t.Errorf("multipart reply answered %+v", ok)
	}

	// The docs' group creation: -F 'uids=["...","..."]'.
	var g struct {
		Group struct {
			ID        string `json:"_id"`
			UserCount int    `json:"userCount"`
		} `json:"group"`
	}
	curl(t, ctx, "-X", "POST", "-H", auth, "-F", "name=My first group", "-F", `uids=["`+w.alice.ID+`","`+w.bob.ID+`"]`, p.URL+"/bot/v1/groups").
		want(t, "POST /bot/v1/groups", 200, &g)
	if created := p.group(t, ctx, g.Group.ID); g.Group.UserCount != 3 || created.Name != "My first group" ||
		!cmp.Equal(created.MemberIDs, []string{w.bot.ID, w.alice.ID, w.bob.ID}) {
		t.Errorf("POST /bot/v1/groups: answer %+v, group %+v", g, created)
	}

	// A picture upload with -F file=@...;type=image/png, and its download.
	png := append([]byte("\x89PNG\r\n\x1a\n"), randomBytes(4096)...)
	src := filepath.Join(t.TempDir(), "chart.png")
	if err := os.WriteFile(src, png, 0o600); err != nil {
		t.Fatal(err)
	}
	var pic struct {
		Status  string
		Message pushResult
	}
	curl(t, ctx, "-X", "POST", "-H", auth, "-F", "gid="+w.team.ID, "-F", "caption=Today's errors", "-F", "file=@"+src+";type=image/png",
		p.URL+"/bot/v1/group/picture").want(t, "POST /bot/v1/group/picture", 201, &pic)
	dst := filepath.Join(t.TempDir(), "download.png")
	var fileID string
	msgs := p.messages(t, ctx, "")
	for _, m := range msgs {
		if m.ID == pic.Message.ID {
			fileID = m.FileID
		}
	}
	if r := curl(t, ctx, "-o", dst, p.URL+"/file/image/"+fileID+"?size=small&access_token="+tok); r.Status != 200 {
		t.Fatalf("GET /file/image: %d", r.Status)
	}
	if got, err := os.ReadFile(dst); err != nil || !bytes.Equal(got, png) {
		t.Errorf("the downloaded picture differs from the upload (%d bytes, %v)", len(got), err)
	}

	bot := func(m messageJSON) messageJSON { m.Sender.Kind, m.Sender.ID = "bot", w.bot.ID; return m }
	want := []messageJSON{
		bot(messageJSON{GID: w.team.ID, TID: w.incidents, Type: "text", Text: "Hello There", Endpoint: "/bot/v1/message/text"}),
		bot(messageJSON{ID: pic.Message.ID, GID: w.team.ID, TID: w.team.main(), Type: "picture", FileID: fileID, FileName: "chart.png",
			ContentType: "image/png", Size: len(png), Caption: "Today's errors", Endpoint: "/bot/v1/group/picture"}),
	}
	if diff := cmp.Diff(want, msgs, cmpopts.IgnoreFields(messageJSON{}, "ID", "CreatedAt")); diff != "" {
		t.Errorf("GET /_mockeko/messages (-want +got):\n%s", diff)
	}
}
