package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// printFlags lists every flag of fs with its environment variable, type,
// default and help, so that --help is the configuration reference.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		typ, help := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if typ != "" {
			name += " " + typ
		}
		fmt.Fprintf(w, "  %-26s %s\n", name, envName(f.Name))
		fmt.Fprintf(w, "        %s", strings.ReplaceAll(help, "\n", "\n        "))
		if def := f.DefValue; def != "" && def != "0" && def != "false" {
			if typ == "string" {
				def = strconv.Quote(def)
			}
			fmt.Fprintf(w, " (default %s)", def)
		}
		fmt.Fprintln(w)
	})
}

// printUsage is the whole help text: the subcommands and the serve flags.
func printUsage(w io.Writer) {
	fmt.Fprint(w, `mockeko: a local fake of the Eko Bot API

Usage:
  mockeko [serve] [flags]     run the fake (the default subcommand)
  mockeko health [flags]      exit 0 when the mockeko at --addr is healthy (the container HEALTHCHECK)
  mockeko trigger KIND ...    act as a simulated user: the mockeko at --addr sends the bot a webhook (mockeko trigger --help)
  mockeko contract lint|check lint an OpenAPI description, or check recorded traffic (mockeko contract help)
  mockeko version             print the version, VCS revision and Go version

Flags of serve. Each is also read from the environment variable shown next to
it; a flag given on the command line wins over the variable.

`)
	fs, _ := newServeFlags(io.Discard)
	printFlags(w, fs)
}
