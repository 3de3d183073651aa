"""SEARCH under attack (README, "IMAP": SEARCH limits): a long search
string is refused with NO [LIMIT] before any message is read, the longest
allowed string costs one pass over a 4 MB message (no search-string-times-
message-size scan), and while four sessions search, another user's LOGIN
and SELECT are answered."""

import base64

import pytest

from imap_pool import pool_server
from test_imap_rev2 import Raw, tagged

SEARCHER, BYSTANDER = "search0@example.test", "search1@example.test"
BIG = 4 * 1024 * 1024


@pytest.fixture(scope="module")
def srv(pochta_bin, tls_cert, tmp_path_factory):
    with pool_server(pochta_bin, tls_cert, tmp_path_factory, "search", 2,
                     limits={"max_message_size": 8_000_000}) as s:
        r = Raw(s, SEARCHER)
        # 4 MB of "a" with no line break once decoded: the worst case of a
        # plain substring find for a needle of "a"s ending in "b".
        body = base64.encodebytes(b"a" * BIG).replace(b"\n", b"\r\n")
        message = (b"From: x@example.test\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
                   b"Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: base64\r\n\r\n" + body)
        assert tagged(r.append("A", "INBOX", message, literal8=False)).startswith(b"A OK"), "append"
        r.close()
        yield s


def searcher(srv):
    r = Raw(srv, SEARCHER)
    assert tagged(r.cmd("S", "SELECT INBOX")).startswith(b"S OK")
    r.sock.settimeout(120)
    return r


def search_literal(r, tag, key, needle):
    r.send(f"{tag} SEARCH {key} {{{len(needle)}+}}\r\n".encode() + needle + b"\r\n")


def test_long_search_string_is_refused_with_limit(srv):
    r = searcher(srv)
    for key in ("BODY", "TEXT", "SUBJECT", "HEADER X-Any"):
        search_literal(r, "L", key, b"a" * 100_000)
        assert tagged(r.until("L")) == b"L NO [LIMIT] Search string too long", key
    # The longest allowed string is searched.
    search_literal(r, "M", "BODY", b"a" * 1000)
    lines = r.until("M")
    assert lines == [b"* SEARCH 1", b"M OK SEARCH completed"]
    # Too many keys.
    assert tagged(r.cmd("K", "SEARCH " + "SEEN " * 300)) == b"K NO [LIMIT] Too many search keys"
    # A SAVE refused by the limit empties "$" (RFC 5182 2.1).
    assert tagged(r.cmd("V", "SEARCH RETURN (SAVE) ALL")).startswith(b"V OK")
    search_literal(r, "W", "RETURN (SAVE) BODY", b"b" * 1001)
    assert tagged(r.until("W")).startswith(b"W NO [LIMIT]")
    assert r.cmd("X", "FETCH $ UID") == [b"X OK FETCH completed"]
    r.close()


def test_searches_of_a_big_message_leave_others_answered(srv):
    """Four sessions search the 4 MB message, each for 1000 octets that
    match everywhere but at the end (and a 100 KB string, refused); a
    second user logs in and selects meanwhile, and every search answers."""
    sessions = [searcher(srv) for _ in range(4)]
    needle = b"a" * 999 + b"b"
    for i, r in enumerate(sessions):
        for round_ in range(3):
            search_literal(r, f"S{round_}", "BODY" if i % 2 else "TEXT", needle)
        search_literal(r, "T", "BODY", b"a" * 100_000)

    other = Raw(srv, BYSTANDER)  # LOGIN answered (Raw asserts its OK)
    other.sock.settimeout(60)
    assert tagged(other.cmd("O", "SELECT INBOX")).startswith(b"O OK")
    other.close()

    for r in sessions:
        for round_ in range(3):
            assert r.until(f"S{round_}") == [b"* SEARCH", f"S{round_} OK SEARCH completed".encode()]
        assert tagged(r.until("T")) == b"T NO [LIMIT] Search string too long"
        r.close()
    assert srv.alive()
