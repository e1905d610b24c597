package mockeko

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The answers encoded without reflection (token.go's appendTokenResponse,
// users.go's appendUsersAnswer, push.go's appendPushAnswer) and the
// webhook bodies (webhook_body.go) must be byte-identical to
// encoding/json's.

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

// FuzzWebhookBody checks the message and postback webhook bodies against
// encoding/json, byte for byte: every string field, a profile of up to
// three fields (nil, empty, or with keys in any order), each optional field
// present or not.
func FuzzWebhookBody(f *testing.F) {
	f.Add("aacbcf1d83281662d6520a11811e268bd6d78485", "5ac20cd38c62770001538e01", "alice@acme.example", "Alice Anders", "ping", "5ae99669299892c81ec1d801_5ae996692998924badc1d802", uint8(3), true)
	f.Add("", "a<b>&", "\"q\"\\", "é\u2028\u2029", "\x00\xff\n\t", "สวัสดี 👋", uint8(0), false)
	f.Add("x", "", "", "", "", "", uint8(255), true)
	f.Fuzz(func(t *testing.T, a, b, c, d, text, e string, shape uint8, flag bool) {
		var profile map[string]string
		switch shape % 4 {
		case 1:
			profile = map[string]string{}
		case 2:
			profile = map[string]string{d: a, "FullName": b, c: e}
		case 3:
			profile = map[string]string{"Division": c, "Department": d}
		}
		src := whSource{Type: a, UserID: b, Username: c, Email: d, Profile: profile}
		meta := whMeta{BotID: a, NetworkID: b, ClientID: c, UserID: d, DeepResearch: flag}
		mb := whMessageBody{ID: a, Type: b, GroupID: c, GroupType: d, TopicID: e}
		opt := []*string{&mb.Text, &mb.PictureID, &mb.FileID, &mb.FileName, &mb.PackageID, &mb.StickerID}
		for i, p := range opt {
			if shape>>(2+i%6)&1 == 1 || i == 0 {
				*p = text
			}
		}
		msg := whMessage{ReplyToken: a, Type: e, Source: src, Message: mb, Timestamp: text, SessionID: b, Meta: meta}
		want, err := marshalBody(msg)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), string(messageBody(&msg))); diff != "" {
			t.Errorf("messageBody (-want +got):\n%s", diff)
		}
		pb := whPostback{ReplyToken: c, Type: d, Source: src, Postback: EventPostback{Data: text, Text: e}, Timestamp: a, SessionID: b, Meta: meta}
		if !flag {
			pb.Postback.Text = ""
		}
		want, err = marshalBody(pb)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), string(postbackBody(&pb))); diff != "" {
			t.Errorf("postbackBody (-want +got):\n%s", diff)
		}
	})
}

// FuzzISOMillis checks isoMillisString against time.Format, years outside
// 0..9999 included.
func FuzzISOMillis(f *testing.F) {
	f.Add(int64(0), int64(0))
	f.Add(time.Date(2026, 12, 5, 10, 44, 6, 435999999, time.UTC).Unix(), int64(435999999))
	f.Add(int64(-62167219200), int64(1)) // year 0
	f.Add(int64(253402300799), int64(999999999))
	f.Add(int64(253402300800), int64(0)) // year 10000
	f.Add(int64(-62167219201), int64(0)) // year -1
	f.Fuzz(func(t *testing.T, sec, nsec int64) {
		tm := time.Unix(sec, nsec).In(time.FixedZone("X", 5*3600+1800))
		if want, got := tm.UTC().Format(isoMillis), isoMillisString(tm); got != want {
			t.Errorf("isoMillisString(%v) = %q, want %q", tm, got, want)
		}
	})
}
