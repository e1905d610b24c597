package mockeko

import (
	"encoding/json"
	"maps"
	"slices"
	"time"
)

// Network is an Eko network: one company's tenant.
type Network struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Bot is a bot integration, as created in Eko's Admin Panel.
type Bot struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	NetworkID    string   `json:"networkId"`
	ClientID     string   `json:"clientId"`
	ClientSecret string   `json:"clientSecret"`
	WebhookURL   string   `json:"webhookUrl"`
	Scopes       []string `json:"scopes"` // scopes the bot may be granted; empty means all
}

func (b Bot) clone() Bot { b.Scopes = slices.Clone(b.Scopes); return b }

// User is a person in a network.
type User struct {
	ID        string            `json:"id"`
	NetworkID string            `json:"networkId"`
	Username  string            `json:"username"`
	Email     string            `json:"email"`
	Firstname string            `json:"firstname"`
	Lastname  string            `json:"lastname"`
	Position  string            `json:"position"`
	Deleted   bool              `json:"deleted"`
	Profile   map[string]string `json:"profile,omitempty"`
}

func (u User) clone() User { u.Profile = maps.Clone(u.Profile); return u }

// Group types, as Eko names them.
const (
	GroupTypeGroup  = "group_chatv2" // a group chat ("team" in webhook groupType)
	GroupTypeDirect = "direct_chat"  // a bot's 1-1 chat with a user
)

// GroupSettings are a group's permission flags, as Eko's create-group answer shows them.
type GroupSettings struct {
	IsReadOnly          bool `json:"isReadOnly"`
	IsAutoManagedMember bool `json:"isAutoManagedMember"`
	IsAdminManaged      bool `json:"isAdminManaged"`
	IsCreatorManaged    bool `json:"isCreatorManaged"`
	IsMemberManaged     bool `json:"isMemberManaged"`
	IsPrivate           bool `json:"isPrivate"`
}

// Group is a chat: a group chat or a direct chat. Its first topic is the main one.
type Group struct {
	ID        string        `json:"id"`
	NetworkID string        `json:"networkId"`
	Name      string        `json:"name"`
	Type      string        `json:"type"`
	MemberIDs []string      `json:"memberIds"` // users and bots
	Topics    []Topic       `json:"topics"`
	Settings  GroupSettings `json:"settings"`
	CreatorID string        `json:"creatorId,omitempty"`
	CreatedAt time.Time     `json:"createdAt"`
}

func (g Group) clone() Group {
	g.MemberIDs = slices.Clone(g.MemberIDs)
	g.Topics = slices.Clone(g.Topics)
	return g
}

// MainTopic returns the group's main topic id ("" for a group without topics).
func (g Group) MainTopic() string {
	if len(g.Topics) == 0 {
		return ""
	}
	return g.Topics[0].ID
}

// HasMember reports whether the user or bot id is a member of g.
func (g Group) HasMember(id string) bool { return slices.Contains(g.MemberIDs, id) }

// Topic is a topic (a thread) of a group.
type Topic struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	GID  string `json:"gid"`
}

// Sender kinds.
const (
	SenderBot  = "bot"
	SenderUser = "user"
)

// Sender says who sent a message.
type Sender struct {
	Kind string `json:"kind"` // "bot" or "user"
	ID   string `json:"id"`
}

// QuickReplyItem is one tappable item of a message: a BotV1 quick-reply item,
// a BotV2 quick-reply action, or a template or imagemap action.
type QuickReplyItem struct {
	Type  string `json:"type"`            // "label" (v1), or the v2 action type: message, postback, uri, ...
	Label string `json:"label,omitempty"` // what the user sees
	Value string `json:"value,omitempty"` // v1: the text that comes back when tapped; v2 message action: its text
	Data  string `json:"data,omitempty"`  // v2 postback data
	Text  string `json:"text,omitempty"`  // v2 postback display text
}

// Message is a stored chat message, sent by a bot through the API or by a
// simulated user.
type Message struct {
	ID          string           `json:"id"`
	GID         string           `json:"gid"`
	TID         string           `json:"tid"`
	Sender      Sender           `json:"sender"`
	Type        string           `json:"type"` // text, picture, file, quickreply, sticker, or a v2 type
	Text        string           `json:"text,omitempty"`
	FileID      string           `json:"fileId,omitempty"`
	FileName    string           `json:"fileName,omitempty"`
	ContentType string           `json:"contentType,omitempty"`
	Size        int              `json:"size,omitempty"`
	Caption     string           `json:"caption,omitempty"`
	PackageID   string           `json:"packageId,omitempty"`
	StickerID   string           `json:"stickerId,omitempty"`
	Items       []QuickReplyItem `json:"items,omitempty"`   // what the user can tap
	Payload     json.RawMessage  `json:"payload,omitempty"` // the v2 message object as sent
	Endpoint    string           `json:"endpoint,omitempty"`
	CreatedAt   time.Time        `json:"createdAt"`

	seq int64
}

func (m Message) clone() Message {
	m.Items = slices.Clone(m.Items)
	m.Payload = slices.Clone(m.Payload)
	return m
}

// File is an uploaded or inbound file, served at /file/view/{id} and /file/image/{id}.
type File struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	ContentType string    `json:"contentType"`
	Size        int       `json:"size"`
	GID         string    `json:"gid"`
	CreatedAt   time.Time `json:"createdAt"`
	data        []byte
}

// replyToken binds a webhook event's reply token to its chat.
type replyToken struct {
	botID   string
	gid     string
	tid     string
	expires time.Time
	uses    int
}

// ReplyToken is a minted reply token and the chat it answers into.
type ReplyToken struct {
	Token     string    `json:"replyToken"`
	BotID     string    `json:"botId"`
	GID       string    `json:"gid"`
	TID       string    `json:"tid"`
	ExpiresAt time.Time `json:"expiresAt"`
}
