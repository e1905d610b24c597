package mockeko

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mockeko/mockeko/fixtures"
)

// state is everything a Server knows. It is guarded by Server.mu.
type state struct {
	networks    []Network
	bots        map[string]*Bot
	botOrder    []string
	byClient    map[string]*Bot
	users       map[string]*User
	userOrder   []string
	groups      map[string]*Group
	groupOrder  []string
	topicGroup  map[string]string    // tid -> gid
	direct      map[[2]string]string // (bot id, user id) -> gid
	msgs        msgStore             // stored messages, oldest first
	files       map[string]*File
	tokens      tokenTable
	replyTokens map[string]*replyToken
	replySweep  int // len(replyTokens) at which sweepReplyTokens next runs
	seq         int64
}

func newState() *state {
	return &state{
		bots:        map[string]*Bot{},
		byClient:    map[string]*Bot{},
		users:       map[string]*User{},
		groups:      map[string]*Group{},
		topicGroup:  map[string]string{},
		direct:      map[[2]string]string{},
		msgs:        newMsgStore(),
		files:       map[string]*File{},
		tokens:      newTokenTable(),
		replyTokens: map[string]*replyToken{},
	}
}

// defaultFixtures builds the embedded fixtures once per process (they
// are parsed at build time, see fixtures.Default). The Set is never handed
// out or changed; build copies what it keeps, so Servers share nothing.
var defaultFixtures = sync.OnceValues(fixtures.Default)

// build makes the initial state from the fixtures and the options.
func (s *Server) build() (*state, error) {
	st := newState()
	set := s.cfg.fixtures
	if set == nil && !s.cfg.noFixtures {
		var err error
		if set, err = defaultFixtures(); err != nil {
			return nil, err
		}
	}
	if set != nil {
		for _, n := range set.Networks {
			st.networks = append(st.networks, Network(n))
		}
		for _, b := range set.Bots {
			if err := st.putBot(s.ids, Bot{ID: b.ID, Name: b.Name, NetworkID: b.NetworkID, ClientID: b.ClientID,
				ClientSecret: b.ClientSecret, WebhookURL: b.WebhookURL, Scopes: slices.Clone(b.Scopes)}); err != nil {
				return nil, err
			}
		}
		for _, u := range set.Users {
			if err := st.putUser(s.ids, User{ID: u.ID, NetworkID: u.NetworkID, Username: u.Username, Email: u.Email,
				Firstname: u.Firstname, Lastname: u.Lastname, Position: u.Position, Deleted: u.Deleted, Profile: maps.Clone(u.Profile)}); err != nil {
				return nil, err
			}
		}
		for _, g := range set.Groups {
			grp := Group{ID: g.ID, NetworkID: g.NetworkID, Name: g.Name, Type: g.Type}
			for _, m := range g.Members {
				id, _ := set.Resolve(m)
				grp.MemberIDs = append(grp.MemberIDs, id)
			}
			for _, t := range g.Topics {
				grp.Topics = append(grp.Topics, Topic{ID: t.ID, Name: t.Name})
			}
			if _, err := st.putGroup(s.ids, grp, s.now()); err != nil {
				return nil, err
			}
		}
	}
	if len(st.networks) == 0 {
		st.networks = append(st.networks, Network{ID: s.ids.objectID(), Name: "Sandbox"})
	}
	for _, b := range s.cfg.bots {
		if err := st.putBot(s.ids, b.clone()); err != nil {
			return nil, err
		}
	}
	for _, u := range s.cfg.users {
		if err := st.putUser(s.ids, u.clone()); err != nil {
			return nil, err
		}
	}
	for _, g := range s.cfg.groups {
		if _, err := st.putGroup(s.ids, g.clone(), s.now()); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func (st *state) hasNetwork(id string) bool {
	return slices.ContainsFunc(st.networks, func(n Network) bool { return n.ID == id })
}

// putBot adds a bot or replaces the one with the same ID.
func (st *state) putBot(ids *idgen, b Bot) error {
	if b.ID == "" {
		b.ID = ids.objectID()
	}
	if b.NetworkID == "" {
		b.NetworkID = st.networks[0].ID
	}
	if !st.hasNetwork(b.NetworkID) {
		return fmt.Errorf("mockeko: bot %s: unknown network %q", b.ID, b.NetworkID)
	}
	if b.Name == "" {
		b.Name = "Bot " + b.ID[len(b.ID)-4:]
	}
	if b.ClientID == "" {
		b.ClientID = ids.uuid()
	}
	if b.ClientSecret == "" {
		b.ClientSecret = ids.secret()
	}
	if len(b.Scopes) == 0 {
		b.Scopes = []string{"bot", "workflow", "library"}
	}
	for _, sc := range b.Scopes {
		if !validScope[sc] {
			return fmt.Errorf("mockeko: bot %s: unknown scope %q", b.ID, sc)
		}
	}
	if other, ok := st.byClient[b.ClientID]; ok && other.ID != b.ID {
		return fmt.Errorf("mockeko: bot %s: client id %q is used by bot %s", b.ID, b.ClientID, other.ID)
	}
	if _, ok := st.users[b.ID]; ok {
		return fmt.Errorf("mockeko: bot %s: id is a user's", b.ID)
	}
	if old, ok := st.bots[b.ID]; ok {
		delete(st.byClient, old.ClientID)
	} else {
		st.botOrder = append(st.botOrder, b.ID)
	}
	st.bots[b.ID] = &b
	st.byClient[b.ClientID] = &b
	return nil
}

// putUser adds a user or replaces the one with the same ID.
func (st *state) putUser(ids *idgen, u User) error {
	if u.ID == "" {
		u.ID = ids.objectID()
	}
	if u.NetworkID == "" {
		u.NetworkID = st.networks[0].ID
	}
	if !st.hasNetwork(u.NetworkID) {
		return fmt.Errorf("mockeko: user %s: unknown network %q", u.ID, u.NetworkID)
	}
	if u.Username == "" {
		return fmt.Errorf("mockeko: user %s: empty username", u.ID)
	}
	if _, ok := st.bots[u.ID]; ok {
		return fmt.Errorf("mockeko: user %s: id is a bot's", u.ID)
	}
	for _, id := range st.userOrder {
		if o := st.users[id]; o.ID != u.ID && strings.EqualFold(o.Username, u.Username) && o.NetworkID == u.NetworkID {
			return fmt.Errorf("mockeko: user %s: username %q is taken by user %s", u.ID, u.Username, o.ID)
		}
	}
	if _, ok := st.users[u.ID]; !ok {
		st.userOrder = append(st.userOrder, u.ID)
	}
	st.users[u.ID] = &u
	return nil
}

// putGroup adds a group or replaces the one with the same ID (keeping its messages).
func (st *state) putGroup(ids *idgen, g Group, now time.Time) (*Group, error) {
	if g.ID == "" {
		g.ID = ids.objectID()
	}
	if g.NetworkID == "" {
		g.NetworkID = st.networks[0].ID
	}
	if !st.hasNetwork(g.NetworkID) {
		return nil, fmt.Errorf("mockeko: group %s: unknown network %q", g.ID, g.NetworkID)
	}
	switch g.Type {
	case "", "team":
		g.Type = GroupTypeGroup
	case GroupTypeGroup, GroupTypeDirect:
	default:
		return nil, fmt.Errorf("mockeko: group %s: unknown type %q", g.ID, g.Type)
	}
	var botID, userID string
	var nb, nu int
	for _, m := range g.MemberIDs {
		if b, ok := st.bots[m]; ok {
			nb++
			botID = m
			if b.NetworkID != g.NetworkID {
				return nil, fmt.Errorf("mockeko: group %s: bot %s is in another network", g.ID, m)
			}
			continue
		}
		u, ok := st.users[m]
		if !ok {
			return nil, fmt.Errorf("mockeko: group %s: unknown member %q", g.ID, m)
		}
		if u.NetworkID != g.NetworkID {
			return nil, fmt.Errorf("mockeko: group %s: user %s is in another network", g.ID, m)
		}
		nu++
		userID = m
	}
	g.MemberIDs = dedupe(g.MemberIDs)
	if g.Type == GroupTypeDirect {
		if nb != 1 || nu != 1 {
			return nil, fmt.Errorf("mockeko: group %s: a direct chat has one user and one bot", g.ID)
		}
		g.Settings = GroupSettings{IsPrivate: true}
	} else if g.Settings == (GroupSettings{}) {
		g.Settings = GroupSettings{IsAdminManaged: true, IsCreatorManaged: true}
	}
	if len(g.Topics) == 0 {
		g.Topics = []Topic{{Name: "General"}}
	}
	for i := range g.Topics {
		t := &g.Topics[i]
		if t.ID == "" {
			t.ID = ids.objectID()
		}
		if other, ok := st.topicGroup[t.ID]; ok && other != g.ID {
			return nil, fmt.Errorf("mockeko: group %s: topic %s belongs to group %s", g.ID, t.ID, other)
		}
		t.GID = g.ID
	}
	// Checked; now change state. A replaced group's dropped topics are forgotten.
	if old, ok := st.groups[g.ID]; ok {
		for _, t := range old.Topics {
			delete(st.topicGroup, t.ID)
		}
	}
	for _, t := range g.Topics {
		st.topicGroup[t.ID] = g.ID
	}
	if g.CreatedAt.IsZero() {
		g.CreatedAt = now
	}
	if _, ok := st.groups[g.ID]; !ok {
		st.groupOrder = append(st.groupOrder, g.ID)
	}
	st.groups[g.ID] = &g
	if g.Type == GroupTypeDirect {
		st.direct[[2]string{botID, userID}] = g.ID
	}
	return &g, nil
}

func dedupe(ids []string) []string {
	out := ids[:0:0]
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// addMessage stores a copy of m (ID assigned here, in m too) and enforces
// the retention cap, dropping the oldest messages and their files. It
// returns m.
func (st *state) addMessage(ids *idgen, m *Message, cap int) *Message {
	if m.ID == "" {
		m.ID = ids.objectID()
	}
	st.seq++
	m.seq = st.seq
	st.msgs.add(m, st.seq, cap)
	for st.msgs.len() > cap {
		if fileID := st.msgs.evictOldest(); fileID != "" {
			delete(st.files, fileID)
		}
	}
	return m
}

var validScope = map[string]bool{"bot": true, "workflow": true, "library": true}
