#!/usr/bin/env bash
# SORT (DATE) and THREAD=REFERENCES over a large INBOX, pochta against
# Dovecot, in one invocation: the same generated messages (threads, reply
# prefixes, dates in several zones; tests/integration/test_imap_sort.py's
# corpus) with the same INTERNALDATEs go to both, then each command runs
# REPEAT times and the best and median wall times are printed.
#
#   usage: bench/imap-sort.sh [MESSAGES]          (default 50000)
#
# Env: POCHTA_BIN=PATH (else a Release build in BUILD_DIR, default
# <repo>/build-bench), REPEAT=5, FAST_DIR=/dev/shm (both stores live there,
# so the APPENDs measure nothing of the disk).
# Dovecot is Debian's /usr/lib/dovecot/imap run pre-authenticated on a pipe
# (tests/integration/dovecot_imap.py), Maildir, its index and cache on: the
# first run of a command builds Dovecot's sort/thread index, the later ones
# read it; pochta reads the sort keys it made for each message at APPEND.
# pochta's full-text indexer works through the new messages after the
# APPENDs; the timings start once it has caught up (the wait is printed),
# as on a server whose mail arrived over time.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
MESSAGES=${1:-${MESSAGES:-50000}}
REPEAT=${REPEAT:-5}
if [ -z "${POCHTA_BIN:-}" ]; then
  BUILD_DIR=${BUILD_DIR:-$REPO/build-bench}
  cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD_DIR" --target pochta >/dev/null
  POCHTA_BIN=$BUILD_DIR/pochta
fi
export POCHTA_BIN MESSAGES REPEAT FAST_DIR=${FAST_DIR:-/dev/shm}
cd "$REPO/tests/integration"
exec /usr/bin/python3 - <<'PY'
import os, statistics, sys, tempfile, time
from pathlib import Path
import dovecot_imap, pochta_harness as h
from test_imap_rev2 import Raw
from test_imap_sort import corpus, pochta_append

n, repeat, fast = int(os.environ["MESSAGES"]), int(os.environ["REPEAT"]), os.environ["FAST_DIR"]
folder = Path(tempfile.mkdtemp(prefix="pochta-sortbench-", dir=fast))
cert = h.make_cert(folder)
server = h.Server(os.environ["POCHTA_BIN"], folder / "srv", *cert, users={h.ALICE: "{PLAIN}" + h.PASSWORD},
                  listen=("smtp", "imaps"))
server.start()
try:
    messages = corpus(n, seed=50000)
    t0 = time.time(); mine = pochta_append(server, h.ALICE, "INBOX", messages); t_p = time.time() - t0
    oracle = dovecot_imap.DovecotImap(fast)
    t0 = time.time(); oracle.append_all("INBOX", messages); t_d = time.time() - t0
    print(f"{n} messages appended: pochta {t_p:.1f} s, Dovecot {t_d:.1f} s (MULTIAPPEND)")
    import sqlite3
    data = folder / "srv" / "data"
    last = sqlite3.connect(data / "index.db").execute("SELECT max(id) FROM messages").fetchone()[0]
    t0 = time.time()
    def indexed():
        try:
            return int((data / "fts" / "indexed_up_to").read_text())
        except (OSError, ValueError):
            return 0
    while indexed() < last and time.time() - t0 < 900:
        time.sleep(1)
    print(f"pochta's full-text indexer caught up {time.time() - t0 + t_d:.0f} s after the last APPEND")
    mine.cmd("s", "SELECT INBOX"); oracle.cmd("SELECT INBOX")
    print(f"| command | pochta best s | pochta median s | Dovecot first s | Dovecot best s | Dovecot median s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for command in ("UID SORT (DATE) UTF-8 ALL", "UID SORT (REVERSE ARRIVAL) UTF-8 ALL",
                    "UID THREAD REFERENCES UTF-8 ALL"):
        times = {"p": [], "d": []}
        for _ in range(repeat):
            t0 = time.time(); a = mine.cmd("c", command); times["p"].append(time.time() - t0)
            t0 = time.time(); b = oracle.cmd(command); times["d"].append(time.time() - t0)
            assert a[-1].split()[1] == b"OK" and b[-1].split()[1] == b"OK"
        p, d = times["p"], times["d"]
        print(f"| {command} | {min(p):.3f} | {statistics.median(p):.3f} | {d[0]:.3f} | {min(d):.3f} | {statistics.median(d):.3f} |")
    mine.close(); oracle.close()
finally:
    server.stop()
    import shutil; shutil.rmtree(folder, ignore_errors=True)
PY
