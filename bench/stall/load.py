"""Load generators for bench/store-stall.sh (run with /usr/bin/python3).

  load.py smtp   PORT START END SESSIONS USERS WATCHED OUT SEED
  load.py imap   PORT START END WATCHED PASSWORD OUT SELECT|EXAMINE
  load.py wal    INDEX_DB END OUT
  load.py verify PORT WATCHED PASSWORD SMTP_OUT
  load.py count  POCHTA CONFIG SMTP_OUT

START and END are CLOCK_MONOTONIC seconds, the same clock in every process
on Linux, so times taken by the SMTP, IMAP and WAL processes line up. Every
output file is one record per line, whitespace separated (report.py reads
them). Each process also measures its own event-loop lag: a latency is only
the server's when the client's loop was not itself late at that moment.
"""
import asyncio, collections, os, random, ssl, struct, sys, time

CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE
LINE = b"The quick brown fox jumps over the lazy dog, again and again. 0123456789\r\n"


def user_name(i):
    return f"user{i:05d}@example.test"


def read_watched(path):
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


async def lag_probe(end, out, period=0.02):
    """Wakes every `period`; how late it wakes is the loop's own lag."""
    while time.monotonic() < end:
        t = time.monotonic()
        await asyncio.sleep(period)
        late = time.monotonic() - t - period
        if late > 0.005:
            out.append((t + period, late))


async def run_sessions(end, sessions):
    """Runs the session coroutines to their end beside a lag probe; returns
    (the probe's lags, the exceptions that ended sessions)."""
    lags = []
    probe = asyncio.create_task(lag_probe(end, lags))
    results = await asyncio.gather(*sessions, return_exceptions=True)
    await probe
    return lags, [r for r in results if isinstance(r, BaseException)]


def write_records(out, records, lags, errors, what, sessions):
    """One output file: the records (lines), then L (lag) and E (error)
    lines; a failed session is also told on stderr."""
    with open(out, "w") as f:
        for r in records:
            f.write(r + "\n")
        for t, late in lags:
            f.write(f"L {t:.6f} {late:.6f}\n")
        for e in errors:
            f.write(f"E {type(e).__name__}: {str(e)[:200]!r}\n")
    if errors:
        print(f"{what} load: {len(errors)} of {sessions} sessions failed, first: {errors[0]!r}", file=sys.stderr)


def acknowledged(smtp_out):
    """(message id, recipient) of every delivery the SMTP load saw a 250 for."""
    with open(smtp_out) as f:
        for line in f:
            p = line.split()
            if p[0] == "D" and p[3] == "250":
                for r in p[5].split(","):
                    yield p[4], r


# ------------------------------------------------------------------ SMTP
async def smtp_reply(reader):
    """Reads one (possibly multi-line) reply; returns (code, last line)."""
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("SMTP server closed the connection")
        if len(line) < 4 or line[3:4] != b"-":
            return int(line[:3]), line.rstrip()


async def smtp_expect(reader, want, what):
    """Reads a reply; anything but the code `want` ends the session."""
    code, line = await smtp_reply(reader)
    if code != want:
        raise ConnectionError(f"{what}: {line!r}")


def message(msg_id, rcpts, size):
    head = (f"From: Bench <bench@example.test>\r\nTo: {', '.join(rcpts)}\r\n"
            f"Subject: stall bench {msg_id}\r\nDate: Thu, 26 Nov 2026 12:00:00 +0000\r\n"
            f"Message-ID: <{msg_id}@bench.example.test>\r\nX-Bench-Id: {msg_id}\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n").encode()
    body = LINE * max(1, (size - len(head)) // len(LINE))
    return head + body + b".\r\n"


async def smtp_session(k, port, start, end, users, watched, rng, records, size):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        code, line = await smtp_reply(reader)
        if code != 220:
            raise ConnectionError(f"greeting {line!r}")
        writer.write(b"EHLO load.example.test\r\n")
        await smtp_reply(reader)
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        seq = 0
        while time.monotonic() < end:
            seq += 1
            msg_id = f"s{k}-{seq}"
            # 10 % of the mail goes to the accounts the IMAP sessions watch,
            # so their IDLE wakes every few hundred ms; the rest is uniform
            # over all accounts. Some messages have 2 or 3 recipients.
            n = 1 if rng.random() < 0.8 else (2 if rng.random() < 0.75 else 3)
            rcpts = [rng.choice(watched)] if rng.random() < 0.1 else []
            while len(rcpts) < n:
                r = user_name(rng.randrange(users))
                if r not in rcpts:
                    rcpts.append(r)
            writer.write(b"MAIL FROM:<bench@example.test>\r\n")
            await smtp_expect(reader, 250, "MAIL")
            for r in rcpts:
                writer.write(b"RCPT TO:<%s>\r\n" % r.encode())
                await smtp_expect(reader, 250, f"RCPT {r}")
            writer.write(b"DATA\r\n")
            await smtp_expect(reader, 354, "DATA")
            writer.write(message(msg_id, rcpts, size))
            t0 = time.monotonic()
            code, line = await smtp_reply(reader)
            t1 = time.monotonic()
            records.append((t0, t1, code, msg_id, ",".join(rcpts)))
        writer.write(b"QUIT\r\n")
        await smtp_reply(reader)
    finally:
        writer.close()


async def smtp_main(port, start, end, sessions, users, watched, out, seed, size=4096):
    records = []
    rngs = [random.Random(seed * 1000 + k) for k in range(sessions)]
    lags, errors = await run_sessions(end, (smtp_session(k, port, start, end, users, watched, rngs[k], records, size)
                                            for k in range(sessions)))
    write_records(out, (f"D {t0:.6f} {t1:.6f} {code} {msg_id} {rcpts}" for t0, t1, code, msg_id, rcpts in records),
                  lags, errors, "smtp", sessions)


# ------------------------------------------------------------------ IMAP
class Imap:
    def __init__(self, reader, writer):
        self.r, self.w, self.n, self.exists = reader, writer, 0, 0

    async def line(self):
        """One response line with any literals folded in (their bytes kept)."""
        data = await self.r.readline()
        if not data:
            raise ConnectionError("IMAP server closed the connection")
        while data.endswith(b"}\r\n"):
            lb = data.rfind(b"{")
            n = int(data[lb + 1:-3].rstrip(b"+"))
            data += await self.r.readexactly(n)
            data += await self.r.readline()
        return data

    def note(self, line):
        parts = line.split(b" ", 3)
        if len(parts) >= 3 and parts[0] == b"*" and parts[2].rstrip() == b"EXISTS":
            self.exists = int(parts[1])

    async def command(self, text):
        """Sends a command; returns (untagged lines, seconds to the tagged OK)."""
        self.n += 1
        tag = b"c%d" % self.n
        self.w.write(tag + b" " + text + b"\r\n")
        t0 = time.monotonic()
        lines = []
        while True:
            line = await self.line()
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise ConnectionError(f"{text[:40]!r}: {line[:200]!r}")
                return lines, t0, time.monotonic()
            self.note(line)
            lines.append(line)


async def imap_login(port, user, password):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=CTX)
    c = Imap(reader, writer)
    await c.line()  # greeting
    await c.command(b'LOGIN "%s" "%s"' % (user.encode(), password.encode()))
    return c


async def imap_session(port, user, password, end, records, select, idle_max=5.0):
    c = await imap_login(port, user, password)
    try:
        while time.monotonic() < end:
            for name, text in ((b"SELECT", select + b" INBOX"), (b"FETCH", b"FETCH 1:* (FLAGS ENVELOPE)"),
                               (b"NOOP", b"NOOP"), (b"STATUS", b"STATUS Archive (MESSAGES UIDNEXT UNSEEN)")):
                if name == b"FETCH" and c.exists == 0:
                    continue  # FETCH 1:* on an empty mailbox is an error
                _, t0, t1 = await c.command(text)
                records.append(f"C {name.decode()} {user} {t0:.6f} {t1:.6f}")
            await idle(c, user, end, idle_max, records)
        await c.command(b"LOGOUT")
    finally:
        c.w.close()


async def idle(c, user, end, idle_max, records):
    """IDLE until the first EXISTS above the count known when it began (or a
    time-out), then DONE. Records the push time against that base count."""
    c.n += 1
    tag = b"c%d" % c.n
    base = c.exists
    c.w.write(tag + b" IDLE\r\n")
    t_sent = time.monotonic()
    deadline = min(end, t_sent + idle_max)
    t_push = None
    while t_push is None:
        try:
            line = await asyncio.wait_for(c.line(), max(0.001, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            break
        c.note(line)
        if c.exists > base:
            t_push = time.monotonic()
    c.w.write(b"DONE\r\n")
    t_done = time.monotonic()
    while True:
        line = await c.line()
        c.note(line)
        if line.startswith(tag + b" "):
            if not line.startswith(tag + b" OK"):
                raise ConnectionError(f"IDLE: {line[:200]!r}")
            break
    records.append(f"C DONE {user} {t_done:.6f} {time.monotonic():.6f}")
    if t_push is None:
        records.append(f"T {user} {t_sent:.6f} {base}")
    else:
        records.append(f"I {user} {t_sent:.6f} {t_push:.6f} {base} {c.exists}")


async def imap_main(port, start, end, watched, password, out, select):
    records = []
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    lags, errors = await run_sessions(end, (imap_session(port, u, password, end, records, select) for u in watched))
    write_records(out, records, lags, errors, "imap", len(watched))


# ------------------------------------------------------------------ WAL
def wal_main(index_db, end, out, period=0.1):
    """Samples the WAL every `period`: file size, the checkpoint sequence
    number in the WAL header (bumped each time a writer restarts the WAL
    after a complete checkpoint) and, from the -shm wal-index, mxFrame (last
    valid frame) and nBackfill (frames a checkpoint has copied back)."""
    wal, shm = index_db + "-wal", index_db + "-shm"
    with open(out, "w") as f:
        while time.monotonic() < end:
            t = time.monotonic()
            size, seq, mx, backfill = -1, -1, -1, -1
            try:
                size = os.path.getsize(wal)
                with open(wal, "rb") as w:
                    head = w.read(16)
                if len(head) == 16:
                    seq = struct.unpack(">I", head[12:16])[0]
                with open(shm, "rb") as s:
                    idx = s.read(136)
                if len(idx) == 136:
                    mx = struct.unpack("=I", idx[16:20])[0]
                    backfill = struct.unpack("=I", idx[96:100])[0]
            except OSError:
                pass
            f.write(f"W {t:.6f} {size} {seq} {mx} {backfill}\n")
            time.sleep(max(0.0, period - (time.monotonic() - t)))


# ------------------------------------------------------------------ verify
async def verify_main(port, watched, password, smtp_out):
    """Exact content check of the watched accounts: the X-Bench-Id of every
    INBOX message must be the set of acknowledged deliveries to it."""
    expected = {u: set() for u in watched}
    for msg_id, r in acknowledged(smtp_out):
        if r in expected:
            expected[r].add(msg_id)
    bad = 0
    for u in watched:
        c = await imap_login(port, u, password)
        await c.command(b"EXAMINE INBOX")
        got = []
        if c.exists:
            lines, _, _ = await c.command(b"FETCH 1:* (BODY.PEEK[HEADER.FIELDS (X-Bench-Id)])")
            for line in lines:
                i = line.find(b"X-Bench-Id:")
                if i >= 0:
                    got.append(line[i + 11:].split(b"\r\n")[0].strip().decode())
        await c.command(b"LOGOUT")
        c.w.close()
        missing, extra = expected[u] - set(got), set(got) - expected[u]
        dups = len(got) - len(set(got))
        if missing or extra or dups:
            bad += 1
            print(f"verify: {u}: {len(missing)} acknowledged but missing, {len(extra)} unexpected, "
                  f"{dups} duplicated (of {len(expected[u])})", file=sys.stderr)
    n = sum(len(v) for v in expected.values())
    print(f"verify: IMAP content check of {len(watched)} watched accounts: {n} messages, "
          f"{'all present exactly once' if not bad else f'{bad} accounts WRONG'}")
    return 1 if bad else 0


def count_main(pochta, config, smtp_out, jobs=8):
    """Count check of every account that got mail: its INBOX holds exactly
    as many messages as acknowledged deliveries named it (`pochta mailbox
    list`, 8 at a time: each call uses little CPU but ~30 ms of wall time)."""
    import concurrent.futures, subprocess
    expected = collections.Counter(r for _, r in acknowledged(smtp_out))

    def inbox(user):
        out = subprocess.run([pochta, "mailbox", "list", user, "-c", config], capture_output=True, text=True)
        if out.returncode != 0:
            return user, f"error: {out.stderr.strip()[:200]}"
        for line in out.stdout.splitlines():
            p = line.split()
            if p and p[0] == "INBOX":
                return user, int(p[1])
        return user, 0

    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        found = dict(pool.map(inbox, sorted(expected)))
    wrong = [(u, n, found[u]) for u, n in sorted(expected.items()) if found[u] != n]
    for u, n, got in wrong[:20]:
        print(f"verify: {u}: {n} acknowledged, INBOX holds {got}", file=sys.stderr)
    total = sum(expected.values())
    print(f"verify: INBOX counts of all {len(expected)} accounts that got mail ({total} deliveries): "
          f"{'all match the acknowledged deliveries' if not wrong else f'{len(wrong)} accounts WRONG'}")
    return 1 if wrong else 0


def main(argv):
    mode = argv[1]
    if mode == "smtp":
        port, start, end, sessions, users, watched, out, seed = argv[2:10]
        asyncio.run(smtp_main(int(port), float(start), float(end), int(sessions), int(users),
                              read_watched(watched), out, int(seed)))
    elif mode == "imap":
        port, start, end, watched, password, out, select = argv[2:9]
        asyncio.run(imap_main(int(port), float(start), float(end), read_watched(watched), password, out,
                              select.encode()))
    elif mode == "wal":
        wal_main(argv[2], float(argv[3]), argv[4])
    elif mode == "verify":
        return asyncio.run(verify_main(int(argv[2]), read_watched(argv[3]), argv[4], argv[5]))
    elif mode == "count":
        return count_main(argv[2], argv[3], argv[4])
    elif mode == "now":
        print(f"{time.monotonic():.6f}")
    else:
        raise SystemExit(f"unknown mode {mode}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
