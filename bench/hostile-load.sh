#!/usr/bin/env bash
# Hostile load: how do normal users fare while 200 attacking connections
# hit the server? pochta first, then Postfix + Dovecot under the same attack.
#
#   usage: bench/hostile-load.sh [DURATION]
#
# Env (the argument wins):
#   DURATION=20        seconds of each phase
#   POCHTA_BIN=PATH    use this binary instead of building one in Release
#   BUILD_DIR=DIR      where to build (default: <repo>/build-bench)
#   SKIP_PEERS=1       pochta only
#   KEEP=1             keep the temporary folder (configs, logs, load files)
#
# Each server runs two phases of DURATION seconds:
#   quiet   10 IMAP clients (STARTTLS, LOGIN, then SELECT / UID FETCH 1:* FLAGS /
#           NOOP rounds, logging in again every 20 rounds) and 10 SMTP
#           clients (one 4 KiB message per connection) from 127.0.0.1;
#   attack  the same normal clients while 200 connections from 127.0.0.2 to
#           127.0.0.21 attack (bench/hostile/load.py, ATTACKS): non-reading
#           VRFY and CAPABILITY floods, slowloris, a wrong-password flood
#           against a SHA512-CRYPT account, 5 MB DATA parked on the MX,
#           RCPT harvesting, and SEARCH BODY with a 100 KB string over a
#           4 MB message from the attacker's own account.
# It prints the normal clients' p50/p99 latency per kind, their failures
# and the server's peak RSS (summed over every process for the peers), and
# what the attacks achieved. Every attack loop is bounded in bytes and time.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

DURATION=${1:-${DURATION:-20}}
LOAD=$HERE/hostile/load.py
die() { echo "hostile-load: $*" >&2; exit 1; }
is_uint "$DURATION" || die "DURATION must be a positive integer (got '$DURATION')"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pochta-hostile.XXXXXX")
chmod 755 "$WORK"  # the peers' daemons run as their own users and need to reach $WORK/peer
SAMPLER_PID=""
stop_own() { stop_sampler; }
set_cleanup_traps

stop_sampler() {
  if [ -n "$SAMPLER_PID" ]; then kill "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; fi
  SAMPLER_PID=""
}

# run_phases NAME SMTP_PORT IMAP_PORT ROOT_PID...: the two phases against one
# server; leaves NAME-quiet.json, NAME-attack.json, NAME-attacks.json and the
# RSS peaks in $WORK.
run_phases() {
  local name=$1 smtp=$2 imap=$3
  shift 3
  echo "== $name: quiet phase ($DURATION s)"
  "$PYTHON" "$LOAD" rss "$WORK/$name-quiet.rss" "$@" & SAMPLER_PID=$!
  "$PYTHON" "$LOAD" normal "$smtp" "$imap" "$DURATION" "$WORK/$name-quiet.json"
  stop_sampler
  echo "== $name: attack phase ($DURATION s, 200 attacking connections)"
  "$PYTHON" "$LOAD" rss "$WORK/$name-attack.rss" "$@" & SAMPLER_PID=$!
  "$PYTHON" "$LOAD" attack "$smtp" "$imap" $((DURATION + 4)) "$WORK/$name-attacks.json" & local attack_pid=$!
  sleep 2  # the attack is under way before the normal clients start
  "$PYTHON" "$LOAD" normal "$smtp" "$imap" "$DURATION" "$WORK/$name-attack.json"
  wait "$attack_pid" || die "the attack load failed against $name"
  stop_sampler
}

# ---------------------------------------------------------------- pochta
build_pochta
dir=$WORK/pochta
mkdir -p "$dir"
make_cert "$dir/tls"
write_pochta_config "$dir" tls "smtp imap"
hash=$(openssl passwd -6 secret) || die "openssl passwd -6 failed"
for u in alice bob mallory; do echo "$u@example.test:{SHA512-CRYPT}$hash"; done > "$dir/users"
chmod 600 "$dir/users"
echo "date:   $(date -u +%Y-%m-%dT%H:%MZ)"
echo "cpu:    $(nproc) x $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
echo "pochta: $("$POCHTA" version | head -1) ($POCHTA)"
echo "load:   $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, before the run)"
start_pochta_serve "$dir" 20
pochta_port P_SMTP "$dir" smtp
pochta_port P_IMAP "$dir" imap
"$PYTHON" "$LOAD" append "$P_IMAP" mallory@example.test secret $((4 << 20)) || die "APPEND to pochta failed"
run_phases pochta "$P_SMTP" "$P_IMAP" "$POCHTA_PID"
kill_pochta
POCHTA_PID=""
rows=("pochta:quiet:$WORK/pochta-quiet.json:$WORK/pochta-quiet.rss"
      "pochta:attack:$WORK/pochta-attack.json:$WORK/pochta-attack.rss:$WORK/pochta-attacks.json")

# ---------------------------------------------------------------- peers
if [ "$SKIP_PEERS" != 1 ]; then
  start_peer_stack
  # The same accounts and hash scheme as pochta's (the peer set-up writes
  # {PLAIN} passwords, which would spare Dovecot the hashing the attack
  # aims at). Dovecot rereads the file when it changes.
  users=$PEER_ROOT/etc/dovecot/users
  for u in alice bob mallory; do echo "$u@example.test:{SHA512-CRYPT}$hash::::::"; done > "$users"
  sleep 1
  "$PYTHON" "$LOAD" append "$IMAP_PORT" mallory@example.test secret $((4 << 20)) || die "APPEND to Dovecot failed"
  run_phases postfix+dovecot "$SMTP_PORT" "$IMAP_PORT" \
    "$(cat "$PEER_ROOT/run/dovecot/master.pid")" "$(tr -d ' ' < "$PEER_ROOT/spool/postfix/pid/master.pid")"
  rows+=("postfix+dovecot:quiet:$WORK/postfix+dovecot-quiet.json:$WORK/postfix+dovecot-quiet.rss"
         "postfix+dovecot:attack:$WORK/postfix+dovecot-attack.json:$WORK/postfix+dovecot-attack.rss:$WORK/postfix+dovecot-attacks.json")
fi

echo
"$PYTHON" "$HERE/hostile/report.py" "${rows[@]}"
