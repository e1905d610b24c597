#!/usr/bin/env bash
# container-check.sh: verify the container image without a Docker engine.
#
#   (a) buildkit's Dockerfile linter (the rules of `docker build --check`),
#       the image policy, .dockerignore, and the recipes in examples/
#       (compose file, GitHub Actions workflow, testcontainers module):
#       go tests in the nested modules tools/shipcheck and examples/testcontainers.
#   (b) the static binary, built with the Dockerfile's flags, alone in an
#       empty root as uid 65532, in a private network namespace, with the
#       image's environment (MOCKEKO_ADDR=0.0.0.0:8080): it must pass its
#       own HEALTHCHECK command, issue a token, serve an API call, load a
#       mounted /fixtures.yaml and stop cleanly on SIGTERM.
#   (c) with MOCKEKO_PODMAN=1: a real podman build of the runtime stage
#       (the build stage replaced by the host-built binary through
#       --build-context) and the same run checks inside the container.
#       With MOCKEKO_PODMAN=full, also the whole Dockerfile, golang:1.26
#       build stage included (a local stand-in for golang:1.26 is assembled
#       once with debootstrap; about 8 minutes the first time).
#
# Usage: scripts/container-check.sh                       # (a) and (b), about 1-3 min
#        MOCKEKO_PODMAN=1 scripts/container-check.sh      # + (c) runtime stage, +1-2 min
#        MOCKEKO_PODMAN=full scripts/container-check.sh   # + (c) whole Dockerfile
#
# Needs root (chroot, unshare); installs what it lacks with apt-get. Every
# failure exits non-zero with a line starting "container-check: FAIL".
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

# The default bot of fixtures/default.yaml.
client_id=7bcee21a-3f7e-4338-97af-a90842176849
client_secret=3f1b9c6e2a8d4f7b0c5e9a1d6b2f8e4c7a0d3b5e
max_image_bytes=$((20 * 1024 * 1024))

log() { printf 'container-check: %s\n' "$*" >&2; }
fail() { printf 'container-check: FAIL: %s\n' "$*" >&2; exit 1; }

# need CMD PACKAGE...: install the Debian packages when CMD is missing.
need() {
	local cmd=$1
	shift
	command -v "$cmd" >/dev/null 2>&1 && return 0
	log "installing $* (for $cmd)"
	if [ -z "${apt_updated:-}" ]; then
		apt-get update -qq || fail "apt-get update"
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null ||
		fail "apt-get install $*"
	command -v "$cmd" >/dev/null 2>&1 || fail "$cmd still missing after installing $*"
}

# --- the part that runs inside the private network namespace --------------

# wait_healthy CHROOT_OR_EMPTY: poll `mockeko health` (the image's
# HEALTHCHECK command) for up to 10 s.
wait_healthy() {
	local deadline=$((SECONDS + 10))
	until "$@" /mockeko health --timeout 1s >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

# api_checks BASE ID SECRET: a token request and an authenticated call.
api_checks() {
	local base=$1 id=$2 secret=$3 body tok status
	body=$(curl -fsS -u "$id:$secret" -d grant_type=client_credentials -d scope=bot "$base/oauth/token") ||
		fail "token request to $base failed"
	tok=$(jq -r .access_token <<<"$body")
	[[ $tok =~ ^[0-9a-f]{40}$ ]] || fail "token response has no 40-hex access_token: $body"
	[ "$(jq -r .token_type <<<"$body")" = Bearer ] || fail "token_type is not Bearer: $body"
	status=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" "$base/bot/v1/users?username=$4")
	[ "$status" = 200 ] || fail "GET /bot/v1/users as $id answered $status, want 200"
	status=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer nope" "$base/bot/v1/users?username=$4")
	[ "$status" = 401 ] || fail "a bad token answered $status, want 401"
}

# stop_and_wait PID: SIGTERM, then the process must exit 0 within 10 s.
stop_and_wait() {
	local pid=$1 deadline=$((SECONDS + 10)) rc=0
	kill -TERM "$pid"
	while kill -0 "$pid" 2>/dev/null; do
		[ "$SECONDS" -lt "$deadline" ] || { kill -KILL "$pid"; fail "mockeko ignored SIGTERM for 10 s"; }
		sleep 0.1
	done
	wait "$pid" || rc=$?
	[ "$rc" = 0 ] || fail "mockeko exited $rc after SIGTERM, want 0"
}

# inner_chroot ROOT: (b), run by `unshare --net` so 0.0.0.0:8080 is private.
inner_chroot() {
	local root=$1 pid uid
	ip link set lo up
	# Exactly the image's environment: nothing but MOCKEKO_ADDR.
	local run=(env -i MOCKEKO_ADDR=0.0.0.0:8080 "$chroot" --userspec=65532:65532 "$root")

	"${run[@]}" /mockeko serve >"$root.out" 2>"$root.err" &
	pid=$!
	wait_healthy "${run[@]}" || fail "HEALTHCHECK (/mockeko health) never passed in the empty root; log: $(cat "$root.err")"
	uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
	[ "$uid" = 65532 ] || fail "mockeko runs as uid $uid, want 65532"
	api_checks http://127.0.0.1:8080 "$client_id" "$client_secret" alice@acme.example
	grep -q "EKO_HTTP_URI=http://127.0.0.1:8080" "$root.out" || fail "serve did not print the URL to use: $(cat "$root.out")"
	if grep -q "$client_secret" "$root.err"; then fail "the log contains the client secret"; fi
	stop_and_wait "$pid"
	log "(b) default fixtures: healthy, token + API call served as uid 65532, clean SIGTERM exit"

	# A mounted fixture file, as with -v ./my.yaml:/fixtures.yaml -e MOCKEKO_FIXTURES=/fixtures.yaml.
	env -i MOCKEKO_ADDR=0.0.0.0:8080 MOCKEKO_FIXTURES=/fixtures.yaml "$chroot" --userspec=65532:65532 "$root" /mockeko serve >"$root.out" 2>"$root.err" &
	pid=$!
	wait_healthy "${run[@]}" || fail "mockeko with MOCKEKO_FIXTURES=/fixtures.yaml never became healthy; log: $(cat "$root.err")"
	api_checks http://127.0.0.1:8080 ci-bot ci-secret erin@example.com
	stop_and_wait "$pid"
	log "(b) MOCKEKO_FIXTURES=/fixtures.yaml: the mounted bot and user are served"
}

# inner_podman IMAGE FIXTURES: (c), run by `unshare --net`; --network host
# is then this private namespace.
inner_podman() {
	local image=$1 fixtures=$2 cid state
	ip link set lo up
	cid=$(pm run -d --network host "${podman_run_flags[@]}" \
		-v "$fixtures:/fixtures.yaml:ro" "$image") || fail "podman run"
	trap 'pm rm -f "$cid" >/dev/null 2>&1 || true' RETURN
	wait_healthy pm exec "$cid" ||
		fail "the container's HEALTHCHECK never passed: $(pm logs "$cid" 2>&1)"
	pm healthcheck run "$cid" >/dev/null || fail "podman healthcheck run failed"
	[ "$(pm exec "$cid" /mockeko health)" = ok ] || fail "mockeko health in the container did not print ok"
	api_checks http://127.0.0.1:8080 "$client_id" "$client_secret" alice@acme.example
	pm stop -t 10 "$cid" >/dev/null || fail "podman stop"
	state=$(pm inspect -f '{{.State.ExitCode}}' "$cid")
	[ "$state" = 0 ] || fail "the container exited $state on stop, want 0"
	pm rm "$cid" >/dev/null

	cid=$(pm run -d --network host "${podman_run_flags[@]}" \
		-v "$fixtures:/fixtures.yaml:ro" -e MOCKEKO_FIXTURES=/fixtures.yaml "$image") || fail "podman run with fixtures"
	wait_healthy pm exec "$cid" || fail "the container with /fixtures.yaml never became healthy"
	api_checks http://127.0.0.1:8080 ci-bot ci-secret erin@example.com
	log "(c) podman: container healthy, token + API call served, clean stop, mounted /fixtures.yaml works"
}

chroot=$(command -v chroot)
podman_flags=(--cgroup-manager cgroupfs --runtime runc --storage-driver overlay)
podman_run_flags=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=4096:4096)

# pm runs podman with our flags. Without systemd podman cannot arm its
# health timer and says so on every run/stop; the check runs the
# healthcheck itself (`podman healthcheck run`), so that one message is dropped.
pm() {
	podman "${podman_flags[@]}" "$@" 2> >(grep -v 'unable to get systemd connection' >&2)
}

case "${1:-}" in
__chroot) inner_chroot "$2"; exit 0 ;;
__podman) inner_podman "$2" "$3"; exit 0 ;;
esac

# --- main ------------------------------------------------------------------

[ "$(id -u)" = 0 ] || fail "run as root (chroot --userspec and unshare --net need it)"
need curl curl
need jq jq
need ip iproute2
need unshare util-linux
need node nodejs # runs the compose recipe's sample bot in (a)
command -v go >/dev/null || fail "go is not on PATH"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

log "(a) buildkit lint of the Dockerfile, image policy, .dockerignore, recipes (tools/shipcheck)"
(cd tools/shipcheck && go test -count=1 ./...) || fail "(a) tools/shipcheck tests"
log "(a) testcontainers recipe compiles (examples/testcontainers: go vet)"
(cd examples/testcontainers && go vet ./...) || fail "(a) examples/testcontainers go vet"

log "(b) building the static binary with the Dockerfile's flags"
version="v0.0.0-check"
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
root="$work/rootfs"
mkdir -p "$root/etc/ssl/certs" "$work/prebuilt/out/etc/ssl/certs"
CGO_ENABLED=0 GOOS=linux go build -trimpath -tags timetzdata \
	-ldflags="-s -w -X main.version=$version -X main.revision=$revision" \
	-o "$work/prebuilt/out/mockeko" ./cmd/mockeko || fail "static build"
if command -v file >/dev/null && ! file "$work/prebuilt/out/mockeko" | grep -q 'statically linked'; then
	fail "the binary is not statically linked: $(file "$work/prebuilt/out/mockeko")"
fi
cp /etc/ssl/certs/ca-certificates.crt "$work/prebuilt/out/etc/ssl/certs/" 2>/dev/null ||
	: >"$work/prebuilt/out/etc/ssl/certs/ca-certificates.crt" # the image's bundle; content irrelevant here
size=$(stat -c %s "$work/prebuilt/out/mockeko")
log "(b) binary size: $size bytes ($((size / 1024)) KiB)"
[ "$size" -le "$max_image_bytes" ] || fail "the binary alone is $size bytes, over the 20 MB image budget"

# The runtime stage's filesystem, nothing more: /mockeko and the CA bundle.
cp "$work/prebuilt/out/mockeko" "$root/mockeko"
cp "$work/prebuilt/out/etc/ssl/certs/ca-certificates.crt" "$root/etc/ssl/certs/"
cat >"$root/fixtures.yaml" <<'EOF'
networks: [{id: 5ac20cd38c62770001530001, name: CI}]
bots:
  - {id: 5ac20cd38c62770001538b01, name: CI Bot, clientId: ci-bot, clientSecret: ci-secret}
users:
  - {id: 5ac20cd38c62770001538e01, username: erin@example.com, firstname: Erin}
EOF
chmod 0644 "$root/fixtures.yaml"
got=$(env -i "$chroot" --userspec=65532:65532 "$root" /mockeko version) || fail "mockeko version in the empty root"
[[ $got == "mockeko $version (revision ${revision:0:12}, go"* ]] || fail "mockeko version = $got, want the stamped $version and ${revision:0:12}"
log "(b) $got"
unshare --net -- "$0" __chroot "$root" || fail "(b) empty-root run"

# check_image IMAGE WANT_VERSION_LINE: the built image's metadata, then the run checks.
check_image() {
	local image=$1 want=$2 isize
	inspect() { pm image inspect -f "$1" "$image"; }
	isize=$(inspect '{{.Size}}')
	log "(c) $image: $isize bytes"
	[ "$isize" -le "$max_image_bytes" ] || fail "(c) image is $isize bytes, over 20 MB"
	[ "$(inspect '{{.Config.User}}')" = 65532:65532 ] || fail "(c) image user = $(inspect '{{.Config.User}}')"
	[ "$(inspect '{{json .Config.Healthcheck.Test}}')" = '["CMD","/mockeko","health"]' ] ||
		fail "(c) image healthcheck = $(inspect '{{json .Config.Healthcheck}}')"
	[ "$(inspect '{{index .Config.Labels "org.opencontainers.image.version"}}')" = "$version" ] ||
		fail "(c) image version label = $(inspect '{{json .Config.Labels}}')"
	[ "$(pm run --rm --network none "${podman_run_flags[@]}" "$image" version)" = "$want" ] ||
		fail "(c) mockeko version in the container is not \"$want\""
	unshare --net -- "$0" __podman "$image" "$root/fixtures.yaml" || fail "(c) podman run of $image"
	pm rmi -f "$image" >/dev/null || true
}

case "${MOCKEKO_PODMAN:-0}" in
1 | full)
	need podman podman runc
	need runc runc
	image=localhost/mockeko:container-check
	log "(c) podman build of the runtime stage (build stage = the host-built binary)"
	pm build --pull=never --format docker -q \
		--build-context "build=$work/prebuilt" \
		--build-arg TARGETOS=linux --build-arg "TARGETARCH=$(go env GOARCH)" \
		--build-arg "VERSION=$version" --build-arg "REVISION=$revision" \
		-t "$image" . >/dev/null || fail "(c) podman build"
	check_image "$image" "$got"
	;;
0) log "(c) skipped: MOCKEKO_PODMAN=1 builds the runtime stage with podman, MOCKEKO_PODMAN=full the whole Dockerfile" ;;
*) fail "MOCKEKO_PODMAN=${MOCKEKO_PODMAN}: want 0, 1 or full" ;;
esac

if [ "${MOCKEKO_PODMAN:-0}" = full ]; then
	# The whole Dockerfile, unchanged. No registry is reachable, so
	# golang:1.26 is assembled once from Debian and this machine's Go and
	# kept in podman's storage (later runs reuse it).
	if ! pm image exists docker.io/library/golang:1.26; then
		need debootstrap debootstrap
		log "(c) assembling a local golang:1.26 image (debootstrap + $(go env GOROOT))"
		debootstrap --variant=minbase --include=ca-certificates bookworm "$work/golang-root" >/dev/null ||
			fail "(c) debootstrap"
		mkdir -p "$work/golang-root/usr/local"
		cp -a "$(go env GOROOT)" "$work/golang-root/usr/local/go"
		tar -C "$work/golang-root" -c . | pm import \
			--change 'ENV PATH=/usr/local/go/bin:/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
			--change 'ENV GOTOOLCHAIN=local' --change 'ENV GOPATH=/go' --change 'WORKDIR /go' \
			- docker.io/library/golang:1.26 >/dev/null || fail "(c) podman import"
		rm -rf "$work/golang-root"
	fi
	# go mod download needs the network and this machine's CA bundle (the
	# module proxy may sit behind an intercepting CA).
	ca=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
	image=localhost/mockeko:container-check-full
	log "(c) podman build of the whole Dockerfile (golang:1.26 build stage included)"
	pm build --pull=never --format docker -q --network host -v "$ca:/etc/ssl/certs/ca-certificates.crt:ro" \
		--build-arg TARGETOS=linux --build-arg "TARGETARCH=$(go env GOARCH)" \
		--build-arg "VERSION=$version" --build-arg "REVISION=$revision" \
		-t "$image" . >/dev/null || fail "(c) full podman build"
	check_image "$image" "$got"
fi
log "OK"
