// Command drive sends an exact number of requests to a server over a few
// keep-alive connections, then exits: nonzero if any request failed or got
// a status of 300 or more. scripts/instr.sh uses it to count the
// instructions a server spends per request (wrk runs for a duration, not a
// count).
//
//	drive -n 10000 -c 8 -m POST -ct application/json -auth "Bearer T" -body push.json -u http://127.0.0.1:8080/bot/v1/group/message
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "drive:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("drive", flag.ContinueOnError)
	n := fs.Int("n", 10000, "requests to send")
	c := fs.Int("c", 8, "connections")
	method := fs.String("m", http.MethodGet, "method")
	target := fs.String("u", "", "URL")
	auth := fs.String("auth", "", "Authorization header")
	ct := fs.String("ct", "", "Content-Type header")
	bodyFile := fs.String("body", "", "file whose bytes are the request body")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *target == "" || *n < 0 || *c < 1 {
		return fmt.Errorf("want -u URL, -n >= 0 and -c >= 1")
	}
	var body []byte
	if *bodyFile != "" {
		var err error
		if body, err = os.ReadFile(*bodyFile); err != nil {
			return err
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *c, DisableCompression: true}}
	var left, failed atomic.Int64
	left.Store(int64(*n))
	var first atomic.Value // the first failure, for the message
	var wg sync.WaitGroup
	for range *c {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				if err := send(client, *method, *target, *auth, *ct, body); err != nil {
					failed.Add(1)
					first.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	wg.Wait()
	if k := failed.Load(); k > 0 {
		return fmt.Errorf("%d of %d requests failed; first: %v", k, *n, first.Load())
	}
	return nil
}

func send(client *http.Client, method, target, auth, ct string, body []byte) error {
	req, err := http.NewRequest(method, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: status %d", method, target, resp.StatusCode)
	}
	return nil
}
