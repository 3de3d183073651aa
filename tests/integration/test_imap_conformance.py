"""What Dovecot's imaptest found in pochta's IMAP, one regression test per
finding (README.md, "IMAP"), and MULTIAPPEND (RFC 3502): exact bytes over
implicit TLS with a raw client, one server for the module."""

import re
import time

import pytest

import pochta_harness as h
from pochta_harness import deliver
from conftest import shared_server
from test_imap import Raw, mail

USERS = [f"conf{i}@example.test" for i in range(20)]


@pytest.fixture(scope="module")
def server(pochta_bin, tls_cert, tmp_path_factory):
    users = {u: "{PLAIN}" + h.PASSWORD for u in USERS}
    with shared_server(pochta_bin, tls_cert, users, tmp_path_factory.mktemp("conf"), pool=USERS,
                       listen=("smtp", "imaps"), limits={"max_message_size": 1_000_000}) as srv:
        yield srv


@pytest.fixture
def user(server):
    return server.pool.pop()


def login(server, user):
    r = Raw(server)
    assert r.cmd("l", f"LOGIN {user} {h.PASSWORD}")[-1].startswith(b"l OK")
    return r


def untagged_after(lines, marker):
    i = next(n for n, l in enumerate(lines) if l.startswith(marker))
    return [l for l in lines[i + 1:] if l.startswith(b"*")]


def test_nothing_untagged_after_logout_bye(server, user):
    for n in range(3):
        deliver(server, user, mail(f"bye-{n}"))
    a, b = login(server, user), login(server, user)
    a.cmd("s", "SELECT INBOX")
    b.cmd("s", "SELECT INBOX")
    b.cmd("d", "STORE 1:2 +FLAGS.SILENT (\\Deleted)")
    b.cmd("e", "EXPUNGE")
    time.sleep(0.3)  # a hears of it and holds the expunges for its next command
    lines = a.cmd("o", "LOGOUT")
    assert any(l.startswith(b"* BYE") for l in lines), lines
    assert untagged_after(lines, b"* BYE") == [], lines
    assert lines[-1].startswith(b"o OK")


def test_new_keyword_is_in_flags_before_a_fetch_shows_it(server, user):
    deliver(server, user, mail("kw"))
    a, b = login(server, user), login(server, user)
    a.cmd("s", "SELECT INBOX")
    b.cmd("s", "SELECT INBOX")
    b.cmd("k", "STORE 1 +FLAGS.SILENT ($Fresh)")
    lines = a.cmd("f", "FETCH 1 (FLAGS)")
    shown = next(i for i, l in enumerate(lines) if b"FETCH" in l and b"$Fresh" in l)
    assert any(l.startswith(b"* FLAGS") and b"$Fresh" in l for l in lines[:shown]), lines


def test_binary_part_comes_back_unaltered(server, user):
    body = b"\x00-\xe4\n\r\n\n"
    msg = (b"From: a@example.test\r\nMime-Version: 1.0\r\nContent-Type: application/octet-stream\r\n"
           b"Content-Transfer-Encoding: binary\r\n\r\n" + body)
    r = login(server, user)
    r.send(b"a APPEND INBOX ~{%d+}\r\n" % len(msg) + msg + b"\r\n")
    assert r.until("a")[-1].startswith(b"a OK")
    r.cmd("s", "SELECT INBOX")
    r.send(b"f FETCH 1 (BINARY.SIZE[1] BINARY.PEEK[1])\r\n")
    head = r.line()
    assert head.startswith(b"* 1 FETCH (BINARY.SIZE[1] 7 BINARY[1] ~{7}"), head
    while len(r.buf) < 7:
        r.buf += r.sock.recv(65536)
    assert r.buf[:7] == body
    r.buf = r.buf[7:]
    assert r.until("f")[-1].startswith(b"f OK")
    # BODY[] is not BINARY[]: a plain literal, and no NUL in it.
    r.send(b"g FETCH 1 (BODY.PEEK[1])\r\n")
    head = r.line()
    assert head.endswith(b"BODY[1] {7}"), head
    while len(r.buf) < 7:
        r.buf += r.sock.recv(65536)
    assert r.buf[:7] == b"\x80-\xe4\n\r\n\n"


def test_copy_and_move_into_the_selected_mailbox_announce_exists(server, user):
    deliver(server, user, mail("cm"))
    r = login(server, user)
    r.cmd("s", "SELECT INBOX")
    lines = r.cmd("c", "COPY 1 INBOX")
    assert b"* 2 EXISTS" in lines and lines[-1].startswith(b"c OK"), lines
    lines = r.cmd("m", "MOVE 1 INBOX")
    assert lines.index(b"* 1 EXPUNGE") < lines.index(b"* 2 EXISTS") < len(lines) - 1, lines


def test_unusable_names_select_no_and_list_nothing(server, user):
    r = login(server, user)
    assert r.cmd("s", "SELECT &Jjo")[-1].startswith(b"s NO")
    lines = r.cmd("l", 'LIST "" "!#$&\'+,-.0123456789:;<=>?@^_`|[}%*"')
    assert lines == [b"l OK LIST completed"], lines


def test_largest_id_before_login(server):
    r = Raw(server)
    pairs = " ".join(f'"f{n:029d}" "{"v" * 1024}"' for n in range(30))
    lines = r.cmd("i", f"ID ({pairs})")
    assert lines[-1].startswith(b"i OK"), lines[-1][:200]
    assert r.cmd("o", "LOGOUT")[-1].startswith(b"o OK")


def test_store_nil_is_a_keyword(server, user):
    deliver(server, user, mail("nil"))
    r = login(server, user)
    r.cmd("s", "SELECT INBOX")
    assert r.cmd("n", "STORE 1 +FLAGS NIL")[-1].startswith(b"n OK")
    assert any(re.search(rb"FLAGS \(.*NIL", l) for l in r.cmd("f", "FETCH 1 FLAGS")), "NIL kept"


def test_recent_is_the_same_for_examine_status_and_select(server, user):
    deliver(server, user, mail("rec-1"))
    deliver(server, user, mail("rec-2"))
    r = login(server, user)
    assert b"* STATUS INBOX (RECENT 2)" in r.cmd("t", "STATUS INBOX (RECENT)")
    assert b"* 2 RECENT" in r.cmd("e", "EXAMINE INBOX")
    assert b"* 2 RECENT" in r.cmd("s", "SELECT INBOX")  # EXAMINE claimed nothing
    assert b"* STATUS INBOX (RECENT 2)" in r.cmd("t2", "STATUS INBOX (RECENT)")  # its own view
    other = login(server, user)
    assert b"* STATUS INBOX (RECENT 0)" in other.cmd("t3", "STATUS INBOX (RECENT)")
    assert b"* 0 RECENT" in other.cmd("s", "SELECT INBOX")


def test_childinfo_only_for_children_not_listed(server, user):
    r = login(server, user)
    for tag, text in (("c1", "CREATE P/Q"), ("c2", "SUBSCRIBE P/Q"), ("c3", "UNSUBSCRIBE P")):
        r.cmd(tag, text)
    lines = r.cmd("l1", 'LIST (SUBSCRIBED RECURSIVEMATCH) "" (P)')
    assert any(l.startswith(b'* LIST (') and l.endswith(b'"/" P ("CHILDINFO" ("SUBSCRIBED"))') for l in lines), lines
    lines = r.cmd("l2", 'LIST (SUBSCRIBED RECURSIVEMATCH) "" (P P/Q)')
    assert not any(b'" P ' in l or l.endswith(b'" P') for l in lines), lines
    assert any(l.endswith(b'"/" P/Q') for l in lines), lines


# --- MULTIAPPEND ------------------------------------------------------------

def test_multiappend_stores_all(server, user):
    r = login(server, user)
    one, two = mail("multi-1"), mail("multi-2")
    r.send(b'a APPEND INBOX (\\Seen) {%d+}\r\n%s (\\Flagged) "01-Jan-2020 10:00:00 +0000" {%d+}\r\n%s\r\n'
           % (len(one), one, len(two), two))
    lines = r.until("a")
    assert re.match(rb"a OK \[APPENDUID \d+ 1:2\]", lines[-1]), lines
    lines = r.cmd("s", "SELECT INBOX")
    assert b"* 2 EXISTS" in lines
    lines = r.cmd("f", "FETCH 1:2 (FLAGS INTERNALDATE)")
    assert b"\\Seen" in lines[0] and b"\\Flagged" in lines[1] and b"01-Jan-2020" in lines[1], lines


def test_multiappend_is_all_or_nothing(server, user):
    r = login(server, user)
    one = mail("multi-ok")
    # The second message is empty: nothing of the command is stored.
    r.send(b"a APPEND INBOX {%d+}\r\n%s {0+}\r\n\r\n" % (len(one), one))
    assert r.until("a")[-1].startswith(b"a NO")
    r.send(b"b APPEND INBOX {%d+}\r\n%s {10+}\r\n0123456789 ~{3+}\r\nx\x00y\r\n" % (len(one), one))
    assert r.until("b")[-1].startswith(b"b OK")
    r.send(b"c APPEND Nope {%d+}\r\n%s {%d+}\r\n%s\r\n" % (len(one), one, len(one), one))
    assert r.until("c")[-1].startswith(b"c NO [TRYCREATE]")
    assert b"* 3 EXISTS" in r.cmd("s", "SELECT INBOX")


# --- PREVIEW, OBJECTID, SAVEDATE, CREATE-SPECIAL-USE -------------------------

def test_preview_of_the_text_part(server, user):
    deliver(server, user, mail("pv", body="Hello   there,\r\n\r\nsee you at noon.\r\n"))
    r = login(server, user)
    r.cmd("s", "EXAMINE INBOX")
    lines = r.cmd("f", "FETCH 1 (PREVIEW)")
    assert lines[0] == b'* 1 FETCH (PREVIEW "Hello there, see you at noon.")', lines
    lines = r.cmd("g", "FETCH 1 (UID PREVIEW (LAZY))")
    assert b'PREVIEW "Hello there, see you at noon."' in lines[0], lines
    assert r.cmd("b", "FETCH 1 (PREVIEW (SOON))")[-1].startswith(b"b BAD")


def test_objectid_and_savedate(server, user):
    deliver(server, user, mail("oid"))
    r = login(server, user)
    lines = r.cmd("c", "CREATE Kept")
    created = re.search(rb"\[MAILBOXID \((F\d+)\)\]", lines[-1]).group(1)
    lines = r.cmd("t", "STATUS Kept (MAILBOXID MESSAGES)")
    assert b"* STATUS Kept (MAILBOXID (%s) MESSAGES 0)" % created in lines, lines
    r.cmd("r", "RENAME Kept Renamed")
    assert b"* OK [MAILBOXID (%s)] Ok" % created in r.cmd("e", "EXAMINE Renamed")
    r.cmd("s", "SELECT INBOX")
    first = r.cmd("f", "FETCH 1 (EMAILID THREADID SAVEDATE)")[0]
    m = re.match(rb'\* 1 FETCH \(EMAILID \((M\d+)\) THREADID NIL SAVEDATE "(\d\d-\w{3}-\d{4} [\d:]{8} \+0000)"\)',
                 first)
    assert m, first
    r.cmd("m", "MOVE 1 Renamed")
    r.cmd("e2", "EXAMINE Renamed")
    moved = r.cmd("f2", "FETCH 1 (EMAILID)")[0]
    assert b"EMAILID (%s)" % m.group(1) in moved, moved  # a MOVE keeps the id


def test_create_special_use(server, user):
    r = login(server, user)
    assert r.cmd("c", "CREATE Outbox (USE (\\Sent))")[-1].startswith(b"c OK")
    lines = r.cmd("l", 'LIST "" Outbox RETURN (SPECIAL-USE)')
    assert any(l.startswith(b"* LIST (") and b"\\Sent" in l for l in lines), lines
    assert r.cmd("d", "CREATE Other (USE (\\Important))")[-1].startswith(b"d NO [USEATTR]")
    assert r.cmd("e", "CREATE Other (NOPE (\\Sent))")[-1].startswith(b"e BAD")
    caps = r.cmd("k", "CAPABILITY")[0]
    for cap in (b"MULTIAPPEND", b"PREVIEW", b"CREATE-SPECIAL-USE"):
        assert cap in caps.split(), caps


def test_savedate_and_objectid_search_keys(server, user):
    deliver(server, user, mail("sk-1"))
    deliver(server, user, mail("sk-2"))
    r = login(server, user)
    r.cmd("s", "SELECT INBOX")
    emailid = re.search(rb"EMAILID \((M\d+)\)", r.cmd("f", "FETCH 2 EMAILID")[0]).group(1)
    assert b"* SEARCH 2" in r.cmd("a", b"SEARCH EMAILID " + emailid)
    assert b"* SEARCH" in r.cmd("b", "SEARCH THREADID T1")
    assert b"* SEARCH 1 2" in r.cmd("c", "SEARCH SAVEDATESUPPORTED")
    today = time.strftime("%d-%b-%Y", time.gmtime())
    assert b"* SEARCH 1 2" in r.cmd("d", f"SEARCH SAVEDSINCE {today}")
    assert b"* SEARCH" in r.cmd("e", f"SEARCH SAVEDBEFORE {today}")
    caps = r.cmd("k", "CAPABILITY")[0].split()
    assert b"OBJECTID" in caps and b"SAVEDATE" in caps
