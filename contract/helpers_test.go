package contract

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"sync"
	"testing"
)

// The embedded contract is compiled once per test binary; Contract is
// immutable, so sharing it between parallel tests is safe.
var (
	sharedOnce sync.Once
	shared     *Contract
	sharedErr  error
)

func mustDefault(tb testing.TB) *Contract {
	tb.Helper()
	sharedOnce.Do(func() { shared, sharedErr = Default() })
	if sharedErr != nil {
		tb.Fatalf("Default: %v", sharedErr)
	}
	return shared
}

const (
	token   = "835c1bc124ca99be1c6a8a175018252c84b22bbf"
	replyTk = "8350939af2afb69a969649e1e8a9436669da9e83"
	uid     = "5d8af2ff164176ecaec49e5c"
	gid     = "5d91c6017755dba7a80a93c6"
	tid     = "5d91c6d350088a9246ad9256"
)

// req builds a request with a bearer token unless auth is "none".
func req(method, target, contentType, body string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

type part struct {
	name, filename, contentType, value string
}

// multipartBody encodes parts; a part with a filename is a file.
func multipartBody(parts ...part) (contentType, body string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, p := range parts {
		if p.filename == "" {
			_ = w.WriteField(p.name, p.value)
			continue
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+p.name+`"; filename="`+p.filename+`"`)
		ct := p.contentType
		if ct == "" {
			ct = "image/png"
		}
		h.Set("Content-Type", ct)
		pw, _ := w.CreatePart(h)
		_, _ = pw.Write([]byte(p.value))
	}
	_ = w.Close()
	return w.FormDataContentType(), b.String()
}

func locations(vs []Violation) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.Location)
	}
	return out
}

var pngBytes = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
