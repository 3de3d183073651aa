# Shell helpers shared by the bench scripts (sourced, not run). Each script
# defines its own die() so messages name the benchmark.

is_uint() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -gt 0 ]; }

median() {
  printf '%s\n' "$@" | sort -n |
    awk '{v[NR]=$1} END{ if (NR%2) print v[(NR+1)/2]; else printf "%.2f\n", (v[NR/2]+v[NR/2+1])/2 }'
}

port_busy() { ss -Hltn "sport = :$1" | grep -q .; }

# The first free port from $1 on, in steps of 1000 (the peers' ports
# 3525/3143/3110 stay recognisable: 4525, 5525, ...).
free_port() {
  local p=$1
  while port_busy "$p"; do p=$((p + 1000)); [ "$p" -lt 65000 ] || die "no free port near $1"; done
  echo "$p"
}

# Sets POCHTA: $POCHTA_BIN when given, else a Release build of the checkout
# in $BUILD_DIR (log in $WORK/build.log). Needs REPO, BUILD_DIR and WORK.
build_pochta() {
  if [ -n "${POCHTA_BIN:-}" ]; then
    [ -x "$POCHTA_BIN" ] || die "POCHTA_BIN=$POCHTA_BIN is not executable"
    POCHTA=$(realpath "$POCHTA_BIN")
    return
  fi
  echo "building pochta (Release) in $BUILD_DIR"
  cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPOCHTA_TESTS=OFF >"$WORK/build.log" 2>&1 &&
    cmake --build "$BUILD_DIR" -j 2 --target pochta >>"$WORK/build.log" 2>&1 ||
    { tail -30 "$WORK/build.log" >&2; die "build failed (log: $WORK/build.log)"; }
  POCHTA=$BUILD_DIR/pochta
}
