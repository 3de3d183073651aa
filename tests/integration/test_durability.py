"""What was acknowledged survives: SIGKILL under load loses no 250'd
message, restarts are clean, UIDs stay; SIGTERM/SIGINT stop gracefully."""

import itertools
import random
import re
import signal
import smtplib
import threading
import time

import pochta_harness as h
from pochta_harness import ALICE, BOB, REMOTE_SENDER

CLIENTS = 20
KILL_AFTER = 1.5
# Small messages live inline in the index, large ones (over 64 KiB) in
# blob files: both durability paths are exercised.
SMALL_BODY = b"durability test body\r\n" * 20
LARGE_BODY = b"durability test body, a large one, stored as a blob file of its own\r\n" * 1400
# Message number k carries 16*k bytes of padding, so its stored size names
# it: reading every message back (one CLI process each) would take minutes.
STEP = 16
SAMPLE = 0.05  # share of messages also read back and compared byte for byte
SUBJECT_RE = re.compile(rb"\r\nSubject: (dur-\d+)\r\n")


def recipient(k):
    return (ALICE, BOB)[k % 2]


def expected_message(tok):
    k = int(tok.split("-")[1])
    body = (LARGE_BODY if k % 4 == 3 else SMALL_BODY) + b"p" * (STEP * k) + b"\r\n"
    return h.make_message(tok, to=recipient(k), body=body)


def blast_and_kill(srv, numbers):
    """20 clients send until the server is SIGKILLed; returns {token: rcpt} of 250'd mail."""
    acked, lock = {}, threading.Lock()
    stop = threading.Event()
    port = srv.ports["smtp"]

    def worker():
        try:
            with smtplib.SMTP("127.0.0.1", port, local_hostname=h.CLIENT_NAME, timeout=15) as s:
                while not stop.is_set():
                    with lock:
                        k = next(numbers)
                    tok = f"dur-{k}"
                    s.sendmail(REMOTE_SENDER, [recipient(k)], expected_message(tok))
                    with lock:  # sendmail returned: the server said 250
                        acked[tok] = recipient(k)
        except (OSError, smtplib.SMTPException):
            pass  # the kill

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    time.sleep(KILL_AFTER)
    srv.kill()
    stop.set()
    for t in threads:
        t.join(20)
    assert not any(t.is_alive() for t in threads), "a client hung after the kill"
    return acked


class Inventory:
    """What the store holds of the durability messages, learnt through the
    CLI: a few messages per user are read to learn the size of the two
    prepended trace fields, then sizes identify the rest; unmatched sizes
    and a random sample are read and compared byte for byte."""

    def __init__(self, srv):
        self.srv = srv
        self.known = {}      # (user, uid) -> (size, token), from earlier rounds
        self.shows = 0

    def read(self, user, uid, size):
        stored = self.srv.show(user, "INBOX", uid)
        self.shows += 1
        assert size == len(stored), (user, uid, size, len(stored))
        m = SUBJECT_RE.search(stored)
        if not m:
            return None
        tok = m.group(1).decode()
        # Present means complete: no torn or mixed-up message.
        assert h.body_of(stored) == expected_message(tok), (user, uid, tok)
        assert recipient(int(tok.split("-")[1])) == user, (user, tok)
        return tok, len(stored) - len(expected_message(tok))

    def scan(self, max_number):
        """{token: (user, uid)} of every durability message now stored."""
        found = {}
        by_length = {len(expected_message(f"dur-{k}")): f"dur-{k}" for k in range(max_number)}
        assert len(by_length) == max_number  # lengths are distinct

        def add(tok, where):
            assert tok not in found, f"{tok} stored twice"
            assert recipient(int(tok.split("-")[1])) == where[0], f"{tok} in the wrong INBOX"
            found[tok] = where

        for user in (ALICE, BOB):
            rows = self.srv.message_list(user)
            listed = {uid: size for uid, size, _flags in rows}
            for (u, uid), (size, tok) in self.known.items():
                if u == user:  # what was there before this kill keeps its UID and size
                    assert listed.get(uid) == size, f"{u} UID {uid} ({tok}) changed or vanished"
                    add(tok, (u, uid))
            fresh = [(uid, size) for uid, size in listed.items() if (user, uid) not in self.known]
            trace_sizes = set()
            for uid, size in fresh[:3] + random.sample(fresh, int(len(fresh) * SAMPLE)):
                if (user, uid) in self.known:
                    continue
                got = self.read(user, uid, size)
                if got:
                    add(got[0], (user, uid))
                    trace_sizes.add(got[1])
                    self.known[(user, uid)] = (size, got[0])
            for uid, size in fresh:
                if (user, uid) in self.known:
                    continue
                matches = [by_length[size - t] for t in trace_sizes if size - t in by_length]
                tok = matches[0] if len(matches) == 1 else None
                if tok is None:  # no size match: read it
                    got = self.read(user, uid, size)
                    if not got:
                        continue
                    tok = got[0]
                    trace_sizes.add(got[1])
                add(tok, (user, uid))
                self.known[(user, uid)] = (size, tok)
        return found


def check_restart_is_clean(srv):
    assert srv.alive()
    assert not srv.sanitizer_reports()
    tok = h.token("after-restart")
    with srv.raw() as c:
        c.ehlo()
        assert c.transaction(REMOTE_SENDER, [ALICE], h.make_message(tok)).code == 250
    newest_uid = max(uid for uid, _s, _f in srv.message_list(ALICE))
    assert h.body_of(srv.show(ALICE, "INBOX", newest_uid)) == h.make_message(tok)
    for user in (ALICE, BOB):
        boxes = srv.mailboxes(user)
        assert boxes["INBOX"][0] == len(srv.message_list(user)), boxes


def test_sigkill_under_load_loses_nothing_acknowledged(make_server):
    srv = make_server()
    numbers = itertools.count()
    inventory = Inventory(srv)
    all_acked = {}
    for _round in (1, 2):
        acked = blast_and_kill(srv, numbers)
        assert len(acked) >= CLIENTS, f"only {len(acked)} messages acknowledged in {KILL_AFTER}s"
        all_acked.update(acked)
        srv.start()
        stored = inventory.scan(next(numbers))
        missing = sorted(t for t in all_acked if t not in stored)
        assert not missing, f"{len(missing)} of {len(all_acked)} acknowledged messages lost: {missing[:10]}"
        check_restart_is_clean(srv)
        print(f"round {_round}: {len(acked)} acknowledged, {len(stored)} stored, {inventory.shows} read back")


def test_sigterm_with_idle_session(make_server):
    srv = make_server()
    with srv.raw() as c:
        c.ehlo()
        rc, secs = srv.stop()
        assert rc == 0, f"exit status {rc}\n{srv.log_text()}"
        assert secs < 10
        assert c.closed_or_421(5.0), "client got neither 421 nor a close"


def test_sigint_stops_like_sigterm(make_server):
    srv = make_server()
    with srv.raw("submissions") as c:
        c.ehlo()
        srv.signal(signal.SIGINT)
        rc = srv.proc.wait(10)
        assert rc == 0
        srv.kill()


def test_sigterm_mid_data_keeps_promises(make_server):
    srv = make_server()
    tok = h.token("term")
    msg = h.make_message(tok, body=b"x" * 5000 + b"\r\n")
    with srv.raw() as c:
        c.ehlo()
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>").code == 250
        assert c.cmd(f"RCPT TO:<{ALICE}>").code == 250
        assert c.cmd("DATA").code == 354
        c.send(msg[:100])
        srv.signal(signal.SIGTERM)
        time.sleep(0.3)
        got_250 = False
        try:
            c.send(msg[100:] + b".\r\n")
            r = c.reply()
            got_250 = r.code == 250
            assert r.code in (250, 421, 451), r
        except (h.ConnectionClosed, ConnectionResetError, BrokenPipeError):
            pass
    rc = srv.proc.wait(10)
    assert rc == 0
    srv.kill()
    srv.start()
    found = srv.find(ALICE, tok)
    if got_250:
        assert len(found) == 1 and h.body_of(found[0]) == msg
    else:
        assert found == [] or h.body_of(found[0]) == msg


def test_restart_keeps_mail_and_uids(make_server):
    srv = make_server()
    toks = [h.token("keep") for _ in range(3)]
    with srv.smtp() as s:
        for tok in toks:
            s.sendmail(REMOTE_SENDER, [BOB], h.make_message(tok, to=BOB))
    before = srv.message_list(BOB)
    boxes_before = srv.mailboxes(BOB)
    rc, _ = srv.stop()
    assert rc == 0
    srv.start()
    assert srv.message_list(BOB) == before
    assert srv.mailboxes(BOB)["INBOX"][2] == boxes_before["INBOX"][2]  # UIDVALIDITY
    for tok in toks:
        srv.find_one(BOB, tok)


def test_sigterm_right_after_listening(make_server):
    # An init system may stop the server the moment it is up.
    srv = make_server(start=False)
    srv.start(probe=False)
    rc, secs = srv.stop()
    assert rc == 0, f"exit status {rc} (negative: killed by that signal)\n{srv.log_text()}"


def test_sighup_right_after_listening(make_server):
    srv = make_server(start=False)
    srv.start(probe=False)
    srv.signal(signal.SIGHUP)
    time.sleep(0.5)
    assert srv.alive(), f"SIGHUP killed the server: {srv.proc.returncode}"
