package mockeko

import (
	"net/http"
	"time"
)

// group returns the group gid that bot may post to, with the topic tid
// ("" means the main topic).
func (st *state) chat(bot *Bot, gid, tid string) (*Group, string, error) {
	if gid == "" {
		return nil, "", badRequest("%q is required", "gid")
	}
	g, ok := st.groups[gid]
	if !ok || g.NetworkID != bot.NetworkID {
		return nil, "", notFound("group %s not found", gid)
	}
	if !g.HasMember(bot.ID) {
		return nil, "", forbidden("the bot is not a member of group %s", gid)
	}
	if tid == "" {
		return g, g.MainTopic(), nil
	}
	if st.topicGroup[tid] != gid {
		return nil, "", notFound("topic %s not found in group %s", tid, gid)
	}
	return g, tid, nil
}

// user returns a live user of the bot's network.
func (st *state) user(bot *Bot, uid string) (*User, error) {
	if uid == "" {
		return nil, badRequest("%q is required", "uid")
	}
	u, ok := st.users[uid]
	if !ok || u.NetworkID != bot.NetworkID || u.Deleted {
		return nil, notFound("user %s not found in the bot's network", uid)
	}
	return u, nil
}

// directChat returns the bot's direct chat with u, creating it on first use.
func (st *state) directChat(ids *idgen, bot *Bot, u *User, now time.Time) *Group {
	if gid, ok := st.direct[[2]string{bot.ID, u.ID}]; ok {
		if g, ok := st.groups[gid]; ok {
			return g
		}
	}
	g, err := st.putGroup(ids, Group{NetworkID: bot.NetworkID, Type: GroupTypeDirect, MemberIDs: []string{u.ID, bot.ID}}, now)
	if err != nil {
		panic("mockeko: creating a direct chat: " + err.Error()) // inputs were checked above
	}
	return g
}

// useReplyToken checks a reply token for bot and returns its chat.
func (st *state) useReplyToken(bot *Bot, tok string, now time.Time, singleUse bool) (gid, tid string, err error) {
	if tok == "" {
		return "", "", badRequest("%q is required", "replyToken")
	}
	rt, ok := st.replyTokens[tok]
	switch {
	case !ok:
		return "", "", errorf(http.StatusBadRequest, "invalid_reply_token", "reply token is unknown: use the replyToken of a webhook event")
	case rt.botID != bot.ID:
		return "", "", errorf(http.StatusForbidden, "invalid_reply_token", "reply token belongs to another bot")
	case !rt.expires.After(now):
		return "", "", errorf(http.StatusBadRequest, "reply_token_expired", "reply token expired at %s", rt.expires.UTC().Format(time.RFC3339))
	case singleUse && rt.uses > 0:
		return "", "", errorf(http.StatusBadRequest, "reply_token_used", "reply token was already used (single-use mode)")
	}
	g, ok := st.groups[rt.gid]
	if !ok || !g.HasMember(bot.ID) {
		return "", "", forbidden("the bot is no longer a member of the reply token's chat")
	}
	if st.topicGroup[rt.tid] != rt.gid { // the group was replaced without the topic
		return "", "", notFound("the reply token's topic %s no longer exists in group %s", rt.tid, rt.gid)
	}
	rt.uses++
	return rt.gid, rt.tid, nil
}

// MintReplyToken issues a reply token for the bot's chat gid (topic tid, ""
// for the main topic), as a webhook event would carry. It lets a test
// exercise the reply endpoints without a webhook.
func (s *Server) MintReplyToken(botID, gid, tid string) (ReplyToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mintReplyTokenLocked(botID, gid, tid)
}

func (s *Server) mintReplyTokenLocked(botID, gid, tid string) (ReplyToken, error) {
	bot, ok := s.st.bots[botID]
	if !ok {
		return ReplyToken{}, notFound("bot %s not found", botID)
	}
	_, tid, err := s.st.chat(bot, gid, tid)
	if err != nil {
		return ReplyToken{}, err
	}
	tok := newToken()
	now := s.now()
	s.st.sweepReplyTokens(now, s.cfg.replyTTL)
	exp := now.Add(s.cfg.replyTTL)
	s.st.replyTokens[tok] = &replyToken{botID: botID, gid: gid, tid: tid, expires: exp}
	return ReplyToken{Token: tok, BotID: botID, GID: gid, TID: tid, ExpiresAt: exp}, nil
}

// sweepReplyTokens forgets the reply tokens that expired more than grace
// before now, so a sandbox that triggers events for hours stays bounded
// (one token is minted per event). Until it is forgotten, an expired token
// still answers reply_token_expired; after, it is unknown
// (invalid_reply_token). Like tokenTable.sweep, it runs only when the table
// has doubled since the last sweep, which keeps its cost O(1) per token.
func (st *state) sweepReplyTokens(now time.Time, grace time.Duration) {
	if len(st.replyTokens) < max(minSweep, st.replySweep) {
		return
	}
	cut := now.Add(-grace)
	for tok, rt := range st.replyTokens {
		if !rt.expires.After(cut) {
			delete(st.replyTokens, tok)
		}
	}
	st.replySweep = 2 * len(st.replyTokens)
}

// storeFile keeps an upload for /file/view and returns its id.
func (st *state) storeFile(ids *idgen, up *upload, gid string, now time.Time) *File {
	f := &File{ID: ids.objectID(), Name: up.name, ContentType: up.contentType, Size: len(up.data), GID: gid, CreatedAt: now, data: up.data}
	st.files[f.ID] = f
	return f
}

// pushResult is the "message" object of a push answer.
type pushResult struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	GroupID  string `json:"groupId"`
	ThreadID string `json:"threadId"`
}

func resultOf(m *Message) pushResult {
	return pushResult{ID: m.ID, Type: m.Type, GroupID: m.GID, ThreadID: m.TID}
}

func (s *Server) botMessage(c *call, gid, tid, typ, endpoint string) *Message {
	return &Message{GID: gid, TID: tid, Sender: Sender{Kind: SenderBot, ID: c.bot.ID}, Type: typ, Endpoint: endpoint, CreatedAt: s.now()}
}
