#!/usr/bin/env bash
# Checks the container image without a Docker engine: performs the Dockerfile's steps as they
# are written, in temporary directories, then starts the result the way the image would.
#
#   1. build context: the repository minus what .dockerignore leaves out
#   2. build stage: its COPY lines and RUN lines (npm ci, build, npm prune --omit=dev)
#   3. final stage: its COPY lines (from the context or from the build stage) into a separate
#      root filesystem, its RUN line with paths inside that root, its ENV, USER and HEALTHCHECK
#   4. start `node dist/cli/main.js demo` from that root as uid/gid 1000 (the image's `node`
#      user) with the whole filesystem read-only except /data (a private mount namespace), run
#      the HEALTHCHECK command, call /healthz, /readyz, /metrics and SCIM, stop it, and fail if
#      anything outside /data was written
#
# Instructions this script does not know make it fail, so a Dockerfile change is noticed here.
# Needs: bash, node and npm (the image's Node major, ideally), curl, tar; root with unshare(1)
# and setpriv(1) for the non-root, read-only run (without them it still runs, and says so).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DOCKERFILE="$ROOT/Dockerfile"
WORK="$(mktemp -d /tmp/scim-sidecar-image.XXXXXX)"
# The unprivileged user must be able to reach the root filesystem below.
chmod 755 "$WORK"
CONTEXT="$WORK/context"
APP_UID=1000
APP_GID=1000
PID=""
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill "$PID" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf '\n--- %s\n' "$*"; }
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

# ---------------------------------------------------------------------------------------------
say "build context (the repository minus .dockerignore)"
mkdir -p "$CONTEXT"
EXCLUDES=()
while IFS= read -r pattern || [ -n "$pattern" ]; do
  pattern="${pattern%%#*}"
  pattern="$(printf '%s' "$pattern" | sed -e 's/[[:space:]]*$//' -e 's#^/##')"
  [ -n "$pattern" ] && EXCLUDES+=("--exclude=./$pattern")
done <"$ROOT/.dockerignore"
tar -C "$ROOT" --anchored --no-wildcards-match-slash "${EXCLUDES[@]}" -cf - . | tar -C "$CONTEXT" -xf -
echo "context: $(find "$CONTEXT" -type f | wc -l) files ($(printf '%s ' "${EXCLUDES[@]#--exclude=./}")left out)"

# ---------------------------------------------------------------------------------------------
# The Dockerfile as a list of instructions: comments dropped, continuation lines joined.
mapfile -t INSTRUCTIONS < <(
  sed -e ':a' -e '/\\$/N' -e 's/\\\n[[:space:]]*/ /' -e 'ta' "$DOCKERFILE" |
    grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$'
)

json_words() { node -e 'for (const w of JSON.parse(process.argv[1])) process.stdout.write(w + "\0")' "$1"; }

declare -A STAGE_ROOT=()
STAGE=""
STAGE_INDEX=0
WORKDIR="/"
RUNTIME_ENV=()
RUN_AS=""
HEALTHCHECK_CMD=()
ENTRYPOINT=()
IMAGE=""

# Where an absolute path of the current stage is on this machine.
in_stage() { printf '%s%s' "${STAGE_ROOT[$STAGE]}" "$1"; }

copy_item() {
  local src="$1" dest="$2" dest_is_dir="$3"
  [ -e "$src" ] || fail "COPY source $src does not exist"
  if [ -d "$src" ]; then
    mkdir -p "$dest" && cp -a "$src/." "$dest/"
  elif [ "$dest_is_dir" = 1 ]; then
    mkdir -p "$dest" && cp -a "$src" "$dest/"
  else
    mkdir -p "$(dirname "$dest")" && cp -a "$src" "$dest"
  fi
}

for line in "${INSTRUCTIONS[@]}"; do
  keyword="${line%%[[:space:]]*}"
  args="${line#"$keyword"}"
  args="${args#"${args%%[![:space:]]*}"}"
  case "${keyword^^}" in
  FROM)
    STAGE_INDEX=$((STAGE_INDEX + 1))
    IMAGE="${args%% *}"
    if [[ "$args" =~ [[:space:]][Aa][Ss][[:space:]]+([^[:space:]]+) ]]; then STAGE="${BASH_REMATCH[1]}"; else STAGE="stage$STAGE_INDEX"; fi
    STAGE_ROOT[$STAGE]="$WORK/$STAGE-root"
    mkdir -p "${STAGE_ROOT[$STAGE]}"
    WORKDIR="/"
    RUNTIME_ENV=()
    RUN_AS=""
    say "stage $STAGE (FROM $IMAGE)"
    ;;
  WORKDIR)
    WORKDIR="$args"
    mkdir -p "$(in_stage "$WORKDIR")"
    ;;
  ENV)
    # KEY=VALUE pairs (no quoting in this Dockerfile).
    for pair in $args; do
      [[ "$pair" == *=* ]] || fail "ENV without '=': $line"
      RUNTIME_ENV+=("$pair")
    done
    ;;
  COPY)
    read -r -a words <<<"$args"
    from=""
    while [[ "${words[0]}" == --* ]]; do
      case "${words[0]}" in
      --from=*) from="${words[0]#--from=}" ;;
      *) fail "COPY option not handled here: ${words[0]}" ;;
      esac
      words=("${words[@]:1}")
    done
    dest="${words[-1]}"
    sources=("${words[@]:0:${#words[@]}-1}")
    [[ "$dest" == /* ]] || dest="${WORKDIR%/}/${dest#./}"
    dest_is_dir=0
    if [[ "$dest" == */ ]] || [ "${#sources[@]}" -gt 1 ]; then dest_is_dir=1; fi
    target="$(in_stage "${dest%/}")"
    for src in "${sources[@]}"; do
      if [ -n "$from" ]; then
        [ -n "${STAGE_ROOT[$from]:-}" ] || fail "COPY --from=$from: no such stage"
        copy_item "${STAGE_ROOT[$from]}$src" "$target" "$dest_is_dir"
      else
        copy_item "$CONTEXT/$src" "$target" "$dest_is_dir"
      fi
    done
    echo "COPY ${from:+--from=$from }${sources[*]} -> $dest"
    ;;
  RUN)
    if [ "$STAGE_INDEX" -eq 1 ]; then
      # Build stage: the commands as written, in its working directory.
      echo "RUN $args"
      (cd "$(in_stage "$WORKDIR")" && env "${RUNTIME_ENV[@]}" bash -euo pipefail -c "$args")
    else
      # Final stage: the same command with absolute paths inside its root and the image's
      # node user as uid:gid.
      command="$(printf '%s' "$args" | sed -E -e "s#(^|[[:space:]])/#\1${STAGE_ROOT[$STAGE]}/#g" -e "s/node:node/$APP_UID:$APP_GID/g")"
      echo "RUN $args"
      echo "    as: $command"
      if [ "$(id -u)" -eq 0 ]; then
        bash -euo pipefail -c "$command"
      else
        bash -euo pipefail -c "${command//chown /true }"
      fi
    fi
    ;;
  USER) RUN_AS="$args" ;;
  VOLUME | EXPOSE) echo "$keyword $args" ;;
  HEALTHCHECK)
    [[ "$args" =~ CMD[[:space:]]+(\[.*\])$ ]] || fail "HEALTHCHECK without an exec-form CMD: $line"
    mapfile -d '' -t HEALTHCHECK_CMD < <(json_words "${BASH_REMATCH[1]}")
    ;;
  ENTRYPOINT) mapfile -d '' -t ENTRYPOINT < <(json_words "$args") ;;
  CMD) ;; # the test runs `demo` instead of the default `serve`
  *) fail "instruction not handled by this script: $keyword" ;;
  esac
done

ROOTFS="${STAGE_ROOT[$STAGE]}"
APPDIR="$ROOTFS$WORKDIR"
[ "$RUN_AS" = node ] || fail "the final stage must run as the node user (USER node), found '${RUN_AS:-root}'"
[ "${#ENTRYPOINT[@]}" -gt 0 ] || fail "no ENTRYPOINT"
[ "${#HEALTHCHECK_CMD[@]}" -gt 0 ] || fail "no HEALTHCHECK"

# ---------------------------------------------------------------------------------------------
say "final layout"
for required in dist/cli/main.js package.json schemas/config.schema.json schemas/mapping.schema.json mappings/demo.yaml node_modules/fastify node_modules/prom-client; do
  [ -e "$APPDIR/$required" ] || fail "missing in the image: $WORKDIR/$required"
done
for forbidden in src test bench node_modules/typescript node_modules/vitest node_modules/@biomejs/biome node_modules/fast-check; do
  [ ! -e "$APPDIR/$forbidden" ] || fail "in the image but should not be: $WORKDIR/$forbidden"
done
[ -d "$ROOTFS/data" ] || fail "no /data"
echo "$WORKDIR: $(du -sh "$APPDIR" | cut -f1), node_modules: $(ls "$APPDIR/node_modules" | wc -l) packages, no dev dependencies"
if [ "$(id -u)" -eq 0 ]; then
  [ "$(stat -c %u:%g "$ROOTFS/data")" = "$APP_UID:$APP_GID" ] || fail "/data is not owned by the node user"
fi

# The image has node at /usr/local/bin; so does this root (and uid 1000 can run it from there).
NODE="$(readlink -f "$(command -v node)")"
mkdir -p "$ROOTFS/usr/local/bin"
cp "$NODE" "$ROOTFS/usr/local/bin/node"
NODE_MAJOR="$("$NODE" -p 'process.versions.node.split(".")[0]')"
IMAGE_MAJOR="$(printf '%s' "$IMAGE" | sed -nE 's/^node:([0-9]+).*/\1/p')"
echo "node $("$NODE" --version) (image: $IMAGE)"
[ "$NODE_MAJOR" = "$IMAGE_MAJOR" ] || echo "NOTE: this node's major version differs from the image's ($IMAGE_MAJOR)"

# ---------------------------------------------------------------------------------------------
say "run: node ${ENTRYPOINT[*]:1} demo"
PORT="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
TOKEN="container-check-$(node -p 'require("crypto").randomBytes(12).toString("hex")')"
# The image's ENV, then what this run needs: loopback only on this machine, a known token.
ENVIRONMENT=("PATH=/usr/local/bin:/usr/bin:/bin" "HOME=/home/node" "${RUNTIME_ENV[@]}" "HOST=127.0.0.1" "PORT=$PORT" "SCIM_TOKEN=$TOKEN" "LOG_LEVEL=warn")
STAMP="$WORK/stamp"
touch "$STAMP"
sleep 1
LOG="$WORK/run.log"

SANDBOX=none
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null && command -v setpriv >/dev/null &&
  unshare -m --propagation private true 2>/dev/null; then
  SANDBOX=readonly
fi
# The command the container would run, from its working directory, as its user. It replaces
# the calling shell (exec): call it in a subshell, so that a background job's PID is the server.
run_as_image() {
  if [ "$SANDBOX" = readonly ]; then
    # A private mount namespace: /data bound writable, then the whole filesystem read-only (as
    # docker run --read-only), then the image's user, uid/gid 1000, with no other groups.
    exec unshare -m --propagation private bash -c '
      set -e
      # The mount holding the root below (a separate /tmp, say) is made read-only too.
      top="$(findmnt -n -o TARGET -T "$1" | head -n 1)"
      mount --bind "$1/data" "$1/data"
      mount --bind / / && mount -o remount,bind,ro /
      if [ "$top" != / ]; then mount --bind "$top" "$top" && mount -o remount,bind,ro "$top"; fi
      cd "$2"
      shift 2
      exec setpriv --reuid='"$APP_UID"' --regid='"$APP_GID"' --clear-groups env -i "$@"
    ' sandbox "$ROOTFS" "$APPDIR" "$@"
  else
    cd "$APPDIR" && exec env -i "$@"
  fi
}

run_as_image "${ENVIRONMENT[@]}" "${ENTRYPOINT[@]}" demo >"$LOG" 2>&1 &
PID=$!
if [ "$SANDBOX" = readonly ]; then
  echo "as uid $APP_UID, gid $APP_GID, root filesystem read-only except /data"
else
  echo "NOTE: not root or no mount namespaces here: running as $(id -un), not read-only;"
  echo "      only the check for files written outside /data applies"
fi

BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do
  curl -fs "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 "$PID" 2>/dev/null || { cat "$LOG"; fail "the server exited during start-up"; }
  sleep 0.1
done

check() {
  local label="$1" expected="$2" actual="$3"
  if [ "$actual" != "$expected" ]; then
    cat "$LOG"
    fail "$label: expected $expected, got $actual"
  fi
  echo "ok  $label: $actual"
}
if [ "$SANDBOX" = readonly ]; then
  check "server's uid" "$APP_UID" "$(awk '/^Uid:/ { print $2 }' "/proc/$PID/status")"
  # What the image's user may write in the same sandbox: /data only.
  probe="$(
    run_as_image "${ENVIRONMENT[@]}" /bin/sh -c '
      for dir in "$@"; do
        if (: >"$dir/.write-probe") 2>/dev/null; then rm -f "$dir/.write-probe"; printf "%s:rw " "$dir"; else printf "%s:ro " "$dir"; fi
      done' probe "$ROOTFS/data" "$APPDIR" "$ROOTFS" /tmp "$WORK"
  )"
  check "writable in the sandbox" "$ROOTFS/data:rw $APPDIR:ro $ROOTFS:ro /tmp:ro $WORK:ro " "$probe"
fi
check "GET /healthz" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")"
check "GET /readyz" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz")"
set +e
(run_as_image "${ENVIRONMENT[@]}" "${HEALTHCHECK_CMD[@]}") >>"$LOG" 2>&1
health=$?
set -e
check "HEALTHCHECK (${HEALTHCHECK_CMD[0]} ${HEALTHCHECK_CMD[1]} ...)" 0 "$health"
created="$(curl -s -o "$WORK/user.json" -w '%{http_code}' -X POST "$BASE/scim/v2/Users" \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/scim+json' \
  -d '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"container.check@example.com","name":{"givenName":"Container","familyName":"Check"},"active":true}')"
check "POST /scim/v2/Users" 201 "$created"
found="$(curl -s -G "$BASE/scim/v2/Users" -H "Authorization: Bearer $TOKEN" \
  --data-urlencode 'filter=userName eq "container.check@example.com"' | node -pe 'JSON.parse(require("fs").readFileSync(0)).totalResults')"
check "GET /scim/v2/Users?filter=userName eq ..." 1 "$found"
check "GET /scim/v2/Users without a token" 401 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/scim/v2/Users")"
metrics="$(curl -s "$BASE/metrics" | grep -c '^scim_sidecar_requests_total{' || true)"
[ "$metrics" -ge 1 ] || fail "GET /metrics: no scim_sidecar_requests_total"
echo "ok  GET /metrics: $metrics request series"

say "stop (SIGTERM) and look for writes outside /data"
kill -TERM "$PID"
set +e
wait "$PID"
status=$?
set -e
PID=""
check "exit status after SIGTERM" 0 "$status"
if grep -qiE 'EROFS|EACCES|read-only file system' "$LOG"; then
  cat "$LOG"
  fail "the server tried to write outside /data"
fi
written="$(find "$ROOTFS" -newer "$STAMP" ! -path "$ROOTFS/data" ! -path "$ROOTFS/data/*" -print)"
[ -z "$written" ] || fail "written outside /data: $written"
echo "ok  nothing written outside /data"
echo
echo "container build check passed"
