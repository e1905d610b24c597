package mockeko

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/mockeko/mockeko/contract"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The fuzz targets drive the Handler with httptest and check invariants a
// bot relies on, not just "no panic": never a 5xx; every 4xx in the
// envelope; a refused request changes no state; an accepted one changes it
// by exactly what it asked for. scripts/test.sh runs each briefly:
//
//	go test -run '^$' -fuzz '^FuzzToken$' -fuzztime 10s ./mockeko

// Fixture ids the seeds use (fixtures/default.yaml).
const (
	fzTeam      = "5ae99669299892c81ec1d7fa"
	fzIncidents = "5ae996692998924badc1d7fc"
	fzAliceDM   = "5ae99669299892c81ec1d801"
	fzDMTopic   = "5ae996692998924badc1d802"
	fzAlice     = "5ac20cd38c62770001538e01"
	fzBob       = "5ac20cd38c62770001538e02"
	fzDeleted   = "5ac20cd38c62770001538e05"
	fzClientID  = "7bcee21a-3f7e-4338-97af-a90842176849"
	fzSecret    = "3f1b9c6e2a8d4f7b0c5e9a1d6b2f8e4c7a0d3b5e"
	// A bot whose credentials need escaping in a Basic header.
	fzOddID     = "odd bot+1"
	fzOddSecret = "s3cr3t/+&=%41 ü"
	// Replaced by the server's reply token in fuzzed bodies.
	fzReplyToken = "{{replyToken}}"
)

var fzHex40 = regexp.MustCompile(`^[0-9a-f]{40}$`)

// fuzzServer starts a Server for a fuzz target: the default fixtures, a
// bot with awkward credentials, and a clock that stands still so no token
// expires during a run.
func fuzzServer(f *testing.F, opts ...Option) *Server {
	f.Helper()
	opts = append([]Option{
		WithSeed(1),
		WithClock(NewFakeClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))),
		WithBot(Bot{Name: "Odd", ClientID: fzOddID, ClientSecret: fzOddSecret}),
		WithMessageCap(1 << 20),
	}, opts...)
	s, err := New(append([]Option{WithContractMode(contract.ModeWarn)}, opts...)...) // the fake's own parsing; the contract only records
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.Close)
	return s
}

// fingerprint sums up everything a request can change.
type fingerprint struct {
	seq, messages, files, tokens, replyTokens, replyUses int
	bots, users, groups, topics, topicIndex, directs     int
	usersHash, groupsHash                                string
}

func (s *Server) fingerprint() fingerprint {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	fp := fingerprint{seq: int(st.seq), messages: st.msgs.len(), files: len(st.files), tokens: len(st.tokens.byKey),
		replyTokens: len(st.replyTokens), bots: len(st.bots), users: len(st.users), groups: len(st.groups),
		topicIndex: len(st.topicGroup), directs: len(st.direct)}
	for _, rt := range st.replyTokens {
		fp.replyUses += rt.uses
	}
	var ub, gb strings.Builder
	for _, id := range st.userOrder {
		fmt.Fprintf(&ub, "%+v;", *st.users[id])
	}
	for _, id := range st.groupOrder {
		g := st.groups[id]
		fp.topics += len(g.Topics)
		fmt.Fprintf(&gb, "%+v;", *g)
	}
	fp.usersHash, fp.groupsHash = ub.String(), gb.String()
	return fp
}

// serve runs req through the Handler.
func serve(s *Server, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

// checkAnswer fails t unless rec is a non-5xx answer and, if an error, the
// envelope with a matching status, a code and a message.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder) (ErrorBody, bool) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if rec.Code < 400 {
		return ErrorBody{}, false
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%d with Content-Type %q", rec.Code, ct)
	}
	var e ErrorBody
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("%d body %q is not the envelope: %v", rec.Code, rec.Body, err)
	}
	if e.Status != rec.Code || e.Error == "" || e.Message == "" || e.ErrorDescription != e.Message {
		t.Fatalf("%d envelope %+v", rec.Code, e)
	}
	if !utf8.ValidString(e.Message) {
		t.Fatalf("%d message is not UTF-8: %q", rec.Code, e.Message)
	}
	if rec.Code == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
		t.Fatalf("401 without WWW-Authenticate: %+v", e)
	}
	return e, true
}

// issueToken gets a token for the default bot through the Handler.
func issueToken(f *testing.F, s *Server) string {
	f.Helper()
	req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader("grant_type=client_credentials&scope=bot"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(fzClientID, fzSecret)
	rec := serve(s, req)
	var tok TokenResponse
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &tok) != nil {
		f.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	return tok.AccessToken
}

// credentialsOf reports whether a token request carried a known bot's
// credentials, by the rules of eko-api.md §2.2: Basic raw or url-decoded,
// or client_id and client_secret in the form body.
func credentialsOf(s *Server, req *http.Request, form url.Values) (Bot, bool) {
	type pair struct{ id, secret string }
	var cands []pair
	if user, pass, ok := req.BasicAuth(); ok {
		cands = append(cands, pair{user, pass})
		du, err1 := url.QueryUnescape(user)
		dp, err2 := url.QueryUnescape(pass)
		if err1 == nil && err2 == nil {
			cands = append(cands, pair{du, dp})
		}
	} else if req.Header.Get("Authorization") == "" {
		cands = append(cands, pair{form.Get("client_id"), form.Get("client_secret")})
	}
	for _, b := range s.Bots() {
		for _, c := range cands {
			if c.id == b.ClientID && c.secret == b.ClientSecret {
				return b, true
			}
		}
	}
	return Bot{}, false
}

// FuzzToken fuzzes POST /oauth/token: the Content-Type, the Authorization
// header and the form body. A 200 is a real token issued only for a known
// bot's credentials; anything else is an RFC 6749 error in the envelope and
// issues nothing.
func FuzzToken(f *testing.F) {
	s := fuzzServer(f)
	basicRaw := func(id, secret string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
	}
	basicEnc := func(id, secret string) string {
		return basicRaw(url.QueryEscape(id), url.QueryEscape(secret))
	}
	const form = "application/x-www-form-urlencoded"
	f.Add(form, basicRaw(fzClientID, fzSecret), "grant_type=client_credentials&scope=bot")
	f.Add(form, basicEnc(fzOddID, fzOddSecret), "grant_type=client_credentials&scope=bot+workflow")
	f.Add(form, basicRaw(fzOddID, fzOddSecret), "grant_type=client_credentials&scope=bot%20workflow%20library")
	f.Add(form+"; charset=utf-8", "", "grant_type=client_credentials&client_id="+fzClientID+"&client_secret="+fzSecret)
	f.Add(form, "", "grant_type=client_credentials&client_id="+url.QueryEscape(fzOddID)+"&client_secret="+url.QueryEscape(fzOddSecret)+"&scope=")
	f.Add("application/json", "", `{"grant_type":"client_credentials","client_id":"`+fzClientID+`","client_secret":"`+fzSecret+`"}`)
	f.Add("multipart/form-data; boundary=x", basicRaw(fzClientID, fzSecret), "--x\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nclient_credentials\r\n--x--\r\n")
	f.Add(form, "Basic !!!", "grant_type=client_credentials")
	f.Add(form, "Bearer "+strings.Repeat("a", 40), "grant_type=client_credentials")
	f.Add(form, basicRaw(fzClientID, "wrong"), "grant_type=client_credentials")
	f.Add(form, basicRaw(fzClientID, fzSecret), "grant_type=client_credentials&grant_type=client_credentials")
	f.Add(form, basicRaw(fzClientID, fzSecret), "grant_type=password&username=a&password=b")
	f.Add(form, basicRaw(fzClientID, fzSecret), "grant_type=client_credentials&scope=openid")
	f.Add(form, basicRaw(fzClientID, fzSecret), "grant_type=client_credentials&client_id=other")
	f.Add(form, basicRaw(fzClientID, fzSecret), "grant_type=client_credentials&%zz")
	f.Add("", "", "")
	f.Add("text/plain", "", "grant_type=client_credentials")

	f.Fuzz(func(t *testing.T, contentType, authorization, body string) {
		req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		before := s.fingerprint()
		rec := serve(s, req)
		e, isErr := checkAnswer(t, rec)
		after := s.fingerprint()
		if isErr {
			allowed := map[int][]string{
				400: {"invalid_request", "unsupported_grant_type", "invalid_scope"},
				401: {"invalid_client"},
				413: {"request_too_large"},
			}
			if !slices.Contains(allowed[rec.Code], e.Error) {
				t.Fatalf("token error %d %q is not an RFC 6749 answer: %+v", rec.Code, e.Error, e)
			}
			if after != before {
				t.Fatalf("a refused token request changed the state: %+v -> %+v", before, after)
			}
			return
		}
		if rec.Code != http.StatusOK {
			t.Fatalf("token answered %d: %s", rec.Code, rec.Body)
		}
		if bytes.Contains(rec.Body.Bytes(), []byte(`"error"`)) {
			t.Fatalf("a 200 carries an error key: %s", rec.Body)
		}
		var tok TokenResponse
		dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&tok); err != nil {
			t.Fatalf("200 body %s: %v", rec.Body, err)
		}
		form, _ := url.ParseQuery(body)
		bot, ok := credentialsOf(s, req, form)
		if !ok {
			t.Fatalf("a token was issued without a known bot's credentials (Authorization %q, body %q)", authorization, body)
		}
		if !fzHex40.MatchString(tok.AccessToken) || tok.TokenType != "Bearer" || tok.ExpiresIn != 3600 {
			t.Fatalf("token %+v", tok)
		}
		for _, sc := range strings.Fields(tok.Scope) {
			if !slices.Contains(bot.Scopes, sc) || !strings.Contains(form.Get("scope")+" bot", sc) {
				t.Fatalf("scope %q granted for request %q to a bot with %v", tok.Scope, form.Get("scope"), bot.Scopes)
			}
		}
		if after.tokens != before.tokens+1 {
			t.Fatalf("a 200 stored %d tokens", after.tokens-before.tokens)
		}
		// The token works, as far as its scope allows.
		call := httptest.NewRequest(http.MethodGet, "/bot/v1/users?username=bob%40acme.example", nil)
		call.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		want := http.StatusOK
		if !slices.Contains(strings.Fields(tok.Scope), "bot") {
			want = http.StatusForbidden
		}
		if got := serve(s, call); got.Code != want {
			t.Fatalf("the issued token (scope %q) got %d on GET /bot/v1/users, want %d", tok.Scope, got.Code, want)
		}
	})
}

// FuzzBearer fuzzes the Authorization header and query of Bot API and file
// calls: only the issued token, as a Bearer header or (for files) an
// access_token parameter, gets through; everything else is a 401.
func FuzzBearer(f *testing.F) {
	s := fuzzServer(f)
	tok := issueToken(f, s)
	f.Add("Bearer {{token}}", "")
	f.Add("bearer   {{token}}  ", "")
	f.Add("", "access_token={{token}}")
	f.Add("", "access_token={{token}}&access_token=x")
	f.Add("Bearer", "")
	f.Add("Bearer ", "access_token={{token}}")
	f.Add("Basic {{token}}", "")
	f.Add("Bearer "+strings.Repeat("0", 40), "")
	f.Add("Bearer {{token}}x", "")
	f.Add("", "access_token=%zz")
	f.Fuzz(func(t *testing.T, authorization, query string) {
		authorization = strings.ReplaceAll(authorization, "{{token}}", tok)
		query = strings.ReplaceAll(query, "{{token}}", tok)
		for _, path := range []string{"/bot/v1/users?username=bob%40acme.example&", "/file/view/" + strings.Repeat("0", 24) + "?"} {
			req, err := http.NewRequest(http.MethodGet, "http://mockeko.test"+path+query, nil)
			if err != nil {
				return // not a request a client could send
			}
			req.Body = http.NoBody // as a server request's always is
			if authorization != "" {
				req.Header["Authorization"] = []string{authorization}
			}
			before := s.fingerprint()
			rec := serve(s, req)
			e, isErr := checkAnswer(t, rec)
			if after := s.fingerprint(); after != before {
				t.Fatalf("a GET changed the state")
			}
			// What the token rules (auth.go) let through: a Bearer header holding
			// exactly the token, or, for files and without a header, access_token.
			scheme, rest, _ := strings.Cut(authorization, " ")
			headerOK := strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(rest) == tok
			queryOK := authorization == "" && strings.HasPrefix(path, "/file/") && req.URL.Query().Get("access_token") == tok
			through := !isErr || rec.Code != http.StatusUnauthorized
			if through != (headerOK || queryOK) {
				t.Fatalf("%s with Authorization %q and query %q: %d %+v; want it let through: %v",
					path, authorization, query, rec.Code, e, headerOK || queryOK)
			}
			if isErr && through && rec.Code != http.StatusNotFound && rec.Code != http.StatusBadRequest {
				t.Fatalf("%s: %d %+v, want 200, 400 (a bad size) or 404 (no such file)", path, rec.Code, e)
			}
		}
	})
}

// fuzzRoute is a route FuzzBody sends bodies to, with what a success adds
// to the state.
type fuzzRoute struct {
	path   string
	effect func(before, after fingerprint, answer []byte) bool
}

// fuzzRoutes lists the routes FuzzBody covers; the seeds index it.
func fuzzRoutes() []fuzzRoute {
	return []fuzzRoute{
		{"/bot/v1/message/text", oneMessage},
		{"/bot/v1/message/picture", oneMessage},
		{"/bot/v1/message/quickreply", oneMessage},
		{"/bot/v1/direct/message", oneMessage},
		{"/bot/v1/direct/file", oneMessage},
		{"/bot/v1/group/message", oneMessage},
		{"/bot/v1/group/picture", oneMessage},
		{"/bot/v1/notify/text", func(b, a fingerprint, answer []byte) bool {
			var n notifyAnswer
			return json.Unmarshal(answer, &n) == nil && a.seq == b.seq+n.Recipients
		}},
		{"/bot/v1/groups", func(b, a fingerprint, _ []byte) bool { return a.groups == b.groups+1 && a.seq == b.seq }},
		{"/bot/v1/groups/" + fzTeam + "/topics", func(b, a fingerprint, _ []byte) bool { return a.topics == b.topics+1 && a.groups == b.groups }},
		{"/bot/v2/message/push", v2Messages},
		{"/bot/v2/message/reply", v2Messages},
		{"/_mockeko/groups", func(b, a fingerprint, _ []byte) bool { return a.groups-b.groups <= 1 && a.seq == b.seq }},
		{"/_mockeko/users", func(b, a fingerprint, _ []byte) bool { return a.users-b.users <= 1 && a.seq == b.seq }},
		{"/_mockeko/replytokens", func(b, a fingerprint, _ []byte) bool { return a.replyTokens == b.replyTokens+1 }},
	}
}

func oneMessage(b, a fingerprint, _ []byte) bool { return a.seq == b.seq+1 && a.groups-b.groups <= 1 }

func v2Messages(b, a fingerprint, answer []byte) bool {
	var v v2Answer
	return json.Unmarshal(answer, &v) == nil && len(v.Messages) > 0 && a.seq == b.seq+len(v.Messages)
}

// multipartSeed builds a multipart body with the boundary "XyZ".
func multipartSeed(fields [][2]string, file *upload) string {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.SetBoundary("XyZ")
	for _, kv := range fields {
		_ = mw.WriteField(kv[0], kv[1])
	}
	if file != nil {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+file.name+`"`)
		h.Set("Content-Type", file.contentType)
		w, _ := mw.CreatePart(h)
		_, _ = w.Write(file.data)
	}
	_ = mw.Close()
	return buf.String()
}

// FuzzBody fuzzes the body decoders (readBody and the JSON, urlencoded and
// multipart readers behind it) through every route that takes a body.
func FuzzBody(f *testing.F) {
	s := fuzzServer(f, WithBodyLimits(16<<10, 64<<10))
	tok := issueToken(f, s)
	rt, err := s.MintReplyToken(s.Bot().ID, fzTeam, fzIncidents)
	if err != nil {
		f.Fatal(err)
	}
	const (
		jsonCT = "application/json"
		formCT = "application/x-www-form-urlencoded"
		mpCT   = "multipart/form-data; boundary=XyZ"
	)
	png := &upload{name: "a.png", contentType: "image/png", data: []byte("\x89PNG\r\n\x1a\n\x00\x01")}
	seeds := []struct {
		route int
		ct    string
		body  string
	}{
		{0, jsonCT, `{"replyToken":"` + fzReplyToken + `","message":"hi"}`},
		{0, formCT, "replyToken=" + fzReplyToken + "&message=hi+there"},
		{0, mpCT, multipartSeed([][2]string{{"message", "Hello There"}, {"replyToken", fzReplyToken}}, nil)},
		{0, jsonCT, `{"replyToken":"` + fzReplyToken + `","message":""}`},
		{1, mpCT, multipartSeed([][2]string{{"replyToken", fzReplyToken}}, png)},
		{2, jsonCT, `{"replyToken":"` + fzReplyToken + `","message":{"data":"Pick","meta":{"quickreply":{"template":"default","items":[{"type":"label","value":"a","data":{"text":"A"}}]}}}}`},
		{3, jsonCT, `{"uid":"` + fzAlice + `","message":{"type":"text","data":"hi"}}`},
		{3, jsonCT, `{"uid":"` + fzDeleted + `","message":{"type":"text","data":"hi"}}`},
		{3, "application/vnd.eko+json; charset=utf-8", `{"uid":"` + fzBob + `","message":{"data":"hi"}}`},
		{4, mpCT, multipartSeed([][2]string{{"uid", fzBob}}, &upload{name: "r.pdf", contentType: "application/pdf", data: []byte("%PDF-1.4")})},
		{5, jsonCT, `{"gid":"` + fzTeam + `","tid":"` + fzIncidents + `","message":{"type":"text","data":"hi"}}`},
		{5, jsonCT, `{"gid":"` + fzTeam + `","tid":"` + fzDMTopic + `","message":{"type":"text","data":"hi"}}`},
		{6, mpCT, multipartSeed([][2]string{{"gid", fzAliceDM}, {"tid", fzDMTopic}, {"caption", "c"}}, png)},
		{7, jsonCT, `{"message":"daily report"}`},
		{8, mpCT, multipartSeed([][2]string{{"name", "Room"}, {"uids", `["` + fzAlice + `","` + fzBob + `"]`}}, nil)},
		{8, mpCT, multipartSeed([][2]string{{"name", "Room"}, {"uids", fzAlice}, {"uids", fzBob}}, png)},
		{8, formCT, "name=Room&uids%5B%5D=" + fzAlice + "&uids%5B%5D=" + fzBob},
		{8, jsonCT, `{"name":"Room","uids":["` + fzAlice + `"]}`},
		{8, jsonCT, `{"name":"Room","uids":"` + fzAlice + `,` + fzBob + `"}`},
		{9, jsonCT, `{"name":"Postmortem"}`},
		{9, formCT, "name=Postmortem"},
		{10, jsonCT, `{"gid":"` + fzTeam + `","messages":[{"type":"text","text":"hi"}]}`},
		{11, jsonCT, `{"replyToken":"` + fzReplyToken + `","messages":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}`},
		{12, jsonCT, `{"name":"Ctl","memberIds":["` + fzAlice + `"],"topics":[{"id":"aaaaaaaaaaaaaaaaaaaaaaaa","name":"A"},{"id":"` + fzIncidents + `","name":"B"}]}`},
		{12, jsonCT, `{"name":"Ctl","type":"direct_chat","memberIds":["` + fzAlice + `"]}`},
		{13, jsonCT, `{"username":"erin@acme.example","firstname":"Erin"}`},
		{13, jsonCT, `{"id":"` + fzAlice + `","username":"BOB@acme.example"}`},
		{14, jsonCT, `{"gid":"` + fzTeam + `","tid":"` + fzIncidents + `"}`},
		{3, jsonCT, `{"uid":`},
		{3, "text/plain", `{}`},
		{8, "multipart/form-data", "x"},
		{8, mpCT, "--XyZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx"},
	}
	for _, sd := range seeds {
		f.Add(uint8(sd.route), sd.ct, []byte(sd.body))
	}

	routes := fuzzRoutes()
	f.Fuzz(func(t *testing.T, route uint8, contentType string, body []byte) {
		r := routes[int(route)%len(routes)]
		body = bytes.ReplaceAll(body, []byte(fzReplyToken), []byte(rt.Token))
		req := httptest.NewRequest(http.MethodPost, r.path, bytes.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		before := s.fingerprint()
		rec := serve(s, req)
		e, isErr := checkAnswer(t, rec)
		after := s.fingerprint()
		if isErr {
			if !slices.Contains([]int{400, 403, 404, 413, 415}, rec.Code) {
				t.Fatalf("%s: %d %+v, want 400, 403, 404, 413 or 415", r.path, rec.Code, e)
			}
			if after != before {
				t.Fatalf("%s: a %d (%s) changed the state:\nbefore %+v\nafter  %+v", r.path, rec.Code, e.Message, before, after)
			}
			return
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s: %d with a body that is not JSON: %q", r.path, rec.Code, rec.Body)
		}
		if !r.effect(before, after, rec.Body.Bytes()) {
			t.Fatalf("%s: %d %s changed the state wrongly:\nbefore %+v\nafter  %+v", r.path, rec.Code, rec.Body, before, after)
		}
	})
}

// FuzzV2Messages fuzzes the BotV2 messages array: parseV2Messages directly,
// and the same array pushed through the Handler. The two agree, a refusal
// names the offending message, and what is stored is what was sent.
func FuzzV2Messages(f *testing.F) {
	s := fuzzServer(f)
	tok := issueToken(f, s)
	for _, m := range []string{
		`[{"type":"text","text":"hi"}]`,
		`[{"type":"text","text":"a"},{"type":"text","text":"b","quickReply":{"items":[{"type":"action","imageUrl":"https://x.test/i.png","action":{"type":"message","label":"Yes","text":"yes"}}]}}]`,
		`[{"type":"image","originalContentUrl":"https://x.test/a.jpg","previewImageUrl":"https://x.test/p.jpg"}]`,
		`[{"type":"video","originalContentUrl":"https://x.test/a.mp4","previewImageUrl":"https://x.test/p.jpg"}]`,
		`[{"type":"audio","originalContentUrl":"https://x.test/a.m4a","duration":60000}]`,
		`[{"type":"imagemap","baseUrl":"https://x.test/im","altText":"map","baseSize":{"width":1040,"height":1040},"actions":[{"type":"uri","linkUri":"https://x.test","area":{"x":0,"y":0,"width":520,"height":1040}},{"type":"message","text":"hi","area":{"x":520,"y":0,"width":520,"height":1040}}]}]`,
		`[{"type":"template","altText":"t","template":{"type":"buttons","thumbnailImageUrl":"https://x.test/t.jpg","imageAspectRatio":"square","title":"Menu","text":"Pick","actions":[{"type":"postback","label":"Buy","data":"a=buy","text":"Buy"},{"type":"uri","label":"Site","uri":"https://x.test"},{"type":"workflow","label":"WF","workflowId":"w1"},{"type":"library","label":"Lib","url":"https://x.test/l"}]}}]`,
		`[{"type":"template","altText":"c","template":{"type":"carousel","columns":[{"text":"one","actions":[{"type":"message","label":"1","text":"1"}]},{"title":"Two","text":"two","actions":[{"type":"workflowTemplate","label":"T","templateId":"t1"}]}]}}]`,
		`[]`, `null`, `{}`, `[null]`, `[1]`, `[{"type":"sticker"}]`, `[{"type":"text","text":""}]`,
		`[{"type":"text","text":"a"},{"type":"text","text":"a"},{"type":"text","text":"a"},{"type":"text","text":"a"},{"type":"text","text":"a"},{"type":"text","text":"a"}]`,
		`[{"type":"image","originalContentUrl":"ftp://x.test/a","previewImageUrl":"https://x.test/p"}]`,
		`[{"type":"template","template":{"type":"buttons","text":"t","actions":[{"type":"uri","label":"x","uri":"javascript:alert(1)"}]}}]`,
		`[{"type":"text","text":"a","quickReply":{"items":[]}}]`,
	} {
		f.Add([]byte(m))
	}
	kinds := []string{"text", "image", "video", "audio", "imagemap", "template"}
	actions := []string{"message", "postback", "uri", "workflowTemplate", "workflow", "library"}

	f.Fuzz(func(t *testing.T, messages []byte) {
		var raw []json.RawMessage
		arrayErr := json.Unmarshal(messages, &raw)
		var parsed []*Message
		var parseErr error
		if arrayErr == nil {
			parsed, parseErr = s.parseV2Messages(raw)
			if parseErr != nil {
				e, ok := parseErr.(*Error)
				if !ok || e.Status != http.StatusBadRequest || e.Code != "invalid_request" || e.Msg == "" {
					t.Fatalf("parseV2Messages error %#v, want a 400 invalid_request", parseErr)
				}
				if strings.Contains(e.Msg, "messages[") {
					// The index it names exists.
					var i int
					if _, err := fmt.Sscanf(e.Msg[strings.Index(e.Msg, "messages[")+len("messages["):], "%d", &i); err != nil || i < 0 || i >= len(raw) {
						t.Fatalf("error %q names a message that is not in the %d sent", e.Msg, len(raw))
					}
				}
			} else {
				if len(parsed) != len(raw) || len(parsed) < 1 || len(parsed) > DefaultMaxMessages {
					t.Fatalf("parsed %d of %d messages", len(parsed), len(raw))
				}
				for i, m := range parsed {
					if !slices.Contains(kinds, m.Type) {
						t.Fatalf("messages[%d] accepted with type %q", i, m.Type)
					}
					if !bytes.Equal(m.Payload, raw[i]) {
						t.Fatalf("messages[%d] payload %s, sent %s", i, m.Payload, raw[i])
					}
					if m.Type == "text" && (m.Text == "" || utf8.RuneCountInString(m.Text) > maxTextLen) {
						t.Fatalf("messages[%d] text of %d characters accepted", i, utf8.RuneCountInString(m.Text))
					}
					for _, it := range m.Items {
						if !slices.Contains(actions, it.Type) || utf8.RuneCountInString(it.Label) > maxLabelLen {
							t.Fatalf("messages[%d] item %+v accepted", i, it)
						}
					}
				}
			}
		}

		// The same array through the Handler.
		body := []byte(`{"gid":"` + fzTeam + `","tid":"` + fzIncidents + `","messages":`)
		body = append(append(body, messages...), '}')
		req := httptest.NewRequest(http.MethodPost, "/bot/v2/message/push", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		before := s.fingerprint()
		rec := serve(s, req)
		e, isErr := checkAnswer(t, rec)
		after := s.fingerprint()
		switch {
		case isErr:
			if after != before {
				t.Fatalf("a refused push changed the state")
			}
			if arrayErr == nil && parseErr == nil && json.Valid(body) {
				t.Fatalf("parseV2Messages accepted %s but the push was refused: %d %+v", messages, rec.Code, e)
			}
		case arrayErr != nil || parseErr != nil:
			// The body decoder may accept what json.Unmarshal into a slice did not
			// only if the array was not the whole of the fuzzed bytes.
			if arrayErr == nil {
				t.Fatalf("parseV2Messages refused %s (%v) but the push answered %d", messages, parseErr, rec.Code)
			}
		default:
			if rec.Code != DefaultSuccessStatus || after.seq != before.seq+len(parsed) {
				t.Fatalf("push of %d messages: %d, seq %d -> %d", len(parsed), rec.Code, before.seq, after.seq)
			}
		}
	})
}
