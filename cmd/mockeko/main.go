// Command mockeko runs a local fake of the Eko Bot API: a sandbox tenant
// that a bot talks to unchanged, with only its base URL (EKO_HTTP_URI)
// pointed at mockeko.
//
// Usage:
//
//	mockeko [serve] [flags]     run the fake (the default subcommand)
//	mockeko health [--addr A]   exit 0 if a mockeko at A answers its health check
//	mockeko trigger KIND ...    act as a simulated user: the running mockeko sends the bot a webhook
//	mockeko contract lint|check check a description or recorded traffic (contract help)
//	mockeko version             print the version
//
// Every flag can also be set with the environment variable MOCKEKO_<NAME>
// (upper case, dashes as underscores): --token-ttl is MOCKEKO_TOKEN_TTL.
// Run mockeko serve --help for the list.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if code, ok := err.(exitCode); ok {
			os.Exit(int(code))
		}
		fmt.Fprintln(os.Stderr, "mockeko:", err)
		os.Exit(1)
	}
}

// exitCode is an error that only carries an exit status (the message was printed).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// run is the whole program, testable: it returns when ctx is cancelled or the command ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr)
	case "health":
		return health(ctx, args, stdout, stderr)
	case "trigger":
		return trigger(ctx, args, stdout, stderr)
	case "contract":
		return contractCmd(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, versionString())
		return nil
	case "help":
		printUsage(stdout)
		return nil
	}
	fmt.Fprintf(stderr, "mockeko: unknown command %q\n\n", cmd)
	printUsage(stderr)
	return exitCode(2)
}
