#!/usr/bin/env bash
# POP3 download benchmark: pochta against Dovecot's POP3, on the same machine
# in the same invocation, under the same load: CLIENTS clients (one user
# each) log in over STLS and RETR every one of their MSGS messages of BYTES.
#
#   usage: bench/pop3-retr.sh [RUNS [MSGS [CLIENTS [BYTES]]]]
#
# Env (arguments win over env):
#   RUNS=3 MSGS=1000 CLIENTS=10 BYTES=4096   the load, per run
#   WINDOW=50             RETR commands a client keeps in flight (PIPELINING; 1 = one at a time)
#   SKIP_PEERS=1          measure pochta only (no root needed then)
#   POCHTA_BIN=PATH       use this binary instead of building one in Release
#   BUILD_DIR=DIR         where to build (default: <repo>/build-bench)
#   PEER_SMTP_PORT / PEER_IMAP_PORT / PEER_POP3_PORT   peer stack ports (default: first free from 3525/3143/3110)
#   KEEP=1                keep the temporary folder for inspection
#
# Both servers get the same message bytes: pochta over SMTP, Dovecot as
# Maildir files written straight into the peer root (Postfix would take
# minutes for 10,000 messages and measure nothing POP3). One untimed warm-up
# run per server first (Dovecot builds its indexes, pochta writes \Seen);
# then each round runs pochta, then Dovecot, so drift hits both alike.
# The timed load is a C client compiled here (loadclient/pop3_load.c: one
# thread per connection, every reply verified), light enough that the
# server, not the client, sets the rate; CC overrides the compiler.
# Prints messages per second (all clients together), the server's and the
# client's CPU per message, and the ratio.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

RUNS=${1:-${RUNS:-3}}
MSGS=${2:-${MSGS:-1000}}
CLIENTS=${3:-${CLIENTS:-10}}
BYTES=${4:-${BYTES:-4096}}
WINDOW=${WINDOW:-50}

die() { echo "pop3-retr: $*" >&2; exit 1; }
for v in RUNS MSGS CLIENTS BYTES WINDOW; do is_uint "${!v}" || die "$v must be a positive integer (got '${!v}')"; done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pochta-pop3bench.XXXXXX")
chmod 755 "$WORK"
set_cleanup_traps

user_name() { echo "pop$1@example.test"; }

# ---------------------------------------------------------------- the client
# The timed load is a small C program (loadclient/pop3_load.c): one thread
# per client, each logs in over STLS and sends RETR commands with WINDOW in
# flight, checking every reply (+OK, dot-terminated, plausible size, MSGS of
# them). Prints "messages seconds client_cpu_seconds tls" for all clients
# together. Compiled here (compile_loadclient pop3_load).

# The same message bytes for both servers: headers, then text lines to BYTES.
cat > "$WORK/message.py" <<'PY'
import sys
n, size, user = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
head = f"From: <bench@remote.example>\r\nTo: <{user}>\r\nSubject: pop3 bench {n}\r\n\r\n"
line = "The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklmnop\r\n"
body = (line * (size // len(line) + 1))[: max(0, size - len(head) - 2)] + "\r\n"
sys.stdout.write(head + body)
PY

# Fills pochta over SMTP, one connection per user, all users at once.
cat > "$WORK/fill.py" <<'PY'
import smtplib, subprocess, sys, threading
port, clients, msgs, size, work = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
def fill(i):
    user = f"pop{i}@example.test"
    template = subprocess.run([sys.executable, f"{work}/message.py", "0", str(size), user], capture_output=True).stdout
    s = smtplib.SMTP("127.0.0.1", port, timeout=60)
    for n in range(msgs):
        s.sendmail("bench@remote.example", [user], template.replace(b"pop3 bench 0\r\n", f"pop3 bench {n}\r\n".encode()))
    s.quit()
threads = [threading.Thread(target=fill, args=(i,)) for i in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
PY

# ---------------------------------------------------------------- pochta
start_pochta() {
  local dir=$WORK/pochta
  make_cert "$dir/tls"
  write_pochta_config "$dir" tls "smtp pop3"
  : > "$dir/users"; chmod 600 "$dir/users"
  for i in $(seq 0 $((CLIENTS - 1))); do echo "$(user_name "$i"):{PLAIN}secret" >> "$dir/users"; done
  start_pochta_serve "$dir"
  pochta_port POCHTA_SMTP "$dir" smtp
  pochta_port POCHTA_POP3 "$dir" pop3
  echo "filling pochta: $CLIENTS users x $MSGS messages over SMTP"
  "$PYTHON" "$WORK/fill.py" "$POCHTA_SMTP" "$CLIENTS" "$MSGS" "$BYTES" "$WORK" || die "filling pochta failed"
}

# ---------------------------------------------------------------- Dovecot
start_peers() {
  start_peer_stack
  PEER_POP3=$POP3_PORT
  echo "filling Dovecot: $CLIENTS users x $MSGS messages as Maildir files"
  local users=$PEER_ROOT/etc/dovecot/users
  for i in $(seq 0 $((CLIENTS - 1))); do
    local u; u=$(user_name "$i")
    grep -q "^$u:" "$users" || echo "$u:{PLAIN}secret::::::" >> "$users"
    local md=$PEER_ROOT/mail/example.test/pop$i/Maildir
    mkdir -p "$md"/{cur,new,tmp}
    "$PYTHON" - "$md/new" "$MSGS" "$BYTES" "$u" "$WORK" <<'PY'
import subprocess, sys
folder, msgs, size, user, work = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
template = subprocess.run([sys.executable, f"{work}/message.py", "0", str(size), user], capture_output=True).stdout
for n in range(msgs):
    data = template.replace(b"pop3 bench 0\r\n", f"pop3 bench {n}\r\n".encode())
    with open(f"{folder}/{1700000000 + n}.M{n}P1.bench", "wb") as f:
        f.write(data)
PY
  done
  chown -R vmail:vmail "$PEER_ROOT/mail"
}

# ---------------------------------------------------------------- runs
# CPU seconds (user+system) used so far by a process tree: the living
# processes plus what reaped children left in their parents' counters, so
# Dovecot's per-session pop3 processes are counted after they exit.
tree_cpu() {  # root pid
  local pids; pids=$(ps -o pid= --ppid "$1" 2>/dev/null; echo "$1")
  local all="$1"
  for p in $pids; do all="$all $(ps -o pid= --ppid "$p" 2>/dev/null)"; done
  for p in $all; do cat /proc/"$p"/stat 2>/dev/null; done |
    awk -v hz="$(getconf CLK_TCK)" '{sub(/^.*\) /, ""); t += $12 + $13 + $14 + $15} END {printf "%.3f", t/hz}'
}
cpu_us_per_msg() {  # before after -> microseconds per message
  awk -v a="$1" -v b="$2" -v n=$((CLIENTS * MSGS)) 'BEGIN{printf "%.0f", (b-a)*1e6/n}'
}

run_client() {  # port -> "msgs seconds client_cpu_seconds tls"
  "$WORK/pop3_load" "$1" "pop@example.test" secret "$CLIENTS" "$MSGS" "$WINDOW" "$BYTES"
}
rate_of() { awk '{printf "%.0f", $1/$2}' <<<"$1"; }
client_us_of() { awk '{printf "%.1f", $3*1e6/$1}' <<<"$1"; }  # the load client's CPU per message

build_pochta
compile_loadclient pop3_load
echo "date:    $(date -u +%Y-%m-%dT%H:%MZ)"
echo "cpu:     $(nproc) x $(lscpu | sed -n 's/^Model name: *//p' | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "pochta:  $("$POCHTA" version | head -1)"
echo "load:    $CLIENTS clients x $MSGS RETR of ~$BYTES bytes, STLS, $WINDOW in flight, $RUNS runs"
start_pochta
[ "$SKIP_PEERS" = 1 ] || { start_peers; echo "dovecot: $(dovecot --version 2>/dev/null)"; }

echo "warm-up run (untimed)"
out=$(run_client "$POCHTA_POP3") || die "pochta run failed"
echo "  pochta TLS: ${out##* }"
if [ "$SKIP_PEERS" != 1 ]; then
  out=$(run_client "$PEER_POP3") || die "dovecot run failed"
  echo "  dovecot TLS: ${out##* }"
fi

# Server CPU per message is printed beside the rate: on a shared, busy
# machine it is the steadier figure of the two.
DOVECOT_PID=""
[ "$SKIP_PEERS" = 1 ] || DOVECOT_PID=$(cat "$PEER_ROOT/run/dovecot/master.pid")
P=(); D=(); PC=(); DC=(); PL=(); DL=()
for r in $(seq 1 "$RUNS"); do
  c0=$(tree_cpu "$POCHTA_PID")
  out=$(run_client "$POCHTA_POP3") || die "pochta run failed"
  c1=$(tree_cpu "$POCHTA_PID")
  P+=("$(rate_of "$out")"); PC+=("$(cpu_us_per_msg "$c0" "$c1")"); PL+=("$(client_us_of "$out")")
  line="run $r: pochta $(rate_of "$out") msg/s (${PC[-1]} us CPU/msg; client ${PL[-1]} us/msg)"
  if [ "$SKIP_PEERS" != 1 ]; then
    c0=$(tree_cpu "$DOVECOT_PID")
    out=$(run_client "$PEER_POP3") || die "dovecot run failed"
    sleep 0.5  # let the master reap the pop3 processes
    c1=$(tree_cpu "$DOVECOT_PID")
    D+=("$(rate_of "$out")"); DC+=("$(cpu_us_per_msg "$c0" "$c1")"); DL+=("$(client_us_of "$out")")
    line="$line, dovecot $(rate_of "$out") msg/s (${DC[-1]} us CPU/msg; client ${DL[-1]} us/msg)"
  fi
  echo "$line"
done
pm=$(median "${P[@]}")
echo "median: pochta $pm msg/s, $(median "${PC[@]}") us server CPU per message, $(median "${PL[@]}") us client CPU per message"
if [ "$SKIP_PEERS" != 1 ]; then
  dm=$(median "${D[@]}")
  echo "median: dovecot $dm msg/s, $(median "${DC[@]}") us server CPU per message, $(median "${DL[@]}") us client CPU per message"
  echo "ratio:  $(awk -v a="$pm" -v b="$dm" 'BEGIN{printf "%.2f", a/b}') x messages per second (goal: at least 3 x)"
fi
