#!/usr/bin/env bash
# Sieve evaluation, pochta against Pigeonhole: the same script run on the
# same messages by `pochta sieve test` and Debian's `sieve-test`, each
# with the script compiled beforehand: pochta compiles once and runs every
# message in one process; sieve-test runs one process per message on the
# binary `sievec` wrote beside the script (its cache), as Dovecot's
# delivery does.
#
#   usage: bench/sieve-eval.sh [MSGS [RUNS]]
#
# Each tool runs MSGS messages with bench/sieve/rules50.sieve, then with a
# script of one `keep;`; the difference of the two CPU times (user + system
# of the tool's processes, from wait4, so a busy machine's waiting does not
# count) is what testing a message against the 50 rules costs. Medians
# over RUNS. The messages are about 4 KiB (plain text; every third one
# multipart/alternative with an HTML part), none matching a rule, so every
# rule is tested.
#
# Env: POCHTA_BIN=PATH (else a Release build in $BUILD_DIR), KEEP=1.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
die() { echo "sieve-eval: $*" >&2; exit 1; }

MSGS=${1:-300}
RUNS=${2:-3}
is_uint "$MSGS" && is_uint "$RUNS" || die "usage: $0 [MSGS [RUNS]]"
SIEVE_TEST=$(command -v sieve-test || true)
[ -n "$SIEVE_TEST" ] || die "sieve-test not found (apt-get install dovecot-sieve)"

WORK=$(mktemp -d /tmp/pochta-bench.XXXXXX)
chmod 755 "$WORK"
set_cleanup_traps
build_pochta

# The messages, written once; both tools read the same files.
$PYTHON - "$WORK/msgs" "$MSGS" <<'EOF'
import os, sys
from email.message import EmailMessage
folder, count = sys.argv[1], int(sys.argv[2])
os.makedirs(folder)
para = ("The quarterly figures are attached as agreed; please look at the third table "
        "before Thursday's meeting and send your comments to the list. ") * 3
for i in range(count):
    m = EmailMessage()
    m["From"] = f"Sender {i} <sender{i}@mail{i % 7}.example.net>"
    m["To"] = f"alice@example.test, team-{i % 13}@example.test"
    m["Subject"] = f"Weekly report {i}: figures and plans"
    m["Message-ID"] = f"<{i}.bench@mail.example.net>"
    m["Date"] = "Tue, 08 Dec 2026 04:00:00 +0000"
    text = "\n\n".join(f"{n}. {para}" for n in range(10))
    m.set_content(text)
    if i % 3 == 0:
        m.add_alternative("<html><body>" + "".join(f"<p>{n}. {para}</p>" for n in range(10)) + "</body></html>",
                          subtype="html")
    with open(os.path.join(folder, f"{i:05}.eml"), "wb") as f:
        f.write(bytes(m))
EOF
printf 'keep;\n' > "$WORK/keep.sieve"
chmod 777 "$WORK"
# `pochta` reads a configuration for every command; `sieve test` uses none of it.
touch "$WORK/users"
printf 'hostname = "mail.example.test"\ndata_dir = "%s/data"\ndomains = ["example.test"]\nusers_file = "%s/users"\n' \
  "$WORK" "$WORK" > "$WORK/pochta.toml"
cp "$HERE/sieve/rules50.sieve" "$WORK/rules50.sieve"
# Pigeonhole's configuration: nothing but a folder for its run files.
mkdir -p "$WORK/run" "$WORK/mail"
chmod 777 "$WORK/run" "$WORK/mail"
printf 'base_dir = %s/run\nlog_path = /dev/stderr\nmail_location = maildir:%s/mail\n' "$WORK" "$WORK" > "$WORK/dovecot.conf"
# Dovecot refuses to do mail work as root.
AS_NOBODY=()
[ "$(id -u)" -ne 0 ] || AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# The CPU seconds (user + system) of running TOOL on every message with
# SCRIPT: one shell, whose children wait4 counts (to the microsecond).
# pochta is so quick that it goes through the messages POCHTA_PASSES times.
POCHTA_PASSES=10
cpu_of() {
  local tool=$1 script=$2
  local cmd
  case $tool in
    pochta) cmd="$POCHTA -c $WORK/pochta.toml sieve test $script $(printf "$WORK/msgs/*.eml %.0s" $(seq $POCHTA_PASSES)) >/dev/null" ;;
    pigeonhole) cmd="for m in $WORK/msgs/*.eml; do HOME=$WORK ${AS_NOBODY[*]} $SIEVE_TEST -c $WORK/dovecot.conf \
                       -f sender@example.net -a alice@example.test -r alice@example.test $script \"\$m\" >/dev/null; done" ;;
  esac
  $PYTHON -c 'import os, subprocess, sys
child = subprocess.Popen(["bash", "-c", sys.argv[1]])
_, status, usage = os.wait4(child.pid, 0)
print(f"{usage.ru_utime + usage.ru_stime:.4f}")
sys.exit(os.waitstatus_to_exitcode(status))' "$cmd" 2>"$WORK/$tool.err" || die "$tool failed: $(tail -3 "$WORK/$tool.err")"
}

# Pigeonhole's compiled scripts, where sieve-test looks for them.
for script in rules50 keep; do
  "${AS_NOBODY[@]}" sievec -c "$WORK/dovecot.conf" "$WORK/$script.sieve" || die "sievec $script.sieve failed"
done

# The actions must agree before the times mean anything.
messages=("$WORK"/msgs/*.eml)
first=${messages[0]}
"$POCHTA" -c "$WORK/pochta.toml" sieve test "$WORK/rules50.sieve" "$first" | grep -x 'keep' >/dev/null || die "pochta does not keep the bench message"
HOME=$WORK "${AS_NOBODY[@]}" "$SIEVE_TEST" -c "$WORK/dovecot.conf" "$WORK/rules50.sieve" "$first" 2>&1 |
  grep 'store message in folder: INBOX' >/dev/null || die "sieve-test does not keep the bench message"

echo "== Sieve evaluation: $MSGS messages, $RUNS runs, scripts compiled beforehand"
echo "date:      $(date -u +%FT%RZ)"
echo "pochta:    $("$POCHTA" --version 2>/dev/null | head -1) ($POCHTA)"
echo "pigeonhole: $(dpkg-query -W -f '${Version}' dovecot-sieve 2>/dev/null)"
echo "load:      $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A rule keep
for tool in pochta pigeonhole; do
  r=() k=()
  for run in $(seq "$RUNS"); do
    r+=("$(cpu_of "$tool" "$WORK/rules50.sieve")")
    k+=("$(cpu_of "$tool" "$WORK/keep.sieve")")
    echo "$tool run $run: CPU ${r[-1]} s with the 50 rules, ${k[-1]} s with keep only"
  done
  rule[$tool]=$(median "${r[@]}")
  keep[$tool]=$(median "${k[@]}")
done

per_msg() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN{printf "%.0f", (a-b)*1e6/n}'; }
pr=$(per_msg "${rule[pochta]}" "${keep[pochta]}" $((MSGS * POCHTA_PASSES)))
pp=$(per_msg "${rule[pigeonhole]}" "${keep[pigeonhole]}" "$MSGS")
echo
echo "== medians over $RUNS runs"
echo "| measure | pochta | Pigeonhole sieve-test | Pigeonhole / pochta |"
echo "| --- | ---: | ---: | ---: |"
echo "| CPU with the 50 rules, s ($((MSGS * POCHTA_PASSES)) and $MSGS runs) | ${rule[pochta]} | ${rule[pigeonhole]} | - |"
echo "| CPU with keep only, s | ${keep[pochta]} | ${keep[pigeonhole]} | - |"
echo "| the 50 rules per message, µs | $pr | $pp | $(awk -v a="$pp" -v b="$pr" 'BEGIN{ if (b > 0) printf "%.1fx", a/b; else print "-" }') |"
