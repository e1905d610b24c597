package mockeko

import (
	"encoding/json"
	"net/http"
	"strings"
)

// textMessage is BotV1's outbound message object: {"type":"text","data":"hi"}.
type textMessage struct {
	Type string `json:"type"`
	Data string `json:"data"`
}

func (m *textMessage) check() error {
	if m == nil {
		return badRequest("%q is required: send {\"type\":\"text\",\"data\":\"...\"}", "message")
	}
	if m.Type != "" && m.Type != "text" {
		return badRequest("message.type must be \"text\", got %q (send pictures and files to the picture and file endpoints)", m.Type)
	}
	if strings.TrimSpace(m.Data) == "" {
		return badRequest("%q is not allowed to be empty", "data")
	}
	return nil
}

// pushAnswer is the answer to a successful push.
type pushAnswer struct {
	Status  string     `json:"status"`
	Message pushResult `json:"message"`
}

// appendPushAnswer appends {"status":"success","message":r} encoded as
// encoding/json encodes a pushAnswer, without reflection. A string that
// needs escaping is left to encoding/json.
func appendPushAnswer(b []byte, r pushResult) []byte {
	if !jsonPlain(r.ID) || !jsonPlain(r.Type) || !jsonPlain(r.GroupID) || !jsonPlain(r.ThreadID) {
		m, _ := json.Marshal(pushAnswer{Status: "success", Message: r}) // strings: cannot fail
		return append(b, m...)
	}
	b = append(b, `{"status":"success","message":{"id":"`...)
	b = append(b, r.ID...)
	b = append(b, `","type":"`...)
	b = append(b, r.Type...)
	b = append(b, `","groupId":"`...)
	b = append(b, r.GroupID...)
	b = append(b, `","threadId":"`...)
	b = append(b, r.ThreadID...)
	return append(b, `"}}`...)
}

// pushDirectMessage is POST /bot/v1/direct/message: {uid, message{type,data}}.
// The message lands in the bot's direct chat with the user, created on first use.
func (s *Server) pushDirectMessage(w http.ResponseWriter, r *http.Request, c *call) error {
	b, err := s.readBody(w, r, encJSON)
	if err != nil {
		return err
	}
	var req struct {
		UID     string       `json:"uid"`
		Message *textMessage `json:"message"`
	}
	if err := decodeJSON(b.raw, &req); err != nil {
		return err
	}
	if req.UID == "" {
		return badRequest("%q is required", "uid")
	}
	if err := req.Message.check(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.st.user(&c.bot, req.UID)
	if err != nil {
		return err
	}
	g := s.st.directChat(s.ids, &c.bot, u, s.now())
	s.pushText(w, c, g.ID, g.MainTopic(), "/bot/v1/direct/message", req.Message.Data)
	return nil
}

// pushText stores a bot's pushed text in a chat and answers the push; the caller holds s.mu.
func (s *Server) pushText(w http.ResponseWriter, c *call, gid, tid, endpoint, text string) {
	m := Message{GID: gid, TID: tid, Sender: Sender{Kind: SenderBot, ID: c.bot.ID}, Type: "text", Text: text, Endpoint: endpoint, CreatedAt: s.now()}
	s.st.addMessage(s.ids, &m, s.cfg.messageCap) // stores a copy: m stays on the stack
	writeRawJSON(w, s.cfg.successStatus, appendPushAnswer(make([]byte, 0, 160), resultOf(&m)))
}

// pushGroupMessage is POST /bot/v1/group/message: {gid, tid?, message}.
// Without tid the message lands in the group's main topic.
func (s *Server) pushGroupMessage(w http.ResponseWriter, r *http.Request, c *call) error {
	b, err := s.readBody(w, r, encJSON)
	if err != nil {
		return err
	}
	var req struct {
		GID     string       `json:"gid"`
		TID     string       `json:"tid"`
		Message *textMessage `json:"message"`
	}
	if err := decodeJSON(b.raw, &req); err != nil {
		return err
	}
	if req.GID == "" {
		return badRequest("%q is required", "gid")
	}
	if err := req.Message.check(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, tid, err := s.st.chat(&c.bot, req.GID, req.TID)
	if err != nil {
		return err
	}
	s.pushText(w, c, g.ID, tid, "/bot/v1/group/message", req.Message.Data)
	return nil
}

// pushDirectUpload serves POST /bot/v1/direct/picture and /direct/file:
// multipart uid, file, caption (pictures).
func pushDirectUpload(typ string) apiFunc {
	endpoint := "/bot/v1/direct/" + typ
	return func(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
		b, err := s.readBody(w, r, encMultipart)
		if err != nil {
			return err
		}
		uid, err := b.requireStr("uid")
		if err != nil {
			return err
		}
		up, err := requireFile(b, typ)
		if err != nil {
			return err
		}
		caption, _ := b.str("caption")
		s.mu.Lock()
		defer s.mu.Unlock()
		u, err := s.st.user(&c.bot, uid)
		if err != nil {
			return err
		}
		g := s.st.directChat(s.ids, &c.bot, u, s.now())
		m := s.storeUpload(c, g.ID, g.MainTopic(), typ, endpoint, up, caption)
		writeRawJSON(w, s.cfg.successStatus, appendPushAnswer(make([]byte, 0, 160), resultOf(m)))
		return nil
	}
}

// pushGroupUpload serves POST /bot/v1/group/picture and /group/file:
// multipart gid, tid (optional), file, caption (pictures).
func pushGroupUpload(typ string) apiFunc {
	endpoint := "/bot/v1/group/" + typ
	return func(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
		b, err := s.readBody(w, r, encMultipart)
		if err != nil {
			return err
		}
		gid, err := b.requireStr("gid")
		if err != nil {
			return err
		}
		tid, _ := b.str("tid")
		up, err := requireFile(b, typ)
		if err != nil {
			return err
		}
		caption, _ := b.str("caption")
		s.mu.Lock()
		defer s.mu.Unlock()
		g, tid, err := s.st.chat(&c.bot, gid, tid)
		if err != nil {
			return err
		}
		m := s.storeUpload(c, g.ID, tid, typ, endpoint, up, caption)
		writeRawJSON(w, s.cfg.successStatus, appendPushAnswer(make([]byte, 0, 160), resultOf(m)))
		return nil
	}
}

// notifyAnswer is the answer to POST /bot/v1/notify/text.
type notifyAnswer struct {
	Status     string `json:"status"`
	Recipients int    `json:"recipients"`
}

// notifyText is POST /bot/v1/notify/text: {message}. Real Eko's semantics
// are undocumented (eko-api.md §3.3); mockeko delivers the text to every
// direct chat the bot has with a live user (its "subscribers").
func (s *Server) notifyText(w http.ResponseWriter, r *http.Request, c *call) error {
	b, err := s.readBody(w, r, encJSON)
	if err != nil {
		return err
	}
	text, err := b.requireStr("message")
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, gid := range s.st.groupOrder {
		g := s.st.groups[gid]
		if g.Type != GroupTypeDirect || !g.HasMember(c.bot.ID) {
			continue
		}
		live := false
		for _, id := range g.MemberIDs {
			if u, ok := s.st.users[id]; ok && !u.Deleted {
				live = true
			}
		}
		if !live {
			continue
		}
		m := s.botMessage(c, g.ID, g.MainTopic(), "text", "/bot/v1/notify/text")
		m.Text = text
		s.st.addMessage(s.ids, m, s.cfg.messageCap)
		n++
	}
	writeJSON(w, s.cfg.successStatus, notifyAnswer{Status: "success", Recipients: n})
	return nil
}
