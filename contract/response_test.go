package contract

import (
	"net/http"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidateResponse(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	js := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	png := http.Header{"Content-Type": {"image/png"}}
	const sent = `{"id":"5de48f26707e9f529a9c03ff","type":"text","groupId":"5de48f02707e9f529a9c03f8","threadId":"5de48f02707e9f529a9c03f9"}`
	const user = `{"_id":"5d8af2ff164176ecaec49e5c","username":"test01@ekoapp.com","email":"test01@ekoapp.com","firstname":"Test","lastname":"01","position":"","deleted":false}`
	tests := []struct {
		name   string
		op     string
		status int
		header http.Header
		body   string
		want   []string
	}{
		{"token", "getToken", 200, js, `{"access_token":"` + token + `","token_type":"Bearer","expires_in":3600,"scope":"bot"}`, nil},
		{"token with error key", "getToken", 200, js, `{"access_token":"` + token + `","token_type":"Bearer","expires_in":3600,"error":"x"}`, []string{"/error"}},
		{"token expires_in as string", "getToken", 200, js, `{"access_token":"` + token + `","token_type":"Bearer","expires_in":"3600"}`, []string{"/expires_in"}},
		{"v1 reply 201", "replyText", 201, js, `{"status":"success"}`, nil},
		{"v1 reply 200", "replyPicture", 200, js, `{"status":"success"}`, nil},
		{"v1 push", "pushGroupFile", 201, js, `{"status":"success","message":` + sent + `}`, nil},
		{"v1 push without message", "pushDirectMessage", 201, js, `{"status":"success"}`, []string{"/message"}},
		{"v1 push bad ids", "pushDirectMessage", 201, js, `{"status":"success","message":{"id":"1","type":"sticker","groupId":"5de48f02707e9f529a9c03f8","threadId":"5de48f02707e9f529a9c03f9"}}`, []string{"/message/id", "/message/type"}},
		{"notify", "notifyText", 201, js, `{"status":"success","recipients":2}`, nil},
		{"users", "findUsers", 200, js, `{"users":[` + user + `]}`, nil},
		{"users as bare array", "findUsers", 200, js, `[` + user + `]`, []string{""}},
		{"users extra field", "findUsers", 200, js, `{"users":[` + user[:len(user)-1] + `,"nid":"x"}]}`, []string{"/users/0/nid"}},
		{"group", "createGroup", 200, js, `{"group":{"_id":"5d91c6017755dba7a80a93c6","name":"g","type":"group_chatv2","settings":{"isReadOnly":false,"isAutoManagedMember":false,"isAdminManaged":true,"isCreatorManaged":true,"isMemberManaged":false,"isPrivate":false},"userCount":3}}`, nil},
		{"topic", "createTopic", 200, js, `{"topic":{"_id":"5d91c6d350088a9246ad9256","name":"t","gid":"5d91c6017755dba7a80a93c6"}}`, nil},
		{"v2 push", "pushMessagesV2", 201, js, `{"status":"success","messages":[` + sent + `]}`, nil},
		{"v2 user info", "getGroupUserInfoV2", 200, js, user, nil},
		{"v2 direct chat", "getDirectChatV2", 200, js, `{"gid":"5ae99669299892c81ec1d7fa","tid":"5ae996692998924badc1d7fb"}`, nil},
		{"file bytes", "viewFile", 200, png, pngBytes, nil},
		{"error envelope", "pushDirectMessage", 404, js, `{"status":404,"message":"no such user","error":"not_found","error_description":"no such user"}`, nil},
		{"strict 400 with violations", "replyText", 400, js, `{"status":400,"message":"m","error":"invalid_request","error_description":"m","violations":[{"operation":"replyText","direction":"request","location":"/message","message":"x"}]}`, nil},
		{"injected 503", "pushMessagesV2", 503, js, `{"status":503,"message":"m","error":"temporarily_unavailable","error_description":"m"}`, nil},
		{"error without envelope", "findUsers", 401, js, `{"message":"unauthorized"}`, []string{"/error", "/error_description", "/status"}},
		{"undocumented success status", "createTopic", 201, js, `{}`, []string{"status"}},
		{"not JSON", "notifyText", 201, js, `ok`, []string{"body"}},
		{"wrong content type", "notifyText", 201, http.Header{"Content-Type": {"text/plain"}}, `{"status":"success","recipients":1}`, []string{"header.Content-Type"}},
		{"unknown operation", "nope", 200, js, `{}`, []string{"operation"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vs := c.ValidateResponse(tt.op, tt.status, tt.header, []byte(tt.body))
			got := locations(vs)
			sort.Strings(got)
			if len(got) == 0 {
				got = nil
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("locations (-want +got):\n%s\nviolations: %v", diff, vs)
			}
			for _, v := range vs {
				if v.Direction != DirectionResponse || v.Message == "" {
					t.Errorf("malformed violation %+v", v)
				}
			}
		})
	}
}
