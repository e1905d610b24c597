#!/usr/bin/env bash
# bench.sh: measure mockeko against the machine's limit (a bare net/http
# handler) and against Prism, and regenerate the table in BENCHMARKS.md.
#
#   scripts/bench.sh            full run (about 10 minutes), rewrites BENCHMARKS.md
#   scripts/bench.sh --smoke    every measurement for about a second with tiny
#                               counts; checks the plumbing, not the numbers,
#                               and writes its report to a temporary file
#   scripts/bench.sh --baseline REF
#                               also measure mockeko as built from git REF
#                               (e.g. main), side by side: before/after figures
#
# It installs what it needs: wrk from Debian (apt-get) and Prism from npm
# (pinned in bench/package-lock.json, installed into bench/node_modules).
# Every load run is bounded in time and aimed at 127.0.0.1 only.
# Options after --smoke (or alone) go to the runner: e.g. -reps 5 -d 5s.
set -euo pipefail

# Everything is in main so that bash has read the whole script before it
# runs any of it (editing the file during a 15-minute run is then harmless).
main() {
	root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
	cd "$root"

	smoke=0
	baseline=""
	args=()
	while [ $# -gt 0 ]; do
		case "$1" in
		--smoke) smoke=1 ;;
		--baseline)
			baseline="${2:?--baseline needs a git ref}"
			shift
			;;
		*) args+=("$1") ;;
		esac
		shift
	done

	say() { printf 'bench.sh: %s\n' "$*" >&2; }

	# wrk (Debian).
	if ! command -v wrk >/dev/null 2>&1; then
		say "installing wrk (apt-get)"
		if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
		$sudo apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null
	fi
	for tool in taskset go git; do
		command -v "$tool" >/dev/null 2>&1 || { say "missing $tool"; exit 1; }
	done

	# Prism (npm, pinned by bench/package-lock.json). Without Node the Prism
	# rows are n/a: Debian's nodejs is older than Prism 5.14.2 accepts.
	prism="$root/bench/node_modules/.bin/prism"
	want="$(sed -n 's/.*"@stoplight\/prism-cli": "\([^"]*\)".*/\1/p' bench/package.json | head -1)"
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		say "WARNING: no node/npm: the Prism rows will be n/a"
		prism=""
	elif [ ! -x "$prism" ] || [ "$("$prism" --version 2>/dev/null)" != "$want" ]; then
		say "installing Prism $want (npm ci in bench/)"
		(cd bench && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
	fi

	# The OpenAPI document Prism mocks: this tree's, else the contract branch's.
	spec=""
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
	if [ -f openapi/eko-bot-api.yaml ]; then
		spec="$root/openapi/eko-bot-api.yaml"
	elif git rev-parse -q --verify contract >/dev/null 2>&1 &&
		git show contract:openapi/eko-bot-api.yaml >"$tmp/eko-bot-api.yaml" 2>/dev/null; then
		spec="$tmp/eko-bot-api.yaml"
		say "openapi/ is not in this tree: Prism mocks the contract branch's eko-bot-api.yaml"
	else
		say "no openapi/eko-bot-api.yaml: the Prism rows will be n/a"
	fi

	# Binaries.
	say "building"
	mkdir -p "$tmp/bin"
	go build -o "$tmp/bin/mockeko" ./cmd/mockeko
	go build -o "$tmp/bin/bare" ./bench/bare
	go build -o "$tmp/bin/runner" ./bench/runner
	if [ -n "$baseline" ]; then
		say "building the baseline from $baseline"
		mkdir -p "$tmp/baseline"
		git archive "$baseline" | tar -x -C "$tmp/baseline"
		(cd "$tmp/baseline" && go build -o "$tmp/bin/mockeko-baseline" ./cmd/mockeko)
		args=(-baseline "$tmp/bin/mockeko-baseline" "${args[@]}")
	fi

	out="$root/BENCHMARKS.md"
	cmdline="scripts/bench.sh"
	if [ "$smoke" = 1 ]; then
		out="$tmp/BENCHMARKS.md"
		cmdline="scripts/bench.sh --smoke"
		args=(-smoke "${args[@]}")
	fi
	"$tmp/bin/runner" -mockeko "$tmp/bin/mockeko" -bare "$tmp/bin/bare" -prism "$prism" -spec "$spec" \
		-wrk "$(command -v wrk)" -go "$(command -v go)" -module "$root" -out "$out" -command "$cmdline" "${args[@]}"
	if [ "$smoke" = 1 ]; then
		cat "$out"
		say "smoke run passed"
	fi
}

main "$@"
