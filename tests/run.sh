#!/usr/bin/env bash
# THE test command for ClusterKernel (README and CI call it).
# Provides a Docker engine, a test image and a private PostgreSQL, runs every test
# project, and prints one summary line "N passed, N failed, N skipped".
# Everything it starts it stops again on exit (also on failure); engines that were
# already answering are reused and left running.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

CK_DOCKER_DIR=/tmp/ck-docker
CK_DOCKER_SOCK="unix://$CK_DOCKER_DIR/docker.sock"
CK_IMAGE="clusterkernel/busybox:test"
CK_PG_DIR=/tmp/ck-pg
CK_PG_PORT=55432
CK_PG_DB=clusterkernel_test

STARTED_DOCKERD=0
STARTED_POSTGRES=0
PG_BIN=""

log() { echo "[tests/run.sh] $*" >&2; }

as_postgres() {
  if [ "$(id -un)" = "postgres" ]; then "$@";
  elif command -v runuser >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@";
  else $SUDO -u postgres "$@"; fi
}

cleanup() {
  local rc=$?
  set +e
  if [ "$STARTED_POSTGRES" = 1 ] && [ -n "$PG_BIN" ]; then
    log "stopping PostgreSQL we started"
    as_postgres "$PG_BIN/pg_ctl" -D "$CK_PG_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1
  fi
  if [ "$STARTED_DOCKERD" = 1 ] && [ -f "$CK_DOCKER_DIR/pid" ]; then
    local pid; pid="$(cat "$CK_DOCKER_DIR/pid" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      log "stopping dockerd we started (pid $pid)"
      $SUDO kill -TERM "$pid" 2>/dev/null
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && $SUDO kill -KILL "$pid" 2>/dev/null
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- packages
find_pg_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  done
  return 1
}

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker >/dev/null 2>&1 || { [[ " ${missing[*]-} " == *" docker.io "* ]] || missing+=(docker.io); }
test -x /bin/busybox || missing+=(busybox-static)
find_pg_bin >/dev/null || missing+=(postgresql)
# NetworkPartitionTests: network namespaces (ip) and curl to reach the masters' HTTP inside them.
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing missing Debian packages: ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# ---------------------------------------------------------------- docker engine
docker_ok() { docker -H "$CK_DOCKER_SOCK" info >/dev/null 2>&1; }

if docker_ok; then
  log "reusing Docker engine on $CK_DOCKER_SOCK"
else
  log "starting dockerd on $CK_DOCKER_SOCK (log: $CK_DOCKER_DIR/dockerd.log)"
  $SUDO mkdir -p "$CK_DOCKER_DIR/data" "$CK_DOCKER_DIR/exec"
  $SUDO rm -f "$CK_DOCKER_DIR/pid" "$CK_DOCKER_DIR/docker.sock"
  # setsid: keep dockerd out of our process group so a Ctrl-C reaches only us; we stop it in cleanup.
  $SUDO setsid dockerd --data-root "$CK_DOCKER_DIR/data" --exec-root "$CK_DOCKER_DIR/exec" \
    -H "$CK_DOCKER_SOCK" --pidfile "$CK_DOCKER_DIR/pid" \
    --bridge=none --iptables=false --ip-masq=false \
    >"$CK_DOCKER_DIR/dockerd.log" 2>&1 </dev/null &
  STARTED_DOCKERD=1
  ready=0
  for _ in $(seq 1 120); do   # 120 x 0.5 s = 60 s
    if docker_ok; then ready=1; break; fi
    sleep 0.5
  done
  if [ "$ready" != 1 ]; then
    log "dockerd did not become ready within 60 s; last log lines:"
    tail -n 30 "$CK_DOCKER_DIR/dockerd.log" >&2 || true
    exit 1
  fi
  [ "$(id -u)" -eq 0 ] || $SUDO chmod 666 "$CK_DOCKER_DIR/docker.sock"
fi
export DOCKER_HOST="$CK_DOCKER_SOCK"

# ---------------------------------------------------------------- test image
if ! docker image inspect "$CK_IMAGE" >/dev/null 2>&1; then
  log "building $CK_IMAGE from busybox-static"
  root="$(mktemp -d)"
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/proc" "$root/sys" "$root/dev" "$root/mnt/mesos/sandbox"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
  tar -C "$root" -c . | docker import - "$CK_IMAGE" >/dev/null
  rm -rf "$root"
fi
if ! out="$(docker run --rm --network host "$CK_IMAGE" /bin/sh -c 'echo hi' 2>&1)" || [ "$out" != "hi" ]; then
  log "test image $CK_IMAGE does not work: $out"
  exit 1
fi
export CK_TEST_IMAGE="$CK_IMAGE"

# ---------------------------------------------------------------- postgres
PG_BIN="$(find_pg_bin)"
pg_ok() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$CK_PG_PORT" >/dev/null 2>&1; }
if pg_ok; then
  log "reusing PostgreSQL on 127.0.0.1:$CK_PG_PORT"
else
  log "starting private PostgreSQL on 127.0.0.1:$CK_PG_PORT (data: $CK_PG_DIR/data)"
  $SUDO mkdir -p "$CK_PG_DIR/socket"
  $SUDO chown -R postgres:postgres "$CK_PG_DIR" 2>/dev/null || $SUDO chown -R postgres "$CK_PG_DIR"
  if [ ! -f "$CK_PG_DIR/data/PG_VERSION" ]; then
    as_postgres rm -rf "$CK_PG_DIR/data"
    as_postgres "$PG_BIN/initdb" -D "$CK_PG_DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  # trust for local socket and loopback only (initdb --auth=trust writes exactly those lines).
  as_postgres "$PG_BIN/pg_ctl" -D "$CK_PG_DIR/data" -l "$CK_PG_DIR/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $CK_PG_PORT -k $CK_PG_DIR/socket -c fsync=off" start >/dev/null
  STARTED_POSTGRES=1
fi
if ! "$PG_BIN/psql" -h 127.0.0.1 -p "$CK_PG_PORT" -U postgres -d postgres -Atc \
      "select 1 from pg_database where datname='$CK_PG_DB'" | grep -q 1; then
  "$PG_BIN/psql" -h 127.0.0.1 -p "$CK_PG_PORT" -U postgres -d postgres -qc "create database $CK_PG_DB" >/dev/null
fi
export CK_TEST_POSTGRES="Host=127.0.0.1;Port=$CK_PG_PORT;Username=postgres;Database=$CK_PG_DB"

if [ "${CI:-}" = "true" ]; then
  export CK_REQUIRE_DOCKER=1
  export CK_REQUIRE_POSTGRES=1
  export CK_REQUIRE_NETNS=1
fi

# ---------------------------------------------------------------- tests
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
results_dir="$(mktemp -d /tmp/ck-test-results-XXXXXX)"
set +e
# TRX per test project gives exact counts; console output format differs between verbosities.
dotnet test ClusterKernel.sln -c Release --results-directory "$results_dir" \
  --logger "trx;LogFilePrefix=ck" --logger "console;verbosity=normal"
test_rc=$?
set -e

# Sum the <Counters .../> element of every TRX file (skipped tests are those not executed: total - executed).
counter_sum() {  # $@: attribute names
  local total=0 f attr v
  for f in "$results_dir"/*.trx; do
    [ -e "$f" ] || continue
    for attr in "$@"; do
      v="$(grep -o "<Counters [^>]*" "$f" | grep -oE " $attr=\"[0-9]+\"" | grep -oE '[0-9]+' || true)"
      total=$((total + ${v:-0}))
    done
  done
  echo "$total"
}
passed="$(counter_sum passed)"
failed="$(counter_sum failed error timeout aborted)"
skipped="$(( $(counter_sum total) - $(counter_sum executed) ))"
runs="$(find "$results_dir" -maxdepth 1 -name '*.trx' | wc -l)"
rm -rf "$results_dir"

if [ "$test_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  log "dotnet test exited with $test_rc without failed tests (build failure or test host crash)"
fi
log "test result files (one per test project that ran tests): $runs"
echo "$passed passed, $failed failed, $skipped skipped"

if [ "$test_rc" -ne 0 ] || [ "$failed" -ne 0 ]; then exit 1; fi
exit 0
