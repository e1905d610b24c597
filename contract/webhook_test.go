package contract

import (
	"encoding/base64"
	"mime"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	joinEvent    = `{"type":"join","replyToken":"1f3870be274f6c49b3e31a0c6728957f1e2a9d3b","source":{"type":"direct_chat","uid":"5ac20cd38c62770001538ece"},"timestamp":1539920767866}`
	source       = `{"type":"user","userId":"5ac20cd38c62770001538ece","username":"u1.tutorial","email":"","profile":{"FullName":"U One"}}`
	meta         = `{"botId":"5ae99669299892c81ec1d7f0","networkId":"5ae99669299892c81ec1d7f1","clientId":"7bcee21a-3f7e-4338-97af-a90842176849","userId":"5ae99669299892c81ec1d7f2","deep_research":false}`
	msgCommon    = `"id":"5bcaa50554ffc8d4b1a861b1","groupId":"5ae99669299892c81ec1d7fa","groupType":"direct_chat","topicId":"5ae996692998924badc1d7fb"`
	messageEvent = `{"type":"message","replyToken":"8350939af2afb69a969649e1e8a9436669da9e83","source":` + source + `,"message":{` + msgCommon + `,"type":"text","text":"hello"},"timestamp":"2018-10-19T03:46:07.866Z","sessionId":"5ae99669299892c81ec1d7fa_5ae996692998924badc1d7fb","meta":` + meta + `}`
)

func TestValidateWebhook(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	msg := func(m string) string {
		return `{"events":[{"type":"message","replyToken":"8350939af2afb69a969649e1e8a9436669da9e83","source":` + source + `,"message":{` + msgCommon + `,` + m + `},"timestamp":"2018-10-19T03:46:07.866Z","sessionId":"5ae99669299892c81ec1d7fa_5ae996692998924badc1d7fb","meta":` + meta + `}]}`
	}
	tests := []struct {
		name, body string
		want       []string
	}{
		{"join", `{"events":[` + joinEvent + `]}`, nil},
		{"text message", `{"events":[` + messageEvent + `]}`, nil},
		{"picture", msg(`"type":"picture","pictureId":"5e1f4b2a9c8d7e6f5a4b3c2d","fileName":"photo.jpg"`), nil},
		{"sticker", msg(`"type":"sticker","packageId":"11537","stickerId":"52002734"`), nil},
		{"file", msg(`"type":"file","fileId":"5e1f4b2a9c8d7e6f5a4b3c2e","fileName":"r.pdf"`), nil},
		{"postback", `{"events":[{"type":"postback","replyToken":"9c1185a5c5e9fc54612808977ee8f548b2258d31","source":` + source + `,"postback":{"data":"drink=tea","text":"Tea"},"timestamp":"2018-10-19T03:47:00.000Z"}]}`, nil},
		{"workflow", `{"events":[{"type":"workflow","workflow":{"type":"created","_id":"5cb6f9e1c3a4b2001f0e4d22","title":"Leave","recipients":["5ac20cd38c62770001538ece"]}}]}`, nil},
		{"picture without its id", msg(`"type":"picture","fileName":"photo.jpg"`), []string{"/events/0/message/pictureId"}},
		{"picture called image", msg(`"type":"image"`), []string{"/events/0/message/type"}},
		{"join with ISO timestamp", `{"events":[{"type":"join","replyToken":"1f3870be274f6c49b3e31a0c6728957f1e2a9d3b","source":{"type":"direct_chat","uid":"5ac20cd38c62770001538ece"},"timestamp":"2018-10-19T03:46:07.866Z"}]}`, []string{"/events/0/timestamp"}},
		{"message with epoch timestamp and no meta", `{"events":[{"type":"message","replyToken":"8350939af2afb69a969649e1e8a9436669da9e83","source":` + source + `,"message":{` + msgCommon + `,"type":"text","text":"x"},"timestamp":1,"sessionId":"a_b"}]}`, []string{"/events/0/meta", "/events/0/sessionId", "/events/0/timestamp"}},
		{"no events", `{"events":[]}`, []string{"/events"}},
		{"unknown event", `{"events":[{"type":"leave"}]}`, []string{"/events/0/type"}},
		{"not JSON", `events`, []string{"body"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vs := c.ValidateWebhook([]byte(tt.body))
			got := locations(vs)
			sort.Strings(got)
			if len(got) == 0 {
				got = nil
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("locations (-want +got):\n%s\nviolations: %v", diff, vs)
			}
			for _, v := range vs {
				if v.Direction != DirectionWebhook || v.Operation != WebhookOperation {
					t.Errorf("malformed violation %+v", v)
				}
			}
		})
	}
}

func TestValidateWebhookHeaderAndAnswer(t *testing.T) {
	t.Parallel()
	c := mustDefault(t)
	body := []byte(`{"events":[` + joinEvent + `]}`)
	good := http.Header{"Content-Type": {"application/json;charset=utf-8"}, "X-Eko-Signature": {Sign("s3cr3t", body)}}
	if vs := c.ValidateWebhookHeader(good); len(vs) != 0 {
		t.Errorf("good headers: %v", vs)
	}
	if !VerifySignature("s3cr3t", body, good.Get("X-Eko-Signature")) || VerifySignature("other", body, good.Get("X-Eko-Signature")) {
		t.Error("VerifySignature disagrees with Sign")
	}
	bad := http.Header{"Content-Type": {"text/plain"}, "X-Eko-Signature": {"sha256=abc"}}
	if diff := cmp.Diff([]string{"header.Content-Type", "header.X-Eko-Signature"}, locations(c.ValidateWebhookHeader(bad))); diff != "" {
		t.Errorf("bad headers (-want +got):\n%s", diff)
	}
	for status, want := range map[int]int{200: 0, 204: 0, 201: 0, 301: 1, 403: 1, 500: 1} {
		if got := len(c.ValidateWebhookAnswer(status, nil, []byte("ok"))); got != want {
			t.Errorf("answer %d: %d violations, want %d", status, got, want)
		}
	}
}

// The webhook's plan, where it answers, agrees with the long check: a
// delivery it passes has no violations.
func TestWebhookPlanAgrees(t *testing.T) {
	c := mustDefault(t)
	if c.webhookPlan == nil || c.webhookPlan.unknown {
		t.Fatal("the webhook envelope has no plan")
	}
	for _, body := range []string{`{"events":[` + joinEvent + `]}`, `{"events":[` + messageEvent + `]}`} {
		if !c.webhookPlan.valid([]byte(body)) {
			t.Errorf("the plan does not pass %s", body)
		}
		if err := kinBodyErr(c.webhook.Value, []byte(body)); err != nil {
			t.Errorf("kin-openapi refuses %s: %v", body, err)
		}
	}
}

// The shortcuts of ValidateWebhookHeader agree with the library calls they
// spare.
func FuzzWebhookHeader(f *testing.F) {
	for _, s := range []string{"application/json", "application/json;charset=utf-8", "application/json; charset=utf-8",
		"Application/JSON", "text/plain", "", "application/json;", Sign("k", []byte("body")), "sha256=abc",
		strings.Repeat("A", 43) + "=", strings.Repeat("A", 44), strings.Repeat("A", 22) + "\r\n" + strings.Repeat("A", 21) + "=",
		strings.Repeat("QUFB", 12), strings.Repeat("QUFB", 13)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mt, _, err := mime.ParseMediaType(s)
		if want, got := err == nil && mt == "application/json", isJSONMediaType(s); got != want {
			t.Errorf("isJSONMediaType(%q) = %v, want %v", s, got, want)
		}
		raw, err := base64.StdEncoding.DecodeString(s)
		if want, got := err == nil && len(raw) == 32, isBase64HMAC(s); got != want {
			t.Errorf("isBase64HMAC(%q) = %v, want %v", s, got, want)
		}
	})
}
