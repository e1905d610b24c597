package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/mockeko/mockeko/contract"
	"github.com/mockeko/mockeko/openapi"
)

// Exit codes of "mockeko contract".
const (
	exitContractOK    = 0 // clean
	exitContractFail  = 1 // lint errors, violations, or (with --fail-on uncovered) gaps
	exitContractUsage = 2 // bad flags or unreadable input
)

const contractUsage = `Usage:
  mockeko contract lint [FILE]
      Lint an OpenAPI (Swagger 2.0) description: go-openapi's validate.Spec
      rules, mockeko's extensions, and every example against its schema.
      Without FILE, lints the embedded Eko and control-plane descriptions.

  mockeko contract check (--har FILE | --journal FILE | --url URL) [flags]
      Check recorded traffic against the Eko contract and report violations
      and operation coverage (text on stdout).
        --har FILE        a HAR 1.2 file (browser, proxy, or mockeko's export)
        --journal FILE    a saved GET /_mockeko/requests answer
        --url URL         a running mockeko; its journal is fetched and checked
        --junit FILE      also write JUnit XML (one testcase per operation x status)
        --json            print the report as JSON instead of text
        --fail-on LIST    violations (default), uncovered, or both (comma-separated);
                          uncovered fails when a described operation was never called
        --openapi FILE    check against FILE instead of the embedded description

Exit status: 0 clean, 1 lint errors / violations / gaps, 2 usage or input errors.
`

func contractCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, contractUsage)
		return exitCode(exitContractUsage)
	}
	switch args[0] {
	case "lint":
		return contractLint(args[1:], stdout, stderr)
	case "check":
		return contractCheck(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, contractUsage)
		return nil
	}
	fmt.Fprintf(stderr, "mockeko contract: unknown command %q\n\n%s", args[0], contractUsage)
	return exitCode(exitContractUsage)
}

func contractLint(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mockeko contract lint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), contractUsage) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitCode(exitContractUsage)
	}
	docs := []struct {
		name string
		data []byte
	}{{"openapi/eko-bot-api.yaml", openapi.EkoBotAPI}, {"openapi/mockeko-control.yaml", openapi.ControlPlane}}
	switch fs.NArg() {
	case 0:
	case 1:
		data, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			fmt.Fprintf(stderr, "mockeko contract lint: %v\n", err)
			return exitCode(exitContractUsage)
		}
		docs = docs[:0]
		docs = append(docs, struct {
			name string
			data []byte
		}{fs.Arg(0), data})
	default:
		fmt.Fprint(stderr, contractUsage)
		return exitCode(exitContractUsage)
	}
	failed := false
	for _, d := range docs {
		probs := contract.Lint(d.data, d.name)
		errs, warns := 0, 0
		for _, p := range probs {
			fmt.Fprintln(stdout, p)
			if p.Severity == contract.SeverityError {
				errs++
			} else {
				warns++
			}
		}
		fmt.Fprintf(stdout, "%s: %d errors, %d warnings\n", d.name, errs, warns)
		failed = failed || errs > 0
	}
	if failed {
		return exitCode(exitContractFail)
	}
	return nil
}

func contractCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mockeko contract check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), contractUsage) }
	har := fs.String("har", "", "HAR file to check")
	journalFile := fs.String("journal", "", "saved /_mockeko/requests answer to check")
	url := fs.String("url", "", "base URL of a running mockeko")
	junit := fs.String("junit", "", "write JUnit XML here")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	failOn := fs.String("fail-on", "violations", "violations, uncovered, or both")
	doc := fs.String("openapi", "", "description to check against (default: embedded)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitCode(exitContractUsage)
	}
	usage := func(format string, a ...any) error {
		fmt.Fprintf(stderr, "mockeko contract check: "+format+"\n", a...)
		return exitCode(exitContractUsage)
	}
	if fs.NArg() > 0 {
		return usage("unexpected argument %q", fs.Arg(0))
	}
	sources := 0
	for _, s := range []string{*har, *journalFile, *url} {
		if s != "" {
			sources++
		}
	}
	if sources != 1 {
		return usage("give exactly one of --har, --journal or --url")
	}
	failViolations, failUncovered := false, false
	for _, f := range strings.Split(*failOn, ",") {
		switch strings.TrimSpace(f) {
		case "violations":
			failViolations = true
		case "uncovered":
			failUncovered = true
		default:
			return usage("--fail-on %q: want violations, uncovered, or both", f)
		}
	}

	c, err := loadContract(*doc)
	if err != nil {
		return usage("%v", err)
	}
	var exchanges []contract.Exchange
	switch {
	case *har != "":
		f, err := os.Open(*har)
		if err != nil {
			return usage("%v", err)
		}
		exchanges, err = contract.ReadHAR(f, *har)
		f.Close()
		if err != nil {
			return usage("%v", err)
		}
	case *journalFile != "":
		data, err := os.ReadFile(*journalFile)
		if err != nil {
			return usage("%v", err)
		}
		if exchanges, err = readJournal(data, *journalFile); err != nil {
			return usage("%v", err)
		}
	default:
		if exchanges, err = fetchJournal(ctx, *url); err != nil {
			return usage("%v", err)
		}
	}

	rep := c.NewReport(c.Check(exchanges))
	if *asJSON {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return err
	}
	if *junit != "" {
		var b bytes.Buffer
		if err := rep.WriteJUnit(&b); err != nil {
			return err
		}
		if err := os.WriteFile(*junit, b.Bytes(), 0o644); err != nil {
			return usage("%v", err)
		}
	}
	uncalled := 0
	for _, o := range rep.Coverage.Operations {
		if o.Calls == 0 {
			uncalled++
		}
	}
	if (failViolations && !rep.OK()) || (failUncovered && uncalled > 0) {
		return exitCode(exitContractFail)
	}
	return nil
}

func loadContract(file string) (*contract.Contract, error) {
	if file == "" {
		return contract.Default()
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return contract.Load(data, file)
}

// readJournal reads GET /_mockeko/requests ({"requests":[...]}) or a bare array.
func readJournal(data []byte, name string) ([]contract.Exchange, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var ex []contract.Exchange
		if err := json.Unmarshal(trimmed, &ex); err != nil {
			return nil, fmt.Errorf("%s: not a journal: %w", name, err)
		}
		return ex, nil
	}
	var j struct {
		Requests *[]contract.Exchange `json:"requests"`
	}
	if err := json.Unmarshal(trimmed, &j); err != nil {
		return nil, fmt.Errorf("%s: not a journal: %w", name, err)
	}
	if j.Requests == nil {
		return nil, fmt.Errorf("%s: not a journal: no \"requests\" list", name)
	}
	return *j.Requests, nil
}

func fetchJournal(ctx context.Context, base string) ([]contract.Exchange, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	u := strings.TrimRight(base, "/") + "/_mockeko/requests"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", u, resp.Status)
	}
	return readJournal(data, u)
}
