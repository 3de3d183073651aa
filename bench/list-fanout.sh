#!/usr/bin/env bash
# List fan-out benchmark: one post to a list of MEMBERS remote recipients,
# every copy relayed (its own VERP envelope sender, so one SMTP transaction
# each) to Postfix's smtp-sink, against Postfix + mlmmj (Debian's mlmmj: the
# post handed to mlmmj-receive as Postfix's pipe would, mlmmj-send handing
# each copy with its VERP sender to the peers' Postfix, which relays it to
# the same kind of sink), in the same invocation. Both keep fsync on.
#
#   usage: bench/list-fanout.sh [RUNS [MEMBERS [BYTES]]]
#
# Env (arguments win over env):
#   RUNS=3 MEMBERS=10000 BYTES=4096   the load, per run
#   CONCURRENCY=20        outbound connections to the sink, both sides (pochta
#                         max_connections_per_domain, Postfix's
#                         default_destination_concurrency_limit)
#   DKIM=1                pochta DKIM-signs every copy (rsa-sha256, 2048
#                         bits), as a list should; 0: unsigned like the peer
#   SKIP_PEERS=1          measure pochta only
#   PEERS=DIR             the peer scripts (default: <repo>/../shared/peers)
#   POCHTA_BIN=PATH       use this binary instead of building one in Release
#   BUILD_DIR=DIR         where to build (default: <repo>/build-bench)
#   WAIT_LIMIT=1800       seconds to wait for the sink's count
#   KEEP=1                keep the temporary folder
#
# pochta's MEMBERS recipients are MEMBERS/100 list members, each a local
# alias of 100 remote addresses (`pochta list add` adds one person per
# call: 10,000 calls would make the setup the longest part); the fan-out
# is the same (one queue entry per remote address, README "Mailing lists",
# Fan-out). mlmmj's subscribers are the same MEMBERS addresses.
#
# The time is from the post's submission (SMTP to pochta; mlmmj-receive
# for mlmmj) to the moment the sink has counted the last copy.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

RUNS=${1:-${RUNS:-3}}
MEMBERS=${2:-${MEMBERS:-10000}}
BYTES=${3:-${BYTES:-4096}}
CONCURRENCY=${CONCURRENCY:-20}
WAIT_LIMIT=${WAIT_LIMIT:-1800}
SINK_DOMAIN=sink.test
LIST=list@example.test
MSGS=$MEMBERS   # for rate()

die() { echo "list-fanout: $*" >&2; exit 1; }
for v in RUNS MEMBERS BYTES WAIT_LIMIT CONCURRENCY; do is_uint "${!v}" || die "$v must be a positive integer (got '${!v}')"; done
[ $((MEMBERS % 100)) = 0 ] || die "MEMBERS must be a multiple of 100"
[ -x "$SMTP_SINK" ] || die "smtp-sink missing: install the Debian package postfix"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pochta-list-fanout.XXXXXX")
chmod 755 "$WORK"

stop_own() { stop_pid "$SINK_PID"; }
set_cleanup_traps

member() { echo "m$1-$2@$SINK_DOMAIN"; }   # group, index

# The post, from a remote author (no DMARC record anywhere: From is kept).
write_post() {
  {
    printf 'Delivered-To: %s\r\nFrom: Author <author@elsewhere.test>\r\nTo: %s\r\n' "$LIST" "$LIST"
    printf 'Subject: fan-out bench\r\nMessage-ID: <fanout-%s@elsewhere.test>\r\n\r\n' "$RANDOM"
    head -c "$BYTES" /dev/zero | tr '\0' 'x' | fold -w 76 | sed 's/$/\r/'
  } > "$WORK/post.eml"
}

print_run() {  # label
  printf '%s: %d copies at the sink after %ss: %s copies/s\n' "$1" "$MEMBERS" "$(secs "$T0" "$T_DONE")" \
    "$(rate "$T0" "$T_DONE")"
}

P_SECS=(); P_RATE=(); P_CPU=()
pochta_run() {  # run number
  local dir="$WORK/pochta-$1" groups=$((MEMBERS / 100)) g j
  mkdir -p "$dir"
  start_sink
  write_pochta_config "$dir" "$WORK/tls" smtp "aliases_file = \"aliases\"

[limits]
max_message_size = 50000000

[delivery]
relay = \"127.0.0.1:$SINK_PORT\"
max_connections_per_domain = $CONCURRENCY"
  : > "$dir/users"
  for g in $(seq 1 "$groups"); do
    printf 'group%s@example.test: ' "$g"
    for j in $(seq 1 100); do printf '%s%s' "$(member "$g" "$j")" "$([ "$j" = 100 ] || echo ', ')"; done
    echo
  done > "$dir/aliases"
  "$POCHTA" list create "$LIST" -c "$dir/pochta.toml" > /dev/null 2>&1 || die "pochta list create failed"
  "$POCHTA" list set "$LIST" policy open -c "$dir/pochta.toml" > /dev/null || die "pochta list set failed"
  for g in $(seq 1 "$groups"); do
    "$POCHTA" list add "$LIST" "group$g@example.test" -c "$dir/pochta.toml" > /dev/null || die "pochta list add failed"
  done
  if [ "${DKIM:-1}" = 1 ]; then
    "$POCHTA" dkim keygen example.test -c "$dir/pochta.toml" > /dev/null || die "pochta dkim keygen failed"
    sleep 2  # the signer rereads a key folder changed in the last 2 s (README "DKIM signing")
  fi
  start_pochta_serve "$dir"
  local port cpu0 cpu1 wait0 wait1
  pochta_port port "$dir" smtp
  sync; sleep 1
  read -r cpu0 wait0 <<<"$(sched_seconds "$POCHTA_PID")"
  T0=$(now)
  "$PYTHON" - "$port" "$WORK/post.eml" "$LIST" <<'EOF' || die "posting to pochta failed"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=120) as s:
    s.sendmail("author@elsewhere.test", [sys.argv[3]], open(sys.argv[2], "rb").read())
EOF
  wait_for_sink "pochta run $1" "$T0"
  read -r cpu1 wait1 <<<"$(sched_seconds "$POCHTA_PID")"
  kill -TERM "$POCHTA_PID"; wait "$POCHTA_PID" || true; POCHTA_PID=""
  stop_sink
  print_run "pochta run $1"
  P_SECS+=("$(secs "$T0" "$T_DONE")"); P_RATE+=("$(rate "$T0" "$T_DONE")")
  P_CPU+=("$(awk -v a="$cpu0" -v b="$cpu1" -v m="$MEMBERS" 'BEGIN{printf "%.0f", 1e6*(b-a)/m}')")
  [ "${KEEP:-0}" = 1 ] || rm -rf "$dir"
}

# An mlmmj list directory as mlmmj-make-ml makes it, its subscribers in
# subscribers.d, relaying through the peers' Postfix.
make_mlmmj_list() {  # dir
  local dir=$1 g j
  mkdir -p "$dir"/{incoming,queue/discarded,archive,text,subconf,unsubconf,bounce,control,moderation,requeue}
  mkdir -p "$dir"/{subscribers.d,digesters.d,nomailsubs.d}
  : > "$dir/index"
  echo "$LIST" > "$dir/control/listaddress"
  echo 127.0.0.1 > "$dir/control/relayhost"
  echo "$PEER_SMTP_PORT" > "$dir/control/smtpport"
  # mlmmj's way for Postfix (TUNABLES "verp": Postfix makes the VERP
  # senders, XVERP). mlmmj 1.3.0 still sent one message per recipient
  # with it (Postfix's log: nrcpt=1, mail=100 per connection).
  echo postfix > "$dir/control/verp"
  for g in $(seq 1 $((MEMBERS / 100))); do for j in $(seq 1 100); do member "$g" "$j"; done; done |
    sort > "$dir/subscribers.d/m"
  chown -R nobody "$dir" 2>/dev/null || true
}

start_peers() {
  [ -n "$PEERS" ] && [ -x "$PEERS/start.sh" ] || die "peer scripts not found (../shared/peers); use SKIP_PEERS=1"
  [ "$(id -u)" = 0 ] || die "the peer stack needs root; use SKIP_PEERS=1"
  [ -x /usr/bin/mlmmj-receive ] || { echo "installing mlmmj"; apt-get install -y mlmmj > "$WORK/apt.log" 2>&1 ||
    { cat "$WORK/apt.log" >&2; die "apt-get install mlmmj failed"; }; }
  PEER_ROOT="$WORK/peer"
  PEER_SMTP_PORT=$(free_tcp_port)
  echo "starting the peer Postfix under $PEER_ROOT (SMTP 127.0.0.1:$PEER_SMTP_PORT)"
  SMTP_PORT=$PEER_SMTP_PORT IMAP_PORT=$(free_tcp_port) POP3_PORT=$(free_tcp_port) \
    "$PEERS/start.sh" "$PEER_ROOT" >"$WORK/peer-start.log" 2>&1 ||
    { cat "$WORK/peer-start.log" >&2; die "peer stack did not start"; }
}

Q_SECS=(); Q_RATE=()
peer_run() {  # run number
  local pconf="$PEER_ROOT/etc/postfix" dir="$WORK/mlmmj-$1"
  start_sink
  postconf -c "$pconf" -e "relayhost = [127.0.0.1]:$SINK_PORT" "mynetworks = 127.0.0.0/8" \
    "relay_domains = $SINK_DOMAIN" "relay_transport = relay" "default_transport = smtp" \
    "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination" \
    "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination" \
    "default_destination_concurrency_limit = $CONCURRENCY" || die "postconf failed"
  postfix -c "$pconf" reload >/dev/null 2>&1 || die "postfix reload failed"
  postsuper -c "$pconf" -d ALL >/dev/null 2>&1 || true
  make_mlmmj_list "$dir"
  sync; sleep 1
  T0=$(now)
  # As Postfix's pipe(8) would run it for the list's alias.
  setpriv --reuid=nobody --regid=nogroup --clear-groups env SENDER=author@elsewhere.test \
    ORIGINAL_RECIPIENT="$LIST" /usr/bin/mlmmj-receive -F -L "$dir" < "$WORK/post.eml" ||
    die "mlmmj-receive failed"
  wait_for_sink "mlmmj run $1" "$T0"
  stop_sink
  print_run "mlmmj + postfix run $1"
  Q_SECS+=("$(secs "$T0" "$T_DONE")"); Q_RATE+=("$(rate "$T0" "$T_DONE")")
  [ "${KEEP:-0}" = 1 ] || rm -rf "$dir"
}

[ "$SKIP_PEERS" = 1 ] || start_peers
build_pochta
make_cert "$WORK/tls"
write_post
echo "== list fan-out: $RUNS runs, one post of $BYTES B to $MEMBERS members, $CONCURRENCY outbound connections"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ); cpu: $(nproc); pochta: $("$POCHTA" version | head -1); postfix: $(postconf -d -h mail_version 2>/dev/null || echo '?'); mlmmj: $(/usr/bin/mlmmj-receive -V 2>&1 | head -1 || echo '?')"
for r in $(seq 1 "$RUNS"); do
  pochta_run "$r"
  [ "$SKIP_PEERS" = 1 ] || peer_run "$r"
done
echo
echo "== medians over $RUNS runs"
echo "| measure | pochta | Postfix + mlmmj | pochta / peer |"
echo "| --- | ---: | ---: | ---: |"
ps=$(median "${P_SECS[@]}"); pr=$(median "${P_RATE[@]}")
if [ "$SKIP_PEERS" = 1 ]; then
  echo "| all copies at the sink, s | $ps | (skipped) | - |"
  echo "| copies/s | $pr | (skipped) | - |"
else
  qs=$(median "${Q_SECS[@]}"); qr=$(median "${Q_RATE[@]}")
  echo "| all copies at the sink, s | $ps | $qs | - |"
  echo "| copies/s | $pr | $qr | $(awk -v a="$pr" -v b="$qr" 'BEGIN{printf "%.1fx", a/b}') |"
fi
echo "| pochta CPU per copy, µs (DKIM signing: $([ "${DKIM:-1}" = 1 ] && echo on || echo off)) | $(median "${P_CPU[@]}") | - | - |"
