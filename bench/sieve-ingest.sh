#!/usr/bin/env bash
# Sieve at delivery under load: bench/smtp-ingest.sh twice, first as it is
# (pochta and, unless SKIP_PEERS=1, Postfix + Dovecot, which run no
# filter), then pochta alone with bench/sieve/rules50.sieve as the
# recipient's active script: 50 rules of header, address, body and regex
# tests that none match, so every message is tested against all of them.
# The difference of the two "CPU per message" lines is Sieve's cost per
# message (loading and compiling the user's script, parsing the message,
# running it).
#
#   usage: bench/sieve-ingest.sh [RUNS [MSGS [SESSIONS [BYTES]]]]
#
# Env: as bench/smtp-ingest.sh (CHECKS=0 leaves the checks on arrival and
# the spam verdict out of both, so Sieve's share stands out).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
echo "#### without Sieve"
SIEVE_SCRIPT="" "$HERE/smtp-ingest.sh" "$@"
echo
echo "#### with the 50-rule script ($HERE/sieve/rules50.sieve)"
SIEVE_SCRIPT="$HERE/sieve/rules50.sieve" SKIP_PEERS=1 "$HERE/smtp-ingest.sh" "$@"
