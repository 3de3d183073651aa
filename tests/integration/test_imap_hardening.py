"""Smaller IMAP refusals of issue 9 point 12: the keyword limit is a
NO [LIMIT] (not [SERVERBUG]) for STORE and APPEND, and a NUL is refused in
an ordinary APPEND literal while a literal8 may carry it (RFC 9051 4.3,
RFC 3516)."""

import pytest

from imap_pool import pool_fixture
from test_imap_rev2 import Raw, mail, tagged

MAX_KEYWORDS = 100  # store/keywords.hpp


srv = pool_fixture("hard", 6)


@pytest.fixture
def r(srv):
    client = Raw(srv, srv.pool.pop())
    yield client
    client.close()


def keywords(n, prefix="k"):
    return " ".join(f"{prefix}{i}" for i in range(n))


def test_store_over_the_keyword_limit_is_limit(r):
    assert tagged(r.append("A", "INBOX", mail("kw"))).startswith(b"A OK")
    assert tagged(r.cmd("S", "SELECT INBOX")).startswith(b"S OK")
    assert tagged(r.cmd("F", f"STORE 1 FLAGS.SILENT ({keywords(MAX_KEYWORDS + 1)})")) == \
        b"F NO [LIMIT] STORE failed: more than 100 keywords on one message"
    # Reached one command at a time: the last one is refused the same way.
    assert tagged(r.cmd("G", f"STORE 1 +FLAGS.SILENT ({keywords(MAX_KEYWORDS)})")).startswith(b"G OK")
    assert tagged(r.cmd("H", "STORE 1 +FLAGS.SILENT (one-more)")) == \
        b"H NO [LIMIT] STORE failed: more than 100 keywords on one message"
    lines = r.cmd("I", "FETCH 1 FLAGS")
    assert tagged(lines) == b"I OK FETCH completed"
    assert b"one-more" not in lines[0] and b"k99" in lines[0]


def test_append_over_the_keyword_limit_is_limit(r):
    r.send(f"A APPEND INBOX ({keywords(MAX_KEYWORDS + 1)}) {{{len(mail('x'))}+}}\r\n".encode() + mail("x") + b"\r\n")
    assert tagged(r.until("A")) == b"A NO [LIMIT] APPEND failed: more than 100 keywords on one message"
    assert r.cmd("S", "STATUS INBOX (MESSAGES)")[0] == b'* STATUS INBOX (MESSAGES 0)'


def test_nul_only_in_a_literal8(r):
    message = mail("nul", "before\0after\r\n")
    lines = r.append("A", "INBOX", message, literal8=False)
    assert tagged(lines) == b"A NO Message contains NUL; send it as a literal8 (~{n})"
    lines = r.append("B", "INBOX", message, literal8=False, sync=False)
    assert tagged(lines).startswith(b"B NO Message contains NUL")
    assert r.cmd("S", "STATUS INBOX (MESSAGES)")[0] == b'* STATUS INBOX (MESSAGES 0)'
    assert tagged(r.append("C", "INBOX", message, literal8=True)).startswith(b"C OK [APPENDUID")
    assert r.cmd("T", "STATUS INBOX (MESSAGES)")[0] == b'* STATUS INBOX (MESSAGES 1)'
