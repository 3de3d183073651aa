#!/usr/bin/env bash
# Store under load: does pochta's store stall while many deliveries and IMAP
# sessions hit it at once? (SQLite mail stores are known for parallel
# deliveries queueing on the write lock, WAL checkpoints freezing the server,
# and slow \Recent; pochta's store answers with group commit, checkpoints on
# their own thread and \Recent as one row update.) pochta only: no peer.
#
#   usage: bench/store-stall.sh [DURATION [SESSIONS [IMAP_SESSIONS [ACCOUNTS]]]]
#
# Env (arguments win over env):
#   DURATION=30 SESSIONS=50 IMAP_SESSIONS=20 ACCOUNTS=10000   the load
#   GAP_MS=250            a time with no delivery completed longer than this is reported as a stall
#   SELECT=EXAMINE        IMAP sessions open INBOX read-only: no \Recent claims (a store write
#                         per SELECT and per IDLE wake-up), to see what those cost the deliveries
#   POCHTA_BIN=PATH       use this binary instead of building one in Release
#   BUILD_DIR=DIR         where to build (default: <repo>/build-bench)
#   KEEP=1                keep the temporary folder (config, log, store, raw records)
#
# For DURATION seconds, at the same time:
#   - SESSIONS SMTP sessions (connections reused) send ~4 KiB messages to
#     random accounts, 1 to 3 recipients each; the time from the end of DATA
#     to the 250 of every message is recorded;
#   - IMAP_SESSIONS IMAP sessions (imaps), each logged in as an account that
#     gets 1/IMAP_SESSIONS of a tenth of the mail, loop over SELECT INBOX,
#     FETCH 1:* (FLAGS ENVELOPE), NOOP, STATUS Archive and IDLE until the
#     next delivery is pushed (at most 5 s), timing each command and the
#     push (from the 250 of that delivery to the '* n EXISTS');
#   - the WAL and its -shm index are sampled every 100 ms.
# Then every acknowledged message is checked to be in its recipients' INBOX
# (exact message set over IMAP for the watched accounts, counts from
# `pochta mailbox list` for every account), and the figures are printed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

DURATION=${1:-${DURATION:-30}}
SESSIONS=${2:-${SESSIONS:-50}}
IMAP_SESSIONS=${3:-${IMAP_SESSIONS:-20}}
ACCOUNTS=${4:-${ACCOUNTS:-10000}}
GAP_MS=${GAP_MS:-250}
SELECT=${SELECT:-SELECT}
LOAD=$HERE/stall/load.py
PASSWORD=bench-secret

die() { echo "store-stall: $*" >&2; exit 1; }
for v in DURATION SESSIONS IMAP_SESSIONS ACCOUNTS GAP_MS; do is_uint "${!v}" || die "$v must be a positive integer (got '${!v}')"; done
[ "$SELECT" = SELECT ] || [ "$SELECT" = EXAMINE ] || die "SELECT must be SELECT or EXAMINE (got '$SELECT')"
[ "$IMAP_SESSIONS" -le "$ACCOUNTS" ] || die "IMAP_SESSIONS ($IMAP_SESSIONS) cannot exceed ACCOUNTS ($ACCOUNTS)"
[ "$ACCOUNTS" -le 99999 ] || die "ACCOUNTS is at most 99999"

# ---------------------------------------------------------------- cleanup
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pochta-stall.XXXXXX")
LOAD_PIDS=()
stop_own() {  # the load processes' groups, before pochta
  local p
  for p in "${LOAD_PIDS[@]}"; do kill -TERM -- -"$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
}
set_cleanup_traps

# ---------------------------------------------------------------- set-up
write_config() {
  local dir=$WORK/pochta
  make_cert "$dir/tls"
  # More connections from 127.0.0.1 than the default 50 per IP: all the
  # load comes from one address.
  write_pochta_config "$dir" tls "smtp imaps" "[limits]
max_connections_per_ip = $((SESSIONS + IMAP_SESSIONS + 50))"
  # The users file in its documented passwd-file layout, written at once:
  # one SHA512-CRYPT hash (computed once) for every account.
  local hash
  hash=$(openssl passwd -6 "$PASSWORD") || die "openssl passwd -6 failed"
  awk -v n="$ACCOUNTS" -v h="$hash" 'BEGIN { for (i = 0; i < n; i++) printf "user%05d@example.test:{SHA512-CRYPT}%s\n", i, h }' \
    > "$dir/users"
  chmod 600 "$dir/users"
  "$POCHTA" check-config -c "$dir/pochta.toml" || die "check-config refused the generated configuration"
}

start_pochta() {
  start_pochta_serve "$WORK/pochta" 20
  pochta_port SMTP_PORT "$WORK/pochta" smtp
  pochta_port IMAP_PORT "$WORK/pochta" imaps
}

# Runs a load process in its own process group (cleanup stops the group).
spawn() {
  setsid "$@" &
  LOAD_PIDS+=("$!")
}

# ---------------------------------------------------------------- run
build_pochta
write_config
echo "== store under load: $DURATION s, $SESSIONS SMTP sessions (~4 KiB, 1-3 recipients), $IMAP_SESSIONS IMAP sessions ($SELECT INBOX), $ACCOUNTS accounts"
echo "date:      $(date -u +%Y-%m-%dT%H:%MZ)"
echo "cpu:       $(nproc) x $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
echo "fs:        $(df -T "$WORK" | awk 'NR==2{print $2" on "$1}')"
echo "pochta:    $("$POCHTA" version | head -1) ($POCHTA)"
echo "load:      $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, before the run)"
start_pochta

# The watched accounts: IMAP_SESSIONS distinct random ones.
"$PYTHON" -c "import random,sys; n,m=int(sys.argv[1]),int(sys.argv[2]); print('\n'.join(f'user{i:05d}@example.test' for i in random.Random(7).sample(range(n), m)))" \
  "$ACCOUNTS" "$IMAP_SESSIONS" > "$WORK/watched"

read -r cpu0 wait0 <<<"$(sched_seconds "$POCHTA_PID")"
NOW=$("$PYTHON" "$LOAD" now)
START=$(awk -v t="$NOW" 'BEGIN{printf "%.6f", t + 2}')  # time for every session to connect (and log in)
END=$(awk -v t="$START" -v d="$DURATION" 'BEGIN{printf "%.6f", t + d}')
spawn "$PYTHON" "$LOAD" wal "$WORK/pochta/data/index.db" "$(awk -v t="$END" 'BEGIN{print t + 5}')" "$WORK/wal.out"
spawn "$PYTHON" "$LOAD" smtp "$SMTP_PORT" "$START" "$END" "$SESSIONS" "$ACCOUNTS" "$WORK/watched" "$WORK/smtp.out" 1
spawn "$PYTHON" "$LOAD" imap "$IMAP_PORT" "$START" "$END" "$WORK/watched" "$PASSWORD" "$WORK/imap.out" "$SELECT"
rc=0
for i in 1 2; do wait "${LOAD_PIDS[$i]}" || rc=$?; done
read -r cpu1 wait1 <<<"$(sched_seconds "$POCHTA_PID")"
wait "${LOAD_PIDS[0]}" || true
LOAD_PIDS=()
[ "$rc" -eq 0 ] || die "a load process failed (status $rc)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v c0="$cpu0" -v c1="$cpu1" -v w0="$wait0" -v w1="$wait1" -v d="$DURATION" \
  'BEGIN{printf "pochta CPU: %.1f s (%.0f%% of one core over the run), runnable but waiting for a CPU %.1f s\n", c1-c0, 100*(c1-c0)/d, w1-w0}'
echo "pochta RSS: peak $(awk '/^VmHWM:/ {printf "%.1f MiB", $2/1024}' "/proc/$POCHTA_PID/status")"
echo
report_rc=0
"$PYTHON" "$HERE/stall/report.py" "$START" "$END" "$WORK/smtp.out" "$WORK/imap.out" "$WORK/wal.out" \
  "$WORK/pochta/serve.log" "$GAP_MS" || report_rc=$?

# ---------------------------------------------------------------- verification
echo
"$PYTHON" "$LOAD" verify "$IMAP_PORT" "$WORK/watched" "$PASSWORD" "$WORK/smtp.out" || die "IMAP content check failed"
# Counts for every account that got mail, from the store as the CLI sees it
# once the server has stopped: expected = acknowledged deliveries naming it.
kill -TERM "$POCHTA_PID"; wait "$POCHTA_PID" || die "pochta serve exited with an error on SIGTERM"; POCHTA_PID=""
t0=$SECONDS
"$PYTHON" "$LOAD" count "$POCHTA" "$WORK/pochta/pochta.toml" "$WORK/smtp.out" || die "INBOX counts differ from the acknowledged deliveries"
echo "         (count check took $((SECONDS - t0)) s)"
[ "$report_rc" -eq 0 ] || die "the run had failed sessions or refused deliveries (see above)"
