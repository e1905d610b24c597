package mockeko

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Event types a simulated user can trigger. EventTypeTap is mockeko's own: a
// tap on an item a bot sent, which becomes a message or postback event.
const (
	EventTypeJoin     = "join"
	EventTypeMessage  = "message"
	EventTypePostback = "postback"
	EventTypeWorkflow = "workflow"
	EventTypeTap      = "tap"
)

// Event is a simulated user's action: what Trigger, POST /_mockeko/events
// and `mockeko trigger` take. mockeko turns it into the webhook event real
// Eko would send (eko-api.md §4) and delivers it to the bot.
type Event struct {
	// Type is join, message, postback, workflow or tap.
	Type string `json:"type"`
	// BotID is the bot that gets the webhook. Default: the only bot in the
	// group GID, or the default bot; for a tap, the bot that sent the message.
	BotID string `json:"botId,omitempty"`
	// UID is the acting user, by id or username.
	UID string `json:"uid,omitempty"`
	// GID and TID are the chat: a group the user and the bot are members
	// of, and one of its topics ("" is the main one). With no GID the user
	// writes in the bot's direct chat, which is created on first use.
	GID string `json:"gid,omitempty"`
	TID string `json:"tid,omitempty"`
	// Message is what the user sends (type message).
	Message *EventMessage `json:"message,omitempty"`
	// Postback is a postback sent without tapping (type postback).
	Postback *EventPostback `json:"postback,omitempty"`
	// Workflow is workflow activity (type workflow).
	Workflow *EventWorkflow `json:"workflow,omitempty"`
	// Tap names the tapped item (type tap).
	Tap *EventTap `json:"tap,omitempty"`
}

// EventMessage is a message a simulated user sends.
type EventMessage struct {
	// Type is text (the default), picture, sticker or file.
	Type string `json:"type,omitempty"`
	// Text is a text message's text.
	Text string `json:"text,omitempty"`
	// FileName, ContentType and Data are a picture's or file's; on the
	// control plane Data is base64. A picture without Data is a small PNG;
	// ContentType defaults to what the bytes look like and must be image/*
	// for a picture.
	FileName    string `json:"fileName,omitempty"`
	ContentType string `json:"contentType,omitempty"`
	Data        []byte `json:"data,omitempty"`
	// PackageID and StickerID are a sticker's.
	PackageID string `json:"packageId,omitempty"`
	StickerID string `json:"stickerId,omitempty"`
}

// EventPostback is the postback object of a postback event.
type EventPostback struct {
	Data string `json:"data"`
	Text string `json:"text,omitempty"`
}

// EventWorkflow is the workflow object of a workflow event (eko-api.md
// §4.3): {type, _id, title, recipients}, with a timestamp beside it.
type EventWorkflow struct {
	Type       string   `json:"type"`
	ID         string   `json:"id,omitempty"` // an ObjectId, sent as _id; generated when empty
	Title      string   `json:"title"`
	Recipients []string `json:"recipients"` // user ids or usernames
}

// EventTypeTap names an item of a bot's message: by Index (from 0, in the
// order the bot sent them) or by Label.
type EventTap struct {
	MessageID string `json:"messageId"`
	Index     *int   `json:"index,omitempty"`
	Label     string `json:"label,omitempty"`
}

// SendOptions say where a simulated user's message goes. The zero value
// (or nil) is the default bot's direct chat with the user.
type SendOptions struct {
	BotID string // the bot that gets the webhook
	GID   string // a group chat instead of the direct chat
	TID   string // a topic of GID; "" is the main topic
}

func (o *SendOptions) event(typ, uid string) Event {
	ev := Event{Type: typ, UID: uid}
	if o != nil {
		ev.BotID, ev.GID, ev.TID = o.BotID, o.GID, o.TID
	}
	return ev
}

// SendText has the user send text to the bot and waits until the webhook
// delivery finishes (delivered, failed or dropped) or ctx ends. The user's
// message is stored in the chat before the bot is called.
func (s *Server) SendText(ctx context.Context, uid, text string, opts *SendOptions) (Delivery, error) {
	ev := opts.event(EventTypeMessage, uid)
	ev.Message = &EventMessage{Type: "text", Text: text}
	return s.triggerWait(ctx, ev)
}

// SendPicture has the user send a picture (nil data: a small PNG) and
// waits for the delivery. The bot can fetch the bytes at
// /file/view/{pictureId}.
func (s *Server) SendPicture(ctx context.Context, uid, fileName string, data []byte, opts *SendOptions) (Delivery, error) {
	ev := opts.event(EventTypeMessage, uid)
	ev.Message = &EventMessage{Type: "picture", FileName: fileName, Data: data}
	return s.triggerWait(ctx, ev)
}

// SendSticker has the user send a sticker and waits for the delivery.
func (s *Server) SendSticker(ctx context.Context, uid, packageID, stickerID string, opts *SendOptions) (Delivery, error) {
	ev := opts.event(EventTypeMessage, uid)
	ev.Message = &EventMessage{Type: "sticker", PackageID: packageID, StickerID: stickerID}
	return s.triggerWait(ctx, ev)
}

// SendFile has the user send a file. Real Eko sends no webhook for files
// (eko-api.md §4.5), so unless the bot's WebhookConfig.FileEvents is set
// the file is only stored, and the returned Delivery has an empty ID and
// the stored message's MessageID.
func (s *Server) SendFile(ctx context.Context, uid, fileName string, data []byte, opts *SendOptions) (Delivery, error) {
	ev := opts.event(EventTypeMessage, uid)
	ev.Message = &EventMessage{Type: "file", FileName: fileName, Data: data}
	return s.triggerWait(ctx, ev)
}

// Join has the user open a direct chat with the bot (opts.BotID, or the
// default bot) and waits for the join delivery.
func (s *Server) Join(ctx context.Context, uid string, opts *SendOptions) (Delivery, error) {
	ev := opts.event(EventTypeJoin, uid)
	if ev.GID != "" || ev.TID != "" {
		return Delivery{}, badRequest("a join happens in the bot's direct chat; do not name gid or tid")
	}
	return s.triggerWait(ctx, ev)
}

// SendPostback has the user send a postback without tapping a button the
// bot sent (see Tap for that) and waits for the delivery.
func (s *Server) SendPostback(ctx context.Context, uid, data, text string, opts *SendOptions) (Delivery, error) {
	ev := opts.event(EventTypePostback, uid)
	ev.Postback = &EventPostback{Data: data, Text: text}
	return s.triggerWait(ctx, ev)
}

// Tap has the user tap item index (from 0) of a bot's message: a BotV1
// quick-reply item or a BotV2 message action sends the bot a message event
// with the item's text, a postback action a postback event. It waits for
// the delivery. Tapping what the bot never sent is an error.
func (s *Server) Tap(ctx context.Context, uid, messageID string, index int) (Delivery, error) {
	return s.triggerWait(ctx, Event{Type: EventTypeTap, UID: uid, Tap: &EventTap{MessageID: messageID, Index: &index}})
}

// TapLabel is Tap by the item's label.
func (s *Server) TapLabel(ctx context.Context, uid, messageID, label string) (Delivery, error) {
	return s.triggerWait(ctx, Event{Type: EventTypeTap, UID: uid, Tap: &EventTap{MessageID: messageID, Label: label}})
}

func (s *Server) triggerWait(ctx context.Context, ev Event) (Delivery, error) {
	d, err := s.Trigger(ev)
	if err != nil || d.ID == "" {
		return d, err
	}
	return s.WaitDone(ctx, d.ID)
}

// Trigger performs the user's action (storing the user's message, minting
// a reply token) and queues the webhook to the bot. It returns at once,
// with the delivery pending; WaitDone and WaitDelivery wait for it. Bad
// input (an unknown user, chat or bot, a bot with no webhook URL) returns
// an *Error and changes nothing.
func (s *Server) Trigger(ev Event) (Delivery, error) {
	if ev.Message != nil { // check fills in defaults: not in the caller's struct
		m := *ev.Message
		ev.Message = &m
	}
	if err := ev.check(); err != nil {
		return Delivery{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Delivery{}, errorf(http.StatusServiceUnavailable, "closing", "the server is closing; no webhooks are sent")
	}
	p, err := s.planLocked(&ev)
	if err != nil {
		return Delivery{}, err
	}
	return s.performLocked(p)
}

// check validates an event's shape, before any state is read.
func (ev *Event) check() error {
	need := func(ok bool, field string) error {
		if !ok {
			return badRequest("%q is required for a %s event", field, ev.Type)
		}
		return nil
	}
	switch ev.Type {
	case EventTypeJoin, EventTypeMessage, EventTypePostback, EventTypeWorkflow, EventTypeTap:
	case "":
		return badRequest("%q is required: join, message, postback, workflow or tap", "type")
	default:
		return badRequest("type %q is not an event type: want join, message, postback, workflow or tap", ev.Type)
	}
	// Each payload field belongs to the event type of the same name only.
	for _, f := range [...]struct {
		field string
		set   bool
	}{{"message", ev.Message != nil}, {"postback", ev.Postback != nil}, {"workflow", ev.Workflow != nil}, {"tap", ev.Tap != nil}} {
		if f.set && f.field != ev.Type {
			return badRequest("%q does not belong in a %s event", f.field, ev.Type)
		}
	}
	if ev.Type != EventTypeWorkflow {
		if err := need(ev.UID != "", "uid"); err != nil {
			return err
		}
	}
	if ev.TID != "" && ev.GID == "" {
		return badRequest("%q needs %q: name the group the topic belongs to", "tid", "gid")
	}
	switch ev.Type {
	case EventTypeJoin:
		if ev.GID != "" {
			return badRequest("a join happens in the bot's direct chat; do not name gid or tid")
		}
	case EventTypeMessage:
		if err := need(ev.Message != nil, "message"); err != nil {
			return err
		}
		return ev.Message.check()
	case EventTypePostback:
		if err := need(ev.Postback != nil, "postback"); err != nil {
			return err
		}
		if ev.Postback.Data == "" {
			return badRequest("%q is not allowed to be empty", "postback.data")
		}
	case EventTypeWorkflow:
		w := ev.Workflow
		if err := need(w != nil, "workflow"); err != nil {
			return err
		}
		if w.Type == "" {
			return badRequest("%q is required", "workflow.type")
		}
		if w.ID != "" && !isObjectID(w.ID) {
			return badRequest("workflow.id must be a 24-hex ObjectId, got %q", w.ID)
		}
		if len(w.Recipients) == 0 {
			return badRequest("%q must name at least one user", "workflow.recipients")
		}
		if ev.GID != "" {
			return badRequest("a workflow event belongs to no chat; do not name gid or tid")
		}
	case EventTypeTap:
		t := ev.Tap
		if err := need(t != nil, "tap"); err != nil {
			return err
		}
		if t.MessageID == "" {
			return badRequest("%q is required", "tap.messageId")
		}
		if (t.Index == nil) == (t.Label == "") {
			return badRequest("name the tapped item by exactly one of %q and %q", "tap.index", "tap.label")
		}
		if ev.GID != "" {
			return badRequest("a tap happens in the tapped message's chat; do not name gid or tid")
		}
	}
	return nil
}

func (m *EventMessage) check() error {
	switch m.Type {
	case "", "text":
		m.Type = "text"
		if strings.TrimSpace(m.Text) == "" {
			return badRequest("%q is not allowed to be empty", "message.text")
		}
	case "picture":
		if len(m.Data) == 0 {
			m.Data = []byte(placeholderPNG)
			if m.FileName == "" {
				m.FileName = "image.png"
			}
		}
		if m.ContentType == "" {
			m.ContentType = http.DetectContentType(m.Data)
		}
		if !strings.HasPrefix(m.ContentType, "image/") {
			return badRequest("a picture must be an image: message.contentType is %q", m.ContentType)
		}
		if m.FileName == "" {
			m.FileName = "image"
		}
	case "file":
		if len(m.Data) == 0 {
			return badRequest("%q is required: the file's bytes", "message.data")
		}
		if m.FileName == "" {
			return badRequest("%q is required", "message.fileName")
		}
		if m.ContentType == "" {
			m.ContentType = http.DetectContentType(m.Data)
		}
	case "sticker":
		if m.PackageID == "" || m.StickerID == "" {
			return badRequest("a sticker needs %q and %q", "message.packageId", "message.stickerId")
		}
	default:
		return badRequest("message.type %q is not one a user sends: want text, picture, sticker or file", m.Type)
	}
	if m.Type != "text" && m.Text != "" {
		return badRequest("%q belongs to a text message only", "message.text")
	}
	return nil
}

// placeholderPNG is a 1x1 transparent PNG: a picture sent without bytes.
const placeholderPNG = ("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

// plan is a checked event: everything resolved, nothing changed yet.
type plan struct {
	ev       *Event
	bot      *Bot
	user     *User    // nil for a workflow event without uid
	group    *Group   // nil: the direct chat, created if needed (needDM)
	tid      string   // "" with needDM
	needDM   bool     // create the bot's direct chat with user
	kind     string   // the webhook event type
	text     string   // message text, or postback display text
	postback string   // postback data
	recips   []string // workflow recipients, resolved
	cfg      *WebhookConfig
	handler  http.Handler
	noHook   bool // a file with FileEvents off: store only
}

// planLocked resolves ev against the state. It changes nothing; caller holds s.mu.
func (s *Server) planLocked(ev *Event) (*plan, error) {
	p := &plan{ev: ev, kind: ev.Type}
	st := s.st
	var tapped *Message
	if ev.Type == EventTypeTap {
		m, ok := st.msgs.byMessageID(ev.Tap.MessageID)
		if !ok {
			return nil, notFound("message %s not found", ev.Tap.MessageID)
		}
		if m.Sender.Kind != SenderBot {
			return nil, badRequest("message %s was sent by a user; only what a bot sent can be tapped", m.ID)
		}
		if ev.BotID != "" && ev.BotID != m.Sender.ID {
			return nil, badRequest("message %s was sent by bot %s, not %s", m.ID, m.Sender.ID, ev.BotID)
		}
		tapped = m
		ev.BotID = m.Sender.ID
	}
	// The bot.
	switch {
	case ev.BotID != "":
		b, ok := st.bots[ev.BotID]
		if !ok {
			return nil, notFound("bot %s not found", ev.BotID)
		}
		p.bot = b
	case ev.GID != "":
		g, ok := st.groups[ev.GID]
		if !ok {
			return nil, notFound("group %s not found", ev.GID)
		}
		var bots []string
		for _, id := range g.MemberIDs {
			if _, ok := st.bots[id]; ok {
				bots = append(bots, id)
			}
		}
		if len(bots) != 1 {
			return nil, badRequest("group %s has %d bots: name the one to notify in %q", ev.GID, len(bots), "botId")
		}
		p.bot = st.bots[bots[0]]
	default:
		if len(st.botOrder) == 0 {
			return nil, notFound("there is no bot: add one with POST /_mockeko/bots")
		}
		p.bot = st.bots[st.botOrder[0]]
	}
	// The user.
	if ev.UID != "" {
		u, err := st.userByRef(p.bot, ev.UID)
		if err != nil {
			return nil, err
		}
		p.user = u
	}
	// The chat.
	switch {
	case tapped != nil:
		g, ok := st.groups[tapped.GID]
		if !ok {
			return nil, notFound("the chat of message %s is gone", tapped.ID)
		}
		if !g.HasMember(p.user.ID) {
			return nil, forbidden("user %s is not a member of the chat of message %s", p.user.ID, tapped.ID)
		}
		if !g.HasMember(p.bot.ID) {
			return nil, forbidden("bot %s is no longer a member of the chat of message %s", p.bot.ID, tapped.ID)
		}
		p.group, p.tid = g, tapped.TID
	case ev.Type == EventTypeWorkflow:
	case ev.GID != "":
		g, tid, err := st.chat(p.bot, ev.GID, ev.TID)
		if err != nil {
			return nil, err
		}
		if !g.HasMember(p.user.ID) {
			return nil, forbidden("user %s is not a member of group %s", p.user.ID, g.ID)
		}
		p.group, p.tid = g, tid
	default:
		if gid, ok := st.direct[[2]string{p.bot.ID, p.user.ID}]; ok && st.groups[gid] != nil {
			p.group = st.groups[gid]
			p.tid = p.group.MainTopic()
		} else {
			p.needDM = true
		}
	}
	// What happens.
	switch ev.Type {
	case EventTypeTap:
		if err := p.resolveTap(tapped); err != nil {
			return nil, err
		}
	case EventTypePostback:
		p.postback, p.text = ev.Postback.Data, ev.Postback.Text
	case EventTypeWorkflow:
		for _, r := range ev.Workflow.Recipients {
			u, err := st.userByRef(p.bot, r)
			if err != nil {
				return nil, badRequest("workflow.recipients: user %s not found in the bot's network", r)
			}
			p.recips = append(p.recips, u.ID)
		}
	case EventTypeMessage:
		if int64(len(ev.Message.Data)) > s.cfg.maxUpload {
			return nil, errorf(http.StatusRequestEntityTooLarge, "request_too_large", "message.data exceeds the %s limit", fmtLimit(s.cfg.maxUpload))
		}
	}
	// Where it goes.
	p.cfg, p.handler = s.wh.target(p.bot.ID)
	if ev.Type == EventTypeMessage && ev.Message.Type == "file" && !p.cfg.FileEvents {
		p.noHook = true
		return p, nil
	}
	if p.handler == nil {
		if p.bot.WebhookURL == "" {
			return nil, errorf(http.StatusConflict, "no_webhook", "bot %s has no webhook URL: set webhookUrl with POST /_mockeko/bots (or give the Server a WithWebhookHandler)", p.bot.ID)
		}
		u, err := url.Parse(p.bot.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, errorf(http.StatusConflict, "no_webhook", "bot %s has webhook URL %q, which is not an http(s) URL", p.bot.ID, p.bot.WebhookURL)
		}
	}
	return p, nil
}

// resolveTap turns a tap on an item of m into the event real Eko sends.
func (p *plan) resolveTap(m *Message) error {
	t := p.ev.Tap
	if len(m.Items) == 0 {
		return badRequest("message %s has nothing to tap: the bot sent no quick reply, button or action", m.ID)
	}
	var it *QuickReplyItem
	if t.Index != nil {
		if *t.Index < 0 || *t.Index >= len(m.Items) {
			return badRequest("message %s has %d tappable items; tap.index must be 0 to %d, got %d", m.ID, len(m.Items), len(m.Items)-1, *t.Index)
		}
		it = &m.Items[*t.Index]
	} else {
		labels := make([]string, 0, len(m.Items))
		for i := range m.Items {
			if m.Items[i].Label == t.Label {
				it = &m.Items[i]
				break
			}
			labels = append(labels, fmt.Sprintf("%q", m.Items[i].Label))
		}
		if it == nil {
			return badRequest("message %s has no item labelled %q; its labels are %s", m.ID, t.Label, strings.Join(labels, ", "))
		}
	}
	switch it.Type {
	case "label", "message":
		p.kind, p.text = EventTypeMessage, it.Value
		p.ev.Message = &EventMessage{Type: "text", Text: it.Value}
	case "postback":
		p.kind, p.postback, p.text = EventTypePostback, it.Data, it.Text
	default:
		return badRequest("a %s action does not call the bot (Eko opens it on the device); tap a quick reply, a message action or a postback action", it.Type)
	}
	return nil
}

// userByRef finds a live user of the bot's network by id or username.
func (st *state) userByRef(bot *Bot, ref string) (*User, error) {
	if u, ok := st.users[ref]; ok {
		return st.user(bot, u.ID)
	}
	for _, id := range st.userOrder {
		if u := st.users[id]; strings.EqualFold(u.Username, ref) && u.NetworkID == bot.NetworkID {
			return st.user(bot, u.ID)
		}
	}
	return nil, notFound("user %s not found in the bot's network", ref)
}

// performLocked changes the state for a planned event and queues its webhook.
func (s *Server) performLocked(p *plan) (Delivery, error) {
	st, now := s.st, s.now()
	if p.needDM {
		p.group = st.directChat(s.ids, p.bot, p.user, now)
		p.tid = p.group.MainTopic()
	}
	ev := p.ev
	var stored *Message
	if p.user != nil && p.group != nil && (p.kind == EventTypeMessage || (p.kind == EventTypePostback && p.text != "")) {
		m := &Message{GID: p.group.ID, TID: p.tid, Sender: Sender{Kind: SenderUser, ID: p.user.ID}, Type: "text", CreatedAt: now}
		if p.kind == EventTypeMessage {
			em := ev.Message
			m.Type = em.Type
			switch em.Type {
			case "text":
				m.Text = em.Text
			case "picture", "file":
				f := st.storeFile(s.ids, &upload{name: em.FileName, contentType: em.ContentType, data: append([]byte(nil), em.Data...)}, p.group.ID, now)
				m.FileID, m.FileName, m.ContentType, m.Size = f.ID, f.Name, f.ContentType, f.Size
			case "sticker":
				m.PackageID, m.StickerID = em.PackageID, em.StickerID
			}
		} else {
			m.Text = p.text
		}
		stored = st.addMessage(s.ids, m, s.cfg.messageCap)
	}
	if p.noHook {
		return Delivery{BotID: p.bot.ID, EventType: EventTypeMessage, UID: p.user.ID, GID: p.group.ID, TID: p.tid, MessageID: stored.ID}, nil
	}
	var rt ReplyToken
	if p.group != nil {
		var err error
		if rt, err = s.mintReplyTokenLocked(p.bot.ID, p.group.ID, p.tid); err != nil {
			return Delivery{}, err // cannot happen: the chat was checked
		}
	}
	body, err := s.webhookBody(p, stored, rt.Token, now)
	if err != nil {
		return Delivery{}, err
	}
	dl := &delivery{cfg: p.cfg, handler: p.handler}
	dl.BotID, dl.EventType, dl.ReplyToken = p.bot.ID, p.kind, rt.Token
	dl.Body, dl.Event = body, eventOf(body)
	dl.URL = p.bot.WebhookURL
	if p.handler != nil {
		dl.URL = "inprocess:"
	}
	if p.user != nil {
		dl.UID = p.user.ID
	}
	if p.group != nil {
		dl.GID, dl.TID = p.group.ID, p.tid
	}
	if stored != nil && p.kind == EventTypeMessage {
		dl.MessageID = stored.ID
	}
	return s.wh.submit(dl, p.bot.ClientSecret)
}

// The webhook payloads, field for field as eko-api.md §4.3–4.5 shows them.
type (
	whJoin struct {
		ReplyToken string `json:"replyToken"`
		Type       string `json:"type"`
		Source     struct {
			Type string `json:"type"`
			UID  string `json:"uid"`
		} `json:"source"`
		Timestamp int64 `json:"timestamp"` // epoch milliseconds
	}
	whSource struct {
		Type     string            `json:"type"`
		UserID   string            `json:"userId"`
		Username string            `json:"username"`
		Email    string            `json:"email"`
		Profile  map[string]string `json:"profile"`
	}
	whMessageBody struct {
		ID        string `json:"id"`
		Type      string `json:"type"`
		GroupID   string `json:"groupId"`
		GroupType string `json:"groupType"`
		TopicID   string `json:"topicId"`
		Text      string `json:"text,omitempty"`
		PictureID string `json:"pictureId,omitempty"`
		FileID    string `json:"fileId,omitempty"`
		FileName  string `json:"fileName,omitempty"`
		PackageID string `json:"packageId,omitempty"`
		StickerID string `json:"stickerId,omitempty"`
	}
	whMeta struct {
		BotID        string `json:"botId"`
		NetworkID    string `json:"networkId"`
		ClientID     string `json:"clientId"`
		UserID       string `json:"userId"`
		DeepResearch bool   `json:"deep_research"`
	}
	whMessage struct {
		ReplyToken string        `json:"replyToken"`
		Type       string        `json:"type"`
		Source     whSource      `json:"source"`
		Message    whMessageBody `json:"message"`
		Timestamp  string        `json:"timestamp"`
		SessionID  string        `json:"sessionId"`
		Meta       whMeta        `json:"meta"`
	}
	whPostback struct {
		ReplyToken string        `json:"replyToken"`
		Type       string        `json:"type"`
		Source     whSource      `json:"source"`
		Postback   EventPostback `json:"postback"`
		Timestamp  string        `json:"timestamp"`
		SessionID  string        `json:"sessionId"`
		Meta       whMeta        `json:"meta"`
	}
	whWorkflow struct {
		Type     string `json:"type"`
		Workflow struct {
			Type       string   `json:"type"`
			ID         string   `json:"_id"`
			Title      string   `json:"title"`
			Recipients []string `json:"recipients"`
		} `json:"workflow"`
		Timestamp string `json:"timestamp"`
	}
)

// isoMillis is the message timestamp format: 2018-10-19T03:46:07.866Z.
const isoMillis = "2006-01-02T15:04:05.000Z"

// envelope is a webhook body: {"events":[event]}, the shape bodyPrefix
// and eventOf rely on. Marshalling it whole writes the body in one go.
type envelope[T any] struct {
	Events [1]T `json:"events"`
}

func marshalBody[T any](event T) ([]byte, error) {
	return json.Marshal(envelope[T]{Events: [1]T{event}})
}

// webhookBody is the body of the event's delivery.
func (s *Server) webhookBody(p *plan, stored *Message, replyToken string, now time.Time) ([]byte, error) {
	// meta.userId is the "bot operator" (eko-api.md §4.4); mockeko has no
	// operators, so it is the bot's own id.
	meta := whMeta{BotID: p.bot.ID, NetworkID: p.bot.NetworkID, ClientID: p.bot.ClientID, UserID: p.bot.ID}
	var src whSource
	if p.user != nil {
		src = whSource{Type: "user", UserID: p.user.ID, Username: p.user.Username, Email: p.user.Email, Profile: p.user.Profile}
		if src.Profile == nil {
			src.Profile = map[string]string{}
		}
	}
	ts := isoMillisString(now)
	var session string
	if p.group != nil {
		session = p.group.ID + "_" + p.tid
	}
	switch p.kind {
	case EventTypeJoin:
		var e whJoin
		e.ReplyToken, e.Type, e.Timestamp = replyToken, EventTypeJoin, now.UnixMilli()
		e.Source.Type, e.Source.UID = GroupTypeDirect, p.user.ID
		return marshalBody(e)
	case EventTypeMessage:
		gt := "team"
		if p.group.Type == GroupTypeDirect {
			gt = GroupTypeDirect
		}
		mb := whMessageBody{ID: stored.ID, Type: stored.Type, GroupID: p.group.ID, GroupType: gt, TopicID: p.tid}
		switch stored.Type {
		case "text":
			mb.Text = stored.Text
		case "picture":
			mb.PictureID, mb.FileName = stored.FileID, stored.FileName
		case "file":
			mb.FileID, mb.FileName = stored.FileID, stored.FileName
		case "sticker":
			mb.PackageID, mb.StickerID = stored.PackageID, stored.StickerID
		}
		return messageBody(&whMessage{ReplyToken: replyToken, Type: EventTypeMessage, Source: src, Message: mb,
			Timestamp: ts, SessionID: session, Meta: meta}), nil
	case EventTypePostback:
		return postbackBody(&whPostback{ReplyToken: replyToken, Type: EventTypePostback, Source: src,
			Postback: EventPostback{Data: p.postback, Text: p.text}, Timestamp: ts, SessionID: session, Meta: meta}), nil
	case EventTypeWorkflow:
		var e whWorkflow
		e.Type, e.Timestamp = EventTypeWorkflow, ts
		w := p.ev.Workflow
		e.Workflow.Type, e.Workflow.ID, e.Workflow.Title, e.Workflow.Recipients = w.Type, w.ID, w.Title, p.recips
		if e.Workflow.ID == "" {
			e.Workflow.ID = s.ids.objectID()
		}
		return marshalBody(e)
	}
	return nil, fmt.Errorf("mockeko: no payload for event type %q", p.kind)
}

func isObjectID(s string) bool {
	if len(s) != 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
