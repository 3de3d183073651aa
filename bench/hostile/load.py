#!/usr/bin/python3
"""Load for bench/hostile-load.sh: normal clients and attackers, one process each.

  load.py normal SMTP_PORT IMAP_PORT DURATION OUT
      10 IMAP clients (STARTTLS, LOGIN, then SELECT / UID FETCH 1:* FLAGS / NOOP,
      logging out and in again every 20 rounds) and 10 SMTP clients (one
      4 KiB message per connection), all from 127.0.0.1. Writes one JSON
      object: per kind the list of latencies in ms, and the failures.
  load.py attack SMTP_PORT IMAP_PORT DURATION OUT
      200 attacking connections from 127.0.0.2-127.0.0.21 (see ATTACKS).
      Every loop is bounded in bytes and time; writes what each kind did.
  load.py append IMAP_PORT USER PASSWORD SIZE
      APPENDs one message of SIZE bytes to USER's INBOX (the search attack's
      target).
  load.py rss OUT PID...
      Samples the summed RSS of the PIDs and all their descendants every
      250 ms until killed; OUT gets the peak in KiB after every sample.

Users: alice@example.test and bob@example.test (normal), mallory@example.test
(the attacker's own account), all with the password "secret".
"""
import asyncio
import json
import os
import ssl
import sys
import time

PASSWORD = "secret"
NORMAL_USERS = ["alice@example.test", "bob@example.test"]
ATTACKER = "mallory@example.test"
ATTACK_IPS = [f"127.0.0.{i}" for i in range(2, 22)]
# kind -> connections; 200 in all.
ATTACKS = {
    "smtp-vrfy-noread": 30,    # pipelines VRFY and never reads the replies
    "imap-capa-noread": 30,    # the same with CAPABILITY before login
    "slowloris": 30,           # one byte every 2 s of a line that never ends
    "login-flood": 30,         # wrong passwords for alice, gives up after 150 ms, reconnects
    "parked-data": 30,         # 5 MB of DATA on the MX, then silence
    "rcpt-harvest": 30,        # RCPT TO unknown users, one after another
    "search-heavy": 20,        # its own account: SEARCH BODY <100 KB> over a 4 MB message
}
FLOOD_BYTES = 2 << 20          # per non-reading connection
PARKED_BYTES = 5 << 20


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


async def open_conn(port, source=None, timeout=10):
    local = (source, 0) if source else None
    return await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port, local_addr=local, limit=1 << 22), timeout)


async def read_smtp_reply(reader):
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("closed")
        if len(line) < 4 or line[3:4] != b"-":
            return line


async def imap_cmd(reader, writer, tag, command):
    writer.write(f"{tag} {command}\r\n".encode())
    await writer.drain()
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("closed")
        if line.startswith(tag.encode() + b" "):
            if not line.startswith(tag.encode() + b" OK"):
                raise RuntimeError(line.decode(errors="replace").strip())
            return


async def imap_login(port, user, password, source=None):
    reader, writer = await open_conn(port, source)
    await reader.readline()
    await imap_cmd(reader, writer, "s", "STARTTLS")
    await writer.start_tls(tls_context())
    await imap_cmd(reader, writer, "l", f'LOGIN "{user}" "{password}"')
    return reader, writer


def ms_since(t0):
    return (time.monotonic() - t0) * 1000


# ------------------------------------------------------------------ normal
async def normal_imap(port, user, end, out):
    while time.monotonic() < end:
        try:
            t0 = time.monotonic()
            reader, writer = await imap_login(port, user, PASSWORD)
            out["imap-login"].append(ms_since(t0))
            for n in range(20):
                if time.monotonic() >= end:
                    break
                for command in ("SELECT INBOX", "UID FETCH 1:* (FLAGS)", "NOOP"):
                    t0 = time.monotonic()
                    await asyncio.wait_for(imap_cmd(reader, writer, f"c{n}", command), 30)
                    out["imap-command"].append(ms_since(t0))
                await asyncio.sleep(0.05)
            writer.close()
        except Exception as e:  # noqa: BLE001 - every failure is counted
            out["failures"].append(f"imap {user}: {e!r}"[:200])
            await asyncio.sleep(0.5)


async def normal_smtp(port, rcpt, end, out):
    body = ("x" * 76 + "\r\n") * 52
    while time.monotonic() < end:
        try:
            t0 = time.monotonic()
            reader, writer = await open_conn(port)
            await asyncio.wait_for(read_smtp_reply(reader), 30)
            for line in ("EHLO normal.example", "MAIL FROM:<someone@elsewhere.example>", f"RCPT TO:<{rcpt}>", "DATA"):
                writer.write(line.encode() + b"\r\n")
                reply = await asyncio.wait_for(read_smtp_reply(reader), 30)
                if reply[:1] not in b"23":
                    raise RuntimeError(reply.decode(errors="replace").strip())
            writer.write(f"Subject: normal\r\n\r\n{body}.\r\n".encode())
            reply = await asyncio.wait_for(read_smtp_reply(reader), 60)
            if not reply.startswith(b"250"):
                raise RuntimeError(reply.decode(errors="replace").strip())
            out["smtp-transaction"].append(ms_since(t0))
            writer.write(b"QUIT\r\n")
            writer.close()
            await asyncio.sleep(0.1)
        except Exception as e:  # noqa: BLE001
            out["failures"].append(f"smtp: {e!r}"[:200])
            await asyncio.sleep(0.5)


async def run_normal(smtp_port, imap_port, duration):
    out = {"imap-login": [], "imap-command": [], "smtp-transaction": [], "failures": []}
    end = time.monotonic() + duration
    tasks = [normal_imap(imap_port, NORMAL_USERS[i % 2], end, out) for i in range(10)]
    tasks += [normal_smtp(smtp_port, NORMAL_USERS[i % 2], end, out) for i in range(10)]
    await asyncio.gather(*tasks)
    return out


# ------------------------------------------------------------------ attacks
async def hold(writer, end):
    while time.monotonic() < end and not writer.is_closing():
        await asyncio.sleep(0.5)


async def noread_flood(port, source, end, greeting_line, command, stats):
    reader, writer = await open_conn(port, source)
    await reader.readline() if greeting_line else None
    chunk = command * (65536 // len(command))
    sent = 0
    while sent < FLOOD_BYTES and time.monotonic() < end:
        writer.write(chunk)
        try:
            await asyncio.wait_for(writer.drain(), max(0.1, end - time.monotonic()))
        except asyncio.TimeoutError:
            break  # the server stopped reading: what this attack should meet
        sent += len(chunk)
    stats["bytes"] = stats.get("bytes", 0) + sent
    await hold(writer, end)


async def slowloris(port, source, end, stats):
    reader, writer = await open_conn(port, source)
    while time.monotonic() < end:
        writer.write(b"A")
        await writer.drain()
        stats["bytes"] = stats.get("bytes", 0) + 1
        await asyncio.sleep(2)
        if reader.at_eof():
            stats["closed"] = stats.get("closed", 0) + 1
            return


async def login_flood(port, source, end, stats):
    while time.monotonic() < end:
        try:
            reader, writer = await open_conn(port, source)
            await reader.readline()
            await imap_cmd(reader, writer, "s", "STARTTLS")
            await writer.start_tls(tls_context())
            writer.write(b'l LOGIN "alice@example.test" "wrong"\r\n')
            await writer.drain()
            stats["tries"] = stats.get("tries", 0) + 1
            try:
                await asyncio.wait_for(reader.readline(), 0.15)
                stats["answered"] = stats.get("answered", 0) + 1
            except asyncio.TimeoutError:
                pass
            writer.close()
        except Exception:  # noqa: BLE001 - refused or closed: try again
            stats["refused"] = stats.get("refused", 0) + 1
            await asyncio.sleep(0.2)


async def parked_data(port, source, end, stats):
    reader, writer = await open_conn(port, source)
    await read_smtp_reply(reader)
    for line in ("EHLO parked.example", "MAIL FROM:<p@elsewhere.example>", "RCPT TO:<alice@example.test>", "DATA"):
        writer.write(line.encode() + b"\r\n")
        await read_smtp_reply(reader)
    line = b"y" * 998 + b"\r\n"
    chunk = line * 64
    sent = 0
    while sent < PARKED_BYTES and time.monotonic() < end:
        writer.write(chunk)
        await writer.drain()
        sent += len(chunk)
    stats["bytes"] = stats.get("bytes", 0) + sent
    await hold(writer, end)


async def rcpt_harvest(port, source, end, stats):
    while time.monotonic() < end:
        try:
            reader, writer = await open_conn(port, source)
            await read_smtp_reply(reader)
            for line in ("EHLO harvest.example", "MAIL FROM:<h@elsewhere.example>"):
                writer.write(line.encode() + b"\r\n")
                await read_smtp_reply(reader)
            for n in range(5000):
                if time.monotonic() >= end:
                    break
                writer.write(f"RCPT TO:<guess{n}@example.test>\r\n".encode())
                await writer.drain()
                await asyncio.wait_for(read_smtp_reply(reader), max(0.1, end - time.monotonic()))
                stats["probes"] = stats.get("probes", 0) + 1
            writer.close()
        except Exception:  # noqa: BLE001 - closed by the server: reconnect
            stats["closed"] = stats.get("closed", 0) + 1
            await asyncio.sleep(0.2)


async def search_heavy(port, source, end, stats):
    needle = "q" * 100_000
    while time.monotonic() < end:
        try:
            reader, writer = await imap_login(port, ATTACKER, PASSWORD, source)
            await imap_cmd(reader, writer, "x", "SELECT INBOX")
            n = 0
            while time.monotonic() < end:
                writer.write(f"s{n} SEARCH BODY {{{len(needle)}+}}\r\n{needle}\r\n".encode())
                await writer.drain()
                while True:
                    line = await asyncio.wait_for(reader.readline(), max(0.1, end - time.monotonic()))
                    if not line:
                        raise ConnectionError("closed")
                    if line.startswith(f"s{n} ".encode()):
                        break
                stats["searches"] = stats.get("searches", 0) + 1
                n += 1
        except Exception:  # noqa: BLE001
            stats["errors"] = stats.get("errors", 0) + 1
            await asyncio.sleep(0.5)


async def guarded(coro, stats):
    try:
        await coro
    except Exception as e:  # noqa: BLE001
        stats.setdefault("exceptions", []).append(repr(e)[:120])


async def run_attack(smtp_port, imap_port, duration):
    end = time.monotonic() + duration
    stats = {kind: {} for kind in ATTACKS}
    tasks = []
    n = 0
    for kind, count in ATTACKS.items():
        for _ in range(count):
            source = ATTACK_IPS[n % len(ATTACK_IPS)]
            n += 1
            s = stats[kind]
            coro = {
                "smtp-vrfy-noread": lambda: noread_flood(smtp_port, source, end, True, b"VRFY a\r\n", s),
                "imap-capa-noread": lambda: noread_flood(imap_port, source, end, True, b"a CAPABILITY\r\n", s),
                "slowloris": lambda: slowloris(smtp_port if n % 2 else imap_port, source, end, s),
                "login-flood": lambda: login_flood(imap_port, source, end, s),
                "parked-data": lambda: parked_data(smtp_port, source, end, s),
                "rcpt-harvest": lambda: rcpt_harvest(smtp_port, source, end, s),
                "search-heavy": lambda: search_heavy(imap_port, source, end, s),
            }[kind]()
            tasks.append(guarded(coro, s))
    await asyncio.gather(*tasks)
    for s in stats.values():
        if "exceptions" in s:
            s["exceptions"] = sorted(set(s["exceptions"]))[:3]
    return stats


# ------------------------------------------------------------------ helpers
async def append(port, user, password, size):
    reader, writer = await imap_login(port, user, password)
    line = "z" * 76 + "\r\n"
    message = ("Subject: big\r\n\r\n" + line * (size // len(line))).encode()
    writer.write(f"a APPEND INBOX {{{len(message)}+}}\r\n".encode() + message + b"\r\n")
    await writer.drain()
    while True:
        reply = await reader.readline()
        if not reply:
            raise ConnectionError("closed during APPEND")
        if reply.startswith(b"a "):
            if not reply.startswith(b"a OK"):
                raise RuntimeError(reply.decode(errors="replace"))
            return


def descendants(roots):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    found, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, []))
    return found


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def sample_rss(out, roots):
    peak = 0
    while True:
        peak = max(peak, sum(rss_kib(p) for p in descendants(roots)))
        with open(out, "w") as f:
            f.write(f"{peak}\n")
        time.sleep(0.25)


def main():
    mode = sys.argv[1]
    if mode in ("normal", "attack"):
        smtp_port, imap_port, duration, out = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
        run = run_normal if mode == "normal" else run_attack
        result = asyncio.run(run(smtp_port, imap_port, duration))
        with open(out, "w") as f:
            json.dump(result, f)
    elif mode == "append":
        asyncio.run(append(int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])))
    elif mode == "rss":
        sample_rss(sys.argv[2], [int(p) for p in sys.argv[3:]])
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
