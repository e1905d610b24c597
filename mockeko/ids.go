package mockeko

import (
	crand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// idgen makes the ids a real Eko tenant hands out: 24-hex ObjectIds for
// users, groups, topics, messages and files, UUIDv4 client ids and 40-hex
// secrets. With a seed its output is reproducible; tokens (access and reply)
// always come from crypto/rand.
type idgen struct {
	mu    sync.Mutex
	rng   *rand.Rand // nil: crypto/rand
	epoch uint32     // seconds part of seeded ObjectIds
	count uint32
}

func newIDGen(seed *uint64) *idgen {
	g := &idgen{}
	g.reset(seed)
	return g
}

// reset restarts the generator, so a seeded Server reproduces its ids after Reset.
func (g *idgen) reset(seed *uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.rng, g.count = nil, 0
	if seed != nil {
		g.rng = rand.New(rand.NewChaCha8(seedBytes(*seed)))
		g.epoch = uint32(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
	}
}

func seedBytes(seed uint64) [32]byte {
	var b [32]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	copy(b[8:], "mockeko-seeded-ids-v1.")
	return b
}

func (g *idgen) fill(b []byte) {
	if g.rng == nil {
		_, _ = crand.Read(b) // never fails on supported platforms (Go 1.24+ panics internally instead)
		return
	}
	for i := range b {
		b[i] = byte(g.rng.Uint32())
	}
}

// objectID returns a new 24-hex ObjectId: 4 bytes of seconds, 5 random, 3 counter.
func (g *idgen) objectID() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var b [12]byte
	secs := uint32(time.Now().Unix())
	if g.rng != nil {
		secs = g.epoch + g.count
	}
	binary.BigEndian.PutUint32(b[:4], secs)
	g.fill(b[4:9])
	g.count++
	b[9], b[10], b[11] = byte(g.count>>16), byte(g.count>>8), byte(g.count)
	return hex.EncodeToString(b[:])
}

// uuid returns a new UUIDv4 string, the shape of Eko client ids.
func (g *idgen) uuid() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var b [16]byte
	g.fill(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// secret returns 40 hex characters from the generator (seeded when asked).
func (g *idgen) secret() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var b [20]byte
	g.fill(b[:])
	return hex.EncodeToString(b[:])
}

// newToken returns 40 hex characters from crypto/rand: access and reply tokens.
func newToken() string {
	var b [20]byte
	_, _ = crand.Read(b[:])
	var h [40]byte // encoded on the stack: one allocation, the string
	hex.Encode(h[:], b[:])
	return string(h[:])
}
