#!/usr/bin/env bash
# Outbound relay benchmark: messages submitted to pochta for a remote domain
# whose MX (from a small DNS responder on loopback) is Postfix's smtp-sink,
# against the peers' Postfix relaying to the same kind of sink through
# `relayhost`, in the same invocation. Both keep fsync on.
#
#   usage: bench/smtp-relay.sh [RUNS [MSGS [SESSIONS [BYTES]]]]
#
# Env (arguments win over env):
#   RUNS=3 MSGS=5000 SESSIONS=20 BYTES=4096   the load, per run
#   CONCURRENCY=20        outbound connections per destination, both sides
#                         (pochta max_connections_per_domain; Postfix's
#                         default_destination_concurrency_limit is 20 too)
#   SKIP_PEERS=1          measure pochta only
#   POCHTA_BIN=PATH       use this binary instead of building one in Release
#   BUILD_DIR=DIR         where to build (default: <repo>/build-bench)
#   WAIT_LIMIT=300        seconds to wait after smtp-source for the sink's count
#   DKIM=0                relay unsigned (no key for example.test); default 1: every
#                         message signed, rsa-sha256 with a 2048-bit key
#   KEEP=1                keep the temporary folder
#
# pochta runs as configured by default: the checks on arrival (SPF, DKIM,
# DMARC of the sender's domain), SRS for the forwarded copy and a DKIM
# signature (rsa-sha256, 2048 bits) on every message it relays.
#
# The rate is MSGS divided by the time from the start of smtp-source to the
# moment the sink has counted the last message ("." received), so queueing,
# DNS, outbound connections and both fsyncs all count. Only 127.0.0.1.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

RUNS=${1:-${RUNS:-3}}
MSGS=${2:-${MSGS:-5000}}
SESSIONS=${3:-${SESSIONS:-20}}
BYTES=${4:-${BYTES:-4096}}
CONCURRENCY=${CONCURRENCY:-20}
WAIT_LIMIT=${WAIT_LIMIT:-300}
SMTP_SOURCE=/usr/sbin/smtp-source
REMOTE_DOMAIN=remote.test
FORWARD=fwd@example.test          # pochta's alias for bench@remote.test
REMOTE_RCPT=bench@$REMOTE_DOMAIN

die() { echo "smtp-relay: $*" >&2; exit 1; }
for v in RUNS MSGS SESSIONS BYTES WAIT_LIMIT CONCURRENCY; do is_uint "${!v}" || die "$v must be a positive integer (got '${!v}')"; done
[ -x "$SMTP_SOURCE" ] && [ -x "$SMTP_SINK" ] || die "smtp-source/smtp-sink missing: install the Debian package postfix"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pochta-relay.XXXXXX")
chmod 755 "$WORK"
DNS_PID=""
stop_own() { stop_pid "$SINK_PID"; stop_pid "$DNS_PID"; }
set_cleanup_traps

# The DNS (bench/dns-zone.py): MX 10 mx.remote.test with A 127.0.0.1 for
# the destination; nothing for the sender's domain, so the checks on
# arrival find no SPF or DMARC record there (answered from the cache after
# the first message, as the SOA's negative TTL allows).
start_dns() {
  printf '%s\n' "$REMOTE_DOMAIN MX 10 mx.$REMOTE_DOMAIN" "mx.$REMOTE_DOMAIN A 127.0.0.1" > "$WORK/zone"
  "$PYTHON" "$HERE/dns-zone.py" "$WORK/zone" > "$WORK/dns.port" &
  DNS_PID=$!
  for _ in $(seq 1 50); do [ -s "$WORK/dns.port" ] && break; sleep 0.1; done
  DNS_PORT=$(head -1 "$WORK/dns.port"); is_uint "$DNS_PORT" || die "DNS responder did not start"
}

# relay_load LABEL RCPT PORT: smtp-source's MSGS messages for RCPT to
# 127.0.0.1:PORT, then the wait for all of them at the sink. Sets T0 (the
# start), T1 (smtp-source done) and T_DONE (the last one at the sink).
relay_load() {
  local rc=0
  sync; sleep 1
  T0=$(now)
  run_bg timeout 600 "$SMTP_SOURCE" -s "$SESSIONS" -m "$MSGS" -l "$BYTES" -M bench.example.test \
    -f sender@elsewhere.test -t "$2" "inet:127.0.0.1:$3" || rc=$?
  T1=$(now)
  [ "$rc" -eq 0 ] || echo "warning: smtp-source exited with status $rc" >&2
  wait_for_sink "$1" "$T1"
}
print_run() {  # label: the figures of the last relay_load
  printf '%s: %d msgs accepted in %ss (%s msg/s); all at the sink after %ss: %s msg/s relayed\n' \
    "$1" "$MSGS" "$(secs "$T0" "$T1")" "$(rate "$T0" "$T1")" "$(secs "$T0" "$T_DONE")" "$(rate "$T0" "$T_DONE")"
}

P_RATE=(); P_ACC=(); P_CPU=()
pochta_run() {  # run number
  local dir="$WORK/pochta-$1"
  mkdir -p "$dir"
  start_sink
  write_pochta_config "$dir" "$WORK/tls" smtp "aliases_file = \"aliases\"

[delivery]
dns_servers = [\"127.0.0.1:$DNS_PORT\"]
smtp_port = $SINK_PORT
max_connections_per_domain = $CONCURRENCY"
  : > "$dir/users"
  echo "$FORWARD: $REMOTE_RCPT" > "$dir/aliases"
  # Every relayed message is DKIM-signed: its SRS envelope sender is ours.
  if [ "${DKIM:-1}" = 1 ]; then
    "$POCHTA" dkim keygen example.test -c "$dir/pochta.toml" > /dev/null || die "pochta dkim keygen failed"
    # The signer distrusts a key folder changed in the last 2 s (rereading it,
    # at most once a second, README "DKIM signing"): the load starts after that.
    sleep 2
  fi
  start_pochta_serve "$dir"
  local port
  pochta_port port "$dir" smtp
  local cpu0 cpu1 wait0 wait1
  read -r cpu0 wait0 <<<"$(sched_seconds "$POCHTA_PID")"
  relay_load "pochta run $1" "$FORWARD" "$port"
  read -r cpu1 wait1 <<<"$(sched_seconds "$POCHTA_PID")"
  kill -TERM "$POCHTA_PID"; wait "$POCHTA_PID" || true; POCHTA_PID=""
  stop_sink
  print_run "pochta run $1"
  P_RATE+=("$(rate "$T0" "$T_DONE")"); P_ACC+=("$(rate "$T0" "$T1")")
  P_CPU+=("$(awk -v a="$cpu0" -v b="$cpu1" -v m="$MSGS" 'BEGIN{printf "%.0f", 1e6*(b-a)/m}')")
  [ "${KEEP:-0}" = 1 ] || rm -rf "$dir"
}

start_peers() {
  [ -n "$PEERS" ] && [ -x "$PEERS/start.sh" ] || die "peer scripts not found (../shared/peers); use SKIP_PEERS=1"
  [ "$(id -u)" = 0 ] || die "the peer stack needs root; use SKIP_PEERS=1"
  PEER_ROOT="$WORK/peer"
  PEER_SMTP_PORT=$(free_tcp_port)
  echo "starting the peer Postfix under $PEER_ROOT (SMTP 127.0.0.1:$PEER_SMTP_PORT)"
  SMTP_PORT=$PEER_SMTP_PORT IMAP_PORT=$(free_tcp_port) POP3_PORT=$(free_tcp_port) \
    "$PEERS/start.sh" "$PEER_ROOT" >"$WORK/peer-start.log" 2>&1 ||
    { cat "$WORK/peer-start.log" >&2; die "peer stack did not start"; }
}

Q_RATE=(); Q_ACC=()
peer_run() {  # run number
  local pconf="$PEER_ROOT/etc/postfix"
  start_sink
  postconf -c "$pconf" -e "relayhost = [127.0.0.1]:$SINK_PORT" "mynetworks = 127.0.0.0/8" \
    "relay_domains = $REMOTE_DOMAIN" "relay_transport = relay" "default_transport = smtp" \
    "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination" \
    "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination" \
    "default_destination_concurrency_limit = $CONCURRENCY" || die "postconf failed"
  postfix -c "$pconf" reload >/dev/null 2>&1 || die "postfix reload failed"
  postsuper -c "$pconf" -d ALL >/dev/null 2>&1 || true
  relay_load "postfix run $1" "$REMOTE_RCPT" "$PEER_SMTP_PORT"
  stop_sink
  print_run "postfix run $1"
  Q_RATE+=("$(rate "$T0" "$T_DONE")"); Q_ACC+=("$(rate "$T0" "$T1")")
}

[ "$SKIP_PEERS" = 1 ] || start_peers
build_pochta
make_cert "$WORK/tls"
start_dns
echo "== SMTP relay: $RUNS runs x $MSGS msgs x $BYTES B, $SESSIONS inbound sessions, $CONCURRENCY outbound connections"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ); cpu: $(nproc); pochta: $("$POCHTA" version | head -1); postfix: $(postconf -d -h mail_version 2>/dev/null || echo '?')"
for r in $(seq 1 "$RUNS"); do
  pochta_run "$r"
  [ "$SKIP_PEERS" = 1 ] || peer_run "$r"
done
echo
echo "== medians over $RUNS runs"
echo "| measure | pochta | Postfix | pochta / Postfix |"
echo "| --- | ---: | ---: | ---: |"
pr=$(median "${P_RATE[@]}"); pa=$(median "${P_ACC[@]}")
if [ "$SKIP_PEERS" = 1 ]; then
  echo "| relayed to the sink, msg/s | $pr | (skipped) | - |"
  echo "| SMTP acceptance, msg/s | $pa | (skipped) | - |"
else
  qr=$(median "${Q_RATE[@]}"); qa=$(median "${Q_ACC[@]}")
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1fx", a/b}'; }
  echo "| relayed to the sink, msg/s | $pr | $qr | $(ratio "$pr" "$qr") |"
  echo "| SMTP acceptance, msg/s | $pa | $qa | $(ratio "$pa" "$qa") |"
fi
echo "| pochta CPU per message, µs (DKIM signing: $([ "${DKIM:-1}" = 1 ] && echo on || echo off)) | $(median "${P_CPU[@]}") | - | - |"
