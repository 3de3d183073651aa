#!/usr/bin/env bash
# IMAP SEARCH benchmark (README "Full-text search"): pochta with its
# full-text index, Dovecot without FTS (its default: every SEARCH BODY reads
# every message) and Dovecot with dovecot-fts-xapian (Debian's package,
# installed here when missing), on the same machine in one invocation, over
# the same MSGS-message INBOX of one user. Timed, each RUNS times (median):
#   SEARCH TEXT <word>       a word about one message in ten holds
#   SEARCH BODY <word>
#   SEARCH TEXT <substring>  the inside of a word only RARE messages hold
#   SEARCH BODY <substring>
# Every answer is checked: the same message count on the three servers, the
# count the generator expects.
#
#   usage: bench/imap-search.sh [RUNS [MSGS]]
#
# Env (arguments win): RUNS=3 MSGS=50000; BYTES=2500 (message size, about);
#   POCHTA_BIN, BUILD_DIR, SKIP_PEERS=1, KEEP=1 as in the other benches.
#
# Filling: pochta and the first Dovecot over IMAP APPEND (10 connections,
# pipelined); the Xapian Dovecot gets a copy of the first one's Maildir and
# `doveadm index` builds its index (timed, printed). pochta's indexer runs
# beside the APPENDs; the timed searches start once `data_dir/fts/
# indexed_up_to` reached the last message (the wait is printed too).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

RUNS=${1:-${RUNS:-3}}
MSGS=${2:-${MSGS:-50000}}
BYTES=${BYTES:-2500}
RARE=${RARE:-5}   # messages holding the rare word
USER_NAME=alice@example.test
PASSWORD=secret

die() { echo "imap-search: $*" >&2; exit 1; }
for v in RUNS MSGS BYTES RARE; do is_uint "${!v}" || die "$v must be a positive integer (got '${!v}')"; done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pochta-imapsearch.XXXXXX")
chmod 755 "$WORK"
FTS_ROOT=""
stop_own() { if [ -n "$FTS_ROOT" ]; then "$PEERS/stop.sh" "$FTS_ROOT" >/dev/null 2>&1 || true; fi; }
set_cleanup_traps

# ---------------------------------------------------------------- the client
cat > "$WORK/search.py" <<'PY'
"""fill PORT MSGS BYTES RARE | time PORT RUNS: the corpus over APPEND, or
the timed searches (one line per query: name, hits, seconds of each run)."""
import random, socket, ssl, sys, threading, time

USER, PASSWORD = "alice@example.test", "secret"
CTX = ssl.create_default_context(); CTX.check_hostname = False; CTX.verify_mode = ssl.CERT_NONE
WORDS = ("meeting report budget draft review release notes lunch invoice travel plan update question "
         "Bericht Besprechung Rechnung Übersicht Größe отчёт встреча бюджет счёт поездка "
         "αναφορά συνάντηση προϋπολογισμός ταξίδι").split()
COMMON = "quarterly"        # in one message of ten
RARE = "Zerfluxumbrator"    # in RARE messages; searched as its inside
QUERIES = [("TEXT word", f"TEXT {COMMON}"), ("BODY word", f"BODY {COMMON}"),
           ("TEXT rare substring", "TEXT fluxumbr"), ("BODY rare substring", "BODY fluxumbr")]

class Conn:
    def __init__(self, port):
        sock = socket.create_connection(("127.0.0.1", port), timeout=900)
        self.sock, self.buf = sock, bytearray()
        self.line()
        self.sock.sendall(b"s STARTTLS\r\n"); self.until(b"s")
        self.sock = CTX.wrap_socket(sock)
        self.sock.sendall(f'l LOGIN "{USER}" "{PASSWORD}"\r\n'.encode()); self.until(b"l")

    def line(self):
        while (i := self.buf.find(b"\r\n")) < 0:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                sys.exit("server closed the connection")
            self.buf += chunk
        line = bytes(self.buf[:i]); del self.buf[:i + 2]
        return line

    def until(self, tag):
        seen = []
        while not (line := self.line()).startswith(tag + b" "):
            seen.append(line)
        if not line.startswith(tag + b" OK"):
            sys.exit(f"{tag.decode()} failed: {line[:200]!r}")
        return seen

def message(n, size, rare_every):
    r = random.Random(n)
    words = [r.choice(WORDS) for _ in range(size // 8)]
    if n % 10 == 3:
        words.insert(r.randrange(len(words)), COMMON)
    if n % rare_every == 7:
        words.insert(r.randrange(len(words)), RARE)
    body = "\r\n".join(" ".join(words[i:i + 10]) for i in range(0, len(words), 10))
    head = (f"From: Sender {n % 97} <s{n % 97}@remote.example>\r\nTo: {USER}\r\n"
            f"Subject: {' '.join(r.choice(WORDS) for _ in range(4))}\r\n"
            f"Message-ID: <search.{n}@remote.example>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
    return (head + body + "\r\n").encode()

def fill(port, msgs, size, rare):
    rare_every = max(1, msgs // rare)
    errors = []
    def worker(k, conns):
        try:
            c = Conn(port)
            mine = list(range(k, msgs, conns))
            for start in range(0, len(mine), 20):
                out = b""
                for n in mine[start:start + 20]:
                    data = message(n, size, rare_every)
                    out += b"a%d APPEND INBOX {%d+}\r\n" % (n, len(data)) + data + b"\r\n"
                c.sock.sendall(out)
                for n in mine[start:start + 20]:
                    c.until(b"a%d" % n)
        except BaseException as e:
            errors.append(e)
    threads = [threading.Thread(target=worker, args=(k, 10)) for k in range(10)]
    for t in threads: t.start()
    for t in threads: t.join()
    if errors:
        sys.exit(f"fill failed: {errors[0]!r}")

def timed(port, runs):
    c = Conn(port)
    c.sock.sendall(b"x SELECT INBOX\r\n"); c.until(b"x")
    for name, query in QUERIES:
        times, hits = [], None
        for _ in range(runs):
            t0 = time.monotonic()
            c.sock.sendall(f"q UID SEARCH {query}\r\n".encode())
            lines = c.until(b"q")
            times.append(time.monotonic() - t0)
            found = [l for l in lines if l.startswith(b"* SEARCH")]
            hits = len(found[0].split()) - 2 if found else 0
        print(name.replace(" ", "_"), hits, " ".join(f"{t:.4f}" for t in times))

if sys.argv[1] == "fill":
    fill(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
else:
    timed(int(sys.argv[2]), int(sys.argv[3]))
PY

fill() {  # name port
  echo "filling $1: $MSGS messages over IMAP APPEND"
  local t0=$SECONDS
  run_bg "$PYTHON" "$WORK/search.py" fill "$2" "$MSGS" "$BYTES" "$RARE" || die "filling $1 failed"
  echo "  took $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------- pochta
start_pochta() {
  local dir=$WORK/pochta
  make_cert "$dir/tls"
  write_pochta_config "$dir" tls imap
  echo "$USER_NAME:{PLAIN}$PASSWORD" > "$dir/users"; chmod 600 "$dir/users"
  start_pochta_serve "$dir"
  pochta_port POCHTA_IMAP "$dir" imap
  fill pochta "$POCHTA_IMAP"
  local t0=$SECONDS last
  last=$("$PYTHON" -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select max(id) from messages').fetchone()[0])" "$dir/data/index.db")
  until [ "$(cat "$dir/data/fts/indexed_up_to" 2>/dev/null || echo 0)" -ge "$last" ]; do
    [ $((SECONDS - t0)) -lt 1800 ] || die "pochta's indexer did not catch up in 30 minutes"
    sleep 1
  done
  echo "  the indexer caught up $((SECONDS - t0)) s after the last APPEND; index $(du -sh "$dir/data/fts" | cut -f1), index.db $(du -sh "$dir/data/index.db" | cut -f1)"
}

# ---------------------------------------------------------------- Dovecot, plain and with Xapian
start_dovecots() {
  start_peer_stack
  PLAIN_IMAP=$IMAP_PORT
  fill "Dovecot (no FTS)" "$PLAIN_IMAP"
  dpkg-query -W -f='${Status}' dovecot-fts-xapian 2>/dev/null | grep -q "install ok installed" ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q dovecot-fts-xapian >"$WORK/xapian-install.log" 2>&1 ||
    die "apt-get install dovecot-fts-xapian failed (log: $WORK/xapian-install.log)"
  # A second stack: the same configuration plus the Xapian plugin.
  cp -r "$PEERS" "$WORK/peers-fts"
  cat >> "$WORK/peers-fts/conf/dovecot.conf.in" <<'CONF'

# --- full-text search: dovecot-fts-xapian (added by bench/imap-search.sh) ---
mail_plugins = $mail_plugins fts fts_xapian
plugin {
  fts = xapian
  fts_xapian = partial=3 full=20
  fts_autoindex = yes
  fts_enforced = yes
}
CONF
  FTS_ROOT=$WORK/peer-fts
  FTS_IMAP=$(free_port 3144)
  SMTP_PORT=$(free_port 3526) IMAP_PORT=$FTS_IMAP POP3_PORT=$(free_port 3111) \
    "$WORK/peers-fts/start.sh" "$FTS_ROOT" > "$WORK/peer-fts-start.log" 2>&1 ||
    { cat "$WORK/peer-fts-start.log" >&2; die "the Xapian peer did not start"; }
  # The same messages: a copy of the plain Dovecot's Maildir, then its index.
  local from=$PEER_ROOT/mail/example.test/alice to=$FTS_ROOT/mail/example.test
  mkdir -p "$to"; cp -a "$from" "$to/"; chown -R vmail:vmail "$to"
  local t0=$SECONDS
  doveadm -c "$FTS_ROOT/etc/dovecot/dovecot.conf" index -u "$USER_NAME" INBOX || die "doveadm index failed"
  echo "Dovecot (Xapian): doveadm index of $MSGS messages took $((SECONDS - t0)) s; index $(du -sh "$to/alice/Maildir/xapian-indexes" 2>/dev/null | cut -f1)"
}

build_pochta
echo "date:    $(date -u +%Y-%m-%dT%H:%MZ)"
echo "cpu:     $(nproc) x $(lscpu | sed -n 's/^Model name: *//p' | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "pochta:  $("$POCHTA" version | head -1)"
echo "corpus:  $MSGS messages of ~$BYTES bytes in INBOX; $RUNS runs per query"
start_pochta
if [ "$SKIP_PEERS" != 1 ]; then
  start_dovecots
  echo "dovecot: $(dovecot --version 2>/dev/null), fts-xapian $(dpkg-query -W -f='${Version}' dovecot-fts-xapian)"
fi

declare -A RESULT
measure() {  # label port
  local out name hits times
  out=$("$PYTHON" "$WORK/search.py" time "$2" "$RUNS") || die "$1 searches failed"
  while read -r name hits times; do
    # shellcheck disable=SC2086
    RESULT[$1,$name]="$(median $times) $hits"
  done <<<"$out"
}
measure pochta "$POCHTA_IMAP"
if [ "$SKIP_PEERS" != 1 ]; then
  measure plain "$PLAIN_IMAP"
  measure xapian "$FTS_IMAP"
fi

echo
echo "median seconds per SEARCH (hits in parentheses; ratio = Dovecot's time / pochta's):"
printf '| %-22s | %16s | %16s | %7s | %16s | %7s |\n' query pochta "Dovecot, no FTS" ratio "Dovecot, Xapian" ratio
for q in TEXT_word BODY_word TEXT_rare_substring BODY_rare_substring; do
  read -r pt ph <<<"${RESULT[pochta,$q]}"
  if [ "$SKIP_PEERS" = 1 ]; then
    printf '| %-22s | %9s (%4s) |\n' "${q//_/ }" "$pt" "$ph"
    continue
  fi
  read -r dt dh <<<"${RESULT[plain,$q]}"
  read -r xt xh <<<"${RESULT[xapian,$q]}"
  [ "$ph" = "$dh" ] || echo "warning: $q: pochta found $ph, Dovecot $dh" >&2
  printf '| %-22s | %9s (%4s) | %9s (%4s) | %6sx | %9s (%4s) | %6sx |\n' "${q//_/ }" "$pt" "$ph" "$dt" "$dh" \
    "$(awk -v a="$dt" -v b="$pt" 'BEGIN{printf "%.1f", a/b}')" "$xt" "$xh" \
    "$(awk -v a="$xt" -v b="$pt" 'BEGIN{printf "%.1f", a/b}')"
done
