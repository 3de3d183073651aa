#!/usr/bin/env bash
# IMAP FETCH benchmark: pochta against Dovecot's IMAP, on the same machine in
# the same invocation, under the same load. Both hold the same MSGS messages
# (about BYTES each, varied headers and MIME structure, APPENDed over IMAP) in
# one user's INBOX; CLIENTS clients then each, at the same moment:
#   1. SELECT INBOX
#   2. FETCH 1:* (FLAGS ENVELOPE BODYSTRUCTURE)
#   3. FETCH 1:* BODY.PEEK[]
# Every client logs in over STARTTLS on the plain IMAP port of both servers
# (pochta refuses LOGIN before TLS; Dovecot gets the same TLS work).
# The clients are threads of a C program compiled here
# (loadclient/imap_load.c, every response verified); CC overrides the
# compiler. The filling stays in Python.
#
#   usage: bench/imap-fetch.sh [RUNS [MSGS [CLIENTS [BYTES]]]]
#
# Env (arguments win over env):
#   RUNS=3 MSGS=5000 CLIENTS=10 BYTES=4096   the load, per run
#   SKIP_PEERS=1          measure pochta only (no root needed then)
#   POCHTA_BIN=PATH       use this binary instead of building one in Release
#   BUILD_DIR=DIR         where to build (default: <repo>/build-bench)
#   PEER_SMTP_PORT / PEER_IMAP_PORT / PEER_POP3_PORT   peer stack ports (default: first free from 3525/3143/3110)
#   KEEP=1                keep the temporary folder for inspection
#
# One untimed warm-up run per server first (Dovecot fills its index cache);
# then each round runs pochta, then Dovecot, so drift hits both alike.
# Printed: per phase, messages per second over all clients (CLIENTS x MSGS /
# wall time from the common start to the last client's tagged OK), the
# server's CPU time per message and the load client's; then medians and the
# ratio.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

RUNS=${1:-${RUNS:-3}}
MSGS=${2:-${MSGS:-5000}}
CLIENTS=${3:-${CLIENTS:-10}}
BYTES=${4:-${BYTES:-4096}}
USER_NAME=alice@example.test   # exists in the peer stack too
PASSWORD=secret

die() { echo "imap-fetch: $*" >&2; exit 1; }
for v in RUNS MSGS CLIENTS BYTES; do is_uint "${!v}" || die "$v must be a positive integer (got '${!v}')"; done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pochta-imapfetch.XXXXXX")
chmod 755 "$WORK"
set_cleanup_traps


# ---------------------------------------------------------------- shared IMAP client code
cat > "$WORK/imapc.py" <<'PY'
"""Minimal IMAP client pieces for filling the servers (STARTTLS + LOGIN,
pipelined APPEND, STATUS)."""
import socket, ssl

CTX = ssl.create_default_context(); CTX.check_hostname = False; CTX.verify_mode = ssl.CERT_NONE

class Conn:
    def __init__(self, port, user, password):
        sock = socket.create_connection(("127.0.0.1", port), timeout=300)
        self.sock, self.buf = sock, bytearray()
        self.line()  # greeting
        self.sock.sendall(b"s1 STARTTLS\r\n")
        self.expect_ok(b"s1")
        self.sock = CTX.wrap_socket(sock)
        self.sock.sendall(b'l1 LOGIN "%s" "%s"\r\n' % (user.encode(), password.encode()))
        self.expect_ok(b"l1")

    def fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise SystemExit("server closed the connection")
        self.buf += chunk

    def line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i]); del self.buf[:i + 2]
                return line
            self.fill()

    def expect_ok(self, tag):
        """Reads responses up to the tagged one; returns the untagged lines
        (literals skipped: fine for the commands used here)."""
        seen = []
        while True:
            line = self.line()
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise SystemExit(f"{tag.decode()} failed: {line[:300]!r}")
                return seen
            seen.append(line)
PY

# The same MSGS messages for both servers: deterministic, varied headers
# (encoded words, several recipients, threads) and structures (plain,
# alternative, with an attachment), each padded to about BYTES.
cat > "$WORK/messages.py" <<'PY'
import base64, random

NAMES = ["Anna Petrova", "Bob Smith", "=?UTF-8?B?0JjQstCw0L0g0JjQstCw0L3QvtCy?=", "Chloé Martin",
         "Dieter Müller", "Eve", "\"O'Brien, Pat\"", "=?ISO-8859-1?Q?Andr=E9_Dupont?="]
WORDS = "meeting report budget draft review release notes lunch invoice travel plan update question".split()
LINE = "The quick brown fox jumps over the lazy dog, again and again. 0123456789\r\n"

def message(n, size):
    r = random.Random(n)
    def addr():
        name = r.choice(NAMES)
        mailbox = f"user{r.randrange(1000)}@{r.choice(['example.test', 'remote.example', 'mail.example.org'])}"
        return f"{name} <{mailbox}>" if r.random() < 0.8 else mailbox
    subject = " ".join(r.choice(WORDS) for _ in range(r.randint(2, 7)))
    if r.random() < 0.3:
        subject = "Re: " + subject
    if r.random() < 0.1:
        subject = "=?UTF-8?Q?" + subject.replace(" ", "_") + "_=E2=9C=93?="
    head = [f"From: {addr()}", "To: " + ", ".join(addr() for _ in range(r.randint(1, 3)))]
    if r.random() < 0.4:
        head.append("Cc: " + ", ".join(addr() for _ in range(r.randint(1, 4))))
    head += [f"Subject: {subject}",
             f"Date: {r.choice(['Mon', 'Tue', 'Wed', 'Thu', 'Fri'])}, {r.randint(1, 28)} Nov 2026 "
             f"{r.randrange(24):02d}:{r.randrange(60):02d}:{r.randrange(60):02d} +0{r.randrange(5)}00",
             f"Message-ID: <bench.{n}.{r.randrange(10**9)}@example.test>"]
    if r.random() < 0.3:
        head.append(f"In-Reply-To: <bench.{r.randrange(max(1, n))}@example.test>")
    head.append(f"X-Mailer: bench-mailer {r.randrange(10)}.{r.randrange(10)}")
    kind = r.random()
    def text(k):
        return (LINE * (k // len(LINE) + 1))[:k]
    if kind < 0.6:
        head += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
        parts = None
    elif kind < 0.85:
        head += ["MIME-Version: 1.0", f'Content-Type: multipart/alternative; boundary="b{n}"']
        parts = [("text/plain; charset=utf-8", "7bit", 0.5), ("text/html; charset=utf-8", "7bit", 0.5)]
    else:
        head += ["MIME-Version: 1.0", f'Content-Type: multipart/mixed; boundary="b{n}"']
        parts = [("text/plain; charset=us-ascii", "7bit", 0.4), ("application/pdf; name=\"r.pdf\"", "base64", 0.6)]
    header = "\r\n".join(head) + "\r\n\r\n"
    room = max(200, size - len(header.encode()))
    if parts is None:
        body = text(room - 2) + "\r\n"
    else:
        body = ""
        for ctype, cte, share in parts:
            k = int(room * share) - 120
            if cte == "base64":
                raw = bytes(r.randrange(256) for _ in range(max(1, k * 3 // 4 - 20)))
                content = "\r\n".join(base64.b64encode(raw).decode()[i:i + 76] for i in range(0, len(base64.b64encode(raw)), 76))
            elif ctype.startswith("text/html"):
                content = "<html><body><p>" + text(max(1, k - 40)).replace("\r\n", "</p><p>") + "</p></body></html>"
            else:
                content = text(max(1, k))
            body += f"--b{n}\r\nContent-Type: {ctype}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n{content}\r\n"
        body += f"--b{n}--\r\n"
    return (header + body).encode()
PY

# Fills a server's INBOX over IMAP APPEND: CLIENTS connections in parallel,
# LITERAL+ and 20 APPENDs in flight each.
cat > "$WORK/fill.py" <<'PY'
import sys, threading
sys.path.insert(0, sys.argv[1])
from imapc import Conn
from messages import message
port, msgs, size, conns, user, password = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7]
errors = []
def fill(k):
    try:
        c = Conn(port, user, password)
        mine = list(range(k, msgs, conns))
        for start in range(0, len(mine), 20):
            batch = mine[start:start + 20]
            out = b""
            for n in batch:
                data = message(n, size)
                out += b"a%d APPEND INBOX {%d+}\r\n" % (n, len(data)) + data + b"\r\n"
            c.sock.sendall(out)
            for n in batch:
                c.expect_ok(b"a%d" % n)
    except BaseException as e:
        errors.append(e)
threads = [threading.Thread(target=fill, args=(k,)) for k in range(conns)]
for t in threads: t.start()
for t in threads: t.join()
if errors:
    sys.exit(f"fill failed: {errors[0]!r}")
c = Conn(port, user, password)
c.sock.sendall(b"x1 STATUS INBOX (MESSAGES)\r\n")
lines = c.expect_ok(b"x1")
got = [l for l in lines if b"MESSAGES" in l]
if not got or b"MESSAGES %d)" % msgs not in got[0]:
    sys.exit(f"INBOX does not hold {msgs} messages: {got!r}")
PY

# The timed load is a small C program (loadclient/imap_load.c): one thread
# per client, all logged in over STARTTLS first; a barrier starts each phase
# for all clients at once. It checks every response (MSGS '* n FETCH' per
# client and phase, literals skipped by their counts, tagged OK) and prints
# "select_s meta_s full_s meta_cpu full_cpu meta_client_cpu full_client_cpu tls":
# wall seconds from the common start of a phase to the last client's tagged
# OK, the CPU seconds the server's process tree used in each FETCH phase
# (user + system of every thread and process; Dovecot's imap processes live
# through all phases, so none is reaped in between), and the load client's
# own CPU seconds in each FETCH phase. Compiled here (compile_loadclient
# imap_load).

fill() {  # server-name port
  echo "filling $1: $MSGS messages over IMAP APPEND"
  local t0=$SECONDS
  "$PYTHON" "$WORK/fill.py" "$WORK" "$2" "$MSGS" "$BYTES" "$CLIENTS" "$USER_NAME" "$PASSWORD" || die "filling $1 failed"
  echo "  took $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------- pochta
start_pochta() {
  local dir=$WORK/pochta
  make_cert "$dir/tls"
  write_pochta_config "$dir" tls imap "[limits]
max_message_size = 10000000"
  echo "$USER_NAME:{PLAIN}$PASSWORD" > "$dir/users"; chmod 600 "$dir/users"
  start_pochta_serve "$dir"
  pochta_port POCHTA_IMAP "$dir" imap
  fill pochta "$POCHTA_IMAP"
}

# ---------------------------------------------------------------- Dovecot
start_peers() {
  start_peer_stack
  PEER_IMAP=$IMAP_PORT
  fill Dovecot "$PEER_IMAP"
}

# ---------------------------------------------------------------- runs
run_client() {  # port server_pid -> "select_s meta_s full_s meta_cpu full_cpu meta_client_cpu full_client_cpu tls"
  "$WORK/imap_load" "$1" "$USER_NAME" "$PASSWORD" "$CLIENTS" "$MSGS" "$BYTES" "$2"
}
# -> "select_ms meta_rate full_rate meta_cpu_us full_cpu_us meta_client_us full_client_us" (CPU per message fetched)
rates_of() {
  awk -v n=$((CLIENTS * MSGS)) '{printf "%.0f %.0f %.0f %.1f %.1f %.1f %.1f", $1*1000, n/$2, n/$3, $4*1e6/n, $5*1e6/n, $6*1e6/n, $7*1e6/n}' <<<"$1"
}

build_pochta
compile_loadclient imap_load
echo "date:    $(date -u +%Y-%m-%dT%H:%MZ)"
echo "cpu:     $(nproc) x $(lscpu | sed -n 's/^Model name: *//p' | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "pochta:  $("$POCHTA" version | head -1)"
echo "load:    $CLIENTS clients x SELECT + 2 FETCH 1:* of $MSGS messages of ~$BYTES bytes, STARTTLS, $RUNS runs"
start_pochta
[ "$SKIP_PEERS" = 1 ] || { start_peers; echo "dovecot: $(dovecot --version 2>/dev/null)"; }

DOVECOT_PID=""
[ "$SKIP_PEERS" = 1 ] || DOVECOT_PID=$(cat "$PEER_ROOT/run/dovecot/master.pid")
echo "warm-up run (untimed)"
out=$(run_client "$POCHTA_IMAP" "$POCHTA_PID") || die "pochta run failed"
echo "  pochta TLS: ${out##* }"
if [ "$SKIP_PEERS" != 1 ]; then
  out=$(run_client "$PEER_IMAP" "$DOVECOT_PID") || die "dovecot run failed"
  echo "  dovecot TLS: ${out##* }"
fi

PS=(); PM=(); PF=(); PMC=(); PFC=(); PML=(); PFL=(); DS=(); DM=(); DF=(); DMC=(); DFC=(); DML=(); DFL=()
for r in $(seq 1 "$RUNS"); do
  out=$(run_client "$POCHTA_IMAP" "$POCHTA_PID") || die "pochta run failed"
  read -r s m f mc fc ml fl <<<"$(rates_of "$out")"
  PS+=("$s"); PM+=("$m"); PF+=("$f"); PMC+=("$mc"); PFC+=("$fc"); PML+=("$ml"); PFL+=("$fl")
  line="run $r: pochta SELECT ${s} ms, meta $m msg/s (${mc} us CPU/msg; client $ml), full $f msg/s (${fc} us CPU/msg; client $fl)"
  if [ "$SKIP_PEERS" != 1 ]; then
    out=$(run_client "$PEER_IMAP" "$DOVECOT_PID") || die "dovecot run failed"
    read -r s m f mc fc ml fl <<<"$(rates_of "$out")"
    DS+=("$s"); DM+=("$m"); DF+=("$f"); DMC+=("$mc"); DFC+=("$fc"); DML+=("$ml"); DFL+=("$fl")
    line="$line | dovecot SELECT ${s} ms, meta $m msg/s (${mc} us CPU/msg; client $ml), full $f msg/s (${fc} us CPU/msg; client $fl)"
  fi
  echo "$line"
done

ratio() { awk -v a="$1" -v b="$2" -v inv="${3:-0}" 'BEGIN{ if (inv) printf "%.2fx", b/a; else printf "%.2fx", a/b }'; }
echo
echo "medians of $RUNS runs ($CLIENTS clients x $MSGS messages; CPU = CPU time per message fetched):"
if [ "$SKIP_PEERS" = 1 ]; then
  printf '| %-45s | %12s |\n' phase pochta
  printf '| %-45s | %12s |\n' "SELECT INBOX (ms, lower is better)" "$(median "${PS[@]}")"
  printf '| %-45s | %12s |\n' "FETCH 1:* (FLAGS ENVELOPE BODYSTRUCTURE) msg/s" "$(median "${PM[@]}")"
  printf '| %-45s | %12s |\n' "  server CPU per message (us)" "$(median "${PMC[@]}")"
  printf '| %-45s | %12s |\n' "  load client CPU per message (us)" "$(median "${PML[@]}")"
  printf '| %-45s | %12s |\n' "FETCH 1:* BODY.PEEK[] msg/s" "$(median "${PF[@]}")"
  printf '| %-45s | %12s |\n' "  server CPU per message (us)" "$(median "${PFC[@]}")"
  printf '| %-45s | %12s |\n' "  load client CPU per message (us)" "$(median "${PFL[@]}")"
else
  printf '| %-45s | %12s | %12s | %7s |\n' phase pochta Dovecot ratio
  row() {  # label pochta dovecot [1 = lower is better | - = no ratio]
    local r=-
    [ "${4:-0}" = - ] || r=$(ratio "$2" "$3" "${4:-0}")
    printf '| %-45s | %12s | %12s | %7s |\n' "$1" "$2" "$3" "$r"
  }
  row "SELECT INBOX (ms, lower is better)" "$(median "${PS[@]}")" "$(median "${DS[@]}")" 1
  row "FETCH 1:* (FLAGS ENVELOPE BODYSTRUCTURE) msg/s" "$(median "${PM[@]}")" "$(median "${DM[@]}")"
  row "  server CPU per message (us, lower is better)" "$(median "${PMC[@]}")" "$(median "${DMC[@]}")" 1
  row "  load client CPU per message (us)" "$(median "${PML[@]}")" "$(median "${DML[@]}")" -
  row "FETCH 1:* BODY.PEEK[] msg/s" "$(median "${PF[@]}")" "$(median "${DF[@]}")"
  row "  server CPU per message (us, lower is better)" "$(median "${PFC[@]}")" "$(median "${DFC[@]}")" 1
  row "  load client CPU per message (us)" "$(median "${PFL[@]}")" "$(median "${DFL[@]}")" -
  echo "ratio = pochta / Dovecot for rates, Dovecot / pochta for times (goal: at least 3x)"
fi
