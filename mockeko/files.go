package mockeko

import (
	"net/http"
	"strconv"
)

// serveFile is GET /file/view/{id} and /file/image/{id}: the bytes of an
// uploaded or inbound file, with its content type, to a bot that is a
// member of the file's chat. The size parameter (small|medium|large) is
// accepted and ignored: mockeko keeps one rendition.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, c *call) error {
	if sz := r.URL.Query().Get("size"); sz != "" && sz != "small" && sz != "medium" && sz != "large" {
		return badRequest("size must be small, medium or large, got %q", sz)
	}
	id := r.PathValue("id")
	s.mu.Lock()
	f, ok := s.st.files[id]
	var data []byte
	var ct string
	if ok {
		g, gok := s.st.groups[f.GID]
		ok = gok && g.HasMember(c.bot.ID)
		data, ct = f.data, f.ContentType
	}
	s.mu.Unlock()
	if !ok {
		return notFound("file %s not found", id)
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("Cache-Control", "private, max-age=0")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
	return nil
}
