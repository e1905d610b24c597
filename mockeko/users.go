package mockeko

import (
	"net/http"
	"strings"
)

// ekoUser is a user as the Bot API shows it.
type ekoUser struct {
	ID        string `json:"_id"`
	Username  string `json:"username"`
	Email     string `json:"email"`
	Firstname string `json:"firstname"`
	Lastname  string `json:"lastname"`
	Position  string `json:"position"`
	Deleted   bool   `json:"deleted"`
}

func wireUser(u *User) ekoUser {
	return ekoUser{ID: u.ID, Username: u.Username, Email: u.Email, Firstname: u.Firstname, Lastname: u.Lastname, Position: u.Position, Deleted: u.Deleted}
}

// findUsers is GET /bot/v1/users?username=: the users of the bot's network
// whose username matches exactly (case-insensitively), as {"users":[...]}.
func (s *Server) findUsers(w http.ResponseWriter, r *http.Request, c *call) error {
	name := strings.TrimSpace(queryGet(r.URL.RawQuery, "username"))
	if name == "" {
		return badRequest("query parameter %q is required", "username")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []ekoUser{}
	for _, id := range s.st.userOrder {
		u := s.st.users[id]
		if u.NetworkID == c.bot.NetworkID && strings.EqualFold(u.Username, name) {
			out = append(out, wireUser(u))
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Users []ekoUser `json:"users"`
	}{out}) // a struct, not a map: the same JSON without sorting keys
	return nil
}

// groupUserInfoV2 is GET /bot/v2/groups/{gid}/users/{uid}/info: the user,
// if both the user and the bot are in the group.
func (s *Server) groupUserInfoV2(w http.ResponseWriter, r *http.Request, c *call) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, _, err := s.st.chat(&c.bot, r.PathValue("gid"), "")
	if err != nil {
		return err
	}
	u, err := s.st.user(&c.bot, r.PathValue("uid"))
	if err != nil {
		return err
	}
	if !g.HasMember(u.ID) {
		return notFound("user %s is not a member of group %s", u.ID, g.ID)
	}
	writeJSON(w, http.StatusOK, wireUser(u))
	return nil
}

// directChatV2 is GET /bot/v2/groups/users/{uid}: the bot's direct chat
// with the user as {gid, tid}, created on first use.
func (s *Server) directChatV2(w http.ResponseWriter, r *http.Request, c *call) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.st.user(&c.bot, r.PathValue("uid"))
	if err != nil {
		return err
	}
	g := s.st.directChat(s.ids, &c.bot, u, s.now())
	writeJSON(w, http.StatusOK, map[string]string{"gid": g.ID, "tid": g.MainTopic()})
	return nil
}
