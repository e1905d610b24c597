package mockeko

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The answers encoded without reflection (token.go's appendTokenResponse,
// users.go's appendUsersAnswer, push.go's appendPushAnswer) must be
// byte-identical to encoding/json's.

// FuzzUsersAnswerJSON checks the users answer encoder against
// encoding/json, byte for byte.
func FuzzUsersAnswerJSON(f *testing.F) {
	f.Add("5ac20cd38c62770001538e01", "alice@acme.example", "alice@acme.example", "Alice", "Anders", "Engineering Manager", false, 1)
	f.Add("x", "b<o>b&", "\"q\"", "é\u2028", "\x00\xff", "", true, 2)
	f.Add("", "", "", "", "", "", false, 0)
	f.Fuzz(func(t *testing.T, id, username, email, first, last, position string, deleted bool, n int) {
		users := []ekoUser{}
		for i := range n % 4 {
			users = append(users, ekoUser{ID: id, Username: username, Email: email, Firstname: first, Lastname: last, Position: position, Deleted: deleted != (i%2 == 1)})
		}
		want, err := json.Marshal(usersAnswer{users})
		if err != nil {
			t.Fatal(err)
		}
		got := appendUsersAnswer([]byte("prefix"), users)
		if diff := cmp.Diff("prefix"+string(want), string(got)); diff != "" {
			t.Errorf("appendUsersAnswer(%+v) (-want +got):\n%s", users, diff)
		}
	})
}

// FuzzPushAnswerJSON checks the push answer encoder against encoding/json,
// byte for byte.
func FuzzPushAnswerJSON(f *testing.F) {
	f.Add("5de48f26707e9f529a9c03ff", "text", "5de48f02707e9f529a9c03f8", "5de48f02707e9f529a9c03f9")
	f.Add("a<b>", "\"", "é\u2028", "\x00\xff")
	f.Fuzz(func(t *testing.T, id, typ, gid, tid string) {
		r := pushResult{ID: id, Type: typ, GroupID: gid, ThreadID: tid}
		want, err := json.Marshal(pushAnswer{Status: "success", Message: r})
		if err != nil {
			t.Fatal(err)
		}
		got := appendPushAnswer([]byte("prefix"), r)
		if diff := cmp.Diff("prefix"+string(want), string(got)); diff != "" {
			t.Errorf("appendPushAnswer(%+v) (-want +got):\n%s", r, diff)
		}
	})
}
