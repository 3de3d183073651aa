#!/usr/bin/env bash
# SMTP ingest benchmark: pochta against Postfix + Dovecot, on the same machine
# in the same invocation, under the same load (Postfix's smtp-source).
#
#   usage: bench/smtp-ingest.sh [RUNS [MSGS [SESSIONS [BYTES]]]]
#
# Env (arguments win over env):
#   RUNS=3 MSGS=5000 SESSIONS=20 BYTES=4096   the load, per run
#   SKIP_PEERS=1          measure pochta only (no root needed then, if postfix is installed)
#   POCHTA_BIN=PATH       use this binary instead of building one in Release
#   BUILD_DIR=DIR         where to build (default: <repo>/build-bench)
#   SMTP_SOURCE_FLAGS=-d  extra smtp-source flags for both servers (-d: reuse connections)
#   PEER_SMTP_PORT / PEER_IMAP_PORT / PEER_POP3_PORT   peer stack ports (default: first free from 3525/3143/3110)
#   WAIT_LIMIT=120        seconds to wait after smtp-source for the last message to show up
#   KEEP=1                keep the temporary folder (configs, logs, stores) for inspection
#   SIEVE_SCRIPT=FILE     the recipient's active Sieve script in pochta (bench/sieve-ingest.sh)
#   CHECKS=1              pochta checks SPF, DKIM and DMARC of every message and gives
#                         it a spam verdict (DNS blocklists, reputation, the trained
#                         classifier), its defaults; 0 = `[checks]` and `[spam]`
#                         off, the first wave's bench
#
# With CHECKS=1 every message comes from bench@sender.example, whose zone
# (bench/dns-zone.py on loopback) publishes SPF for 127.0.0.1, a DKIM key and
# DMARC p=reject; smtp-source sends one message file, DKIM-signed by dkimpy
# (rsa-sha256, 2048 bits, relaxed/relaxed), so pochta verifies a real
# signature, hashes the whole body and evaluates DMARC for each one. The
# peers check nothing and get smtp-source's own message of the same size.
#
# Each round runs pochta once, then the peer stack once, so slow drift of a
# shared machine hits both alike. pochta starts fresh every run (new data
# folder, new process) so the peak RSS is that run's own. Only 127.0.0.1.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

RUNS=${1:-${RUNS:-3}}
MSGS=${2:-${MSGS:-5000}}
SESSIONS=${3:-${SESSIONS:-20}}
BYTES=${4:-${BYTES:-4096}}
SMTP_SOURCE_FLAGS=${SMTP_SOURCE_FLAGS:-}
WAIT_LIMIT=${WAIT_LIMIT:-120}
CHECKS=${CHECKS:-1}
SMTP_SOURCE=/usr/sbin/smtp-source
RCPT=alice@example.test
# The peers' bench-smtp.sh sends this subject; the same here keeps the bytes identical.
SUBJECT="peer bench"

die() { echo "smtp-ingest: $*" >&2; exit 1; }
for v in RUNS MSGS SESSIONS BYTES WAIT_LIMIT; do is_uint "${!v}" || die "$v must be a positive integer (got '${!v}')"; done

# ---------------------------------------------------------------- cleanup
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pochta-bench.XXXXXX")
chmod 755 "$WORK"  # Postfix and Dovecot run as their own users and must reach the peer ROOT inside
set_cleanup_traps  # also stops a load generator still running (run_bg: timeout, smtp-source)

# ---------------------------------------------------------------- helpers
# smtp-source comes with Postfix. The peers' start.sh installs it without
# starting the system Postfix; with SKIP_PEERS the same is done here.
ensure_smtp_source() {
  [ -x "$SMTP_SOURCE" ] && return 0
  [ "$(id -u)" = 0 ] || die "$SMTP_SOURCE missing: install the Debian package postfix (needs root)"
  echo "installing postfix (for smtp-source)"
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  local added=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; added=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix ||
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix; }
  [ -z "$added" ] || rm -f /usr/sbin/policy-rc.d
  [ -x "$SMTP_SOURCE" ] || die "postfix installed but $SMTP_SOURCE is still missing"
}

machine_info() {
  echo "date:      $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "cpu:       $(nproc) x $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  echo "ram:       $(free -m | awk '/^Mem:/{printf "%.1f GiB", $2/1024}')"
  echo "os:        Debian $(cat /etc/debian_version 2>/dev/null || echo '?'), kernel $(uname -r)"
  echo "fs:        $(df -T "$WORK" | awk 'NR==2{print $2" on "$1}') (holds both servers' data)"
  echo "pochta:    $("$POCHTA" version | head -1) ($POCHTA)"
  echo "postfix:   $(postconf -d -h mail_version 2>/dev/null || echo '?'), dovecot: $(dovecot --version 2>/dev/null || echo '?')"
  echo "load:      $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, before the first run)"
}

# ---------------------------------------------------------------- pochta
# One self-signed certificate for every run ($WORK/tls, made once).
write_config() {  # dir
  local extra=$'[delivery]\ndns_servers = ["127.0.0.1:'"$DNS_PORT"$'"]\n\n'
  if [ "$CHECKS" = 1 ]; then
    extra+=$'[spam]\ndnsbl = [{ zone = "zen.bench.test", weight = 6.0 }]\n'
    extra+=$'domain_blocklists = [{ zone = "dbl.bench.test", weight = 4.0 }]'
  else
    extra+=$'[checks]\nenabled = false\n\n[spam]\nenabled = false'
  fi
  write_pochta_config "$1" "$WORK/tls" smtp "$extra"
  : > "$1/users"; chmod 600 "$1/users"
  echo bench-secret | "$POCHTA" user add "$RCPT" -c "$1/pochta.toml" || die "pochta user add failed"
  [ -z "${SIEVE_SCRIPT:-}" ] || "$POCHTA" sieve set "$RCPT" bench "$SIEVE_SCRIPT" --activate -c "$1/pochta.toml" ||
    die "pochta sieve set failed"
}

inbox_count() {  # conf
  "$POCHTA" mailbox list "$RCPT" -c "$1" | awk '$1 == "INBOX" {print $2; found=1} END {if (!found) print 0}'
}

start_pochta() {  # dir -> sets POCHTA_PID, POCHTA_PORT
  start_pochta_serve "$1"
  pochta_port POCHTA_PORT "$1" smtp
}

stop_pochta() {
  kill -TERM "$POCHTA_PID"
  local rc=0
  wait "$POCHTA_PID" || rc=$?
  POCHTA_PID=""
  [ "$rc" -eq 0 ] || echo "warning: pochta serve exited with status $rc on SIGTERM" >&2
}

# CHECKS=1: the recipient's classifier is trained first (TRAIN messages
# delivered, then `pochta spam train --ham INBOX`), so every timed message
# is scored by it, beside the blocklists and the sender's reputation.
TRAIN=20
train_classifier() {  # dir
  "$SMTP_SOURCE" -s 1 -m "$TRAIN" "${LOAD[@]}" -M bench.example.test -t "$RCPT" "inet:127.0.0.1:$POCHTA_PORT" ||
    die "training messages not sent"
  local n=0
  for _ in $(seq 1 100); do n=$(inbox_count "$1/pochta.toml"); [ "$n" -ge "$TRAIN" ] && break; sleep 0.1; done
  [ "$n" -eq "$TRAIN" ] || die "training: $n messages in INBOX, expected $TRAIN"
  "$POCHTA" spam train "$RCPT" --ham INBOX -c "$1/pochta.toml" > /dev/null || die "pochta spam train failed"
}

P_ACC=(); P_E2E=(); P_RSS=(); P_CPU=(); P_WAIT=()
pochta_run() {  # run number
  local dir="$WORK/pochta-$1" t0 t1 t2 n cpu0 cpu1 wait0 wait1 hwm rc=0
  mkdir -p "$dir"
  write_config "$dir"
  start_pochta "$dir"
  local base=0
  [ "$CHECKS" = 1 ] && { train_classifier "$dir"; base=$TRAIN; }
  sync; sleep 1  # the same settling the peers' bench-smtp.sh gives its runs
  read -r cpu0 wait0 <<<"$(sched_seconds "$POCHTA_PID")"
  t0=$(now)
  # shellcheck disable=SC2086  # SMTP_SOURCE_FLAGS is a list of flags
  run_bg timeout 600 "$SMTP_SOURCE" $SMTP_SOURCE_FLAGS -s "$SESSIONS" -m "$MSGS" "${LOAD[@]}" \
    -M bench.example.test -t "$RCPT" "inet:127.0.0.1:$POCHTA_PORT" || rc=$?
  t1=$(now)
  [ "$rc" -eq 0 ] || echo "warning: smtp-source exited with status $rc" >&2
  # pochta answers 250 only after the fsync'd commit, so the count should
  # already be complete; poll anyway and time the moment it is (the time of
  # the query itself counts against pochta, as the peers' polling does).
  n=$(( $(inbox_count "$dir/pochta.toml") - base )) || die "pochta mailbox list failed"
  while [ "$n" -lt "$MSGS" ]; do
    awk -v a="$(now)" -v b="$t1" -v l="$WAIT_LIMIT" 'BEGIN{exit !(a-b > l)}' &&
      die "pochta run $1: only $n of $MSGS messages in $RCPT's INBOX ${WAIT_LIMIT}s after smtp-source finished (log: $dir/serve.log)"
    sleep 0.05
    n=$(( $(inbox_count "$dir/pochta.toml") - base )) || die "pochta mailbox list failed"
  done
  t2=$(now)
  [ "$n" -eq "$MSGS" ] || die "pochta run $1: $n messages in INBOX, expected exactly $MSGS"
  hwm=$(awk '/^VmHWM:/ {printf "%.1f", $2/1024}' "/proc/$POCHTA_PID/status")
  [ "$1" != 1 ] || "$POCHTA" message show "$RCPT" INBOX "$((base + 1))" -c "$dir/pochta.toml" |
    grep -A3 '^Authentication-Results:\|^X-Spam-Status:' || true
  read -r cpu1 wait1 <<<"$(sched_seconds "$POCHTA_PID")"
  stop_pochta
  local acc e2e cpu waited
  acc=$(rate "$t0" "$t1"); e2e=$(rate "$t0" "$t2")
  cpu=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN{printf "%.2f", b-a}')
  waited=$(awk -v a="$wait0" -v b="$wait1" 'BEGIN{printf "%.2f", b-a}')
  printf 'pochta run %d: smtp accepted %d msgs in %ss (%s msg/s); all %d in INBOX after %ss (%s msg/s end-to-end); peak RSS %s MiB; pochta CPU %ss (%s%% of one core), runnable but waiting for a CPU %ss\n' \
    "$1" "$MSGS" "$(secs "$t0" "$t1")" "$acc" "$n" "$(secs "$t0" "$t2")" "$e2e" "$hwm" "$cpu" \
    "$(awk -v c="$cpu" -v a="$t0" -v b="$t2" 'BEGIN{printf "%.0f", 100*c/(b-a)}')" "$waited"
  P_ACC+=("$acc"); P_E2E+=("$e2e"); P_RSS+=("$hwm"); P_CPU+=("$cpu"); P_WAIT+=("$waited")
  [ "${KEEP:-0}" = 1 ] || rm -rf "$dir"
}

# ---------------------------------------------------------------- checks
# The sender's zone and the signed message (CHECKS=1), or an empty zone.
DNS_PID=""
stop_own() { [ -z "$DNS_PID" ] || { kill -TERM "$DNS_PID" 2>/dev/null; wait "$DNS_PID" 2>/dev/null || true; }; }
prepare_checks() {  # -> DNS_PORT, LOAD (smtp-source's message flags)
  : > "$WORK/zone"
  LOAD=(-l "$BYTES" -f bench@example.test -S "$SUBJECT")
  if [ "$CHECKS" = 1 ]; then
    "$PYTHON" - "$WORK" "$BYTES" "$RCPT" <<'PY' || die "cannot make the signed message"
import base64, subprocess, sys, dkim
from pathlib import Path
work, size, rcpt = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
key = subprocess.run(["openssl", "genrsa", "2048"], capture_output=True, check=True).stdout
der = subprocess.run(["openssl", "rsa", "-pubout", "-outform", "DER"], input=key, capture_output=True, check=True).stdout
line = b"The quick brown fox jumps over the lazy dog, again and again.\r\n"
body = (line * (size // len(line) + 1))[:size]
msg = (b"From: Bench <bench@sender.example>\r\nTo: <" + rcpt.encode() + b">\r\nSubject: peer bench\r\n"
       b"Date: Mon, 07 Dec 2026 12:00:00 +0000\r\nMessage-ID: <bench@sender.example>\r\n\r\n" + body)
sig = dkim.sign(msg, b"bench", b"sender.example", key, canonicalize=(b"relaxed", b"relaxed"),
                include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
(work / "message.eml").write_bytes((sig + msg).replace(b"\r\n", b"\n"))  # smtp-source adds the CR
(work / "zone").write_text(
    "sender.example TXT v=spf1 ip4:127.0.0.1 -all\n"
    "_dmarc.sender.example TXT v=DMARC1; p=reject\n"
    "bench._domainkey.sender.example TXT v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode() + "\n")
PY
    LOAD=(-F "$WORK/message.eml" -f bench@sender.example)
  fi
  "$PYTHON" "$HERE/dns-zone.py" "$WORK/zone" > "$WORK/dns.port" &
  DNS_PID=$!
  for _ in $(seq 1 50); do [ -s "$WORK/dns.port" ] && break; sleep 0.1; done
  DNS_PORT=$(head -1 "$WORK/dns.port"); is_uint "$DNS_PORT" || die "DNS responder did not start"
}

# ---------------------------------------------------------------- peers
start_peers() {
  [ -n "$PEERS" ] && [ -x "$PEERS/start.sh" ] || die "peer scripts not found next to the repo (../shared/peers); use SKIP_PEERS=1"
  [ "$(id -u)" = 0 ] || die "the peer stack needs root (start.sh); use SKIP_PEERS=1 to measure pochta alone"
  [ -n "${PEER_SMTP_PORT:-}" ] || PEER_SMTP_PORT=$(free_port 3525) || exit 1
  [ -n "${PEER_IMAP_PORT:-}" ] || PEER_IMAP_PORT=$(free_port 3143) || exit 1
  [ -n "${PEER_POP3_PORT:-}" ] || PEER_POP3_PORT=$(free_port 3110) || exit 1
  for v in PEER_SMTP_PORT PEER_IMAP_PORT PEER_POP3_PORT; do is_uint "${!v}" || die "$v must be a port number"; done
  PEER_ROOT="$WORK/peer"
  echo "starting Postfix + Dovecot under $PEER_ROOT (SMTP 127.0.0.1:$PEER_SMTP_PORT)"
  SMTP_PORT=$PEER_SMTP_PORT IMAP_PORT=$PEER_IMAP_PORT POP3_PORT=$PEER_POP3_PORT \
    "$PEERS/start.sh" "$PEER_ROOT" >"$WORK/peer-start.log" 2>&1 ||
    { cat "$WORK/peer-start.log" >&2; die "peer stack did not start"; }
}

Q_ACC=(); Q_E2E=()
peer_run() {  # run number; one run of the peers' own bench-smtp.sh
  local out="$WORK/peer-run-$1.log" line acc e2e
  SMTP_PORT=$PEER_SMTP_PORT SMTP_SOURCE_FLAGS=$SMTP_SOURCE_FLAGS \
    run_bg "$PEERS/bench-smtp.sh" "$PEER_ROOT" 1 "$MSGS" "$SESSIONS" "$BYTES" >"$out" 2>&1 ||
    { cat "$out" >&2; die "peer run $1 failed"; }
  line=$(grep '^run 1:' "$out") || { cat "$out" >&2; die "peer run $1: no result line"; }
  acc=$(sed -n 's/.*(\([0-9.]*\) msg\/s);.*/\1/p' <<<"$line")
  e2e=$(sed -n 's/.*(\([0-9.]*\) msg\/s end-to-end).*/\1/p' <<<"$line")
  [ -n "$acc" ] && [ -n "$e2e" ] || die "peer run $1: cannot parse '$line'"
  echo "postfix+dovecot ${line/run 1/run $1}"
  Q_ACC+=("$acc"); Q_E2E+=("$e2e")
}

# ---------------------------------------------------------------- main
[ "$SKIP_PEERS" = 1 ] || start_peers   # installs postfix (smtp-source) when missing
ensure_smtp_source
build_pochta
make_cert "$WORK/tls"
prepare_checks
echo "== SMTP ingest: $RUNS runs x $MSGS msgs x ${BYTES} B body, $SESSIONS sessions, smtp-source flags '${SMTP_SOURCE_FLAGS}', pochta checks SPF/DKIM/DMARC: $([ "$CHECKS" = 1 ] && echo yes || echo no)"
machine_info
for r in $(seq 1 "$RUNS"); do
  pochta_run "$r"
  [ "$SKIP_PEERS" = 1 ] || peer_run "$r"
done

pa=$(median "${P_ACC[@]}"); pe=$(median "${P_E2E[@]}"); pr=$(median "${P_RSS[@]}")
prmax=$(printf '%s\n' "${P_RSS[@]}" | sort -n | tail -1)
echo
echo "== medians over $RUNS runs ($MSGS msgs x ${BYTES} B, $SESSIONS sessions, flags '${SMTP_SOURCE_FLAGS}')"
echo "| measure | pochta | Postfix + Dovecot | pochta / peers |"
echo "| --- | ---: | ---: | ---: |"
if [ "$SKIP_PEERS" = 1 ]; then
  echo "| SMTP acceptance, msg/s | $pa | (skipped) | - |"
  echo "| end-to-end into the mailbox, msg/s | $pe | (skipped) | - |"
else
  qa=$(median "${Q_ACC[@]}"); qe=$(median "${Q_E2E[@]}")
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1fx", a/b}'; }
  echo "| SMTP acceptance, msg/s | $pa | $qa | $(ratio "$pa" "$qa") |"
  echo "| end-to-end into the mailbox, msg/s | $pe | $qe | $(ratio "$pe" "$qe") |"
fi
echo "| pochta peak RSS (VmHWM), MiB | $pr (max $prmax) | - | - |"
echo "| pochta CPU per run, s (runnable but waiting for a CPU, s) | $(median "${P_CPU[@]}") ($(median "${P_WAIT[@]}")) | - | - |"
echo "| pochta CPU per message, µs (checks on arrival: $([ "$CHECKS" = 1 ] && echo on || echo off)) | $(awk -v c="$(median "${P_CPU[@]}")" -v m="$MSGS" 'BEGIN{printf "%.0f", 1e6*c/m}') | - | - |"
