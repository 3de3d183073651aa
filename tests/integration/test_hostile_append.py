"""Spooled APPEND (README.md, "Spooling"): an IMAP APPEND literal beyond
128 KiB goes to a file under data_dir/tmp, written off the loop, so that
parked APPENDs cost disk, not memory. Thirty sessions parked in the middle
of a 5 MB literal keep the server's RSS within a bound; every message is
stored byte for byte; NUL is still refused outside a literal8; a client
that leaves or a SIGKILL in the middle of a literal leaves no temp file."""

import re
import signal

import pochta_harness as h
from pochta_harness import ALICE, BOB
from test_hostile_store import rss, tmp_bytes, tmp_files
from test_imap_rev2 import Raw, tagged

SESSIONS = 30  # 15 per user: under max_connections_per_user_ip (20)
PARKED_BYTES = 5 * 1024 * 1024
HELD_BACK = 100  # bytes of each literal not sent while parked
RSS_BOUND = 60 * 1024 * 1024  # growth allowed while everything is parked
LIMITS = {"max_message_size": 8_000_000}
APPENDUID = re.compile(rb"^\S+ OK \[APPENDUID (\d+) (\d+)\]")


def message_of(tag, size, extra=b""):
    head = (f"From: Sender <{h.REMOTE_SENDER}>\r\nTo: someone@example.test\r\n"
            f"Subject: {tag}\r\nMessage-ID: <{tag}@remote.example>\r\n\r\n").encode() + extra
    line = f"{tag}: a line of filler text for a large APPEND ................\r\n".encode()
    return head + line * ((size - len(head)) // len(line) + 1)


def uid_of(lines):
    m = APPENDUID.match(tagged(lines))
    assert m, lines
    return int(m.group(2))


def imaps_server(make_server):
    return make_server(listen=("smtp", "imaps"), limits=LIMITS)


def test_parked_appends_cost_disk_not_memory(make_server):
    srv = imaps_server(make_server)
    before = rss(srv)
    sessions = []
    try:
        for i in range(SESSIONS):
            user = (ALICE, BOB)[i % 2]
            message = message_of(f"park{i:02d}", PARKED_BYTES)
            r = Raw(srv, user)
            r.send(f"A APPEND INBOX {{{len(message)}+}}\r\n".encode() + message[:-HELD_BACK])
            sessions.append((r, user, message))
        # Everything sent is on disk before the bound is judged.
        parked = sum(len(m) - HELD_BACK for _r, _u, m in sessions)
        assert h.eventually(lambda: tmp_bytes(srv) >= parked, timeout=120), (tmp_bytes(srv), parked)
        grown = rss(srv) - before
        print(f"RSS {before / 2**20:.1f} MB -> +{grown / 2**20:.1f} MB parked")
        assert grown < RSS_BOUND, f"RSS grew by {grown / 2**20:.1f} MB with {SESSIONS} parked APPENDs"
        for r, _u, message in sessions:
            r.send(message[-HELD_BACK:] + b"\r\n")
        uids = [uid_of(r.until("A")) for r, _u, _m in sessions]
    finally:
        for r, _u, _m in sessions:
            r.sock.close()
    for uid, (_r, user, message) in zip(uids, sessions):
        assert srv.show(user, "INBOX", uid) == message, (user, uid)
    assert h.eventually(lambda: not tmp_files(srv)), tmp_files(srv)  # spools go with their message


def test_spooled_append_keeps_flags_date_and_selected_mailbox_news(make_server):
    srv = imaps_server(make_server)
    r = Raw(srv, ALICE)
    try:
        assert tagged(r.cmd("S", "SELECT INBOX")).startswith(b"S OK")
        message = message_of("flagged", 400_000)
        lines = r.append("A", "INBOX (\\Flagged $Work) \"05-Mar-2021 10:11:12 +0000\"", message, literal8=False)
        uid = uid_of(lines)
        assert b"* 1 EXISTS" in lines
        fetched = r.cmd("F", f"UID FETCH {uid} (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)")
        assert tagged(fetched).startswith(b"F OK")
        assert b"\\Flagged" in fetched[0] and b"$Work" in fetched[0]
        assert b'INTERNALDATE "05-Mar-2021 10:11:12 +0000"' in fetched[0]
        assert f"RFC822.SIZE {len(message)}".encode() in fetched[0]
        assert b'"flagged"' in fetched[0]  # the ENVELOPE's subject, parsed from the spool
    finally:
        r.close()
    assert srv.show(ALICE, "INBOX", uid) == message


def test_nul_over_the_threshold_only_in_a_literal8(make_server):
    srv = imaps_server(make_server)
    message = message_of("nul", 300_000, extra=b"before\0after\r\n")
    r = Raw(srv, ALICE)
    try:
        assert tagged(r.append("A", "INBOX", message, literal8=False)) == \
            b"A NO Message contains NUL; send it as a literal8 (~{n})"
        assert tagged(r.append("B", "INBOX", message, literal8=False, sync=False)).startswith(
            b"B NO Message contains NUL")
        assert r.cmd("S", "STATUS INBOX (MESSAGES)")[0] == b"* STATUS INBOX (MESSAGES 0)"
        uid = uid_of(r.append("C", "INBOX", message, literal8=True))
    finally:
        r.close()
    assert srv.show(ALICE, "INBOX", uid) == message
    assert h.eventually(lambda: not tmp_files(srv)), tmp_files(srv)


def test_spooled_literal_over_the_size_limit_is_toobig(make_server):
    srv = imaps_server(make_server)
    r = Raw(srv, ALICE)
    try:
        message = message_of("huge", LIMITS["max_message_size"] + 1000)
        r.send(f"A APPEND INBOX {{{len(message)}+}}\r\n".encode() + message + b"\r\n")
        assert tagged(r.until("A")) == b"A NO [TOOBIG] Message too big"
        assert tmp_bytes(srv) == 0  # dropped as it came, never written
        assert r.cmd("S", "STATUS INBOX (MESSAGES)")[0] == b"* STATUS INBOX (MESSAGES 0)"
    finally:
        r.close()


def test_client_leaving_mid_literal_leaves_no_spool(make_server):
    srv = imaps_server(make_server)
    message = message_of("left", 2_000_000)
    r = Raw(srv, BOB)
    r.send(f"A APPEND INBOX {{{len(message)}+}}\r\n".encode() + message[:1_500_000])
    assert h.eventually(lambda: tmp_bytes(srv) >= 1_000_000, timeout=60)
    r.sock.close()
    assert h.eventually(lambda: not tmp_files(srv), timeout=20), tmp_files(srv)
    assert srv.message_list(BOB) == []


def test_sigkill_mid_literal_leaves_no_spool_after_restart(make_server):
    srv = imaps_server(make_server)
    r = Raw(srv, ALICE)
    kept = message_of("kept", 1_000_000)
    kept_uid = uid_of(r.append("K", "INBOX", kept, literal8=False, sync=False))
    cut = message_of("cut", 3_000_000)
    r.send(f"A APPEND INBOX {{{len(cut)}+}}\r\n".encode() + cut[:2_000_000])
    try:
        assert h.eventually(lambda: tmp_bytes(srv) > 1_000_000, timeout=60)
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait()
    finally:
        r.sock.close()
    srv._forget()
    assert tmp_files(srv), "the cut APPEND left its spool"
    srv.start()
    assert not tmp_files(srv), tmp_files(srv)
    assert [uid for uid, _s, _f in srv.message_list(ALICE)] == [kept_uid]
    assert srv.show(ALICE, "INBOX", kept_uid) == kept
