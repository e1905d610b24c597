package mockeko

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"unicode/utf8"
)

// BotV2 message limits (eko-api.md §3.5; the LINE-derived ones are INFERRED).
const (
	maxTextLen       = 5000 // text message (INFERRED)
	maxURLLen        = 1000
	maxLabelLen      = 20
	maxTitleLen      = 40
	maxButtonsText   = 160
	maxTextWithImage = 60
	maxButtonActions = 4
	maxColumns       = 10
	maxColumnActions = 3   // INFERRED
	maxColumnText    = 120 // INFERRED
	maxImagemapActs  = 50
	maxActionData    = 300 // INFERRED
)

// v2Answer is the answer to a successful BotV2 push or reply.
type v2Answer struct {
	Status   string       `json:"status"`
	Messages []pushResult `json:"messages"`
}

// pushV2 is POST /bot/v2/message/push: {gid, tid?, messages[]}.
func (s *Server) pushV2(w http.ResponseWriter, r *http.Request, c *call) error {
	b, err := s.readBody(w, r, encJSON)
	if err != nil {
		return err
	}
	var req struct {
		GID      string            `json:"gid"`
		TID      string            `json:"tid"`
		Messages []json.RawMessage `json:"messages"`
	}
	if err := decodeJSON(b.raw, &req); err != nil {
		return err
	}
	if req.GID == "" {
		return badRequest("%q is required", "gid")
	}
	msgs, err := s.parseV2Messages(req.Messages)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, tid, err := s.st.chat(&c.bot, req.GID, req.TID)
	if err != nil {
		return err
	}
	return s.storeV2(w, c, g.ID, tid, "/bot/v2/message/push", msgs)
}

// replyV2 is POST /bot/v2/message/reply: {replyToken, messages[]}.
func (s *Server) replyV2(w http.ResponseWriter, r *http.Request, c *call) error {
	b, err := s.readBody(w, r, encJSON)
	if err != nil {
		return err
	}
	var req struct {
		ReplyToken string            `json:"replyToken"`
		Messages   []json.RawMessage `json:"messages"`
	}
	if err := decodeJSON(b.raw, &req); err != nil {
		return err
	}
	if req.ReplyToken == "" {
		return badRequest("%q is required", "replyToken")
	}
	msgs, err := s.parseV2Messages(req.Messages)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	gid, tid, err := s.st.useReplyToken(&c.bot, req.ReplyToken, s.now(), s.cfg.replySingleUse)
	if err != nil {
		return err
	}
	return s.storeV2(w, c, gid, tid, "/bot/v2/message/reply", msgs)
}

// storeV2 stores checked v2 messages; caller holds s.mu.
func (s *Server) storeV2(w http.ResponseWriter, c *call, gid, tid, endpoint string, msgs []*Message) error {
	out := v2Answer{Status: "success", Messages: make([]pushResult, 0, len(msgs))}
	for _, m := range msgs {
		m.GID, m.TID, m.Sender, m.Endpoint, m.CreatedAt = gid, tid, Sender{Kind: SenderBot, ID: c.bot.ID}, endpoint, s.now()
		s.st.addMessage(s.ids, m, s.cfg.messageCap)
		out.Messages = append(out.Messages, resultOf(m))
	}
	writeJSON(w, s.cfg.successStatus, out)
	return nil
}

// v2check walks a decoded v2 message and reports the first problem with its path.
type v2check struct {
	items []QuickReplyItem
}

type obj = map[string]any

func (s *Server) parseV2Messages(raw []json.RawMessage) ([]*Message, error) {
	if len(raw) == 0 {
		return nil, badRequest("%q is required: an array of 1 to %d message objects", "messages", s.cfg.maxMessages)
	}
	if len(raw) > s.cfg.maxMessages {
		return nil, badRequest("messages holds %d message objects; at most %d are allowed", len(raw), s.cfg.maxMessages)
	}
	out := make([]*Message, 0, len(raw))
	for i, r := range raw {
		var m obj
		if err := json.Unmarshal(r, &m); err != nil || m == nil {
			return nil, badRequest("messages[%d] must be an object, got %s", i, describeJSON(r))
		}
		ck := &v2check{}
		msg, err := ck.message(m, fmt.Sprintf("messages[%d]", i))
		if err != nil {
			return nil, err
		}
		msg.Items = ck.items
		msg.Payload = append(json.RawMessage(nil), r...)
		out = append(out, msg)
	}
	return out, nil
}

func str(m obj, key, path string, required bool, max int) (string, error) {
	v, ok := m[key]
	if !ok || v == nil {
		if required {
			return "", badRequest("%s.%s is required", path, key)
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", badRequest("%s.%s must be a string", path, key)
	}
	if required && s == "" {
		return "", badRequest("%s.%s is not allowed to be empty", path, key)
	}
	if max > 0 && utf8.RuneCountInString(s) > max {
		return "", badRequest("%s.%s is %d characters long; at most %d are allowed", path, key, utf8.RuneCountInString(s), max)
	}
	return s, nil
}

func urlField(m obj, key, path string, required bool) (string, error) {
	s, err := str(m, key, path, required, maxURLLen)
	if err != nil || s == "" {
		return s, err
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", badRequest("%s.%s must be an http(s) URL, got %q", path, key, s)
	}
	return s, nil
}

func child(m obj, key, path string, required bool) (obj, error) {
	v, ok := m[key]
	if !ok || v == nil {
		if required {
			return nil, badRequest("%s.%s is required", path, key)
		}
		return nil, nil
	}
	o, ok := v.(obj)
	if !ok {
		return nil, badRequest("%s.%s must be an object", path, key)
	}
	return o, nil
}

func list(m obj, key, path string, min, max int) ([]any, error) {
	v, ok := m[key]
	if !ok || v == nil {
		if min > 0 {
			return nil, badRequest("%s.%s is required", path, key)
		}
		return nil, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, badRequest("%s.%s must be an array", path, key)
	}
	if len(l) < min || len(l) > max {
		return nil, badRequest("%s.%s holds %d items; want %d to %d", path, key, len(l), min, max)
	}
	return l, nil
}

func positive(m obj, key, path string) error {
	v, ok := m[key].(float64)
	if !ok {
		return badRequest("%s.%s is required: a positive number", path, key)
	}
	if v <= 0 {
		return badRequest("%s.%s must be positive", path, key)
	}
	return nil
}

func enum(m obj, key, path string, allowed ...string) error {
	s, err := str(m, key, path, false, 0)
	if err != nil || s == "" {
		return err
	}
	for _, a := range allowed {
		if s == a {
			return nil
		}
	}
	return badRequest("%s.%s must be one of %q, got %q", path, key, allowed, s)
}

func (ck *v2check) message(m obj, path string) (*Message, error) {
	typ, err := str(m, "type", path, true, 0)
	if err != nil {
		return nil, err
	}
	msg := &Message{Type: typ}
	switch typ {
	case "text":
		if msg.Text, err = str(m, "text", path, true, maxTextLen); err != nil {
			return nil, err
		}
	case "image", "video":
		if _, err = urlField(m, "originalContentUrl", path, true); err != nil {
			return nil, err
		}
		if _, err = urlField(m, "previewImageUrl", path, true); err != nil {
			return nil, err
		}
	case "audio":
		if _, err = urlField(m, "originalContentUrl", path, true); err != nil {
			return nil, err
		}
		if err = positive(m, "duration", path); err != nil {
			return nil, err
		}
	case "imagemap":
		if err = ck.imagemap(m, path, msg); err != nil {
			return nil, err
		}
	case "template":
		if err = ck.template(m, path, msg); err != nil {
			return nil, err
		}
	default:
		return nil, badRequest("%s.type %q is not a BotV2 message type: want text, image, video, audio, imagemap or template", path, typ)
	}
	if err := ck.quickReply(m, path); err != nil {
		return nil, err
	}
	return msg, nil
}

func (ck *v2check) imagemap(m obj, path string, msg *Message) error {
	if _, err := urlField(m, "baseUrl", path, true); err != nil {
		return err
	}
	alt, err := str(m, "altText", path, false, 400)
	if err != nil {
		return err
	}
	msg.Text = alt
	size, err := child(m, "baseSize", path, true)
	if err != nil {
		return err
	}
	for _, k := range []string{"width", "height"} {
		if err := positive(size, k, path+".baseSize"); err != nil {
			return err
		}
	}
	acts, err := list(m, "actions", path, 1, maxImagemapActs)
	if err != nil {
		return err
	}
	for i, a := range acts {
		ap := fmt.Sprintf("%s.actions[%d]", path, i)
		ao, ok := a.(obj)
		if !ok {
			return badRequest("%s must be an object", ap)
		}
		area, err := child(ao, "area", ap, true)
		if err != nil {
			return err
		}
		for _, k := range []string{"x", "y", "width", "height"} {
			if _, ok := area[k].(float64); !ok {
				return badRequest("%s.area.%s is required: a number", ap, k)
			}
		}
		if err := ck.action(ao, ap, false, true); err != nil {
			return err
		}
	}
	return nil
}

func (ck *v2check) template(m obj, path string, msg *Message) error {
	alt, err := str(m, "altText", path, false, 400)
	if err != nil {
		return err
	}
	msg.Text = alt
	t, err := child(m, "template", path, true)
	if err != nil {
		return err
	}
	tp := path + ".template"
	typ, err := str(t, "type", tp, true, 0)
	if err != nil {
		return err
	}
	if err := enum(t, "imageAspectRatio", tp, "rectangle", "square"); err != nil {
		return err
	}
	if err := enum(t, "imageSize", tp, "cover", "contain"); err != nil {
		return err
	}
	switch typ {
	case "buttons":
		text, err := ck.column(t, tp, maxButtonsText, maxButtonActions)
		if msg.Text == "" {
			msg.Text = text
		}
		return err
	case "carousel":
		cols, err := list(t, "columns", tp, 1, maxColumns)
		if err != nil {
			return err
		}
		for i, c := range cols {
			co, ok := c.(obj)
			if !ok {
				return badRequest("%s.columns[%d] must be an object", tp, i)
			}
			if _, err := ck.column(co, fmt.Sprintf("%s.columns[%d]", tp, i), maxColumnText, maxColumnActions); err != nil {
				return err
			}
		}
		return nil
	}
	return badRequest("%s.type %q is not a template type: want buttons or carousel", tp, typ)
}

// column checks a buttons template or a carousel column.
func (ck *v2check) column(t obj, path string, maxText, maxActions int) (string, error) {
	thumb, err := urlField(t, "thumbnailImageUrl", path, false)
	if err != nil {
		return "", err
	}
	title, err := str(t, "title", path, false, maxTitleLen)
	if err != nil {
		return "", err
	}
	limit := maxText
	if thumb != "" || title != "" {
		limit = maxTextWithImage
	}
	text, err := str(t, "text", path, true, limit)
	if err != nil {
		return "", err
	}
	acts, err := list(t, "actions", path, 1, maxActions)
	if err != nil {
		return "", err
	}
	for i, a := range acts {
		ao, ok := a.(obj)
		if !ok {
			return "", badRequest("%s.actions[%d] must be an object", path, i)
		}
		if err := ck.action(ao, fmt.Sprintf("%s.actions[%d]", path, i), true, false); err != nil {
			return "", err
		}
	}
	return text, nil
}

func (ck *v2check) quickReply(m obj, path string) error {
	qr, err := child(m, "quickReply", path, false)
	if err != nil || qr == nil {
		return err
	}
	qp := path + ".quickReply"
	items, err := list(qr, "items", qp, 1, maxQuickReplyItems)
	if err != nil {
		return err
	}
	for i, it := range items {
		ip := fmt.Sprintf("%s.items[%d]", qp, i)
		io, ok := it.(obj)
		if !ok {
			return badRequest("%s must be an object", ip)
		}
		if typ, err := str(io, "type", ip, true, 0); err != nil {
			return err
		} else if typ != "action" {
			return badRequest("%s.type must be \"action\", got %q", ip, typ)
		}
		if _, err := urlField(io, "imageUrl", ip, false); err != nil {
			return err
		}
		a, err := child(io, "action", ip, true)
		if err != nil {
			return err
		}
		if err := ck.action(a, ip+".action", true, false); err != nil {
			return err
		}
	}
	return nil
}

// action checks an action object and records it as a tappable item.
func (ck *v2check) action(a obj, path string, labelRequired, imagemap bool) error {
	typ, err := str(a, "type", path, true, 0)
	if err != nil {
		return err
	}
	label, err := str(a, "label", path, labelRequired, maxLabelLen)
	if err != nil {
		return err
	}
	item := QuickReplyItem{Type: typ, Label: label}
	switch typ {
	case "message":
		if item.Value, err = str(a, "text", path, true, maxActionData); err != nil {
			return err
		}
	case "postback":
		if item.Data, err = str(a, "data", path, true, maxActionData); err != nil {
			return err
		}
		if item.Text, err = str(a, "text", path, false, maxActionData); err != nil {
			return err
		}
	case "uri":
		key := "uri"
		if imagemap {
			key = "linkUri"
		}
		if item.Value, err = urlField(a, key, path, true); err != nil {
			return err
		}
	case "workflowTemplate":
		if item.Value, err = str(a, "templateId", path, true, 0); err != nil {
			return err
		}
	case "workflow":
		if item.Value, err = str(a, "workflowId", path, true, 0); err != nil {
			return err
		}
	case "library":
		if item.Value, err = urlField(a, "url", path, true); err != nil {
			return err
		}
	default:
		return badRequest("%s.type %q is not an action type: want message, postback, uri, workflowTemplate, workflow or library", path, typ)
	}
	ck.items = append(ck.items, item)
	return nil
}
