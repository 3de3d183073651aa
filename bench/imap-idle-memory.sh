#!/usr/bin/env bash
# IMAP idle memory: how much memory the server needs per logged-in
# connection that sits in IDLE, pochta against Dovecot, in one invocation.
#
#   usage: bench/imap-idle-memory.sh [POCHTA_CONNS [DOVECOT_CONNS]]
#
# Env (arguments win over env):
#   POCHTA_CONNS=5000     connections to pochta (one process, one event loop)
#   DOVECOT_CONNS=500     connections to Dovecot (one imap process per connection)
#   DOVECOT_TLS=both      none | starttls | both: how Dovecot's clients log in
#                         (pochta refuses LOGIN before TLS, so its clients
#                         always use TLS, on the imaps listener)
#   HOLD=5                seconds all connections idle before the sample
#   SEED=10               messages in the INBOX every connection SELECTs
#   BREAKDOWN=1           also measure pochta with connections stopped earlier
#                         (after the greeting on the plain port, after the TLS
#                         handshake, after LOGIN), each on a fresh server, to
#                         see what each step of a connection costs
#   SKIP_PEERS=1          measure pochta only (no root needed then)
#   COMPRESS=1            also measure connections that sent COMPRESS DEFLATE
#                         (RFC 4978) after LOGIN, on pochta and on Dovecot when
#                         its IMAP advertises COMPRESS=DEFLATE (imap_zlib plugin)
#   POCHTA_BIN=PATH       use this binary instead of building one in Release
#   BUILD_DIR=DIR         where to build (default: <repo>/build-bench)
#   PEER_SMTP_PORT / PEER_IMAP_PORT / PEER_POP3_PORT   peer stack ports (default: first free from 3525/3143/3110)
#   KEEP=1                keep the temporary folder for inspection
#
# Method (the one of ../shared/peers/idle-mem.py, with TLS added): sample
# RSS (/proc/PID/status VmRSS) and PSS (/proc/PID/smaps_rollup Pss) of the
# server's whole process tree with 0 connections, open N connections that
# each LOGIN, SELECT INBOX (10 messages) and IDLE, wait HOLD seconds, sample
# again, close them all, sample a third time. Per connection:
# (tree at N - tree at 0) / N. For Dovecot the sum over its per-connection
# `imap` processes divided by N is printed too (idle-mem.py's figure).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

POCHTA_CONNS=${1:-${POCHTA_CONNS:-5000}}
DOVECOT_CONNS=${2:-${DOVECOT_CONNS:-500}}
DOVECOT_TLS=${DOVECOT_TLS:-both}
HOLD=${HOLD:-5}
SEED=${SEED:-10}
USER_NAME=alice@example.test
PASSWORD=secret

die() { echo "imap-idle-memory: $*" >&2; exit 1; }
for v in POCHTA_CONNS DOVECOT_CONNS HOLD SEED; do is_uint "${!v}" || die "$v must be a positive integer (got '${!v}')"; done
case $DOVECOT_TLS in none|starttls|both) ;; *) die "DOVECOT_TLS must be none, starttls or both";; esac

# Each connection is one descriptor in the client and one in the server.
need=$(( (POCHTA_CONNS > DOVECOT_CONNS ? POCHTA_CONNS : DOVECOT_CONNS) + 200 ))
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" -ge "$need" ] || die "ulimit -n is $(ulimit -n), $need needed (raise the hard limit)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pochta-imapidle.XXXXXX")
chmod 755 "$WORK"
set_cleanup_traps


# ---------------------------------------------------------------- the client
# asyncio, one process; prints "RESULT opened rss0 pss0 rssN pssN group_procs
# group_rss group_pss rss_closed pss_closed" (KiB) after a readable report.
cat > "$WORK/idle.py" <<'PY'
import argparse, asyncio, collections, os, resource, ssl, sys, time, zlib

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int); ap.add_argument("user"); ap.add_argument("password")
ap.add_argument("count", type=int); ap.add_argument("--server-pid", type=int, required=True)
ap.add_argument("--tls", choices=["none", "starttls", "imaps"], default="none")
ap.add_argument("--name", default="imap"); ap.add_argument("--hold", type=float, default=5.0)
ap.add_argument("--batch", type=int, default=100); ap.add_argument("--max-seconds", type=float, default=600)
ap.add_argument("--stage", choices=["greeting", "login", "idle"], default="idle",
                help="how far each connection goes before the sample")
ap.add_argument("--rounds", type=int, default=1, help="open and close N connections this many times")
ap.add_argument("--compress", action="store_true", help="COMPRESS DEFLATE after LOGIN (RFC 4978)")
a = ap.parse_args()
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, a.count + 100)), hard))
CTX = ssl.create_default_context(); CTX.check_hostname = False; CTX.verify_mode = ssl.CERT_NONE

def proc_tree(root):
    children = collections.defaultdict(list)
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    st = f.read()
                children[int(st[st.rfind(")") + 2:].split()[1])].append(int(p))
            except (OSError, ValueError, IndexError):
                pass
    out, todo = [], [root]
    while todo:
        p = todo.pop(); out.append(p); todo.extend(children.get(p, []))
    return out

def kb(path, key):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

def sample():
    """{process name: [procs, rss KiB, pss KiB]} over the server's tree."""
    groups = collections.defaultdict(lambda: [0, 0, 0])
    for p in proc_tree(a.server_pid):
        try:
            with open(f"/proc/{p}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        g = groups[name]
        g[0] += 1; g[1] += kb(f"/proc/{p}/status", "VmRSS:"); g[2] += kb(f"/proc/{p}/smaps_rollup", "Pss:")
    return groups

def total(groups):
    return [sum(g[i] for g in groups.values()) for i in range(3)]

def report(label, groups):
    t = total(groups)
    print(f"  {label}: {t[0]} procs, RSS {t[1] / 1024:.1f} MiB, PSS {t[2] / 1024:.1f} MiB", flush=True)
    for name, g in sorted(groups.items(), key=lambda kv: -kv[1][2])[:6]:
        print(f"     {name:<16} procs={g[0]:<5} RSS={g[1] / 1024:8.1f} MiB  PSS={g[2] / 1024:8.1f} MiB")
    return t

async def until(reader, prefix):
    while True:
        line = await asyncio.wait_for(reader.readline(), 60)
        if not line:
            raise ConnectionError("connection closed")
        if line.startswith(prefix):
            return line

def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

async def open_idle(sem, conns):
    async with sem:
        r, w = await asyncio.wait_for(asyncio.open_connection(
            "127.0.0.1", a.port, ssl=CTX if a.tls == "imaps" else None), 60)
        conns.append(w)
        await until(r, b"* OK")
        if a.stage == "greeting":
            return
        if a.tls == "starttls":
            w.write(b"s1 STARTTLS\r\n")
            if not (await until(r, b"s1 ")).startswith(b"s1 OK"):
                raise RuntimeError("STARTTLS refused")
            await w.start_tls(CTX)
        w.write(f"a1 LOGIN {q(a.user)} {q(a.password)}\r\n".encode())
        line = await until(r, b"a1 ")
        if not line.startswith(b"a1 OK"):
            raise RuntimeError(f"login failed: {line!r}")
        if a.stage == "login":
            return
        send, lines = w.write, (lambda prefix: until(r, prefix))
        if a.compress:
            w.write(b"z1 COMPRESS DEFLATE\r\n")
            line = await until(r, b"z1 ")
            if not line.startswith(b"z1 OK"):
                raise RuntimeError(f"COMPRESS refused: {line!r}")
            send, lines = deflated(r, w)
        send(b"a2 SELECT INBOX\r\n")
        line = await lines(b"a2 ")
        if not line.startswith(b"a2 OK"):
            raise RuntimeError(f"select failed: {line!r}")
        send(b"a3 IDLE\r\n")
        await lines(b"+")

SENDERS = {}  # writer -> how to send on it (compressed after COMPRESS)

def deflated(r, w):
    """send(bytes) and lines(prefix) over raw deflate, both ways."""
    out, inflater, buf = zlib.compressobj(6, zlib.DEFLATED, -15), zlib.decompressobj(-15), [b""]
    def send(data):
        w.write(out.compress(data) + out.flush(zlib.Z_SYNC_FLUSH))
    async def lines(prefix):
        while True:
            while b"\n" in buf[0]:
                line, buf[0] = buf[0].split(b"\n", 1)
                if line.startswith(prefix):
                    return line
            chunk = await asyncio.wait_for(r.read(65536), 60)
            if not chunk:
                raise ConnectionError("connection closed")
            buf[0] += inflater.decompress(chunk)
    SENDERS[w] = send
    return send, lines

async def one_round(b):
    conns = []
    t0 = time.monotonic()
    sem = asyncio.Semaphore(a.batch)
    results = await asyncio.wait_for(asyncio.gather(*(open_idle(sem, conns) for _ in range(a.count)),
                                                    return_exceptions=True), a.max_seconds)
    errs = [e for e in results if isinstance(e, BaseException)]
    opened = a.count - len(errs)
    print(f"  opened {opened}/{a.count} connections ({a.stage}) in {time.monotonic() - t0:.1f}s"
          + (f" ({len(errs)} errors, first: {errs[0]!r})" if errs else ""), flush=True)
    await asyncio.sleep(a.hold)
    g = sample()
    n = report(f"server with {opened} connections", g)
    grp = g.get(a.name, [0, 0, 0])
    for w in conns:
        try:
            SENDERS.get(w, w.write)(b"DONE\r\na4 LOGOUT\r\n" if a.stage == "idle" else b"a4 LOGOUT\r\n")
        except Exception:
            pass
    await asyncio.sleep(1)
    for w in conns:
        w.close()
    await asyncio.sleep(3)
    c = report("server after closing them", sample())
    print("RESULT", opened, b[1], b[2], n[1], n[2], grp[0], grp[1], grp[2], c[1], c[2], flush=True)
    return errs, c

async def main():
    b = report("server with 0 connections", sample())
    for _ in range(a.rounds):
        errs, closed = await one_round(b)
        if errs:
            sys.exit(1)
        b = closed  # the next round starts from what the last one left

asyncio.run(main())
PY

# ---------------------------------------------------------------- pochta
start_pochta() {
  local dir=$WORK/pochta
  rm -rf "$dir"
  make_cert "$dir/tls"
  write_pochta_config "$dir" tls "imap imaps" "[limits]
max_connections        = $((POCHTA_CONNS * 2 + 100))
max_connections_per_ip = $((POCHTA_CONNS * 2 + 100))
max_connections_per_user_ip = $((POCHTA_CONNS * 2 + 100))"
  echo "$USER_NAME:{PLAIN}$PASSWORD" > "$dir/users"; chmod 600 "$dir/users"
  start_pochta_serve "$dir"
  pochta_port POCHTA_IMAPS "$dir" imaps
  pochta_port POCHTA_IMAP "$dir" imap
}

# SEED small messages in INBOX, so SELECT has something to load.
seed() {  # port tls
  "$PYTHON" - "$1" "$2" "$USER_NAME" "$PASSWORD" "$SEED" <<'PY'
import imaplib, socket, ssl, sys
port, tls, user, password, count = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ctx) if tls == "imaps" else imaplib.IMAP4("127.0.0.1", port)
if tls == "starttls":
    m.starttls(ctx)
# imaplib writes a literal and its closing CRLF apart: without NODELAY each
# APPEND waits for the server's delayed ACK (40 ms).
m.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
m.login(user, password)
for n in range(count):
    m.append("INBOX", None, None, f"From: <a@remote.example>\r\nSubject: idle seed {n}\r\n\r\nhello\r\n".encode())
m.logout()
PY
}

# ---------------------------------------------------------------- Dovecot
start_peers() {
  start_peer_stack
  PEER_IMAP=$IMAP_PORT
}

measure() {  # label port count tls pid [idle.py options] -> prints the report, sets RESULTS (one line per round)
  local label=$1 port=$2 count=$3 tls=$4 pid=$5; shift 5
  echo "$label: $count connections ($tls $*)"
  local out
  out=$("$PYTHON" "$WORK/idle.py" "$port" "$USER_NAME" "$PASSWORD" "$count" --server-pid "$pid" --tls "$tls" --hold "$HOLD" "$@") ||
    { echo "$out"; die "$label: the client failed"; }
  echo "$out" | grep -v '^RESULT'
  RESULTS=$(echo "$out" | sed -n 's/^RESULT //p')
  LAST_RESULT=$(echo "$RESULTS" | head -1)
}
stop_pochta() {
  kill -TERM "$POCHTA_PID"; wait "$POCHTA_PID" 2>/dev/null || true; POCHTA_PID=""
}
per_conn() {  # RESULT fields -> "rss_per_conn pss_per_conn group_rss_per_conn group_pss_per_conn rss_N pss_N rss_0 pss_0 rss_closed pss_closed" KiB / MiB
  awk '{n=$1; printf "%.1f %.1f %.1f %.1f %.1f %.1f %.1f %.1f %.1f %.1f", ($4-$2)/n, ($5-$3)/n, $7/n, $8/n, $4/1024, $5/1024, $2/1024, $3/1024, $9/1024, $10/1024}' <<<"$1"
}

build_pochta
echo "date:    $(date -u +%Y-%m-%dT%H:%MZ)"
echo "load:    pochta $POCHTA_CONNS, Dovecot $DOVECOT_CONNS connections; INBOX of $SEED messages"
echo "cpu:     $(nproc) x $(lscpu | sed -n 's/^Model name: *//p' | head -1), load $(cut -d' ' -f1-3 /proc/loadavg), ulimit -n $(ulimit -n)"
echo "pochta:  $("$POCHTA" version | head -1)"
start_pochta
seed "$POCHTA_IMAPS" imaps || die "seeding pochta failed"
sleep 1
# Two rounds on one server: the second shows whether memory freed by the
# first is reused (allocator retention) or lost (a leak would add again).
measure pochta "$POCHTA_IMAPS" "$POCHTA_CONNS" imaps "$POCHTA_PID" --rounds 2
P=$(per_conn "$LAST_RESULT")
P2=$(per_conn "$(echo "$RESULTS" | sed -n 2p)")
stop_pochta

ROWS=()
row() {  # label conns per_conn-fields
  local label=$1 conns=$2; shift 2
  read -r rpc ppc _ _ rssn pssn rss0 pss0 _ pssc <<<"$*"
  ROWS+=("$(printf '| %-26s | %6s | %9s | %9s | %9s | %9s | %10s | %10s | %11s |' \
    "$label" "$conns" "$rss0" "$rssn" "$pss0" "$pssn" "$rpc" "$ppc" "$pssc")")
}
row "pochta (imaps)" "$POCHTA_CONNS" "$P"
row "pochta, 2nd round" "$POCHTA_CONNS" "$P2"

if [ "${COMPRESS:-0}" = 1 ]; then
  start_pochta
  seed "$POCHTA_IMAPS" imaps || die "seeding pochta failed"
  sleep 1
  measure "pochta, COMPRESS" "$POCHTA_IMAPS" "$POCHTA_CONNS" imaps "$POCHTA_PID" --compress
  row "pochta (imaps, COMPRESS)" "$POCHTA_CONNS" "$(per_conn "$LAST_RESULT")"
  stop_pochta
fi

if [ "${BREAKDOWN:-0}" = 1 ]; then
  for stage in "greeting none" "greeting imaps" "login imaps"; do
    read -r st tls <<<"$stage"
    start_pochta
    if [ "$st" = login ]; then seed "$POCHTA_IMAPS" imaps || die "seeding pochta failed"; fi
    sleep 1
    port=$POCHTA_IMAPS; [ "$tls" = none ] && port=$POCHTA_IMAP
    measure "pochta, stop after $st" "$port" "$POCHTA_CONNS" "$tls" "$POCHTA_PID" --stage "$st"
    row "pochta, after $st ($tls)" "$POCHTA_CONNS" "$(per_conn "$LAST_RESULT")"
    stop_pochta
  done
fi

if [ "$SKIP_PEERS" != 1 ]; then
  start_peers
  echo "dovecot: $(dovecot --version 2>/dev/null)"
  DOVECOT_PID=$(cat "$PEER_ROOT/run/dovecot/master.pid")
  seed "$PEER_IMAP" none || die "seeding Dovecot failed"
  sleep 1
  for mode in none starttls; do
    [ "$DOVECOT_TLS" = both ] || [ "$DOVECOT_TLS" = "$mode" ] || continue
    measure "dovecot" "$PEER_IMAP" "$DOVECOT_CONNS" "$mode" "$DOVECOT_PID"
    D=$(per_conn "$LAST_RESULT")
    row "Dovecot ($mode)" "$DOVECOT_CONNS" "$D"
    read -r _ _ grpc gppc _ <<<"$D"
    echo "  Dovecot's imap processes alone: $grpc KiB RSS, $gppc KiB PSS per connection"
    sleep 2
  done
  if [ "${COMPRESS:-0}" = 1 ]; then
    if printf 'a LOGIN %s %s\r\nb CAPABILITY\r\nc LOGOUT\r\n' "$USER_NAME" "$PASSWORD" |
        timeout 5 nc 127.0.0.1 "$PEER_IMAP" 2>/dev/null | grep -q 'COMPRESS=DEFLATE'; then
      measure "dovecot, COMPRESS" "$PEER_IMAP" "$DOVECOT_CONNS" none "$DOVECOT_PID" --compress
      row "Dovecot (none, COMPRESS)" "$DOVECOT_CONNS" "$(per_conn "$LAST_RESULT")"
    else
      echo "  Dovecot does not advertise COMPRESS=DEFLATE (mail_plugins imap_zlib): no COMPRESS row"
    fi
  fi
fi

echo
echo "| server (login)             |  conns | RSS 0 MiB | RSS N MiB | PSS 0 MiB | PSS N MiB | RSS/conn KiB | PSS/conn KiB | PSS closed MiB |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${ROWS[@]}"
echo "per connection = (at N - at 0) / N over the server's whole process tree; goal for pochta: PSS under 25 KiB"
