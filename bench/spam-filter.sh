#!/usr/bin/env bash
# pochta's own spam filter against rspamd: the CPU each spends per message,
# on the same set of messages, in one invocation.
#
#   usage: bench/spam-filter.sh [MSGS]      (default 500)
#
# Env: POCHTA_BIN=PATH (skip the Release build), BUILD_DIR, KEEP=1.
#
# pochta's figure is the difference between two runs of pochta receiving
# the messages over SMTP, `[spam] enabled` true and false (the checks on
# arrival off in both), so SMTP and the store cost nothing in it: what
# remains is the verdict (tokenizer, the classifier trained with 20 other
# messages first, reputation, two DNS blocklists answered from a loopback
# zone). rspamd's is the CPU of all its processes while it answers
# /checkv2 for the same messages (Debian's rspamd with its stock rules,
# DNS from the same zone, one normal worker), after 20 warm-up messages.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

MSGS=${1:-${MSGS:-500}}
RCPT=alice@example.test
die() { echo "spam-filter: $*" >&2; exit 1; }
is_uint "$MSGS" || die "MSGS must be a positive integer (got '$MSGS')"
command -v rspamd >/dev/null || die "rspamd missing: install the Debian package rspamd (make deps)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pochta-spam.XXXXXX")
chmod 755 "$WORK"
RSPAMD_PID="" DNS_PID=""
stop_pid() { [ -n "$1" ] && kill -TERM "$1" 2>/dev/null && wait "$1" 2>/dev/null || true; }
stop_own() { stop_pid "$RSPAMD_PID"; stop_pid "$DNS_PID"; }
set_cleanup_traps

start_dns() {  # an empty zone: every question NXDOMAIN (nothing is listed)
  : > "$WORK/zone"
  "$PYTHON" "$HERE/dns-zone.py" "$WORK/zone" > "$WORK/dns.port" &
  DNS_PID=$!
  for _ in $(seq 1 50); do [ -s "$WORK/dns.port" ] && break; sleep 0.1; done
  DNS_PORT=$(head -1 "$WORK/dns.port"); is_uint "$DNS_PORT" || die "DNS responder did not start"
}

group_cpu() {  # PGID: CPU seconds of every process in the group
  local total=0 pid
  for pid in $(ps -o pid= -g "$1"); do
    total=$(awk -v a="$total" -v b="$(sched_seconds "$pid" | cut -d' ' -f1)" 'BEGIN{printf "%.3f", a+b}')
  done
  echo "$total"
}

pochta_cpu() {  # true|false -> POCHTA_CPU: seconds pochta spent on MSGS messages
  local dir="$WORK/pochta-$1" port cpu0 cpu1
  mkdir -p "$dir"
  write_pochta_config "$dir" "$WORK/tls" smtp "[delivery]
dns_servers = [\"127.0.0.1:$DNS_PORT\"]

[checks]
enabled = false

[spam]
enabled = $1
dnsbl = [{ zone = \"zen.bench.test\", weight = 6.0 }]
domain_blocklists = [{ zone = \"dbl.bench.test\", weight = 4.0 }]"
  : > "$dir/users"; chmod 600 "$dir/users"
  echo bench-secret | "$POCHTA" user add "$RCPT" -c "$dir/pochta.toml" || die "pochta user add failed"
  start_pochta_serve "$dir"
  pochta_port port "$dir" smtp
  "$PYTHON" "$HERE/spam/send.py" smtp "$port" "$WORK/training" > /dev/null || die "training mail not sent"
  "$POCHTA" spam train "$RCPT" --ham INBOX -c "$dir/pochta.toml" > /dev/null || die "pochta spam train failed"
  read -r cpu0 _ <<<"$(sched_seconds "$POCHTA_PID")"
  "$PYTHON" "$HERE/spam/send.py" smtp "$port" "$WORK/messages" > /dev/null || die "pochta: messages not sent"
  read -r cpu1 _ <<<"$(sched_seconds "$POCHTA_PID")"
  [ "$1" = false ] || "$POCHTA" message show "$RCPT" INBOX 21 -c "$dir/pochta.toml" | grep -A2 '^X-Spam-Status:' || true
  kill_pochta; POCHTA_PID=""
  POCHTA_CPU=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN{printf "%.3f", b-a}')
}

rspamd_cpu() {  # -> RSPAMD_CPU: seconds all rspamd processes spent on MSGS messages
  local dir="$WORK/rspamd" port cpu0 cpu1
  mkdir -p "$dir/local.d"
  port=$(free_port 11433) || exit 1
  echo 'greylist = null;' > "$dir/local.d/actions.conf"
  cat > "$dir/rspamd.conf" <<CONF
.include "\$CONFDIR/common.conf"
options {
    pidfile = "\$RUNDIR/rspamd.pid";
    .include "\$CONFDIR/options.inc"
    dns { nameserver = ["127.0.0.1:$DNS_PORT"]; timeout = 1s; retransmits = 1; }
}
logging { type = "console"; level = "error"; }
worker "normal" {
    bind_socket = "127.0.0.1:$port";
    .include "\$CONFDIR/worker-normal.inc"
    count = 1;
}
CONF
  local as_root=(); [ "$(id -u)" = 0 ] && as_root=(-u root -g root)
  setsid rspamd -f "${as_root[@]}" -c "$dir/rspamd.conf" --var=CONFDIR=/etc/rspamd --var=LOCAL_CONFDIR="$dir" \
    --var=RUNDIR="$dir" --var=DBDIR="$dir" --var=LOGDIR="$dir" > "$dir/rspamd.log" 2>&1 &
  RSPAMD_PID=$!
  for _ in $(seq 1 300); do
    "$PYTHON" -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
    kill -0 "$RSPAMD_PID" 2>/dev/null || { cat "$dir/rspamd.log" >&2; die "rspamd exited"; }
    sleep 0.2
  done
  "$PYTHON" "$HERE/spam/send.py" rspamd "$port" "$WORK/training" > /dev/null || die "rspamd warm-up failed"
  cpu0=$(group_cpu "$RSPAMD_PID")
  "$PYTHON" "$HERE/spam/send.py" rspamd "$port" "$WORK/messages" > /dev/null || die "rspamd: messages not checked"
  cpu1=$(group_cpu "$RSPAMD_PID")
  stop_pid "$RSPAMD_PID"; RSPAMD_PID=""
  RSPAMD_CPU=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN{printf "%.3f", b-a}')
}

build_pochta
make_cert "$WORK/tls"
start_dns
"$PYTHON" "$HERE/spam/messages.py" "$WORK/messages" "$MSGS"
"$PYTHON" "$HERE/spam/messages.py" "$WORK/training" 20 11
echo "== spam filter CPU: $MSGS messages; date $(date -u +%Y-%m-%dT%H:%MZ); load $(cut -d' ' -f1-3 /proc/loadavg); $(rspamd --version 2>/dev/null | head -1)"
pochta_cpu true; on=$POCHTA_CPU
pochta_cpu false; off=$POCHTA_CPU
rspamd_cpu
per() { awk -v s="$1" -v m="$MSGS" 'BEGIN{printf "%.0f", 1e6*s/m}'; }
filter=$(awk -v a="$on" -v b="$off" 'BEGIN{printf "%.3f", a-b}')
echo "pochta CPU: ${on}s with [spam] on, ${off}s off; rspamd CPU: ${RSPAMD_CPU}s"
echo "| measure | pochta's filter | rspamd | rspamd / pochta |"
echo "| --- | ---: | ---: | ---: |"
echo "| CPU per message, µs | $(per "$filter") | $(per "$RSPAMD_CPU") | $(awk -v a="$RSPAMD_CPU" -v b="$filter" 'BEGIN{printf "%.1fx", a/b}') |"
