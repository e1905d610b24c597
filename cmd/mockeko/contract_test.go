package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mockeko/mockeko/contract"
	"github.com/mockeko/mockeko/mockeko"
)

// runContract runs "mockeko contract ARGS" and returns stdout, stderr and the exit code.
func runContract(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), append([]string{"contract"}, args...), &out, &errb)
	code := 0
	var ec exitCode
	switch {
	case errors.As(err, &ec):
		code = int(ec)
	case err != nil:
		t.Fatalf("run: %v", err)
	}
	return out.String(), errb.String(), code
}

func TestContractLint(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("swagger: \"2.0\"\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      operationId: x\n      responses:\n        \"200\": {description: ok}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(broken, []byte("swagger: \"2.0\"\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      operationId: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"clean file", []string{"lint", good}, 0, "good.yaml: 0 errors, 0 warnings"},
		{"broken file", []string{"lint", broken}, 1, "broken.yaml: error:"},
		{"missing file", []string{"lint", filepath.Join(dir, "nope.yaml")}, 2, "no such file"},
		{"two files", []string{"lint", "a", "b"}, 2, "Usage:"},
		{"no subcommand", nil, 2, "Usage:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, errOut, code := runContract(t, tt.args...)
			if code != tt.code || !strings.Contains(out+errOut, tt.want) {
				t.Errorf("code %d (want %d); want %q in:\n%s%s", code, tt.code, tt.want, out, errOut)
			}
		})
	}
}

func TestContractCheck(t *testing.T) {
	t.Parallel()
	// Traffic: one good call and one invalid one, recorded by a running fake in warn mode.
	srv := mockeko.NewServer(mockeko.WithContractMode(contract.ModeWarn))
	defer srv.Close()
	tok := func() string {
		tk, err := srv.ClientCredentials("bot").Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return tk.AccessToken
	}()
	call := func(body string) {
		req, _ := http.NewRequest("POST", srv.URL+"/bot/v1/notify/text", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	call(`{"message":"hi"}`)
	call(`{"message":""}`)

	dir := t.TempDir()
	resp, err := srv.Client().Get(srv.URL + "/_mockeko/requests")
	if err != nil {
		t.Fatal(err)
	}
	journal, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	journalFile := filepath.Join(dir, "journal.json")
	_ = os.WriteFile(journalFile, journal, 0o644)
	harFile := filepath.Join(dir, "traffic.har")
	var har bytes.Buffer
	if err := contract.WriteHAR(&har, srv.Requests()); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(harFile, har.Bytes(), 0o644)
	cleanHAR := filepath.Join(dir, "clean.har")
	var clean bytes.Buffer
	_ = contract.WriteHAR(&clean, srv.Requests()[:2]) // the token call and the good notify
	_ = os.WriteFile(cleanHAR, clean.Bytes(), 0o644)
	truncated := filepath.Join(dir, "truncated.har")
	_ = os.WriteFile(truncated, har.Bytes()[:har.Len()/2], 0o644)
	junit := filepath.Join(dir, "out.xml")

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"url", []string{"check", "--url", srv.URL}, 1, "/message: minimum string length is 1"},
		{"journal", []string{"check", "--journal", journalFile}, 1, "3 exchanges, 1 violations"},
		{"har with junit", []string{"check", "--har", harFile, "--junit", junit}, 1, "FAIL"},
		{"clean har", []string{"check", "--har", cleanHAR}, 0, "OK: 2 exchanges"},
		{"clean har, uncovered", []string{"check", "--har", cleanHAR, "--fail-on", "uncovered"}, 1, "coverage: 2/20 operations"},
		{"json", []string{"check", "--har", cleanHAR, "--json"}, 0, `"operationsExercised": 2`},
		{"truncated har", []string{"check", "--har", truncated}, 2, "truncated.har: line"},
		{"two sources", []string{"check", "--har", harFile, "--url", srv.URL}, 2, "exactly one of"},
		{"bad fail-on", []string{"check", "--har", harFile, "--fail-on", "typos"}, 2, "--fail-on"},
		{"not a journal", []string{"check", "--journal", harFile}, 2, "no \"requests\" list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runContract(t, tt.args...)
			if code != tt.code || !strings.Contains(out+errOut, tt.want) {
				t.Errorf("code %d (want %d); want %q in:\n%s%s", code, tt.code, tt.want, out, errOut)
			}
		})
	}
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil || doc.Failures != 1 {
		t.Errorf("junit: failures=%d err=%v\n%s", doc.Failures, err, data)
	}
}
