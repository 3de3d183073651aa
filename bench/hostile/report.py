#!/usr/bin/python3
"""Prints bench/hostile-load.sh's table from the load files.

  report.py NAME:PHASE:NORMAL_JSON:RSS_FILE[:ATTACK_JSON] ...

One row per server and phase: the normal clients' p50/p99 latency per kind,
their failures, and the server's peak RSS; then what the attackers got done.
"""
import json
import sys

KINDS = ["imap-login", "imap-command", "smtp-transaction"]


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def fmt_ms(v):
    return "-" if v is None else (f"{v:,.0f}" if v >= 100 else f"{v:.1f}")


def main():
    rows = []
    attacks = []
    for arg in sys.argv[1:]:
        parts = arg.split(":")
        name, phase, normal_file, rss_file = parts[:4]
        with open(normal_file) as f:
            normal = json.load(f)
        with open(rss_file) as f:
            rss = int(f.read().split()[0])
        cells = []
        for kind in KINDS:
            v = normal.get(kind, [])
            cells.append(f"{fmt_ms(percentile(v, 50))} / {fmt_ms(percentile(v, 99))} ({len(v)})")
        rows.append(f"| {name} | {phase} | " + " | ".join(cells) + f" | {len(normal['failures'])} | {rss / 1024:,.1f} MiB |")
        if len(parts) > 4:
            with open(parts[4]) as f:
                attacks.append((name, json.load(f)))
        for failure in normal["failures"][:3]:
            rows.append(f"|   | failure: {failure} | | | | | |")
    print("| server | phase | IMAP login ms p50 / p99 (n) | IMAP command ms p50 / p99 (n) "
          "| SMTP transaction ms p50 / p99 (n) | normal failures | peak RSS |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))
    for name, stats in attacks:
        print(f"\nwhat the attackers got done against {name}:")
        for kind, s in stats.items():
            print(f"  {kind:18} {json.dumps(s)}")


if __name__ == "__main__":
    main()
