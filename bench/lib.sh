# shellcheck shell=bash
# Shell helpers shared by the bench scripts (sourced, not run). Each script
# sets HERE (its folder) before sourcing and defines its own die() so
# messages name the benchmark.
#
# Settings every script shares (the scripts read them, so shellcheck cannot
# see their use here):
# shellcheck disable=SC2034
{
  REPO=$(cd "$HERE/.." && pwd)
  PEERS=${PEERS:-$(cd "$REPO/../shared/peers" 2>/dev/null && pwd || true)}  # a worktree: PEERS=/work/shared/peers
  BUILD_DIR=${BUILD_DIR:-$REPO/build-bench}
  SKIP_PEERS=${SKIP_PEERS:-0}
  PYTHON=/usr/bin/python3
  BENCH=$(basename "$0" .sh)   # "pop3-retr": names the kept folder on exit
  # What bench_cleanup stops: nothing until the script starts it.
  POCHTA_PID="" PEER_ROOT="" BG_PID=""
}

is_uint() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -gt 0 ]; }

median() {
  printf '%s\n' "$@" | sort -n |
    awk '{v[NR]=$1} END{ if (NR%2) print v[(NR+1)/2]; else printf "%.2f\n", (v[NR/2]+v[NR/2+1])/2 }'
}

port_busy() { ss -Hltn "sport = :$1" | grep -q .; }

# The first free port from $1 on, in steps of 1000 (the peers' ports
# 3525/3143/3110 stay recognisable: 4525, 5525, ...).
free_port() {
  local p=$1
  while port_busy "$p"; do p=$((p + 1000)); [ "$p" -lt 65000 ] || die "no free port near $1"; done
  echo "$p"
}

# pid -> "CPU-seconds runqueue-wait-seconds" summed over its threads so far
# (schedstat: time on a CPU, time runnable but waiting for one). The wait
# shows how much a busy shared machine held the server back.
sched_seconds() {
  cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{c += $1; w += $2} END {printf "%.2f %.2f", c/1e9, w/1e9}'
}

# Runs a long command in its own process group and waits for it: a signal to
# the script then interrupts the wait at once (bash defers traps while a
# foreground child runs) and cleanup can stop the whole group (BG_PID).
run_bg() {
  setsid "$@" &
  BG_PID=$!
  local rc=0
  wait "$BG_PID" || rc=$?
  BG_PID=""
  return "$rc"
}
now() { echo "$EPOCHREALTIME"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b-a}'; }
rate() { awk -v m="$MSGS" -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", m/(b-a)}'; }  # MSGS per second from now $1 to now $2

# ------------------------------------------------------------ clean-up
# Installs the traps: on exit, bench_cleanup; INT and TERM exit with the
# usual statuses (and so run it too).
set_cleanup_traps() {
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# Stops what the script started: first a run_bg command still running (its
# whole process group) and whatever the script's own stop_own function
# stops (when it defines one: load generators, sinks...), then pochta
# ($POCHTA_PID) and the peer stack ($PEER_ROOT, once started). Keeps $WORK
# when KEEP=1 or the run failed (unless nothing was written in it yet).
bench_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "${BG_PID:-}" ]; then kill -TERM -- -"$BG_PID" 2>/dev/null || true; wait "$BG_PID" 2>/dev/null || true; fi
  if declare -F stop_own >/dev/null; then stop_own; fi
  kill_pochta
  if [ -n "${PEER_ROOT:-}" ]; then "$PEERS/stop.sh" "$PEER_ROOT" >/dev/null 2>&1 || true; fi
  if [ "${KEEP:-0}" = 1 ] || { [ "$rc" -ne 0 ] && [ -n "$(ls -A "$WORK")" ]; }; then
    echo "$BENCH: files kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}

# Stops $POCHTA_PID if it still runs: TERM, up to 10 s to finish, then KILL.
kill_pochta() {
  if [ -n "${POCHTA_PID:-}" ] && kill -0 "$POCHTA_PID" 2>/dev/null; then
    kill -TERM "$POCHTA_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$POCHTA_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$POCHTA_PID" 2>/dev/null || true
  fi
}

# ------------------------------------------------------------ pochta
# Sets POCHTA: $POCHTA_BIN when given, else a Release build of the checkout
# in $BUILD_DIR (log in $WORK/build.log). Needs REPO, BUILD_DIR and WORK.
build_pochta() {
  if [ -n "${POCHTA_BIN:-}" ]; then
    [ -x "$POCHTA_BIN" ] || die "POCHTA_BIN=$POCHTA_BIN is not executable"
    POCHTA=$(realpath "$POCHTA_BIN")
    return
  fi
  echo "building pochta (Release) in $BUILD_DIR"
  cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPOCHTA_TESTS=OFF >"$WORK/build.log" 2>&1 &&
    cmake --build "$BUILD_DIR" -j 2 --target pochta >>"$WORK/build.log" 2>&1 ||
    { tail -30 "$WORK/build.log" >&2; die "build failed (log: $WORK/build.log)"; }
  POCHTA=$BUILD_DIR/pochta
}

# make_cert DIR: a self-signed certificate for bench.example.test in
# DIR/cert.pem, its key in DIR/key.pem (mode 600). pochta's configuration
# wants [tls] as soon as it has a listener, even where a load never uses it.
make_cert() {
  mkdir -p "$1"
  openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=bench.example.test" \
    -keyout "$1/key.pem" -out "$1/cert.pem" 2>/dev/null || die "openssl req failed"
  chmod 600 "$1/key.pem"
}

# write_pochta_config DIR CERT_DIR LISTENERS [EXTRA]: DIR/pochta.toml for
# bench.example.test, serving example.test, with its data in DIR/data and
# its users in DIR/users (the caller writes that file), the certificate
# from make_cert in CERT_DIR (as the configuration names it: relative to DIR
# or absolute), and a listener on 127.0.0.1:0 for each name in LISTENERS
# ("smtp imaps"): the ports are read from the log (pochta_port).
# EXTRA is more TOML: its leading keys join the top-level ones, its tables
# ([limits], [delivery]...) follow [listen].
write_pochta_config() {
  local dir=$1 cert=$2 extra=${4:-} keys="" tables name
  if [ -n "$extra" ] && [ "${extra:0:1}" != "[" ]; then
    keys=${extra%%$'\n['*}
    tables=${extra:${#keys}}
    keys=${keys%"${keys##*[!$'\n']}"}$'\n'  # without its trailing blank lines
  else
    tables=$extra
  fi
  {
    printf 'hostname   = "bench.example.test"\ndata_dir   = "data"\ndomains    = ["example.test"]\nusers_file = "users"\n'
    printf '%s\n[tls]\ncert = "%s/cert.pem"\nkey  = "%s/key.pem"\n\n[listen]\n' "$keys" "$cert" "$cert"
    for name in $3; do printf '%-5s = "127.0.0.1:0"\n' "$name"; done
    [ -z "$tables" ] || printf '\n%s\n' "${tables#$'\n'}"
  } > "$dir/pochta.toml"
}

# start_pochta_serve DIR [SECONDS]: `pochta serve -c DIR/pochta.toml` in
# the background (POCHTA_PID; its log in DIR/serve.log), waited for until it
# logs 'pochta ready' (at most SECONDS, default 10); dies if it exits first
# or is not ready by then.
start_pochta_serve() {
  local dir=$1 limit=${2:-10}
  : > "$dir/serve.log"
  "$POCHTA" serve -c "$dir/pochta.toml" 2>"$dir/serve.log" &
  POCHTA_PID=$!
  for _ in $(seq 1 $((limit * 10))); do
    kill -0 "$POCHTA_PID" 2>/dev/null || { cat "$dir/serve.log" >&2; POCHTA_PID=""; die "pochta serve exited at start"; }
    grep -q 'pochta ready' "$dir/serve.log" && return
    sleep 0.1
  done
  cat "$dir/serve.log" >&2
  die "pochta did not log 'pochta ready' within $limit s"
}

# pochta_port VAR DIR NAME: sets VAR to the port of pochta's NAME listener,
# from its 'listening NAME 127.0.0.1:PORT' line in DIR/serve.log.
pochta_port() {
  local logged  # a name no caller passes as VAR: printf -v would set this local
  logged=$(sed -n "s/.*listening $3 127\.0\.0\.1:\([0-9]*\).*/\1/p" "$2/serve.log" | head -1)
  [ -n "$logged" ] || { cat "$2/serve.log" >&2; die "pochta did not log its $3 listener"; }
  printf -v "$1" '%s' "$logged"
}

# ------------------------------------------------------------ load clients
# compile_loadclient NAME: $WORK/NAME from loadclient/NAME.c and conn.c, so
# that a load client needs nothing but cc and libssl-dev (CC overrides cc).
compile_loadclient() {
  local src=$HERE/loadclient
  ${CC:-cc} -O2 -std=c11 -Wall -Wextra -pthread -o "$WORK/$1" \
    "$src/$1.c" "$src/conn.c" -lssl -lcrypto >"$WORK/loadclient.log" 2>&1 ||
    { cat "$WORK/loadclient.log" >&2; die "the load client $src/$1.c did not compile (needs cc and libssl-dev)"; }
}

# ------------------------------------------------------------ peers
# start_peer_stack: the peers' Postfix + Dovecot under $WORK/peer
# (PEER_ROOT) on the first free ports from PEER_SMTP_PORT/PEER_IMAP_PORT/
# PEER_POP3_PORT (default 3525/3143/3110), exported as SMTP_PORT, IMAP_PORT
# and POP3_PORT.
start_peer_stack() {
  [ -d "$PEERS" ] || die "peer stack scripts not found at $REPO/../shared/peers (or set SKIP_PEERS=1)"
  [ "$(id -u)" = 0 ] || die "the peer stack needs root (or set SKIP_PEERS=1)"
  PEER_ROOT=$WORK/peer
  SMTP_PORT=$(free_port "${PEER_SMTP_PORT:-3525}") IMAP_PORT=$(free_port "${PEER_IMAP_PORT:-3143}") \
    POP3_PORT=$(free_port "${PEER_POP3_PORT:-3110}")
  export SMTP_PORT IMAP_PORT POP3_PORT
  "$PEERS/start.sh" "$PEER_ROOT" > "$WORK/peer-start.log" 2>&1 || { cat "$WORK/peer-start.log" >&2; die "peer start failed"; }
}
