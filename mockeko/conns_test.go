package mockeko_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/mockeko/mockeko/mockeko"
)

// closeWithin runs srv.Close and fails the test if it has not returned
// well before the shutdown timeout (10 s): Close must not wait on
// connections that carry no request.
func closeWithin(t *testing.T, srv *mockeko.Server) {
	t.Helper()
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	select {
	case <-closed:
	case <-ctx.Done():
		t.Fatal("Close is still waiting on connections that carry no request")
	}
}

// A connection that carries no request does not hold Close up, whether it
// is some other client's idle keep-alive connection or one that never sent
// a byte, and Close hangs it up.
func TestCloseHangsUpQuietConnections(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		dial func(t *testing.T, srv *mockeko.Server) net.Conn
	}{
		{"idle keep-alive", func(t *testing.T, srv *mockeko.Server) net.Conn {
			c, err := net.Dial("tcp", srv.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(c, "GET /_mockeko/health HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			res, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 || res.Close {
				t.Fatalf("health: %d, close %v; want 200 on a kept-alive connection", res.StatusCode, res.Close)
			}
			return c
		}},
		{"no request yet", func(t *testing.T, srv *mockeko.Server) net.Conn {
			c, err := net.Dial("tcp", srv.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			return c
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := mockeko.NewServer()
			c := tt.dial(t, srv)
			defer c.Close()
			closeWithin(t, srv)
			if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
				t.Fatal(err)
			}
			if n, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("read after Close: %d bytes, %v; want the server to have hung up", n, err)
			}
		})
	}
}

// Close hangs up the Client's own idle connections too, and the Server
// answers nothing afterwards.
func TestCloseHangsUpClient(t *testing.T) {
	t.Parallel()
	srv := mockeko.NewServer()
	botToken(t, srv) // leaves an idle connection in the Client's pool
	closeWithin(t, srv)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/_mockeko/health", nil)
	if res, err := srv.Client().Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("a closed server answered %d", res.StatusCode)
	}
}
