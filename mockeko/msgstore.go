package mockeko

import (
	"encoding/hex"
	"encoding/json"
	"math/bits"
	"slices"
	"time"
)

// msgStore keeps a Server's stored messages, oldest first, in a form that
// is cheap for the garbage collector: a full store holds up to
// DefaultMessageCap messages, and every pointer in it is work for every GC
// cycle. A stored message is a 56-byte storedMsg with two pointer words
// (its text and, for the rare non-text message, its extra fields), kept in
// fixed-size chunks (the first grows to that size as it fills): no heap
// object per message besides its text, eviction drops (and reuses) whole
// chunks, the per-topic index holds no pointers, and there is no
// per-message map entry (a lookup by id scans). Fields that repeat from
// message to message (chat, sender, type, endpoint, time zone) are
// interned in a reference-counted table of msgHeads. A message's seq is
// its place in the store: the store holds seqs first..last, consecutive.
// Messages leave the store as copies (message), so what a caller does with
// them never reaches the store.
type msgStore struct {
	chunks [][]storedMsg // chunks[0][0] is seq base
	spare  []storedMsg   // an emptied chunk, reused for the next one
	shift  uint          // a chunk holds 1<<shift messages
	base   int64
	first  int64 // oldest stored seq; the store is empty when first > last
	last   int64 // newest stored seq (state.seq)

	topics map[string]*topicLog

	heads    []msgHead
	headRefs []int32 // stored messages using heads[i]; 0: free
	headIdx  map[msgHead]int32
	freeHead []int32
}

// msgChunkShift makes a chunk hold 1024 messages, or the cap rounded up
// to a power of two when that is less (so a Server with a small cap
// allocates little).
const msgChunkShift = 10

// msgFirstChunk is how many messages the first chunk holds at first; it
// doubles as it fills, up to a chunk's size. Later chunks start full size.
const msgFirstChunk = 8

// storedMsg is one stored message; see msgStore.
type storedMsg struct {
	sec  int64 // CreatedAt, with nsec and heads[head].loc
	nsec int32
	head int32 // index into msgStore.heads
	key  [12]byte
	text string
	ext  *msgExt // nil for a message with only the common fields
}

// msgHead is what many stored messages share.
type msgHead struct {
	gid, tid, kind, sender, typ, endpoint string
	loc                                   *time.Location
}

// msgExt holds the fields most messages leave empty.
type msgExt struct {
	id                            string // an id that is not a 24-hex-digit object id
	fileID, fileName, contentType string
	size                          int
	caption, packageID, stickerID string
	items                         []QuickReplyItem
	payload                       json.RawMessage
}

// topicLog lists a topic's stored seqs, oldest first.
type topicLog struct {
	seqs []int64
	head int32 // the last head a message of this topic used: a cache
}

func newMsgStore() msgStore {
	return msgStore{first: 1, topics: map[string]*topicLog{}, headIdx: map[msgHead]int32{}}
}

// len returns how many messages are stored.
func (ms *msgStore) len() int { return int(ms.last - ms.first + 1) }

func (ms *msgStore) slot(seq int64) *storedMsg {
	i := seq - ms.base
	return &ms.chunks[i>>ms.shift][i&(1<<ms.shift-1)]
}

// idKey returns id as the 12 bytes it encodes, if it is exactly the
// lowercase hex that hex.EncodeToString gives for them.
func idKey(id string) (k [12]byte, ok bool) {
	if len(id) != 24 {
		return k, false
	}
	for i := 0; i < 24; i += 2 {
		hi, ok1 := lowerHex(id[i])
		lo, ok2 := lowerHex(id[i+1])
		if !ok1 || !ok2 {
			return k, false
		}
		k[i/2] = hi<<4 | lo
	}
	return k, true
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// add stores m as message seq (which is last+1) in a store that will
// hold at most cap messages.
func (ms *msgStore) add(m *Message, seq int64, cap int) {
	if len(ms.chunks) == 0 {
		// The first message: start the chunks at this seq.
		ms.base, ms.first = seq, seq
		ms.shift = uint(min(msgChunkShift, bits.Len(uint(max(cap, 1)-1))))
	}
	ms.last = seq
	i := seq - ms.base
	if int(i>>ms.shift) == len(ms.chunks) {
		c := ms.spare
		if c == nil {
			// Full size, but for the first chunk: a Server in a test
			// stores a handful of messages, and a full chunk is 56 KiB.
			n := 1 << ms.shift
			if len(ms.chunks) == 0 {
				n = min(n, msgFirstChunk)
			}
			c = make([]storedMsg, n)
		}
		ms.spare = nil
		ms.chunks = append(ms.chunks, c)
	} else if last := ms.chunks[len(ms.chunks)-1]; int(i&(1<<ms.shift-1)) == len(last) {
		// The first chunk is full but smaller than a chunk: double it.
		c := make([]storedMsg, min(2*len(last), 1<<ms.shift))
		copy(c, last)
		ms.chunks[len(ms.chunks)-1] = c
	}
	sm := ms.slot(seq)
	tl := ms.topics[m.TID]
	if tl == nil {
		tl = &topicLog{head: -1}
		ms.topics[m.TID] = tl
	}
	tl.seqs = append(tl.seqs, seq)
	sm.head = ms.intern(tl, m)
	sm.sec, sm.nsec = m.CreatedAt.Unix(), int32(m.CreatedAt.Nanosecond())
	sm.text = m.Text
	if k, ok := idKey(m.ID); ok {
		sm.key = k
	} else {
		sm.ext = &msgExt{id: m.ID}
	}
	if m.FileID != "" || m.FileName != "" || m.ContentType != "" || m.Size != 0 || m.Caption != "" ||
		m.PackageID != "" || m.StickerID != "" || m.Items != nil || m.Payload != nil {
		if sm.ext == nil {
			sm.ext = &msgExt{}
		}
		e := sm.ext
		e.fileID, e.fileName, e.contentType, e.size = m.FileID, m.FileName, m.ContentType, m.Size
		e.caption, e.packageID, e.stickerID = m.Caption, m.PackageID, m.StickerID
		e.items, e.payload = slices.Clone(m.Items), slices.Clone(m.Payload)
	}
}

// intern returns the index of m's msgHead, counting one more use.
func (ms *msgStore) intern(tl *topicLog, m *Message) int32 {
	h := msgHead{gid: m.GID, tid: m.TID, kind: m.Sender.Kind, sender: m.Sender.ID, typ: m.Type, endpoint: m.Endpoint, loc: m.CreatedAt.Location()}
	i := tl.head
	if i < 0 || ms.headRefs[i] == 0 || ms.heads[i] != h {
		var ok bool
		if i, ok = ms.headIdx[h]; !ok {
			if n := len(ms.freeHead); n > 0 {
				i = ms.freeHead[n-1]
				ms.freeHead = ms.freeHead[:n-1]
				ms.heads[i] = h
			} else {
				i = int32(len(ms.heads))
				ms.heads = append(ms.heads, h)
				ms.headRefs = append(ms.headRefs, 0)
			}
			ms.headIdx[h] = i
		}
		tl.head = i
	}
	ms.headRefs[i]++
	return i
}

// evictOldest drops the oldest message and returns the file id it named.
func (ms *msgStore) evictOldest() (fileID string) {
	seq := ms.first
	sm := ms.slot(seq)
	h := &ms.heads[sm.head]
	if tl := ms.topics[h.tid]; tl != nil && len(tl.seqs) > 0 && tl.seqs[0] == seq {
		tl.seqs = tl.seqs[1:]
	}
	if sm.ext != nil {
		fileID = sm.ext.fileID
	}
	if ms.headRefs[sm.head]--; ms.headRefs[sm.head] == 0 {
		delete(ms.headIdx, *h)
		*h = msgHead{}
		ms.freeHead = append(ms.freeHead, sm.head)
	}
	*sm = storedMsg{}
	ms.first++
	if ms.first-ms.base == 1<<ms.shift {
		ms.spare = ms.chunks[0]
		ms.chunks[0] = nil
		ms.chunks = ms.chunks[1:]
		ms.base += 1 << ms.shift
	}
	return fileID
}

// message returns stored message seq as a Message of its own.
func (ms *msgStore) message(seq int64) Message {
	sm := ms.slot(seq)
	h := &ms.heads[sm.head]
	m := Message{GID: h.gid, TID: h.tid, Sender: Sender{Kind: h.kind, ID: h.sender}, Type: h.typ, Endpoint: h.endpoint,
		Text: sm.text, CreatedAt: time.Unix(sm.sec, int64(sm.nsec)).In(h.loc), seq: seq}
	if e := sm.ext; e != nil {
		m.ID = e.id
		m.FileID, m.FileName, m.ContentType, m.Size = e.fileID, e.fileName, e.contentType, e.size
		m.Caption, m.PackageID, m.StickerID = e.caption, e.packageID, e.stickerID
		m.Items, m.Payload = slices.Clone(e.items), slices.Clone(e.payload)
	}
	if m.ID == "" {
		m.ID = hex.EncodeToString(sm.key[:])
	}
	return m
}

// byMessageID returns the newest stored message with the id. It scans,
// newest first: looking a message up by id is rare (a simulated tap, most
// often on a recent message) and an index would cost every push a map
// entry.
func (ms *msgStore) byMessageID(id string) (*Message, bool) {
	k, isKey := idKey(id)
	if ms.first > ms.last {
		return nil, false
	}
	lo, hi := ms.first-ms.base, ms.last-ms.base // offsets from base
	mask := int64(1)<<ms.shift - 1
	for ci := hi >> ms.shift; ci >= lo>>ms.shift; ci-- {
		c := ms.chunks[ci]
		from, to := int64(0), mask
		if ci == lo>>ms.shift {
			from = lo & mask
		}
		if ci == hi>>ms.shift {
			to = hi & mask
		}
		for i := to; i >= from; i-- {
			sm := &c[i]
			if sm.ext != nil && sm.ext.id != "" {
				if sm.ext.id != id {
					continue
				}
			} else if !isKey || sm.key != k {
				continue
			}
			m := ms.message(ms.base + ci<<ms.shift + i)
			return &m, true
		}
	}
	return nil, false
}

// all returns every stored message, oldest first.
func (ms *msgStore) all() []Message {
	out := make([]Message, 0, max(ms.len(), 0))
	for seq := ms.first; seq <= ms.last; seq++ {
		out = append(out, ms.message(seq))
	}
	return out
}

// topic returns topic tid's stored messages, oldest first.
func (ms *msgStore) topic(tid string) []Message {
	tl := ms.topics[tid]
	if tl == nil {
		return []Message{}
	}
	return ms.messages(tl.seqs)
}

// topicsOf returns the stored messages of the topics, oldest first.
func (ms *msgStore) topicsOf(topics []Topic) []Message {
	var seqs []int64
	for _, t := range topics {
		if tl := ms.topics[t.ID]; tl != nil {
			seqs = append(seqs, tl.seqs...)
		}
	}
	slices.Sort(seqs)
	return ms.messages(seqs)
}

func (ms *msgStore) messages(seqs []int64) []Message {
	out := make([]Message, 0, len(seqs))
	for _, seq := range seqs {
		out = append(out, ms.message(seq))
	}
	return out
}
