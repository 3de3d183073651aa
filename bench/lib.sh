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
