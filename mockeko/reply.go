package mockeko

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// statusBody is the answer to a successful reply: {"status":"success"}.
type statusBody struct {
	Status string `json:"status"`
}

var success = statusBody{Status: "success"}

// replyText is POST /bot/v1/message/text: {message, replyToken} as
// multipart (the docs), urlencoded, or JSON (Eko's own demo bot).
func (s *Server) replyText(w http.ResponseWriter, r *http.Request, c *call) error {
	b, err := s.readBody(w, r, encJSON|encForm|encMultipart)
	if err != nil {
		return err
	}
	text, err := b.requireStr("message")
	if err != nil {
		return err
	}
	tok, err := b.requireStr("replyToken")
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	gid, tid, err := s.st.useReplyToken(&c.bot, tok, s.now(), s.cfg.replySingleUse)
	if err != nil {
		return err
	}
	m := s.botMessage(c, gid, tid, "text", "/bot/v1/message/text")
	m.Text = text
	s.st.addMessage(s.ids, m, s.cfg.messageCap)
	writeJSON(w, s.cfg.successStatus, success)
	return nil
}

// replyPicture is POST /bot/v1/message/picture: multipart file + replyToken.
func (s *Server) replyPicture(w http.ResponseWriter, r *http.Request, c *call) error {
	b, err := s.readBody(w, r, encMultipart)
	if err != nil {
		return err
	}
	tok, err := b.requireStr("replyToken")
	if err != nil {
		return err
	}
	up, err := requireFile(b, "picture")
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	gid, tid, err := s.st.useReplyToken(&c.bot, tok, s.now(), s.cfg.replySingleUse)
	if err != nil {
		return err
	}
	s.storeUpload(c, gid, tid, "picture", "/bot/v1/message/picture", up, "")
	writeJSON(w, s.cfg.successStatus, success)
	return nil
}

func requireFile(b *body, kind string) (*upload, error) {
	up, err := b.file("file")
	if err != nil {
		return nil, err
	}
	if up == nil {
		return nil, badRequest("%q is required: send the %s as a multipart file part named file", "file", kind)
	}
	if len(up.data) == 0 {
		return nil, badRequest("%q is empty", "file")
	}
	return up, nil
}

// storeUpload stores a picture or file message; caller holds s.mu.
func (s *Server) storeUpload(c *call, gid, tid, typ, endpoint string, up *upload, caption string) *Message {
	if typ == "picture" && !strings.HasPrefix(up.contentType, "image/") {
		// Real Eko accepts such a picture and silently drops it (eko-api.md §3.1).
		s.log.Warn("picture part is not an image/* type; real Eko silently drops it", "contentType", up.contentType, "endpoint", endpoint)
	}
	f := s.st.storeFile(s.ids, up, gid, s.now())
	m := s.botMessage(c, gid, tid, typ, endpoint)
	m.FileID, m.FileName, m.ContentType, m.Size, m.Caption = f.ID, f.Name, f.ContentType, f.Size, caption
	return s.st.addMessage(s.ids, m, s.cfg.messageCap)
}

// quickReplyRequest is the body of POST /bot/v1/message/quickreply.
type quickReplyRequest struct {
	ReplyToken string `json:"replyToken"`
	Message    *struct {
		Data string `json:"data"`
		Meta *struct {
			QuickReply *struct {
				Template string `json:"template"`
				Items    []struct {
					Type  string `json:"type"`
					Value string `json:"value"`
					Data  *struct {
						Text string `json:"text"`
					} `json:"data"`
				} `json:"items"`
			} `json:"quickreply"`
		} `json:"meta"`
	} `json:"message"`
}

// maxQuickReplyItems is the most items a quick reply may carry (13 in BotV2; INFERRED for v1).
const maxQuickReplyItems = 13

// replyQuickReply is POST /bot/v1/message/quickreply (JSON).
func (s *Server) replyQuickReply(w http.ResponseWriter, r *http.Request, c *call) error {
	b, err := s.readBody(w, r, encJSON)
	if err != nil {
		return err
	}
	var req quickReplyRequest
	if err := decodeJSON(b.raw, &req); err != nil {
		return err
	}
	if req.ReplyToken == "" {
		return badRequest("%q is required", "replyToken")
	}
	if req.Message == nil {
		return badRequest("%q is required", "message")
	}
	if strings.TrimSpace(req.Message.Data) == "" {
		return badRequest("%q is not allowed to be empty", "message.data")
	}
	if req.Message.Meta == nil || req.Message.Meta.QuickReply == nil {
		return badRequest("%q is required", "message.meta.quickreply")
	}
	qr := req.Message.Meta.QuickReply
	if len(qr.Items) == 0 || len(qr.Items) > maxQuickReplyItems {
		return badRequest("message.meta.quickreply.items must hold 1 to %d items, got %d", maxQuickReplyItems, len(qr.Items))
	}
	items := make([]QuickReplyItem, 0, len(qr.Items))
	for i, it := range qr.Items {
		f := fmt.Sprintf("message.meta.quickreply.items[%d]", i)
		if it.Type != "label" {
			return badRequest("%s.type must be \"label\", got %q", f, it.Type)
		}
		if it.Value == "" {
			return badRequest("%q is not allowed to be empty", f+".value")
		}
		if it.Data == nil || it.Data.Text == "" {
			return badRequest("%q is required: the button's label", f+".data.text")
		}
		items = append(items, QuickReplyItem{Type: "label", Label: it.Data.Text, Value: it.Value})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	gid, tid, err := s.st.useReplyToken(&c.bot, req.ReplyToken, s.now(), s.cfg.replySingleUse)
	if err != nil {
		return err
	}
	m := s.botMessage(c, gid, tid, "quickreply", "/bot/v1/message/quickreply")
	m.Text, m.Items = req.Message.Data, items
	m.Payload, _ = json.Marshal(req.Message)
	s.st.addMessage(s.ids, m, s.cfg.messageCap)
	writeJSON(w, s.cfg.successStatus, success)
	return nil
}
