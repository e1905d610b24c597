package main

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// loopbackMemory is the RSS of the mockeko binary while wrk pushes to it.
type loopbackMemory struct {
	Pushes   int
	Cap      int     // the bounded run's --message-cap
	FullBase int64   // RSS before pushing, cap >= pushes
	FullRSS  int64   // RSS after all pushes were stored
	FullPeak int64   // VmHWM
	CapRSS   []int64 // bounded run: RSS after each quarter of the pushes
	CapPeak  int64
	PushRate float64 // pushes/s while filling (c64)
}

// PerMessage is the RSS growth per stored message in the full run.
func (m *loopbackMemory) PerMessage() float64 {
	return float64(m.FullRSS-m.FullBase) / float64(m.Pushes)
}

// Bounded reports whether the capped run's RSS stopped growing: the last
// quarter's RSS is within 25% of the first quarter's.
func (m *loopbackMemory) Bounded() bool {
	return len(m.CapRSS) > 0 && float64(m.CapRSS[len(m.CapRSS)-1]) <= 1.25*float64(m.CapRSS[0])
}

func measureLoopbackMemory(ctx context.Context, cfg *config, contract bool, ld *loader, fx fixtureFacts, logf func(string, ...any)) (*loopbackMemory, error) {
	m := &loopbackMemory{Pushes: cfg.pushes, Cap: cfg.capMsgs}
	push := benchCalls(fx)[0]
	// A generous bound: wrk stops after the count, this only caps a stall.
	bound := time.Duration(cfg.pushes/1000+30) * time.Second

	run := func(msgCap int, chunks int, after func(i int, rss, peak int64)) (float64, error) {
		port, err := freePort()
		if err != nil {
			return 0, err
		}
		argv := mockekoArgv(cfg.mockeko, port, contract, "off", msgCap)
		srv, err := startServer("mockeko --message-cap "+strconv.Itoa(msgCap), pinned(cfg.cpuServer, argv),
			[]string{"GOMAXPROCS=" + strconv.Itoa(cfg.gomaxprocs)}, port)
		if err != nil {
			return 0, err
		}
		defer srv.stop()
		rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if _, err := srv.waitReady(rctx, readyProbe(tOff), time.Now()); err != nil {
			return 0, err
		}
		tok, err := fetchToken(ctx, srv.base, fx)
		if err != nil {
			return 0, err
		}
		rss, peak, err := srv.rss()
		if err != nil {
			return 0, err
		}
		after(-1, rss, peak)
		var n int64
		var took time.Duration
		for i := range chunks {
			r, err := ld.run(ctx, srv.base, push, "Bearer "+tok, 64, bound, cfg.pushes/chunks)
			if err != nil {
				return 0, err
			}
			if r.StatusErrors > 0 || r.SocketErrors > 0 {
				return 0, fmt.Errorf("pushes to %s: %d status errors, %d socket errors", srv.name, r.StatusErrors, r.SocketErrors)
			}
			n += r.Requests
			took += r.Duration
			rss, peak, err := srv.rss()
			if err != nil {
				return 0, err
			}
			after(i, rss, peak)
		}
		return float64(n) / took.Seconds(), nil
	}

	rate, err := run(cfg.pushes, 1, func(i int, rss, peak int64) {
		if i < 0 {
			m.FullBase = rss
			return
		}
		m.FullRSS, m.FullPeak = rss, peak
	})
	if err != nil {
		return nil, err
	}
	m.PushRate = rate
	logf("loopback: %d pushes kept: RSS %s -> %s (%.0f B/message), %.0f pushes/s", m.Pushes, mib(m.FullBase), mib(m.FullRSS), m.PerMessage(), rate)
	if _, err := run(cfg.capMsgs, 4, func(i int, rss, peak int64) {
		if i >= 0 {
			m.CapRSS = append(m.CapRSS, rss)
			m.CapPeak = peak
		}
	}); err != nil {
		return nil, err
	}
	logf("loopback: %d pushes, cap %d: RSS by quarter %v", m.Pushes, m.Cap, m.CapRSS)
	return m, nil
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
