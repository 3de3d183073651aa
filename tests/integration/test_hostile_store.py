"""Spooling (README.md, "Spooling"): a DATA or BDAT transfer beyond 128 KiB
goes to a file under data_dir/tmp, written off the loop, so that parked
transfers cost disk, not memory. Forty MX sessions parked with 5 MB each
keep the server's RSS within a bound; every accepted message is stored byte
for byte; a SIGKILL in the middle of a spooled DATA loses nothing that was
acknowledged and leaves no temp file after the restart."""

import os
import signal
import time

import pochta_harness as h
from pochta_harness import ALICE, BOB, REMOTE_SENDER

SESSIONS = 40
PARKED_BYTES = 5 * 1024 * 1024
RSS_BOUND = 60 * 1024 * 1024  # growth allowed while everything is parked
LIMITS = {"max_message_size": 8_000_000}


def rss(srv):
    with open(f"/proc/{srv.proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def tmp_bytes(srv):
    tmp = srv.folder / "data" / "tmp"
    return sum(p.stat().st_size for p in tmp.iterdir() if p.is_file()) if tmp.exists() else 0


def tmp_files(srv):
    tmp = srv.folder / "data" / "tmp"
    return sorted(tmp.iterdir()) if tmp.exists() else []


def body_for(i, size):
    line = f"message {i:03d} of the parked sessions, a line of filler text ......\r\n".encode()
    return line * (size // len(line))


def start_data(srv, rcpt, tok, body):
    """Opens a session and sends everything of a message but its end."""
    c = srv.raw("smtp", timeout=120)
    c.ehlo()
    for cmd, code in ((f"MAIL FROM:<{REMOTE_SENDER}>", 250), (f"RCPT TO:<{rcpt}>", 250), ("DATA", 354)):
        r = c.cmd(cmd)
        assert r.code == code, r
    message = h.make_message(tok, to=rcpt, body=body)
    c.send(h.dot_stuff(message))
    return c, message


def test_parked_data_costs_disk_not_memory(make_server):
    srv = make_server(listen=("smtp",), limits=LIMITS)
    before = rss(srv)
    sessions = []
    try:
        for i in range(SESSIONS):
            tok = h.token(f"park{i}")
            c, message = start_data(srv, (ALICE, BOB)[i % 2], tok, body_for(i, PARKED_BYTES))
            sessions.append((c, tok, message))
        # Everything sent is on disk before the bound is judged.
        assert h.eventually(lambda: tmp_bytes(srv) >= SESSIONS * PARKED_BYTES, timeout=120), tmp_bytes(srv)
        grown = rss(srv) - before
        print(f"RSS {before / 2**20:.1f} MB -> +{grown / 2**20:.1f} MB parked")
        assert grown < RSS_BOUND, f"RSS grew by {grown / 2**20:.1f} MB with {SESSIONS} parked transfers"
        for c, _tok, _m in sessions:
            c.send(b".\r\n")
        for c, _tok, _m in sessions:
            assert c.reply().code == 250
    finally:
        for c, _tok, _m in sessions:
            c.close()
    for i, (_c, tok, message) in enumerate(sessions):
        user = (ALICE, BOB)[i % 2]
        assert h.body_of(srv.find_one(user, tok)) == message, tok
    assert h.eventually(lambda: not tmp_files(srv)), tmp_files(srv)  # spools go with their delivery


def big_message(tag, rcpt, megabytes):
    tok = h.token(tag)
    return tok, h.make_message(tok, to=rcpt, body=body_for(megabytes, megabytes * 1024 * 1024))


def test_bdat_chunks_are_spooled_and_stored_intact(make_server):
    srv = make_server(listen=("smtp",), limits=LIMITS)
    tok, message = big_message("bdat", ALICE, 3)
    with srv.raw("smtp", timeout=60) as c:
        c.ehlo()
        for cmd in (f"MAIL FROM:<{REMOTE_SENDER}>", f"RCPT TO:<{ALICE}>"):
            assert c.cmd(cmd).code == 250
        step = 1_000_000
        for start in range(0, len(message), step):
            chunk = message[start:start + step]
            last = start + step >= len(message)
            c.send(f"BDAT {len(chunk)}{' LAST' if last else ''}\r\n".encode() + chunk)
            assert c.reply().code == 250
    assert h.body_of(srv.find_one(ALICE, tok)) == message


def test_sigkill_during_spooled_data_keeps_what_was_acknowledged(make_server):
    srv = make_server(listen=("smtp",), limits=LIMITS)
    acked, acked_message = big_message("acked", ALICE, 2)
    with srv.raw("smtp", timeout=60) as c:
        c.ehlo()
        assert c.transaction(REMOTE_SENDER, [ALICE], acked_message).code == 250
    c, _m = start_data(srv, BOB, h.token("cut"), body_for(3, 3 * 1024 * 1024))
    try:
        assert h.eventually(lambda: tmp_bytes(srv) > 1024 * 1024, timeout=60)
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait()
    finally:
        c.close()
    srv._forget()
    assert tmp_files(srv), "the cut transfer left its spool"
    srv.start()
    assert not tmp_files(srv), tmp_files(srv)
    assert h.body_of(srv.find_one(ALICE, acked)) == acked_message
    assert srv.message_list(BOB) == []
