#!/bin/sh
# Builds the libFuzzer targets with clang into build-fuzz and runs each for a
# bounded time. Usage: tests/fuzz/run.sh [seconds-per-target] [target...]
# New corpus entries go to build-fuzz/corpus/<target>/ (the checked-in seeds
# in tests/fuzz/seeds/<target>/ are only read); crashes go to
# build-fuzz/artifacts/. Exits non-zero if any target finds a failure.
set -eu

seconds=${1:-60}
[ $# -gt 0 ] && shift
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build-fuzz"
targets=${*:-"fuzz_address fuzz_smtp_command fuzz_mime fuzz_imap_parser fuzz_pop3_command fuzz_managesieve_command fuzz_binary_section
    fuzz_fetch_summary fuzz_mailbox_view fuzz_spf_record fuzz_dmarc_record fuzz_auth_results \
    fuzz_dkim_signature fuzz_dkim_key fuzz_srs_address fuzz_sieve_parser fuzz_sieve_eval fuzz_vacation \
    fuzz_spam_tokenizer fuzz_spam_classifier fuzz_rspamd_answer fuzz_http_request \
    fuzz_maildir_name fuzz_dovecot_uidlist fuzz_mbox_reader"}

cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOCHTA_FUZZ=ON -DPOCHTA_TESTS=ON >/dev/null
# shellcheck disable=SC2086
cmake --build "$build" -j2 --target $targets

status=0
for target in $targets; do
    corpus="$build/corpus/$target"
    mkdir -p "$corpus" "$build/artifacts"
    dict="$root/tests/fuzz/$target.dict"
    dict_option=""
    [ -f "$dict" ] && dict_option="-dict=$dict"
    echo "== $target: ${seconds}s"
    # shellcheck disable=SC2086
    if ! "$build/tests/fuzz/$target" -max_total_time="$seconds" -max_len=1024 -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 $dict_option \
        -artifact_prefix="$build/artifacts/$target-" \
        "$corpus" "$root/tests/fuzz/seeds/$target"; then
        echo "!! $target failed; see $build/artifacts/" >&2
        status=1
    fi
done
exit $status
