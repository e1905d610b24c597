package mockeko

import (
	"encoding/json"
	"net/http"
	"strconv"
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
	writeRawJSON(w, http.StatusOK, appendUsersAnswer(make([]byte, 0, 64+200*len(out)), out))
	return nil
}

// usersAnswer is GET /bot/v1/users' answer.
type usersAnswer struct {
	Users []ekoUser `json:"users"`
}

// appendUsersAnswer appends {"users":[...]} encoded as encoding/json
// encodes it, without reflection. A string that needs escaping is left to
// encoding/json.
func appendUsersAnswer(b []byte, users []ekoUser) []byte {
	for i := range users {
		u := &users[i]
		if !jsonPlain(u.ID) || !jsonPlain(u.Username) || !jsonPlain(u.Email) || !jsonPlain(u.Firstname) || !jsonPlain(u.Lastname) || !jsonPlain(u.Position) {
			m, _ := json.Marshal(usersAnswer{users}) // strings and bools: cannot fail
			return append(b, m...)
		}
	}
	b = append(b, `{"users":[`...)
	for i := range users {
		u := &users[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"_id":"`...)
		b = append(b, u.ID...)
		b = append(b, `","username":"`...)
		b = append(b, u.Username...)
		b = append(b, `","email":"`...)
		b = append(b, u.Email...)
		b = append(b, `","firstname":"`...)
		b = append(b, u.Firstname...)
		b = append(b, `","lastname":"`...)
		b = append(b, u.Lastname...)
		b = append(b, `","position":"`...)
		b = append(b, u.Position...)
		b = append(b, `","deleted":`...)
		b = strconv.AppendBool(b, u.Deleted)
		b = append(b, '}')
	}
	return append(b, "]}"...)
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
