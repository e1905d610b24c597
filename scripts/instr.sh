#!/usr/bin/env bash
# instr.sh: count the instructions a server spends per request, under
# valgrind (cachegrind, no cache simulation). Unlike requests/s, the count
# hardly moves with the load on a shared machine (within ~1% from run to
# run when nothing else runs, a few percent beside other work), so two
# builds can be compared where requests/s cannot;
# what it leaves out is the kernel's share and the cost of cache misses and
# page faults, for which scripts/bench.sh is the measure.
#
#   scripts/instr.sh                      every call, mockeko (contract off and strict) and bare net/http
#   scripts/instr.sh -calls push -modes off
#   scripts/instr.sh -bin /tmp/old-mockeko  a mockeko binary built elsewhere (e.g. from another commit)
#   scripts/instr.sh -calls "" -webhooks    instructions per webhook delivery instead
#   scripts/instr.sh -calls "" -webhooks -testbin /tmp/old.test   ... of a test binary built elsewhere (go test -c ./mockeko)
#
# Each figure is (I(N2) - I(N1)) / (N2 - N1) for two fresh servers that
# answered N1 and N2 requests (default 2,000 and 12,000, over 8
# connections, sent by bench/drive), so start-up cancels out. The servers
# run at GOMAXPROCS=1; GODEBUG=cpu.rdtscp=off because valgrind cannot run
# RDTSCP. valgrind is installed from Debian when missing.
#
# -webhooks counts, the same way, the instructions per delivery of the Go
# benchmarks BenchmarkWebhookInProcess (delivery to a handler) and
# BenchmarkWebhookThroughput (over loopback HTTP), run for N1 and N2
# deliveries. Both include their receiver (it reads the body and checks
# the signature), and under valgrind SHA-256 runs its AVX2 code rather than
# the SHA-NI instructions it uses on these machines: the two HMACs of a
# delivery count ~50k instructions that cost far less on the hardware.
set -euo pipefail
shopt -s inherit_errexit

main() {
	root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
	cd "$root"
	calls="users push token"
	modes="off strict"
	bin=""
	testbin=""
	webhooks=""
	n1=2000
	n2=12000
	while [ $# -gt 0 ]; do
		case "$1" in
		-calls) calls="$2"; shift ;;
		-modes) modes="$2"; shift ;;
		-bin) bin="$2"; shift ;;
		-testbin) testbin="$2"; shift ;;
		-webhooks) webhooks=1 ;;
		-n1) n1="$2"; shift ;;
		-n2) n2="$2"; shift ;;
		*) echo "instr.sh: unknown argument $1" >&2; exit 2 ;;
		esac
		shift
	done
	if ! command -v valgrind >/dev/null; then
		echo "instr.sh: installing valgrind" >&2
		sudo_ apt-get update -qq >/dev/null
		sudo_ apt-get install -y -qq valgrind >/dev/null
	fi
	work="$(mktemp -d)"
	trap 'rm -rf "$work"' EXIT
	if [ -z "$bin" ]; then
		go build -o "$work/mockeko" ./cmd/mockeko
		bin="$work/mockeko"
	fi
	go build -o "$work/bare" ./bench/bare
	go build -o "$work/drive" ./bench/drive
	printf '%-8s %-26s %s\n' call server instructions/request
	local r
	for call in $calls; do
		for mode in $modes; do
			r="$(per_request "$bin" "$mode" "$call")"
			printf '%-8s %-26s %s\n' "$call" "mockeko (contract $mode)" "$r"
		done
		r="$(per_request bare - "$call")"
		printf '%-8s %-26s %s\n' "$call" "bare net/http" "$r"
	done
	if [ -n "$webhooks" ]; then
		if [ -z "$testbin" ]; then
			go test -c -o "$work/mockeko.test" ./mockeko
			testbin="$work/mockeko.test"
		fi
		printf '%-26s %s\n' benchmark instructions/delivery
		for bench in BenchmarkWebhookInProcess BenchmarkWebhookThroughput; do
			printf '%-26s %s\n' "$bench" $((($(bench_count "$bench" "$n2") - $(bench_count "$bench" "$n1")) / (n2 - n1)))
		done
	fi
}

# bench_count BENCH N prints the instructions the test binary spent, start
# included, running the benchmark for N iterations.
bench_count() {
	GODEBUG=cpu.rdtscp=off GOMAXPROCS=1 valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
		"$testbin" -test.run '^$' -test.bench "^$1\$" -test.benchtime "${2}x" >"$work/bench.out" 2>&1 ||
		{ cat "$work/bench.out" >&2; exit 1; }
	awk '/I *refs:/ {gsub(",", "", $NF); print $NF}' "$work/bench.out"
}

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# per_request BIN MODE CALL prints the instructions per request.
per_request() {
	local a b
	a="$(count "$@" "$n1")"
	b="$(count "$@" "$n2")"
	echo $(((b - a) / (n2 - n1)))
}

# count BIN MODE CALL N prints the instructions a fresh server spent,
# start-up included, answering N requests of CALL.
count() {
	local bin="$1" mode="$2" call="$3" n="$4" port out pid base id secret tok
	port=$((20000 + RANDOM % 20000))
	out="$work/server.out"
	if [ "$bin" = bare ]; then
		GODEBUG=cpu.rdtscp=off GOMAXPROCS=1 valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
			"$work/bare" -addr "127.0.0.1:$port" >"$out" 2>&1 &
	else
		GODEBUG=cpu.rdtscp=off GOMAXPROCS=1 valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
			"$bin" serve --addr "127.0.0.1:$port" --log-level warn --contract "$mode" >"$out" 2>&1 &
	fi
	pid=$!
	base="http://127.0.0.1:$port"
	for _ in $(seq 600); do
		curl -s -o /dev/null "$base/_mockeko/health" && break
		curl -s -o /dev/null "$base/" && break
		sleep 0.05
	done
	# The fixture bot's credentials, as mockeko serve prints them once it
	# is up (its health check answers earlier, while the contract
	# compiles); bare checks none.
	id=""
	secret=""
	tok=""
	if [ "$bin" != bare ]; then
		for _ in $(seq 600); do
			grep -q EKO_OAUTH_CLIENT_SECRET= "$out" && break
			sleep 0.05
		done
		id="$(sed -n 's/^ *EKO_OAUTH_CLIENT_ID=//p' "$out")"
		secret="$(sed -n 's/^ *EKO_OAUTH_CLIENT_SECRET=//p' "$out")"
		[ -n "$secret" ] || { echo "instr.sh: $bin printed no credentials" >&2; kill "$pid"; exit 1; }
		tok="$(curl -s -u "$id:$secret" -d grant_type=client_credentials "$base/oauth/token" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')"
	fi
	local args
	case "$call" in
	users) args=(-auth "Bearer $tok" -u "$base/bot/v1/users?username=alice@acme.example") ;;
	push)
		printf '{"gid":"5ae99669299892c81ec1d7fa","message":{"type":"text","data":"%s"}}' "$(head -c 950 /dev/zero | tr '\0' x)" >"$work/push.json"
		args=(-m POST -ct application/json -auth "Bearer $tok" -body "$work/push.json" -u "$base/bot/v1/group/message")
		;;
	token)
		printf 'grant_type=client_credentials' >"$work/token.form"
		args=(-m POST -ct application/x-www-form-urlencoded -auth "Basic $(printf '%s:%s' "$id" "$secret" | base64 -w0)" -body "$work/token.form" -u "$base/oauth/token")
		;;
	*) echo "instr.sh: unknown call $call (want users, push or token)" >&2; exit 2 ;;
	esac
	if ! "$work/drive" -n "$n" -c 8 "${args[@]}" >&2; then
		kill "$pid"
		exit 1
	fi
	kill -INT "$pid"
	wait "$pid" || true
	awk '/I *refs:/ {gsub(",", "", $NF); print $NF}' "$out"
}

main "$@"
