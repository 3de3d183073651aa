"""Summarises one bench/store-stall.sh run (run with /usr/bin/python3).

  report.py START END SMTP_OUT IMAP_OUT WAL_OUT SERVE_LOG GAP_MS

Prints the figures; exits 1 when the run itself went wrong (a load session
failed, a delivery was refused), never because a figure is slow: stalls are
reported, not judged.
"""
import collections, datetime, sys, time

START, END = float(sys.argv[1]), float(sys.argv[2])
SMTP_OUT, IMAP_OUT, WAL_OUT, SERVE_LOG = sys.argv[3:7]
GAP = float(sys.argv[7]) / 1000
# monotonic -> wall clock, to name a stall's time as the server log does
WALL = time.time() - time.monotonic()


def pct(values, p):
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))
    return v[k]


def ms(x):
    return f"{x * 1000:.1f}"


def wall(t):
    return datetime.datetime.fromtimestamp(t + WALL, datetime.timezone.utc).strftime("%H:%M:%S.%f")[:-3]


def read(path):
    rows = collections.defaultdict(list)
    with open(path) as f:
        for line in f:
            p = line.split()
            if p:
                rows[p[0]].append(p[1:] if p[0] != "E" else line[2:].strip())
    return rows


smtp, imap, wal = read(SMTP_OUT), read(IMAP_OUT), read(WAL_OUT)
failed = False

# ------------------------------------------------------------------ deliveries
done = [(float(t0), float(t1), int(code), mid, rcpts.split(",")) for t0, t1, code, mid, rcpts in smtp["D"]]
ok = [d for d in done if d[2] == 250]
refused = [d for d in done if d[2] != 250]
span = max(d[1] for d in done) - START if done else float("nan")
lat = [d[1] - d[0] for d in ok]
n_rcpt = sum(len(d[4]) for d in ok)
print(f"deliveries:        {len(ok)} messages acknowledged (250) to {n_rcpt} mailboxes in {span:.1f} s: "
      f"{len(ok) / span:.0f} msg/s, {n_rcpt / span:.0f} mailbox deliveries/s")
print(f"delivery latency:  end of DATA -> 250: p50 {ms(pct(lat, 50))} ms, p99 {ms(pct(lat, 99))} ms, "
      f"p99.9 {ms(pct(lat, 99.9))} ms, max {ms(max(lat, default=0))} ms")
if refused:
    failed = True
    codes = collections.Counter(d[2] for d in refused)
    print(f"REFUSED:           {len(refused)} messages got no 250 at the end of DATA: {dict(codes)}")
for e in smtp["E"]:
    failed = True
    print(f"SMTP SESSION FAILED: {e}")

# one-second buckets: the slowest second says more than the mean
buckets = collections.Counter(int(d[1] - START) for d in ok if d[1] < END)
if buckets:
    secs = range(0, int(END - START))
    worst = min(secs, key=lambda s: buckets.get(s, 0))
    print(f"per second:        {min(buckets.get(s, 0) for s in secs)} to {max(buckets.values())} deliveries "
          f"(slowest second: +{worst} s, {wall(START + worst)} UTC)")

# ------------------------------------------------------------------ IMAP
by_cmd = collections.defaultdict(list)
for name, user, t0, t1 in imap["C"]:
    by_cmd[name].append(float(t1) - float(t0))
print("IMAP command latency (ms; DONE = from DONE to the IDLE's tagged OK):")
print(f"  {'command':8} {'count':>7} {'p50':>8} {'p99':>8} {'max':>8}")
for name in ("SELECT", "FETCH", "NOOP", "STATUS", "DONE"):
    v = by_cmd.get(name, [])
    print(f"  {name:8} {len(v):7} {ms(pct(v, 50)):>8} {ms(pct(v, 99)):>8} {ms(max(v, default=0)):>8}")
for e in imap["E"]:
    failed = True
    print(f"IMAP SESSION FAILED: {e}")

# IDLE push: the first message above the count known when IDLE began is the
# base-th acknowledged delivery to that account (a fresh store; UIDs follow
# commit order, and a 250 is sent only after the commit).
acked = collections.defaultdict(list)
for d in ok:
    for r in d[4]:
        acked[r].append(d[1])
for v in acked.values():
    v.sort()
push, early, unmatched = [], 0, 0
for user, t_sent, t_push, base, exists in imap["I"]:
    times = acked.get(user, [])
    base = int(base)
    if base >= len(times):
        unmatched += 1
        continue
    d = float(t_push) - max(times[base], float(t_sent))
    if d < 0:
        early += 1  # the EXISTS was read before the SMTP client read its 250
    push.append(max(0.0, d))
timeouts = len(imap["T"])
print(f"IDLE push latency: 250 of a delivery -> '* n EXISTS' in IDLE: n={len(push)}, p50 {ms(pct(push, 50))} ms, "
      f"p99 {ms(pct(push, 99))} ms, max {ms(max(push, default=0))} ms "
      f"({early} pushes arrived before the SMTP client read the 250, counted as 0; "
      f"{timeouts} IDLEs ended without mail: 5 s or the end of the run; {unmatched} unmatched)")
slow_push = [p for p in push if p > 1.0]
if slow_push:
    print(f"  {len(slow_push)} pushes took over 1 s")

# ------------------------------------------------------------------ WAL
samples = [(float(t), int(size), int(seq), int(mx), int(bf)) for t, size, seq, mx, bf in wal["W"]]
restarts = progress = 0
events = []
for a, b in zip(samples, samples[1:]):
    if b[2] != a[2] and a[2] >= 0 and b[2] >= 0:
        restarts += 1
        events.append((b[0], "WAL restarted"))
    elif b[4] > a[4]:
        progress += 1
        events.append((b[0], f"checkpoint copied {b[4] - a[4]} frames"))
    if b[1] < a[1] and b[1] >= 0:
        events.append((b[0], f"WAL file shrank {a[1]} -> {b[1]} bytes"))
truncations = []
with open(SERVE_LOG, errors="replace") as f:
    for line in f:
        try:
            t = datetime.datetime.strptime(line[:23], "%Y-%m-%dT%H:%M:%S.%f").replace(
                tzinfo=datetime.timezone.utc).timestamp() - WALL
        except ValueError:
            continue
        if "checkpointed and truncated" in line:
            truncations.append(t)
        if " WARN " in line or " ERROR " in line or "truncated" in line:
            events.append((t, "log: " + line[24:].strip()[:160]))
sizes = [s[1] for s in samples if s[1] >= 0]
print(f"WAL checkpoints:   seen in {len(samples)} samples of the WAL and its -shm index every 100 ms: "
      f"{progress} checkpoint runs that copied frames, {restarts} WAL restarts after a complete checkpoint, "
      f"{len(truncations)} TRUNCATE checkpoints (log lines); WAL size max {max(sizes, default=0) / 1e6:.1f} MB, "
      f"at the end {sizes[-1] / 1e6 if sizes else 0:.1f} MB (PASSIVE checkpoints are not logged)")

# ------------------------------------------------------------------ stalls
ends = sorted(d[1] for d in done)
gaps = []
prev = START
for t in ends:
    if prev < END and t - prev > GAP:
        gaps.append((prev, t - prev))
    prev = t
longest = max((t - p for p, t in zip([START] + ends, ends) if p < END), default=float("nan"))
lags = [(float(t), float(late)) for t, late in smtp["L"] + imap["L"]]
print(f"stall detector:    longest time with no delivery completed while clients were sending: {ms(longest)} ms; "
      f"gaps over {GAP * 1000:.0f} ms: {len(gaps)}")
for begin, length in gaps:
    lag = max((late for t, late in lags if begin - 0.1 <= t <= begin + length), default=0)
    near = [f"{e[1]} at +{e[0] - begin:.2f}s" for e in events if begin - 1.0 <= e[0] <= begin + length + 0.2]
    print(f"  STALL {ms(length)} ms from {wall(begin)} UTC (+{begin - START:.2f} s); client loop lag then "
          f"{ms(lag)} ms; nearby: {'; '.join(near[-6:]) or 'nothing logged or sampled'}")
smtp_lag = max((float(l) for _, l in smtp["L"]), default=0)
imap_lag = max((float(l) for _, l in imap["L"]), default=0)
print(f"client loop lag:   max {ms(smtp_lag)} ms (SMTP load), {ms(imap_lag)} ms (IMAP load): "
      "latencies include at most this much of the clients' own delay")
sys.exit(1 if failed else 0)
