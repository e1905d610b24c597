package mockeko

import "slices"

// Bot returns the default bot: the first one loaded.
func (s *Server) Bot() Bot {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.st.botOrder) == 0 {
		return Bot{}
	}
	return s.st.bots[s.st.botOrder[0]].clone()
}

// Bots returns every bot, in the order they were added.
func (s *Server) Bots() []Bot {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Bot, 0, len(s.st.botOrder))
	for _, id := range s.st.botOrder {
		out = append(out, s.st.bots[id].clone())
	}
	return out
}

// Users returns every user, in the order they were added.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.st.userOrder))
	for _, id := range s.st.userOrder {
		out = append(out, s.st.users[id].clone())
	}
	return out
}

// User returns the user with the id or username.
func (s *Server) User(idOrUsername string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.st.users[idOrUsername]; ok {
		return u.clone(), true
	}
	for _, id := range s.st.userOrder {
		if u := s.st.users[id]; u.Username == idOrUsername {
			return u.clone(), true
		}
	}
	return User{}, false
}

// Groups returns every group and direct chat, in the order they were created.
func (s *Server) Groups() []Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Group, 0, len(s.st.groupOrder))
	for _, id := range s.st.groupOrder {
		out = append(out, s.st.groups[id].clone())
	}
	return out
}

// Group returns the group with the id.
func (s *Server) Group(gid string) (Group, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.st.groups[gid]
	if !ok {
		return Group{}, false
	}
	return g.clone(), true
}

// DirectChat returns the bot's direct chat with the user, creating it as a
// push to the user would.
func (s *Server) DirectChat(botID, uid string) (Group, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	bot, ok := s.st.bots[botID]
	if !ok {
		return Group{}, notFound("bot %s not found", botID)
	}
	u, err := s.st.user(bot, uid)
	if err != nil {
		return Group{}, err
	}
	return s.st.directChat(s.ids, bot, u, s.now()).clone(), nil
}

// Messages returns the messages of a chat, oldest first: of topic tid, or
// of every topic of group gid when tid is empty, or of every chat when both
// are empty.
func (s *Server) Messages(gid, tid string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case tid != "":
		if gid == "" || s.st.topicGroup[tid] == gid {
			return s.st.msgs.topic(tid)
		}
		return []Message{}
	case gid != "":
		if g, ok := s.st.groups[gid]; ok {
			return s.st.msgs.topicsOf(g.Topics)
		}
		return []Message{}
	default:
		return s.st.msgs.all()
	}
}

// File returns a stored file's metadata and bytes.
func (s *Server) File(id string) (File, []byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.st.files[id]
	if !ok {
		return File{}, nil, false
	}
	return *f, slices.Clone(f.data), true
}

// AddBot adds a bot, or replaces the one with the same ID, and returns it
// with generated fields filled in.
func (s *Server) AddBot(b Bot) (Bot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b = b.clone()
	if b.ID == "" {
		b.ID = s.ids.objectID()
	}
	if err := s.st.putBot(s.ids, b); err != nil {
		return Bot{}, err
	}
	return s.st.bots[b.ID].clone(), nil
}

// AddUser adds a user, or replaces the one with the same ID.
func (s *Server) AddUser(u User) (User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u = u.clone()
	if u.ID == "" {
		u.ID = s.ids.objectID()
	}
	if err := s.st.putUser(s.ids, u); err != nil {
		return User{}, err
	}
	return s.st.users[u.ID].clone(), nil
}

// AddGroup adds a group or direct chat, or replaces the one with the same
// ID (keeping its messages).
func (s *Server) AddGroup(g Group) (Group, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ng, err := s.st.putGroup(s.ids, g.clone(), s.now())
	if err != nil {
		return Group{}, err
	}
	return ng.clone(), nil
}
