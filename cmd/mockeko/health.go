package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// health asks a running mockeko for its health: the container HEALTHCHECK
// (the image has no curl).
func health(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mockeko health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address or base URL of the mockeko to check")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for an answer")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: mockeko health [flags]\n\nExits 0 when the mockeko at --addr answers GET /_mockeko/health with {\"status\":\"ok\"}, 1 otherwise.\nAn unspecified host (0.0.0.0, ::) is checked on 127.0.0.1. Flags (a flag wins over its variable):\n\n")
		printFlags(fs.Output(), fs)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitCode(2)
	}
	if err := envFlags(fs); err != nil {
		return err
	}
	base := *addr
	if !strings.Contains(base, "://") {
		if host, port, err := net.SplitHostPort(base); err == nil && (host == "" || host == "0.0.0.0" || host == "::") {
			base = net.JoinHostPort("127.0.0.1", port)
		}
		base = "http://" + base
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/_mockeko/health", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "mockeko health: %v\n", err)
		return exitCode(1)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&body) != nil || body.Status != "ok" {
		fmt.Fprintf(stderr, "mockeko health: %s answered %s\n", base, resp.Status)
		return exitCode(1)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
