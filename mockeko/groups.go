package mockeko

import (
	"net/http"
	"strings"
	"unicode/utf8"
)

// ekoGroup is a group as POST /bot/v1/groups answers it.
type ekoGroup struct {
	ID        string        `json:"_id"`
	Name      string        `json:"name"`
	Type      string        `json:"type"`
	Settings  GroupSettings `json:"settings"`
	UserCount int           `json:"userCount"`
}

// maxGroupName is the longest group or topic name accepted (INFERRED).
const maxGroupName = 200

// createGroup is POST /bot/v1/groups: name, uids (a JSON-array string as
// the docs send it, repeated fields, or a JSON array), file (optional
// avatar). The bot is a member of the new group and counted in userCount.
func (s *Server) createGroup(w http.ResponseWriter, r *http.Request, c *call) error {
	b, err := s.readBody(w, r, encMultipart|encJSON|encForm)
	if err != nil {
		return err
	}
	name, err := b.requireStr("name")
	if err != nil {
		return err
	}
	if utf8.RuneCountInString(name) > maxGroupName {
		return badRequest("name is longer than %d characters", maxGroupName)
	}
	uids, err := b.strs("uids")
	if err != nil {
		return err
	}
	if len(uids) == 0 {
		return badRequest("%q is required: the ids of the group's users, e.g. [\"5d8c318c22fba500114ed1c5\"]", "uids")
	}
	var avatar *upload
	if b.enc == encMultipart {
		if avatar, err = b.file("file"); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	members := []string{c.bot.ID}
	for _, uid := range uids {
		u, err := s.st.user(&c.bot, strings.TrimSpace(uid))
		if err != nil {
			return err
		}
		members = append(members, u.ID)
	}
	g, err := s.st.putGroup(s.ids, Group{NetworkID: c.bot.NetworkID, Name: name, Type: GroupTypeGroup, MemberIDs: members, CreatorID: c.bot.ID}, s.now())
	if err != nil {
		return err
	}
	if avatar != nil {
		s.st.storeFile(s.ids, avatar, g.ID, s.now())
	}
	writeJSON(w, http.StatusOK, map[string]ekoGroup{"group": {ID: g.ID, Name: g.Name, Type: g.Type, Settings: g.Settings, UserCount: len(g.MemberIDs)}})
	return nil
}

// ekoTopic is a topic as POST /bot/v1/groups/{gid}/topics answers it.
type ekoTopic struct {
	ID   string `json:"_id"`
	Name string `json:"name"`
	GID  string `json:"gid"`
}

// createTopic is POST /bot/v1/groups/{gid}/topics: {name}.
func (s *Server) createTopic(w http.ResponseWriter, r *http.Request, c *call) error {
	b, err := s.readBody(w, r, encJSON|encForm|encMultipart)
	if err != nil {
		return err
	}
	name, err := b.requireStr("name")
	if err != nil {
		return err
	}
	if utf8.RuneCountInString(name) > maxGroupName {
		return badRequest("name is longer than %d characters", maxGroupName)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, _, err := s.st.chat(&c.bot, r.PathValue("gid"), "")
	if err != nil {
		return err
	}
	t := Topic{ID: s.ids.objectID(), Name: name, GID: g.ID}
	g.Topics = append(g.Topics, t)
	s.st.topicGroup[t.ID] = g.ID
	writeJSON(w, http.StatusOK, map[string]ekoTopic{"topic": {ID: t.ID, Name: t.Name, GID: t.GID}})
	return nil
}
