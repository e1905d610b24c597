package mockeko

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/mockeko/mockeko/contract"
)

// While New compiles the contract the Server already answers its control
// plane, and an Eko API request waits for the contract: it is checked and
// journaled like any other, never served unchecked.
func TestRequestWaitsForContract(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	release := make(chan struct{})
	waiting := make(chan struct{}, 1)
	type result struct {
		srv *Server
		err error
	}
	started := make(chan result, 1)
	go func() {
		srv, err := New(WithListener(ln), WithContractMode(contract.ModeStrict), func(c *config) error {
			c.compileContract = func() (*contract.Contract, error) {
				<-release
				return embeddedContract()
			}
			c.gateWaiting = func() { waiting <- struct{}{} }
			return nil
		})
		started <- result{srv, err}
	}()

	resp, err := client.Get(base + "/_mockeko/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("health while the contract compiles: %s", resp.Status)
	}

	// A token request with a JSON body, which the contract refuses.
	answered := make(chan *http.Response, 1)
	go func() {
		resp, err := client.Post(base+"/oauth/token", "application/json", strings.NewReader(`{"grant_type":"client_credentials"}`))
		if err != nil {
			t.Error(err)
			answered <- nil
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		answered <- resp
	}()
	<-waiting
	select {
	case r := <-answered:
		t.Fatalf("an Eko API request was answered before the contract was compiled: %v", r)
	case r := <-started:
		t.Fatalf("New returned before the contract was compiled: %v", r.err)
	default:
	}
	close(release)
	r := <-started
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.srv.Close()
	if resp := <-answered; resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("token request with a JSON body: %v, want 400", resp)
	}
	reqs := r.srv.Requests()
	if len(reqs) != 1 || reqs[0].Operation == "" || len(reqs[0].Violations) == 0 {
		t.Fatalf("journal = %+v, want the token request, checked, with its violations", reqs)
	}
}

// A contract that does not compile fails New with its error, as it always
// did.
func TestContractErrorFailsNew(t *testing.T) {
	t.Parallel()
	bad := errors.New("no contract today")
	srv, err := New(func(c *config) error {
		c.compileContract = func() (*contract.Contract, error) { return nil, bad }
		return nil
	})
	if !errors.Is(err, bad) {
		if srv != nil {
			srv.Close()
		}
		t.Fatalf("New = %v, want %v", err, bad)
	}
}
