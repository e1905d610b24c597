#!/usr/bin/env bash
# scripts/test.sh: mockeko's test command (the README's "run the tests").
#
# On a fresh Debian machine with Go 1.26 and Node 20 it first installs what
# the tests need: gcc (go test -race needs cgo) and curl with apt-get when
# they are missing and it runs as root, the Go modules, and the npm packages
# of e2e/node from its package-lock.json. Then it runs gofmt, go vet,
# go test -race and a short pass of every fuzz target. It is idempotent and
# stops at the first failure.
#
# Environment:
#   FUZZTIME  how much each fuzz target runs (default 20000x executions; a
#             duration such as 10s works too; 0 skips the pass). The default
#             counts executions because Go 1.26's fuzz coordinator can fail a
#             duration-bounded run with a spurious "context deadline exceeded"
#             at the deadline (go.dev/issue/75804, fixed in Go 1.27).
#   CI        when set, a missing Node toolchain is an error, not a skip
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

FUZZTIME="${FUZZTIME:-20000x}"
started=$SECONDS

step() { printf '\n==> %s\n' "$*"; }
die() { printf '\nscripts/test.sh: FAIL: %s\n' "$*" >&2; exit 1; }

# --- Install what the tests need -------------------------------------------

command -v go >/dev/null || die "go is not on PATH: install Go 1.26 (https://go.dev/dl/)"

missing=()
command -v gcc >/dev/null || missing+=(gcc libc6-dev)
command -v curl >/dev/null || missing+=(curl ca-certificates)
if ((${#missing[@]})); then
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		step "apt-get install ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	elif ! command -v gcc >/dev/null; then
		die "gcc is missing (go test -race needs cgo): install gcc and libc6-dev"
	else
		echo "curl is missing: the curl end-to-end test will be skipped" >&2
	fi
fi

step "go mod download ($(go env GOVERSION))"
go mod download

if command -v node >/dev/null && command -v npm >/dev/null; then
	node_major=$(node -p 'process.versions.node.split(".")[0]')
	((node_major >= 20)) || die "Node $(node --version) is too old: the end-to-end tests need Node 20+"
	step "npm ci in e2e/node (node $(node --version), npm $(npm --version))"
	(cd e2e/node && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
elif [[ -n "${CI:-}" ]]; then
	die "node and npm are required under CI (the Node end-to-end test must run): install Node 20+"
else
	echo "node/npm not found: the Node end-to-end test will be skipped (install Node 20+ to run it)" >&2
fi

# --- Check ---------------------------------------------------------------

step "gofmt -l"
unformatted=$(find . -path ./.git -prune -o -path '*/node_modules' -prune -o -name '*.go' -print0 | xargs -0 gofmt -l)
if [[ -n "$unformatted" ]]; then
	printf '%s\n' "$unformatted"
	die "gofmt: the files above are not formatted (run gofmt -w on them)"
fi

step "go vet ./..."
go vet ./...

step "go test -race -count=1 ./..."
gotest_log=$(mktemp)
trap 'rm -f "$gotest_log"' EXIT
go test -race -count=1 -timeout 20m ./... 2>&1 | tee "$gotest_log"

# The Dockerfile, the image policy and the recipes, without a Docker engine:
# buildkit's lint rules, the static binary in an empty root as uid 65532, and
# a real podman build and run of the runtime stage (see docs/docker.md).
if [[ $(id -u) == 0 ]]; then
	step "scripts/container-check.sh (MOCKEKO_PODMAN=${MOCKEKO_PODMAN:-1})"
	MOCKEKO_PODMAN=${MOCKEKO_PODMAN:-1} ./scripts/container-check.sh
elif [[ -n "${CI:-}" ]]; then
	die "scripts/container-check.sh needs root"
else
	step "skipping scripts/container-check.sh: it needs root"
fi

# The benchmark harness in smoke mode: every measurement for a moment, so the
# harness cannot rot (its figures are not judged here; see BENCHMARKS.md).
step "scripts/bench.sh --smoke"
./scripts/bench.sh --smoke

if [[ "$FUZZTIME" != 0 ]]; then
	for pkg in $(go list ./...); do
		for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
			step "go test -run '^\$' -fuzz '^$target\$' -fuzztime $FUZZTIME $pkg"
			go test -run '^$' -fuzz "^$target\$" -fuzztime "$FUZZTIME" "$pkg"
		done
	done
fi

# go test's verdict, per package, as the last line a CI reader sees.
printf '\nscripts/test.sh: PASS in %ds\n' "$((SECONDS - started))"
printf 'packages: %d passed, %d failed\n' "$(grep -c '^ok ' "$gotest_log")" "$(grep -c '^FAIL' "$gotest_log" || true)"
