package mockeko_test

import (
	"bytes"
	"encoding/json"
	"github.com/mockeko/mockeko/contract"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mockeko/mockeko/fixtures"
	"github.com/mockeko/mockeko/mockeko"
)

// Ids from fixtures/default.yaml, plus the extras richFixtures adds.
const (
	botID        = "5ac20cd38c62770001538b01"
	aliceID      = "5ac20cd38c62770001538e01"
	bobID        = "5ac20cd38c62770001538e02"
	chaiID       = "5ac20cd38c62770001538e03"
	danaID       = "5ac20cd38c62770001538e04" // in no group, no direct chat
	formerID     = "5ac20cd38c62770001538e05" // deleted
	teamGID      = "5ae99669299892c81ec1d7fa"
	generalTID   = "5ae996692998924badc1d7fb"
	incidentsTID = "5ae996692998924badc1d7fc"
	aliceDMGID   = "5ae99669299892c81ec1d801"
	aliceDMTID   = "5ae996692998924badc1d802"

	otherNetID   = "6b0000000000000000000001" // a second network
	zedID        = "6b0000000000000000000e01" // a user of the other network
	otherGID     = "6b00000000000000000d0001" // a group of the other network
	botlessGID   = "5f00000000000000000d0001" // a group of the bot's network without the bot
	botlessTID   = "5f00000000000000000d0002"
	otherBotID   = "5ac20cd38c62770001538b02" // a second bot of the same network
	otherBotCID  = "other-bot"
	otherBotSecr = "other-secret"
	unknownID    = "000000000000000000000000"
)

// hexID matches a 24-hex ObjectId.
var hexID = regexp.MustCompile(`^[0-9a-f]{24}$`)

// richFixtures is the default tenant plus a second network (with a user
// and a group), a group the default bot is not in, and a second bot that
// is a member of the team.
func richFixtures(t testing.TB) *fixtures.Set {
	t.Helper()
	set, err := fixtures.Default()
	if err != nil {
		t.Fatal(err)
	}
	set.Networks = append(set.Networks, fixtures.Network{ID: otherNetID, Name: "Globex"})
	set.Bots = append(set.Bots, fixtures.Bot{ID: otherBotID, Name: "Other Bot", ClientID: otherBotCID, ClientSecret: otherBotSecr, Scopes: []string{"bot"}})
	set.Users = append(set.Users, fixtures.User{ID: zedID, NetworkID: otherNetID, Username: "zed@globex.example", Firstname: "Zed"})
	set.Groups = append(set.Groups,
		fixtures.Group{ID: otherGID, NetworkID: otherNetID, Name: "Globex", Type: fixtures.TypeGroup, Members: []string{zedID},
			Topics: []fixtures.Topic{{ID: "6b00000000000000000d0002", Name: "General"}}},
		fixtures.Group{ID: botlessGID, Name: "Humans only", Type: fixtures.TypeGroup, Members: []string{aliceID, bobID},
			Topics: []fixtures.Topic{{ID: botlessTID, Name: "General"}}},
	)
	for i := range set.Groups {
		if set.Groups[i].ID == teamGID {
			set.Groups[i].Members = append(set.Groups[i].Members, otherBotID)
		}
	}
	return set
}

// start starts a Server on richFixtures (later options win) and closes it
// when the test ends.
func start(t testing.TB, opts ...mockeko.Option) *mockeko.Server {
	t.Helper()
	// Warn, not strict: these tests exercise the fake's own input handling
	// (lenient forms, its error messages). Every request and response is
	// still checked and recorded; contract_test.go covers strict mode.
	srv, err := mockeko.New(append([]mockeko.Option{mockeko.WithFixtures(richFixtures(t)), mockeko.WithContractMode(contract.ModeWarn)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// resp is an answer read whole.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %d %s: %v", r.status, r.body, err)
	}
}

// send does one request over loopback with srv.Client(). A non-empty tok
// goes in Authorization: Bearer.
func send(t testing.TB, srv *mockeko.Server, method, path, tok, ctype string, body io.Reader) resp {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return roundTrip(t, srv, req)
}

func roundTrip(t testing.TB, srv *mockeko.Server, req *http.Request) resp {
	t.Helper()
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL.Path, err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// postJSON posts v as application/json: a string or []byte as is, anything else marshalled.
func postJSON(t testing.TB, srv *mockeko.Server, tok, path string, v any) resp {
	t.Helper()
	return send(t, srv, http.MethodPost, path, tok, "application/json", bytes.NewReader(jsonBytes(t, v)))
}

func jsonBytes(t testing.TB, v any) []byte {
	t.Helper()
	switch v := v.(type) {
	case string:
		return []byte(v)
	case []byte:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// postForm posts vals as application/x-www-form-urlencoded.
func postForm(t testing.TB, srv *mockeko.Server, tok, path string, vals url.Values) resp {
	t.Helper()
	return send(t, srv, http.MethodPost, path, tok, "application/x-www-form-urlencoded", strings.NewReader(vals.Encode()))
}

// field is a multipart form field; fields may repeat.
type field struct{ name, value string }

// filePart is a multipart file part.
type filePart struct {
	field, filename, ctype string
	data                   []byte
}

// multipartBody encodes fields and files with mime/multipart.
func multipartBody(t testing.TB, fields []field, files ...filePart) (ctype string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := mw.WriteField(f.name, f.value); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+f.field+`"; filename="`+f.filename+`"`)
		if f.ctype != "" {
			h.Set("Content-Type", f.ctype)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(f.data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), buf.Bytes()
}

// postMultipart posts fields and files as multipart/form-data.
func postMultipart(t testing.TB, srv *mockeko.Server, tok, path string, fields []field, files ...filePart) resp {
	t.Helper()
	ct, b := multipartBody(t, fields, files...)
	return send(t, srv, http.MethodPost, path, tok, ct, bytes.NewReader(b))
}

// tokenFor gets an access token for the bot's credentials with scope
// ("" sends none), credentials in the form body.
func tokenFor(t testing.TB, srv *mockeko.Server, clientID, secret, scope string) string {
	t.Helper()
	v := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}
	if scope != "" {
		v.Set("scope", scope)
	}
	r := postForm(t, srv, "", "/oauth/token", v)
	var tr mockeko.TokenResponse
	r.decode(t, &tr)
	if r.status != http.StatusOK || tr.AccessToken == "" {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	return tr.AccessToken
}

// botToken is a "bot" token for the default bot.
func botToken(t testing.TB, srv *mockeko.Server) string {
	t.Helper()
	b := srv.Bot()
	return tokenFor(t, srv, b.ClientID, b.ClientSecret, "bot")
}

// wantError checks that r is an error in mockeko's envelope with exactly
// this status, code and message.
func wantError(t testing.TB, r resp, status int, code, msg string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d (body %s)", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var got map[string]any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatalf("error body %q is not JSON: %v", r.body, err)
	}
	want := map[string]any{"status": float64(status), "message": msg, "error": code, "error_description": msg}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("error envelope mismatch (-want +got):\n%s", diff)
	}
}

// snap is the observable state a failed request must not change.
type snap struct {
	Messages []mockeko.Message
	Groups   []mockeko.Group
	Users    []mockeko.User
}

func snapshot(srv *mockeko.Server) snap {
	return snap{Messages: srv.Messages("", ""), Groups: srv.Groups(), Users: srv.Users()}
}

var ignoreUnexported = cmpopts.IgnoreUnexported(mockeko.Message{}, mockeko.File{})

// unchanged fails t if srv's state differs from before.
func unchanged(t testing.TB, srv *mockeko.Server, before snap) {
	t.Helper()
	if diff := cmp.Diff(before, snapshot(srv), ignoreUnexported); diff != "" {
		t.Errorf("state changed by a failed request (-before +after):\n%s", diff)
	}
}

// lastMessage is the newest stored message.
func lastMessage(t testing.TB, srv *mockeko.Server) mockeko.Message {
	t.Helper()
	all := srv.Messages("", "")
	if len(all) == 0 {
		t.Fatal("no messages stored")
	}
	return all[len(all)-1]
}

// pushAnswer is a v1 push's success body.
type pushAnswer struct {
	Status  string `json:"status"`
	Message struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		GroupID  string `json:"groupId"`
		ThreadID string `json:"threadId"`
	} `json:"message"`
}

// failCase is a request that must fail with exactly this error and change nothing.
type failCase struct {
	name string
	opts []mockeko.Option
	// setup runs before the state snapshot; its result is do's x.
	setup  func(t *testing.T, srv *mockeko.Server, tok string) string
	do     func(t *testing.T, srv *mockeko.Server, tok, x string) resp
	status int
	code   string
	msg    string // "{x}" stands for setup's result
}

// runFailures runs each case on its own Server: the exact status and
// envelope, no state change, and a server that keeps serving.
func runFailures(t *testing.T, cases []failCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t, tc.opts...)
			tok := botToken(t, srv)
			var x string
			if tc.setup != nil {
				x = tc.setup(t, srv, tok)
			}
			before := snapshot(srv)
			r := tc.do(t, srv, tok, x)
			wantError(t, r, tc.status, tc.code, strings.ReplaceAll(tc.msg, "{x}", x))
			unchanged(t, srv, before)
			r = send(t, srv, http.MethodGet, "/bot/v1/users?username=bob@acme.example", tok, "", nil)
			if r.status != 200 {
				t.Errorf("after the failure, a lookup got %d %s", r.status, r.body)
			}
		})
	}
}

// mint mints a reply token for the default bot, failing the test on error.
func mint(t testing.TB, srv *mockeko.Server, gid, tid string) string {
	t.Helper()
	rt, err := srv.MintReplyToken(botID, gid, tid)
	if err != nil {
		t.Fatal(err)
	}
	return rt.Token
}

func decodeJSONBody(rc io.ReadCloser, v any) error {
	defer rc.Close()
	return json.NewDecoder(rc).Decode(v)
}
