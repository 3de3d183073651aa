#!/usr/bin/env bash
# Dovecot's imaptest against pochta and Dovecot, side by side in one
# invocation: its scripted test groups (conformance) and its random stress
# load (operations per second and the errors it saw), both over implicit TLS
# (imaptest has no STARTTLS; ssl=any-cert accepts the self-signed cert).
#
# imaptest is not part of this repository: IMAPTEST=PATH uses a built binary;
# otherwise it is built once in $IMAPTEST_DIR (default <repo>/../imaptest)
# from github.com/dovecot/imaptest at commit 924f619, the last one before it
# moved to Dovecot 2.4's API. Against Debian's dovecot-dev 2.3 it needs one
# change (imap_parser_create() takes a fourth argument, NULL) and, to run,
# LD_LIBRARY_PATH=/usr/lib/dovecot. Building needs git, autoconf, automake,
# libtool, pkg-config and dovecot-dev.
#
#   usage: bench/imaptest.sh [SECS [CLIENTS]]
#
# Env (arguments win over env):
#   SECS=30 CLIENTS=10    the stress load, per server
#   CHECKPOINT=0          imaptest's checkpoint=N (0: none): every N seconds
#                         the clients stop and compare their views of the mailbox
#   SCRIPTED=1            also run the scripted test groups (0: stress only)
#   SKIP_PEERS=1          pochta only
#   POCHTA_BIN=PATH       use this binary instead of building one in Release
#   BUILD_DIR=DIR         where to build (default: <repo>/build-bench)
#   KEEP=1                keep the temporary folder for inspection
#
# The Dovecot here is the machine's (dovecot-core, dovecot-imapd) with a
# configuration of its own: an imaps listener, one user, Maildir, defaults
# otherwise. Printed per server: scripted groups passed/failed, then the
# stress load's operations per second (all commands imaptest counted over
# the run's seconds) and its error count.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

SECS=${1:-${SECS:-30}}
CLIENTS=${2:-${CLIENTS:-10}}
CHECKPOINT=${CHECKPOINT:-0}
SCRIPTED=${SCRIPTED:-1}
IMAPTEST_DIR=${IMAPTEST_DIR:-$REPO/../imaptest}
IMAPTEST_COMMIT=924f619
USER_NAME=bench@example.test
PASSWORD=secret

die() { echo "imaptest: $*" >&2; exit 1; }
for v in SECS CLIENTS; do is_uint "${!v}" || die "$v must be a positive integer (got '${!v}')"; done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pochta-imaptest.XXXXXX")
chmod 755 "$WORK"
DOVECOT_PID=""
# Also when start_dovecot died before it read the pid: the master may run.
stop_own() {
  [ -f "$WORK/dovecot/dovecot.conf" ] || return 0
  doveadm -c "$WORK/dovecot/dovecot.conf" stop 2>/dev/null ||
    { [ -z "$DOVECOT_PID" ] || kill "$DOVECOT_PID" 2>/dev/null; } || true
}
set_cleanup_traps

# ---------------------------------------------------------------- imaptest
find_imaptest() {
  if [ -n "${IMAPTEST:-}" ]; then
    [ -x "$IMAPTEST" ] || die "IMAPTEST=$IMAPTEST is not executable"
    return
  fi
  IMAPTEST=$IMAPTEST_DIR/src/src/imaptest
  [ -x "$IMAPTEST" ] && return
  [ -f /usr/include/dovecot/imap-parser.h ] || die "imaptest needs dovecot-dev (apt-get install dovecot-dev)"
  echo "building imaptest $IMAPTEST_COMMIT in $IMAPTEST_DIR"
  mkdir -p "$IMAPTEST_DIR"
  {
    [ -d "$IMAPTEST_DIR/src/.git" ] || git clone -q https://github.com/dovecot/imaptest "$IMAPTEST_DIR/src"
    cd "$IMAPTEST_DIR/src"
    git checkout -q "$IMAPTEST_COMMIT"
    sed -i 's/imap_parser_create(\(.*\), (size_t)-1);/imap_parser_create(\1, (size_t)-1, NULL);/' src/*.c
    ./autogen.sh && ./configure --with-dovecot=/usr/lib/dovecot && make -j 2
  } >"$WORK/imaptest-build.log" 2>&1 || { tail -30 "$WORK/imaptest-build.log" >&2; die "imaptest build failed"; }
  cd "$WORK"
}
find_imaptest
TESTS=$(dirname "$IMAPTEST")/tests
export LD_LIBRARY_PATH=/usr/lib/dovecot${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

# ---------------------------------------------------------------- servers
make_cert "$WORK/cert"
build_pochta
mkdir -p "$WORK/pochta"
printf '%s:{PLAIN}%s\n' "$USER_NAME" "$PASSWORD" > "$WORK/pochta/users"
chmod 600 "$WORK/pochta/users"
# All the load's clients are one user from one address: room for them, as
# Dovecot's mail_max_userip_connections below.
write_pochta_config "$WORK/pochta" "$WORK/cert" "imaps" $'[limits]\nmax_connections_per_user_ip = 2000\nmax_connections_per_ip = 2000'

start_pochta_serve "$WORK/pochta"
pochta_port POCHTA_PORT "$WORK/pochta" imaps

start_dovecot() {
  local d=$WORK/dovecot
  DOVECOT_PORT=$(free_port 4993)
  mkdir -p "$d/run" "$d/mail"
  chown nobody:nogroup "$d/mail"
  printf '%s:{PLAIN}%s\n' "$USER_NAME" "$PASSWORD" > "$d/users"
  cat > "$d/dovecot.conf" <<EOF
instance_name = pochta-bench-imaptest-$$
base_dir = $d/run
state_dir = $d/run
log_path = $d/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <$WORK/cert/cert.pem
ssl_key = <$WORK/cert/key.pem
auth_mechanisms = plain
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $d/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$d/mail/%u
}
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_max_userip_connections = 2000
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $DOVECOT_PORT
    ssl = yes
  }
}
EOF
  dovecot -c "$d/dovecot.conf" || die "dovecot did not start (log: $d/dovecot.log)"
  # The master writes its pid file and opens its listener a moment later.
  for _ in $(seq 1 100); do
    [ -s "$d/run/master.pid" ] && port_busy "$DOVECOT_PORT" && { DOVECOT_PID=$(cat "$d/run/master.pid"); return; }
    sleep 0.1
  done
  die "dovecot did not listen on $DOVECOT_PORT (log: $d/dovecot.log)"
}
[ "$SKIP_PEERS" = 1 ] || start_dovecot

# ---------------------------------------------------------------- runs
imaptest_run() {  # NAME PORT ARGS... -> its output in $WORK/NAME.out
  local name=$1 port=$2
  shift 2
  run_bg "$IMAPTEST" host=127.0.0.1 port="$port" ssl=any-cert user="$USER_NAME" pass="$PASSWORD" "$@" \
    >"$WORK/$name.out" 2>&1 || true
}

scripted() {  # NAME PORT
  imaptest_run "$1-scripted" "$2" test="$TESTS"
  local summary
  summary=$(grep -E '^[0-9]+ test groups' "$WORK/$1-scripted.out" || echo "no summary (see $WORK/$1-scripted.out)")
  printf '%-8s scripted: %s\n' "$1" "$summary"
}

stress() {  # NAME PORT
  local extra=()
  [ "$CHECKPOINT" = 0 ] || extra+=(checkpoint="$CHECKPOINT")
  imaptest_run "$1-stress" "$2" mbox="$TESTS/default.mbox" clients="$CLIENTS" secs="$SECS" "${extra[@]}"
  local out=$WORK/$1-stress.out ops errors
  # The line after the "Logi List ..." header row of Totals holds the percentages,
  # the next the counts; their sum over the run is the operations done.
  ops=$(awk '/^Totals:/ {t = 1} t && /^ *[0-9]+ +[0-9]+/ {last = $0} END {n = split(last, v, " "); s = 0; for (i = 1; i <= n; i++) s += v[i]; print s}' "$out")
  errors=$(grep -c '^Error:' "$out" || true)
  printf '%-8s stress: %s clients, %s s%s: %s ops/s, %s errors\n' "$1" "$CLIENTS" "$SECS" \
    "$([ "$CHECKPOINT" = 0 ] || echo ", checkpoint=$CHECKPOINT")" "$(awk -v o="$ops" -v s="$SECS" 'BEGIN{printf "%.0f", o/s}')" "$errors"
}

if [ "$SCRIPTED" = 1 ]; then
  scripted pochta "$POCHTA_PORT"
  [ "$SKIP_PEERS" = 1 ] || scripted dovecot "$DOVECOT_PORT"
fi
stress pochta "$POCHTA_PORT"
[ "$SKIP_PEERS" = 1 ] || stress dovecot "$DOVECOT_PORT"
