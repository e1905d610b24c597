package contract

import (
	"net/http"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func goodRequests() map[string]*http.Request {
	mpPicture, bPicture := multipartBody(part{name: "replyToken", value: replyTk}, part{name: "file", filename: "cat.png", value: pngBytes})
	mpDP, bDP := multipartBody(part{name: "uid", value: uid}, part{name: "file", filename: "cat.png", value: pngBytes}, part{name: "caption", value: "a cat"})
	mpDF, bDF := multipartBody(part{name: "uid", value: uid}, part{name: "file", filename: "r.pdf", contentType: "application/pdf", value: "%PDF-1.4"})
	mpGP, bGP := multipartBody(part{name: "gid", value: gid}, part{name: "tid", value: tid}, part{name: "file", filename: "cat.jpg", contentType: "image/jpeg", value: "\xff\xd8\xff"})
	mpGF, bGF := multipartBody(part{name: "gid", value: gid}, part{name: "file", filename: "r.csv", contentType: "text/csv", value: "a,b\n1,2\n"})
	mpGroup, bGroup := multipartBody(part{name: "name", value: "Release crew"}, part{name: "uids", value: `["` + uid + `","5d8c318c22fba500114ed1c5"]`})
	tokenReq := req("POST", "/oauth/token", "application/x-www-form-urlencoded", "grant_type=client_credentials&scope=bot%20workflow%20library")
	tokenReq.Header.Set("Authorization", "Basic N2JjZWUyMWE6c2VjcmV0")
	return map[string]*http.Request{
		"getToken":           tokenReq,
		"replyText":          req("POST", "/bot/v1/message/text", "application/json", `{"replyToken":"`+replyTk+`","message":"Hello There"}`),
		"replyPicture":       req("POST", "/bot/v1/message/picture", mpPicture, bPicture),
		"replyQuickReply":    req("POST", "/bot/v1/message/quickreply", "application/json", `{"replyToken":"`+replyTk+`","message":{"data":"What do you want?","meta":{"quickreply":{"template":"default","items":[{"type":"label","value":"I want coffee.","data":{"text":"Coffee"}}]}}}}`),
		"pushDirectMessage":  req("POST", "/bot/v1/direct/message", "application/json", `{"uid":"`+uid+`","message":{"type":"text","data":"hi"}}`),
		"pushDirectPicture":  req("POST", "/bot/v1/direct/picture", mpDP, bDP),
		"pushDirectFile":     req("POST", "/bot/v1/direct/file", mpDF, bDF),
		"pushGroupMessage":   req("POST", "/bot/v1/group/message", "application/json", `{"gid":"`+gid+`","message":{"type":"text","data":"Deploy finished."}}`),
		"pushGroupPicture":   req("POST", "/bot/v1/group/picture", mpGP, bGP),
		"pushGroupFile":      req("POST", "/bot/v1/group/file", mpGF, bGF),
		"notifyText":         req("POST", "/bot/v1/notify/text", "application/json", `{"message":"Daily report"}`),
		"findUsers":          req("GET", "/bot/v1/users?username=test01%40ekoapp.com", "", ""),
		"createGroup":        req("POST", "/bot/v1/groups", mpGroup, bGroup),
		"createTopic":        req("POST", "/bot/v1/groups/"+gid+"/topics", "application/json", `{"name":"My first Topic"}`),
		"replyMessagesV2":    req("POST", "/bot/v2/message/reply", "application/json", `{"replyToken":"`+replyTk+`","messages":[{"type":"text","text":"hi","quickReply":{"items":[{"type":"action","action":{"type":"postback","label":"Tea","data":"drink=tea"}}]}}]}`),
		"pushMessagesV2":     req("POST", "/bot/v2/message/push", "application/json", `{"gid":"`+gid+`","tid":"`+tid+`","messages":[{"type":"template","altText":"menu","template":{"type":"carousel","columns":[{"text":"one","actions":[{"type":"uri","label":"Open","uri":"https://example.com"}]}]}},{"type":"imagemap","baseUrl":"https://example.com/rich","baseSize":{"width":1040,"height":1040},"actions":[{"type":"message","text":"hi","area":{"x":0,"y":0,"width":10,"height":10}}]}]}`),
		"getGroupUserInfoV2": req("GET", "/bot/v2/groups/"+gid+"/users/"+uid+"/info", "", ""),
		"getDirectChatV2":    req("GET", "/bot/v2/groups/users/"+uid, "", ""),
		"viewFile":           req("GET", "/file/view/5e1f4b2a9c8d7e6f5a4b3c2d?size=large", "", ""),
		"viewImage":          req("GET", "/file/image/5e1f4b2a9c8d7e6f5a4b3c2d", "", ""),
	}
}

// TestValidateRequestAcceptsEveryOperation sends one good request to every
// documented operation, and checks that the table covers them all.
func TestValidateRequestAcceptsEveryOperation(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	good := goodRequests()
	var ids []string
	for _, o := range c.Operations() {
		ids = append(ids, o.ID)
	}
	var tested []string
	for id := range good {
		tested = append(tested, id)
	}
	sort.Strings(ids)
	sort.Strings(tested)
	if diff := cmp.Diff(ids, tested); diff != "" {
		t.Fatalf("good-request table does not match the documented operations (-want +got):\n%s", diff)
	}
	for id, r := range good {
		t.Run(id, func(t *testing.T) {
			body := readAll(t, r)
			op, vs := c.ValidateRequest(r, body)
			if op != id {
				t.Errorf("operation = %q, want %q", op, id)
			}
			if len(vs) != 0 {
				t.Errorf("violations for a good request: %v", vs)
			}
		})
	}
}

func TestValidateRequestAcceptsEveryRealClientForm(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	mpText, bText := multipartBody(part{name: "message", value: "Hello There"}, part{name: "replyToken", value: replyTk})
	mpRep, bRep := multipartBody(part{name: "name", value: "x"}, part{name: "uids", value: uid}, part{name: "uids", value: "5d8c318c22fba500114ed1c5"})
	noAuth := req("GET", "/file/view/abc?access_token="+token, "", "")
	noAuth.Header.Del("Authorization")
	bodyCreds := req("POST", "/oauth/token", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=7bcee21a&client_secret=s3cr3t&scope=bot")
	bodyCreds.Header.Del("Authorization")
	for name, r := range map[string]*http.Request{
		"text as multipart (docs)":            req("POST", "/bot/v1/message/text", mpText, bText),
		"text as urlencoded":                  req("POST", "/bot/v1/message/text", "application/x-www-form-urlencoded", "message=hi&replyToken="+replyTk),
		"text with an unknown form field":     req("POST", "/bot/v1/message/text", "application/x-www-form-urlencoded", "message=hi&replyToken="+replyTk+"&extra=1"),
		"doubled slash from a base URL":       req("POST", "//bot/v1/message/text", "application/json", `{"message":"hi","replyToken":"`+replyTk+`"}`),
		"groups with repeated uids":           req("POST", "/bot/v1/groups", mpRep, bRep),
		"groups as urlencoded":                req("POST", "/bot/v1/groups", "application/x-www-form-urlencoded", "name=x&uids="+uid),
		"groups as JSON":                      req("POST", "/bot/v1/groups", "application/json", `{"name":"x","uids":["`+uid+`"]}`),
		"token with credentials in the body":  bodyCreds,
		"file with access_token in the query": noAuth,
		"JSON with charset":                   req("POST", "/bot/v1/notify/text", "application/json; charset=utf-8", `{"message":"hi"}`),
		"lower-case bearer":                   withHeader(req("GET", "/bot/v2/groups/users/"+uid, "", ""), "Authorization", "bearer "+token),
	} {
		t.Run(name, func(t *testing.T) {
			if _, vs := c.ValidateRequest(r, readAll(t, r)); len(vs) != 0 {
				t.Errorf("violations: %v", vs)
			}
		})
	}
}

func TestValidateRequestRejects(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	mpNoFile, bNoFile := multipartBody(part{name: "replyToken", value: replyTk})
	mpBadUID, bBadUID := multipartBody(part{name: "uid", value: "bob"}, part{name: "file", filename: "a.png", value: pngBytes})
	noAuth := req("GET", "/bot/v1/users?username=x", "", "")
	noAuth.Header.Del("Authorization")
	tok := func(ct, body string) *http.Request { // token calls carry no bearer
		r := req("POST", "/oauth/token", ct, body)
		r.Header.Del("Authorization")
		return r
	}
	tests := []struct {
		name string
		r    *http.Request
		op   string
		want []string // locations, in order
	}{
		{"empty v1 text", req("POST", "/bot/v1/direct/message", "application/json", `{"uid":"`+uid+`","message":{"type":"text","data":""}}`), "pushDirectMessage", []string{"/message/data"}},
		{"bad uid and missing message", req("POST", "/bot/v1/direct/message", "application/json", `{"uid":"bob"}`), "pushDirectMessage", []string{"/message", "/uid"}},
		{"truncated JSON", req("POST", "/bot/v1/group/message", "application/json", `{"gid":`), "pushGroupMessage", []string{"body"}},
		{"no body", req("POST", "/bot/v1/notify/text", "application/json", ``), "notifyText", []string{"body"}},
		{"token as JSON", tok("application/json", `{"grant_type":"client_credentials"}`), "getToken", []string{"header.Content-Type"}},
		{"token wrong grant", tok("application/x-www-form-urlencoded", "grant_type=password"), "getToken", []string{"/grant_type"}},
		{"token unknown scope", tok("application/x-www-form-urlencoded", "grant_type=client_credentials&scope=admin"), "getToken", []string{"/scope"}},
		{"token with a bearer header", req("POST", "/oauth/token", "application/x-www-form-urlencoded", "grant_type=client_credentials"), "getToken", []string{"header.Authorization"}},
		{"users without username", req("GET", "/bot/v1/users", "", ""), "findUsers", []string{"query.username"}},
		{"users without token", noAuth, "findUsers", []string{"header.Authorization"}},
		{"basic auth on a bot call", withHeader(req("GET", "/bot/v1/users?username=x", "", ""), "Authorization", "Basic Zm9vOmJhcg=="), "findUsers", []string{"header.Authorization"}},
		{"bad path id", req("POST", "/bot/v1/groups/123/topics", "application/json", `{"name":"t"}`), "createTopic", []string{"path.gid"}},
		{"bad size", req("GET", "/file/image/abc?size=huge", "", ""), "viewImage", []string{"query.size"}},
		{"picture without file", req("POST", "/bot/v1/message/picture", mpNoFile, bNoFile), "replyPicture", []string{"/file"}},
		{"picture as JSON", req("POST", "/bot/v1/message/picture", "application/json", `{}`), "replyPicture", []string{"header.Content-Type"}},
		{"multipart bad uid", req("POST", "/bot/v1/direct/picture", mpBadUID, bBadUID), "pushDirectPicture", []string{"/uid"}},
		{"v2 empty text and long label", req("POST", "/bot/v2/message/push", "application/json", `{"gid":"`+gid+`","messages":[{"type":"text","text":""},{"type":"template","template":{"type":"buttons","text":"x","actions":[{"type":"uri","label":"012345678901234567890","uri":"u"}]}}]}`),
			"pushMessagesV2", []string{"/messages/0/text", "/messages/1/template/actions/0/label"}},
		{"v2 unknown message type", req("POST", "/bot/v2/message/push", "application/json", `{"gid":"`+gid+`","messages":[{"type":"sticker"}]}`), "pushMessagesV2", []string{"/messages/0/type"}},
		{"v2 too many messages", req("POST", "/bot/v2/message/reply", "application/json", `{"replyToken":"`+replyTk+`","messages":[{"type":"text","text":"1"},{"type":"text","text":"2"},{"type":"text","text":"3"},{"type":"text","text":"4"},{"type":"text","text":"5"},{"type":"text","text":"6"}]}`), "replyMessagesV2", []string{"/messages"}},
		{"v2 no messages", req("POST", "/bot/v2/message/reply", "application/json", `{"replyToken":"`+replyTk+`","messages":[]}`), "replyMessagesV2", []string{"/messages"}},
		{"v2 five buttons", req("POST", "/bot/v2/message/push", "application/json", `{"gid":"`+gid+`","messages":[{"type":"template","template":{"type":"buttons","text":"x","actions":[`+actions(5)+`]}}]}`), "pushMessagesV2", []string{"/messages/0/template/actions"}},
		{"v2 bad reply token", req("POST", "/bot/v2/message/reply", "application/json", `{"replyToken":"nope","messages":[{"type":"text","text":"x"}]}`), "replyMessagesV2", []string{"/replyToken"}},
		{"quick reply without items", req("POST", "/bot/v1/message/quickreply", "application/json", `{"replyToken":"`+replyTk+`","message":{"data":"x","meta":{"quickreply":{"items":[]}}}}`), "replyQuickReply", []string{"/message/meta/quickreply/items"}},
		{"undocumented path", req("GET", "/api/workflow/v1", "", ""), "", []string{"path"}},
		{"undocumented method", req("DELETE", "/bot/v1/users", "", ""), "", []string{"path"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op, vs := c.ValidateRequest(tt.r, readAll(t, tt.r))
			if op != tt.op {
				t.Errorf("operation = %q, want %q", op, tt.op)
			}
			got := locations(vs)
			sort.Strings(got)
			want := append([]string(nil), tt.want...)
			sort.Strings(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("locations (-want +got):\n%s\nviolations: %v", diff, vs)
			}
			for _, v := range vs {
				if v.Direction != DirectionRequest || v.Message == "" || v.Operation != tt.op {
					t.Errorf("malformed violation %+v", v)
				}
			}
		})
	}
}

func TestOperation(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	for _, tt := range []struct {
		method, path, want string
		ok                 bool
	}{
		{"POST", "/bot/v1/groups/" + gid + "/topics", "createTopic", true},
		{"POST", "/bot/v1/groups/{gid}/topics", "createTopic", true},
		{"GET", "/bot/v2/groups/users/" + uid, "getDirectChatV2", true},
		{"GET", "/bot/v2/groups/" + gid + "/users/" + uid + "/info", "getGroupUserInfoV2", true},
		{"GET", "//file/view/x?size=large", "viewFile", true},
		{"GET", "/_mockeko/health", "", false},
		{"PUT", "/oauth/token", "", false},
	} {
		got, ok := c.Operation(tt.method, tt.path)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Operation(%s, %s) = %q, %v; want %q, %v", tt.method, tt.path, got, ok, tt.want, tt.ok)
		}
	}
}

func actions(n int) string {
	s := ""
	for i := 0; i < n; i++ {
		if i > 0 {
			s += ","
		}
		s += `{"type":"message","label":"a","text":"a"}`
	}
	return s
}

func withHeader(r *http.Request, k, v string) *http.Request {
	r.Header.Set(k, v)
	return r
}

func readAll(tb testing.TB, r *http.Request) []byte {
	tb.Helper()
	if r.Body == nil {
		return nil
	}
	b := make([]byte, 0, 512)
	buf := make([]byte, 512)
	for {
		n, err := r.Body.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			break
		}
	}
	return b
}
