"""What was acknowledged survives: SIGKILL under load loses no 250'd
message, restarts are clean, UIDs stay; SIGTERM/SIGINT stop gracefully."""

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
LARGE_BODY = b"durability test body, a large one, stored as a blob file of its own\r\n" * 1000
SUBJECT_RE = re.compile(rb"\r\nSubject: (dur-\S+)\r\n")


def expected_message(tok, rcpt):
    large = int(tok.rsplit("-", 1)[1]) % 4 == 3
    return h.make_message(tok, to=rcpt, body=LARGE_BODY if large else SMALL_BODY)


def blast_and_kill(srv, round_no):
    """20 clients send until the server is SIGKILLed; returns {token: rcpt} of 250'd mail."""
    acked, lock = {}, threading.Lock()
    stop = threading.Event()
    port = srv.ports["smtp"]

    def worker(i):
        n = 0
        try:
            with smtplib.SMTP("127.0.0.1", port, local_hostname=h.CLIENT_NAME, timeout=15) as s:
                while not stop.is_set():
                    tok = f"dur-{round_no}-{i}-{n}"
                    rcpt = (ALICE, BOB)[(i + n) % 2]
                    s.sendmail(REMOTE_SENDER, [rcpt], expected_message(tok, rcpt))
                    with lock:  # sendmail returned: the server said 250
                        acked[tok] = rcpt
                    n += 1
        except (OSError, smtplib.SMTPException):
            pass  # the kill

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    time.sleep(KILL_AFTER)
    srv.kill()
    stop.set()
    for t in threads:
        t.join(20)
    assert not any(t.is_alive() for t in threads), "a client hung after the kill"
    return acked


def stored_tokens(srv, known):
    """{token: (user, uid)} of every stored durability message.

    Each message read is checked to be whole. `known` ({(user, uid): (size,
    token)}) holds what an earlier round read: those must still be listed
    with the same UID and size and are not read again (one CLI process per
    message is the slow part)."""
    found = {}
    for user in (ALICE, BOB):
        rows = srv.message_list(user)
        listed = {(user, uid): size for uid, size, _flags in rows}
        for (u, uid), (size, tok) in known.items():
            if u == user:
                assert listed.get((u, uid)) == size, f"{u} UID {uid} ({tok}) changed or vanished"
                found[tok] = (u, uid)
        for uid, size, _flags in rows:
            if (user, uid) in known:
                continue
            stored = srv.show(user, "INBOX", uid)
            assert size == len(stored), (user, uid, size, len(stored))
            m = SUBJECT_RE.search(stored)
            if not m:
                continue
            tok = m.group(1).decode()
            # Present means complete: no torn or mixed-up message.
            assert h.body_of(stored) == expected_message(tok, user), (user, uid)
            assert tok not in found, f"{tok} stored twice"
            found[tok] = (user, uid)
            known[(user, uid)] = (size, tok)
    return found


def check_restart_is_clean(srv):
    assert srv.alive()
    assert not srv.sanitizer_reports()
    tok = h.token("after-restart")
    with srv.raw() as c:
        c.ehlo()
        assert c.transaction(REMOTE_SENDER, [ALICE], h.make_message(tok)).code == 250
    srv.find_one(ALICE, tok)
    for user in (ALICE, BOB):
        boxes = srv.mailboxes(user)
        assert boxes["INBOX"][0] == len(srv.message_list(user)), boxes


def test_sigkill_under_load_loses_nothing_acknowledged(make_server):
    srv = make_server()
    all_acked, known = {}, {}
    for round_no in (1, 2):
        acked = blast_and_kill(srv, round_no)
        assert len(acked) >= CLIENTS, f"only {len(acked)} messages acknowledged in {KILL_AFTER}s"
        all_acked.update(acked)
        srv.start()
        stored = stored_tokens(srv, known)
        missing = sorted(t for t in all_acked if t not in stored)
        assert not missing, f"{len(missing)} of {len(all_acked)} acknowledged messages lost: {missing[:10]}"
        for tok, (user, _uid) in stored.items():
            assert tok not in all_acked or all_acked[tok] == user, tok
        check_restart_is_clean(srv)


def test_sigterm_with_idle_session(make_server):
    srv = make_server()
    with srv.raw() as c:
        c.ehlo()
        rc, secs = srv.stop()
        assert rc == 0, f"exit status {rc}\n{srv.log_text()}"
        assert secs < 10
        assert c.closed_or_421(5.0), "client got neither 421 nor a close"


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
