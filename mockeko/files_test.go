package mockeko_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/mockeko/mockeko/mockeko"
)

// uploadTo pushes a picture to the team as the default bot and returns its file id.
func uploadTo(t *testing.T, srv *mockeko.Server, tok string) string {
	t.Helper()
	return checkPushAnswer(t, srv, postMultipart(t, srv, tok, "/bot/v1/group/picture", []field{{"gid", teamGID}},
		filePart{"file", "a.png", "image/png", pngBytes}), 201).FileID
}

func TestFileSizes(t *testing.T) {
	t.Parallel()
	srv := start(t)
	tok := botToken(t, srv)
	id := uploadTo(t, srv, tok)
	for _, q := range []string{"", "?size=small", "?size=medium", "?size=large"} {
		for _, p := range []string{"/file/view/", "/file/image/"} {
			r := send(t, srv, http.MethodGet, p+id+q, tok, "", nil)
			if r.status != 200 || !bytes.Equal(r.body, pngBytes) || r.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("GET %s%s%s: %d %v", p, id, q, r.status, r.header)
			}
		}
	}
}

func TestFileFailures(t *testing.T) {
	t.Parallel()
	get := func(path string) func(*testing.T, *mockeko.Server, string, string) resp {
		return func(t *testing.T, srv *mockeko.Server, tok, id string) resp {
			return send(t, srv, http.MethodGet, path+id, tok, "", nil)
		}
	}
	upload := func(t *testing.T, srv *mockeko.Server, tok string) string { return uploadTo(t, srv, tok) }
	runFailures(t, []failCase{
		{name: "unknown id", do: get("/file/view/" + unknownID), status: 404, code: "not_found", msg: "file " + unknownID + " not found"},
		{name: "unknown id, image path", do: get("/file/image/nope"), status: 404, code: "not_found", msg: "file nope not found"},
		{name: "bad size", setup: upload, do: func(t *testing.T, srv *mockeko.Server, tok, id string) resp {
			return send(t, srv, http.MethodGet, "/file/view/"+id+"?size=huge", tok, "", nil)
		}, status: 400, code: "invalid_request", msg: `size must be small, medium or large, got "huge"`},
		{name: "a chat the bot is not in", setup: func(t *testing.T, srv *mockeko.Server, _ string) string {
			other := tokenFor(t, srv, otherBotCID, otherBotSecr, "bot")
			return checkPushAnswer(t, srv, postMultipart(t, srv, other, "/bot/v1/direct/file", []field{{"uid", aliceID}},
				filePart{"file", "secret.pdf", "application/pdf", []byte("%PDF")}), 201).FileID
		}, do: get("/file/view/"), status: 404, code: "not_found", msg: "file {x} not found"},
		{name: "unknown query token", setup: upload, do: func(t *testing.T, srv *mockeko.Server, _, id string) resp {
			return send(t, srv, http.MethodGet, "/file/view/"+id+"?access_token=0123456789012345678901234567890123456789", "", "", nil)
		}, status: 401, code: "invalid_token", msg: "access token is unknown or revoked: get a new one from POST /oauth/token"},
		{name: "POST", setup: upload, do: func(t *testing.T, srv *mockeko.Server, tok, id string) resp {
			return send(t, srv, http.MethodPost, "/file/view/"+id, tok, "", nil)
		}, status: 405, code: "method_not_allowed", msg: "POST is not allowed on /file/view/{x}"},
	})
}
