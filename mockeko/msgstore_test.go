package mockeko

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// storeServer is a fixture-less Server with two groups (three topics) and
// two bots, for driving the message store directly.
func storeServer(t *testing.T, cap int) (*Server, Group, Group) {
	t.Helper()
	srv, err := New(WithoutFixtures(), WithMessageCap(cap))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	b1, err := srv.AddBot(Bot{Name: "one"})
	if err != nil {
		t.Fatal(err)
	}
	b2, err := srv.AddBot(Bot{Name: "two"})
	if err != nil {
		t.Fatal(err)
	}
	g1, err := srv.AddGroup(Group{Name: "g1", MemberIDs: []string{b1.ID, b2.ID}, Topics: []Topic{{Name: "main"}, {Name: "side"}}})
	if err != nil {
		t.Fatal(err)
	}
	g2, err := srv.AddGroup(Group{Name: "g2", MemberIDs: []string{b1.ID}})
	if err != nil {
		t.Fatal(err)
	}
	return srv, g1, g2
}

var ignoreSeq = cmpopts.IgnoreUnexported(Message{})

// The store keeps exactly the newest cap messages across many chunk
// boundaries, per topic, per group and overall, in order, with every field
// as it was stored; the messages and files it dropped are gone.
func TestMessageStoreRetention(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ cap, pushes int }{
		{1, 9}, {2, 9}, {3, 40}, {5, 40}, {1024, 2100}, {1500, 3<<msgChunkShift + 77},
	} {
		t.Run(fmt.Sprint("cap ", tc.cap), func(t *testing.T) {
			t.Parallel()
			checkRetention(t, tc.cap, tc.pushes)
		})
	}
}

func checkRetention(t *testing.T, capN, pushes int) {
	srv, g1, g2 := storeServer(t, capN)
	bots := srv.Bots()
	chats := [][2]string{{g1.ID, g1.Topics[0].ID}, {g1.ID, g1.Topics[1].ID}, {g2.ID, g2.Topics[0].ID}}
	berlin := time.FixedZone("CET", 3600)
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC)
	var all []Message
	var fileIDs []string
	for i := range pushes {
		c := chats[i%len(chats)]
		m := Message{GID: c[0], TID: c[1], Sender: Sender{Kind: SenderBot, ID: bots[i%2].ID}, Type: "text",
			Text: fmt.Sprint("m", i), Endpoint: "/bot/v1/group/message", CreatedAt: t0.Add(time.Duration(i) * time.Millisecond)}
		switch i % 7 {
		case 1:
			m.ID = fmt.Sprintf("custom-%d", i) // not an object id
		case 2:
			m.ID = fmt.Sprintf("ABCDEF0123456789%08d", i) // upper-case hex: kept as written
		case 3:
			m.Sender, m.Type, m.Endpoint, m.Text = Sender{Kind: SenderUser, ID: "u1"}, "sticker", "", ""
			m.PackageID, m.StickerID = "p1", fmt.Sprint("s", i)
		case 4:
			m.Type, m.Text = "quickreply", "pick"
			m.Items = []QuickReplyItem{{Type: "label", Label: "a", Value: "A"}, {Type: "label", Label: fmt.Sprint(i)}}
			m.Payload = json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))
			m.CreatedAt = m.CreatedAt.In(berlin)
		case 5:
			srv.mu.Lock()
			f := srv.st.storeFile(srv.ids, &upload{name: "f.txt", contentType: "text/plain", data: []byte("x")}, c[0], t0)
			srv.mu.Unlock()
			m.Type, m.Text, m.FileID, m.FileName, m.ContentType, m.Size, m.Caption = "file", "", f.ID, f.Name, f.ContentType, f.Size, "cap"
			fileIDs = append(fileIDs, f.ID)
		case 6:
			m.CreatedAt = time.Time{}
		}
		srv.mu.Lock()
		stored := srv.st.addMessage(srv.ids, &m, srv.cfg.messageCap)
		srv.mu.Unlock()
		all = append(all, stored.clone())
	}
	kept := all[len(all)-capN:]
	if diff := cmp.Diff(kept, srv.Messages("", ""), ignoreSeq); diff != "" {
		t.Errorf("Messages(all) (-want +got):\n%s", diff)
	}
	for _, c := range chats {
		var want []Message
		for _, m := range kept {
			if m.TID == c[1] {
				want = append(want, m)
			}
		}
		if diff := cmp.Diff(want, srv.Messages("", c[1]), ignoreSeq, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Messages(topic %s) (-want +got):\n%s", c[1], diff)
		}
	}
	var want []Message
	for _, m := range kept {
		if m.GID == g1.ID {
			want = append(want, m)
		}
	}
	if diff := cmp.Diff(want, srv.Messages(g1.ID, ""), ignoreSeq, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Messages(group) (-want +got):\n%s", diff)
	}
	for _, m := range srv.Messages("", "") {
		if !m.CreatedAt.IsZero() && m.CreatedAt.Location().String() != map[bool]string{true: "CET", false: "UTC"}[m.Type == "quickreply"] {
			t.Errorf("message %s: CreatedAt location %s", m.ID, m.CreatedAt.Location())
		}
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for i, m := range all {
		got, ok := srv.st.msgs.byMessageID(m.ID)
		if wantOK := i >= len(all)-capN; ok != wantOK {
			t.Errorf("message %d (%s): found %v, want %v", i, m.ID, ok, wantOK)
		} else if ok {
			if diff := cmp.Diff(m, *got, ignoreSeq); diff != "" {
				t.Errorf("message %d by id (-want +got):\n%s", i, diff)
			}
		}
	}
	for _, id := range fileIDs {
		wantOK := false
		for _, m := range kept {
			wantOK = wantOK || m.FileID == id
		}
		if _, ok := srv.st.files[id]; ok != wantOK {
			t.Errorf("file %s: stored %v, want %v", id, ok, wantOK)
		}
	}
	// What the dropped messages alone used is forgotten: one shared field
	// set per (chat, sender, type, endpoint, zone) still in use.
	if n := len(srv.st.msgs.headIdx); n > 2*len(chats)*5 {
		t.Errorf("%d interned message heads for %d chats", n, len(chats))
	}
}

// A message's shared fields that stop being used are forgotten, and a
// message handed out is the caller's to change.
func TestMessageStoreForgetsAndCopies(t *testing.T) {
	t.Parallel()
	srv, g1, _ := storeServer(t, 2)
	bot := srv.Bot()
	push := func(sender string, items ...QuickReplyItem) {
		m := Message{GID: g1.ID, TID: g1.Topics[0].ID, Sender: Sender{Kind: SenderBot, ID: sender}, Type: "quickreply", Items: items, CreatedAt: time.Now()}
		srv.mu.Lock()
		srv.st.addMessage(srv.ids, &m, srv.cfg.messageCap)
		srv.mu.Unlock()
	}
	for i := range 5 {
		push(fmt.Sprint("sender-", i), QuickReplyItem{Type: "label", Label: "a"})
	}
	push(bot.ID, QuickReplyItem{Type: "label", Label: "a"})
	got := srv.Messages("", "")
	got[1].Items[0].Label = "changed"
	if l := srv.Messages("", "")[1].Items[0].Label; l != "a" {
		t.Errorf("stored item label = %q after changing a copy", l)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	var senders []string
	for h := range srv.st.msgs.headIdx {
		senders = append(senders, h.sender)
	}
	if diff := cmp.Diff([]string{"sender-4", bot.ID}, senders, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("interned senders (-want +got):\n%s", diff)
	}
}

// BenchmarkMessageByID looks up the oldest message of a full store (the
// worst case of the scan behind a simulated tap).
func BenchmarkMessageByID(b *testing.B) {
	srv, err := New(WithoutFixtures(), WithMessageCap(DefaultMessageCap))
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	now := time.Now()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	var oldest string
	for i := range DefaultMessageCap {
		m := &Message{GID: "g", TID: "t", Sender: Sender{Kind: SenderBot, ID: "b"}, Type: "text", Text: "x", CreatedAt: now}
		srv.st.addMessage(srv.ids, m, srv.cfg.messageCap)
		if i == 0 {
			oldest = m.ID
		}
	}
	for b.Loop() {
		if _, ok := srv.st.msgs.byMessageID(oldest); !ok {
			b.Fatal("not found")
		}
	}
}
