#!/usr/bin/env bash
# Import speed: `pochta import` against Dovecot's own `doveadm import` and
# `doveadm backup` (dsync, which keeps UIDs as pochta does) of the same
# Maildir, one invocation each, on the same machine: messages per second
# and peak RSS (GNU time). Dovecot runs with its defaults (mail_fsync =
# optimized); pochta commits a batch per fsync as always.
#
#   usage: bench/import.sh [MSGS [FOLDERS [SIZE]]]
#
# Env (arguments win over env):
#   MSGS=20000 FOLDERS=4 SIZE=4096   the Maildir: MSGS messages of about SIZE
#                                    bytes, spread over INBOX and FOLDERS-1 .Folders
#   POCHTA_BIN=PATH                  use this binary instead of building one in Release
#   BUILD_DIR=DIR                    where to build (default: <repo>/build-bench)
#   KEEP=1                           keep the temporary folder
#
# The Maildir is written here, then opened once by Dovecot (doveadm
# mailbox status), which numbers the messages in dovecot-uidlist as it
# would on a real server; every importer then reads that same tree.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

MSGS=${1:-${MSGS:-20000}}
FOLDERS=${2:-${FOLDERS:-4}}
SIZE=${3:-${SIZE:-4096}}
die() { echo "import.sh: $*" >&2; exit 1; }
is_uint "$MSGS" && is_uint "$FOLDERS" && is_uint "$SIZE" || die "MSGS, FOLDERS and SIZE are positive integers"
command -v doveadm >/dev/null || die "doveadm not found (apt-get install dovecot-core)"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"

# Dovecot refuses to run as root: it works as nobody in a folder nobody can reach.
WORK=$(mktemp -d /tmp/pochta-bench-import.XXXXXX)
chmod 755 "$WORK"
set_cleanup_traps
build_pochta
if [ "$(id -u)" = 0 ]; then MAIL_USER=nobody MAIL_GROUP=nogroup; else MAIL_USER=$(id -un) MAIL_GROUP=$(id -gn); fi

# dovecot_conf NAME MAILDIR: a throwaway configuration whose one user keeps
# its mail in MAILDIR; prints its path.
dovecot_conf() {
  local dir=$WORK/$1
  mkdir -p "$dir/run" "$dir/state" "$dir/home"
  cat >"$dir/dovecot.conf" <<EOF
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
ssl = no
mail_location = maildir:$2
mail_uid = $MAIL_USER
mail_gid = $MAIL_GROUP
first_valid_uid = 0
first_valid_gid = 0
userdb {
  driver = static
  args = home=$dir/home
}
passdb {
  driver = static
  args = password=unused
}
namespace inbox {
  inbox = yes
  separator = /
}
EOF
  chown -R "$MAIL_USER:$MAIL_GROUP" "$dir"
  echo "$dir/dovecot.conf"
}
# doveadm_as CONF ARGS...: doveadm for the configuration's one user (the
# env prefix lets GNU time run it too).
doveadm_as() { local conf=$1; shift; env USER=alice HOME="$(dirname "$conf")/home" doveadm -c "$conf" "$@"; }
doveadm_cmd() { echo env USER=alice HOME="$(dirname "$1")/home" doveadm -c "$1"; }

echo "writing a Maildir of $MSGS messages (~$SIZE bytes) in $FOLDERS folders"
SRC=$WORK/source
"$PYTHON" - "$SRC" "$MSGS" "$FOLDERS" "$SIZE" <<'EOF'
import os, random, sys
root, msgs, folders, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
dirs = [root] + [os.path.join(root, f".Folder{i}") for i in range(1, folders)]
for d in dirs:
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
rng = random.Random(7)
words = [w * rng.randint(1, 3) for w in "lorem ipsum dolor sit amet consectetur adipiscing elit sed do".split()]
for i in range(msgs):
    body = []
    n = 0
    while n < size:
        line = " ".join(rng.choice(words) for _ in range(10))
        body.append(line)
        n += len(line) + 1
    text = (f"From: sender{i % 97}@example.net\nTo: alice@example.test\nSubject: message {i}\n"
            f"Message-ID: <{i}@bench.example.net>\nDate: Tue, 8 Dec 2026 00:00:00 +0000\n\n" + "\n".join(body) + "\n")
    flags = rng.choice(["", "S", "RS", "FS"])
    name = f"{1796000000 + i}.M{i}P1.bench:2,{flags}"
    with open(os.path.join(dirs[i % len(dirs)], "cur", name), "w") as f:
        f.write(text)
EOF
SRC_CONF=$(dovecot_conf source-dovecot "$SRC")
chown -R "$MAIL_USER:$MAIL_GROUP" "$SRC"
doveadm_as "$SRC_CONF" mailbox status messages '*' >/dev/null  # Dovecot numbers them (dovecot-uidlist)
BYTES=$(du -sb "$SRC" | cut -f1)

# measure NAME COMMAND...: runs it under GNU time; prints "seconds peak-KiB".
measure() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" ||
    { cat "$WORK/$name.err" >&2; die "$name failed"; }
  cat "$WORK/$name.time"
}

# pochta: a fresh store, no server.
mkdir -p "$WORK/pochta"
printf 'alice@example.test:{PLAIN}secret\n' >"$WORK/pochta/users"
chmod 600 "$WORK/pochta/users"
cat >"$WORK/pochta/pochta.toml" <<EOF
hostname   = "bench.example.test"
data_dir   = "$WORK/pochta/data"
domains    = ["example.test"]
users_file = "$WORK/pochta/users"
EOF
read -r P_SECS P_KIB < <(measure pochta "$POCHTA" import alice@example.test "$SRC" -c "$WORK/pochta/pochta.toml")
grep -q "imported $MSGS messages" "$WORK/pochta.out" || { cat "$WORK/pochta.out" >&2; die "pochta did not import every message"; }

# doveadm import: into an empty Dovecot Maildir (new UIDs).
IMPORT_CONF=$(dovecot_conf import-dovecot "$WORK/import-dovecot/Maildir")
read -r I_SECS I_KIB < <(measure doveadm-import $(doveadm_cmd "$IMPORT_CONF") import -s "maildir:$SRC" "" all)

# doveadm backup -R: dsync pulls the whole account, UIDs kept.
DSYNC_CONF=$(dovecot_conf dsync-dovecot "$WORK/dsync-dovecot/Maildir")
read -r D_SECS D_KIB < <(measure doveadm-backup $(doveadm_cmd "$DSYNC_CONF") backup -R "maildir:$SRC")

for conf in "$IMPORT_CONF" "$DSYNC_CONF"; do
  got=$(doveadm_as "$conf" -f flow mailbox status messages '*' | awk -F'messages=' '{s += $2} END {print s}')
  [ "$got" = "$MSGS" ] || die "$(dirname "$conf") holds $got messages, not $MSGS"
done

row() { awk -v n="$1" -v s="$2" -v k="$3" -v m="$MSGS" -v ps="$P_SECS" \
  'BEGIN{printf "| %s | %.2f s | %.0f msg/s | %.1f MiB | %.1fx |\n", n, s, m/s, k/1024, s/ps}'; }
echo
echo "$MSGS messages, $((BYTES / 1048576)) MiB on disk, $FOLDERS folders; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| importer | time | rate | peak RSS | pochta faster by |"
echo "| --- | ---: | ---: | ---: | ---: |"
row "pochta import" "$P_SECS" "$P_KIB"
row "doveadm import" "$I_SECS" "$I_KIB"
row "doveadm backup -R (dsync)" "$D_SECS" "$D_KIB"
