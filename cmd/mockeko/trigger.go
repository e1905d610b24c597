package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const triggerUsage = `Usage: mockeko trigger [flags] KIND [ARGS]

Acts as a simulated user of a running mockeko, which sends the bot the
webhook real Eko would (POST /_mockeko/events), and prints the delivery.

Kinds:
  text TEXT                       send a text message
  picture FILE                    send a picture (the bot fetches it at /file/view/{pictureId})
  sticker PACKAGE_ID STICKER_ID   send a sticker
  file FILE                       send a file (real Eko sends no webhook for files)
  join                            open a direct chat with the bot
  postback DATA [TEXT]            send a postback
  tap MESSAGE_ID ITEM             tap item ITEM (an index from 0, or a label) of a bot's message
  workflow TYPE TITLE UID...      workflow activity for the recipients
  event JSON|-                    any event, as POST /_mockeko/events takes it (- reads stdin)
  replay DELIVERY_ID              send a journalled delivery again

Exit status: 0 when delivered (or queued, with --wait=false), 1 when the
delivery failed or was dropped or mockeko refused the event, 2 on bad usage.

Flags (each also read from MOCKEKO_<FLAG>):
`

type triggerFlags struct {
	addr    string
	user    string
	bot     string
	gid     string
	tid     string
	wait    bool
	timeout time.Duration
}

// trigger drives a running mockeko's control plane: one simulated user action.
func trigger(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := &triggerFlags{}
	fs := flag.NewFlagSet("mockeko trigger", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address or base URL of the running mockeko")
	fs.StringVar(&f.user, "user", "", "the acting user: id or username")
	fs.StringVar(&f.bot, "bot", "", "the bot that gets the webhook (default: the group's only bot, or the default bot)")
	fs.StringVar(&f.gid, "gid", "", "a group chat to write in (default: the user's direct chat with the bot)")
	fs.StringVar(&f.tid, "tid", "", "a topic of --gid (default: its main topic)")
	fs.BoolVar(&f.wait, "wait", true, "wait until the delivery is delivered, failed or dropped")
	fs.DurationVar(&f.timeout, "timeout", time.Minute, "how long to wait for mockeko")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), triggerUsage)
		fs.PrintDefaults()
	}
	// Flags may come before, between or after the positional arguments.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return exitCode(2)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if err := envFlags(fs); err != nil {
		return err
	}
	usage := func(format string, a ...any) error {
		fmt.Fprintf(stderr, "mockeko trigger: "+format+"\n\n", a...)
		fs.Usage()
		return exitCode(2)
	}
	if len(pos) == 0 {
		return usage("name what the user does: text, picture, sticker, file, join, postback, tap, workflow, event or replay")
	}
	kind, rest := pos[0], pos[1:]
	nargs := func(min, max int, what string) error {
		if len(rest) < min || (max >= 0 && len(rest) > max) {
			return usage("%s takes %s", kind, what)
		}
		return nil
	}

	path := "/_mockeko/events"
	ev := map[string]any{}
	set := func(k string, v any) {
		if s, ok := v.(string); !ok || s != "" {
			ev[k] = v
		}
	}
	set("uid", f.user)
	set("botId", f.bot)
	set("gid", f.gid)
	set("tid", f.tid)
	var body []byte
	switch kind {
	case "text":
		if err := nargs(1, 1, "TEXT"); err != nil {
			return err
		}
		ev["type"], ev["message"] = "message", map[string]any{"type": "text", "text": rest[0]}
	case "picture", "file":
		if err := nargs(1, 1, "FILE"); err != nil {
			return err
		}
		data, err := os.ReadFile(rest[0])
		if err != nil {
			return err
		}
		ev["type"], ev["message"] = "message", map[string]any{"type": kind, "fileName": filepath.Base(rest[0]), "data": data}
	case "sticker":
		if err := nargs(2, 2, "PACKAGE_ID STICKER_ID"); err != nil {
			return err
		}
		ev["type"], ev["message"] = "message", map[string]any{"type": "sticker", "packageId": rest[0], "stickerId": rest[1]}
	case "join":
		if err := nargs(0, 0, "no arguments"); err != nil {
			return err
		}
		ev["type"] = "join"
	case "postback":
		if err := nargs(1, 2, "DATA [TEXT]"); err != nil {
			return err
		}
		pb := map[string]any{"data": rest[0]}
		if len(rest) == 2 {
			pb["text"] = rest[1]
		}
		ev["type"], ev["postback"] = "postback", pb
	case "tap":
		if err := nargs(2, 2, "MESSAGE_ID ITEM"); err != nil {
			return err
		}
		tap := map[string]any{"messageId": rest[0]}
		if i, err := strconv.Atoi(rest[1]); err == nil {
			tap["index"] = i
		} else {
			tap["label"] = rest[1]
		}
		ev["type"], ev["tap"] = "tap", tap
	case "workflow":
		if err := nargs(3, -1, "TYPE TITLE UID..."); err != nil {
			return err
		}
		ev["type"], ev["workflow"] = "workflow", map[string]any{"type": rest[0], "title": rest[1], "recipients": rest[2:]}
	case "event":
		if err := nargs(1, 1, "JSON (or - for stdin)"); err != nil {
			return err
		}
		raw := []byte(rest[0])
		if rest[0] == "-" {
			var err error
			if raw, err = io.ReadAll(os.Stdin); err != nil {
				return err
			}
		}
		body = raw
	case "replay":
		if err := nargs(1, 1, "DELIVERY_ID"); err != nil {
			return err
		}
		path = "/_mockeko/deliveries/" + url.PathEscape(rest[0]) + "/replay"
		body = []byte{}
	default:
		return usage("unknown kind %q", kind)
	}
	if body == nil {
		var err error
		if body, err = json.Marshal(ev); err != nil {
			return err
		}
	}
	if f.wait {
		path += "?wait=true"
	}

	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL(f.addr)+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "mockeko trigger: %v\n", err)
		return exitCode(1)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(raw, &e) != nil || e.Message == "" {
			e.Message = strings.TrimSpace(string(raw))
		}
		fmt.Fprintf(stderr, "mockeko trigger: %s: %s\n", resp.Status, e.Message)
		return exitCode(1)
	}
	var out struct {
		Delivery *struct {
			ID    string `json:"id"`
			State string `json:"state"`
			Error string `json:"error"`
		} `json:"delivery"`
	}
	_ = json.Unmarshal(raw, &out)
	var pretty bytes.Buffer
	if json.Indent(&pretty, raw, "", "  ") == nil {
		raw = pretty.Bytes()
	}
	fmt.Fprintf(stdout, "%s\n", bytes.TrimSpace(raw))
	if d := out.Delivery; d != nil && (d.State == "failed" || d.State == "dropped") {
		fmt.Fprintf(stderr, "mockeko trigger: delivery %s %s: %s\n", d.ID, d.State, d.Error)
		return exitCode(1)
	}
	return nil
}

// baseURL turns an --addr value into a base URL a local client can use.
func baseURL(addr string) string {
	if strings.Contains(addr, "://") {
		return strings.TrimRight(addr, "/")
	}
	if host, port, err := net.SplitHostPort(addr); err == nil && (host == "" || host == "0.0.0.0" || host == "::") {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	return "http://" + addr
}
