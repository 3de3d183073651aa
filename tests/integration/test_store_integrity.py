"""A message whose blob file is missing or damaged (README.md, "Integrity"):
IMAP FETCH answers NO [UNAVAILABLE] and leaves it unseen, SEARCH treats it
as not matching, POP3 refuses that message only; `pochta check` reports and
repairs; a lost index.db beside blob files refuses to start."""

import imaplib
import poplib
import sqlite3
import subprocess

import pytest

import pochta_harness as h
from pochta_harness import ALICE, BOB, PASSWORD

LISTEN = ("smtp", "pop3", "imap")
BIG = b"a line of a message large enough to be kept as a blob file\r\n" * 2000  # ~120 KB


def blob_files(srv):
    return sorted(p for p in (srv.folder / "data" / "blobs").rglob("*") if p.is_file())


def deliver_big(srv, user, tok):
    h.deliver(srv, user, h.make_message(tok, to=user, body=BIG))
    return h.eventually(lambda: srv.find_one(user, tok))


def check(srv, *args):
    r = srv.cli("check", *args)
    return r.returncode, r.stdout.decode()


def imap_login(srv, user):
    m = imaplib.IMAP4("127.0.0.1", srv.ports["imap"], timeout=30)
    m.starttls(ssl_context=h.client_tls_context())
    m.login(user, PASSWORD)
    return m


@pytest.fixture
def srv(make_server):
    return make_server(listen=LISTEN)


def break_one(srv, user):
    """Two large messages and one small; the first large one loses its file."""
    deliver_big(srv, user, h.token("lost"))
    before = set(blob_files(srv))
    deliver_big(srv, user, h.token("kept"))
    h.deliver(srv, user, h.make_message(h.token("small"), to=user))
    h.eventually(lambda: len(srv.message_list(user)) == 3)
    (lost,) = before
    lost.unlink()
    return lost.name


def test_imap_fetch_of_a_lost_blob_is_unavailable_and_not_seen(srv):
    sha = break_one(srv, ALICE)
    m = imap_login(srv, ALICE)
    m.select("INBOX")
    typ, data = m.fetch("1", "(BODY[])")
    assert typ == "NO" and b"[UNAVAILABLE]" in data[0], (typ, data)
    typ, data = m.fetch("1:3", "(FLAGS)")  # the rest of the mailbox works
    assert typ == "OK" and b"\\Seen" not in data[0], data
    typ, data = m.fetch("2", "(BODY[])")
    assert typ == "OK" and data[0][1].endswith(BIG)
    typ, data = m.search(None, "BODY", "\"large enough\"")
    assert typ == "OK" and data[0].split() == [b"2"], data  # the lost one does not match
    m.logout()
    log = h.eventually(lambda: sha in srv.log_text() and srv.log_text())
    assert f"user={ALICE} message uid=1 is unavailable" in log
    flags = {uid: f for uid, _size, f in srv.message_list(ALICE)}
    assert "\\Seen" not in flags[1]


def indexed_docs(srv):
    """Message ids the full-text index holds the text of, over every user."""
    ids = set()
    for path in (srv.folder / "data" / "fts").glob("*.db"):
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                ids |= {row[0] for row in db.execute("SELECT message_id FROM docs WHERE indexed <> 0")}
        except sqlite3.OperationalError:  # created a moment ago, its tables not yet
            pass
    return ids


def test_search_answered_by_the_index_skips_a_lost_blob(srv):
    """The index matches the lost message without reading it: SEARCH still
    checks that it is readable, and leaves it out."""
    deliver_big(srv, ALICE, h.token("lost"))
    (lost,) = blob_files(srv)
    deliver_big(srv, ALICE, h.token("kept"))
    assert h.eventually(lambda: len(indexed_docs(srv)) == 2, timeout=60)
    lost.unlink()
    m = imap_login(srv, ALICE)
    m.select("INBOX")
    typ, data = m.search(None, "BODY", "\"large enough\"")
    assert typ == "OK" and data[0].split() == [b"2"], data
    typ, data = m.search(None, "TEXT", "\"large enough\"")
    assert typ == "OK" and data[0].split() == [b"2"], data
    m.logout()
    log = h.eventually(lambda: lost.name in srv.log_text() and srv.log_text())
    assert f"user={ALICE} message uid=1 is unavailable" in log


def test_pop3_refuses_only_the_lost_message(srv):
    break_one(srv, BOB)
    p = poplib.POP3("127.0.0.1", srv.ports["pop3"], timeout=30)
    p.stls(context=h.client_tls_context())
    p.user(BOB)
    assert p.pass_(PASSWORD).startswith(b"+OK maildrop has 3 messages")
    with pytest.raises(poplib.error_proto, match=r"\[SYS/PERM\]"):
        p.retr(1)
    with pytest.raises(poplib.error_proto, match=r"\[SYS/PERM\]"):
        p.top(1, 0)
    assert p.retr(2)[1][-1] == BIG.split(b"\r\n")[-2]
    assert p.retr(3)[0].startswith(b"+OK")
    p.quit()


def test_check_reports_then_repairs(srv):
    sha = break_one(srv, ALICE)
    rc, out = check(srv)
    assert rc == 1, out
    assert f"blob-missing blob={sha} user={ALICE} mailbox=\"INBOX\" uid=1" in out
    srv.stop()
    stray = srv.folder / "data" / "blobs" / "ab" / "cd" / ("abcd" + "0" * 60)
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"nobody's")
    (kept,) = [p for p in blob_files(srv) if p != stray]
    with open(kept, "r+b") as f:
        f.truncate(100)
    rc, out = check(srv, "--repair")
    assert rc == 1, out
    assert "blob-missing" in out and "orphan-file" in out and "blob-damaged" in out, out
    assert not stray.exists()
    assert [uid for uid, _s, _f in srv.message_list(ALICE)] == [2, 3]  # the lost one is expunged
    rc, out = check(srv, "--repair")  # what is left: the damaged one, kept for a restore
    assert rc == 1 and "blob-missing" not in out and "blob-damaged" in out, out
    kept.unlink()
    check(srv, "--repair")
    rc, out = check(srv)
    assert rc == 0 and ", 0 problems" in out, out


@pytest.mark.parametrize("how", ["empty", "missing"])
def test_a_lost_index_beside_blob_files_refuses_to_start(srv, how):
    deliver_big(srv, ALICE, h.token("idx"))
    srv.stop()
    index = srv.folder / "data" / "index.db"
    for extra in ("-wal", "-shm"):
        (srv.folder / "data" / ("index.db" + extra)).unlink(missing_ok=True)
    if how == "empty":
        index.write_bytes(b"")
    else:
        index.unlink()
    r = subprocess.run([srv.binary, "serve", "-c", str(srv.config)], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert str(index) in r.stderr and "refusing" in r.stderr, r.stderr
    assert blob_files(srv), "the mail files are left alone"
    assert not index.exists() or index.stat().st_size == 0
