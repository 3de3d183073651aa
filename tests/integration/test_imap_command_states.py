"""Every command of the IMAP command table (imap/command_table.cpp) in
every connection state: the refusals are the ones the session always gave
(BAD "Not authenticated" before login, BAD "Command valid only in the
selected state or before login" in the wrong state after it, BAD "Unknown
UID command" for a UID form that does not exist, BAD "Unknown command"),
and what is allowed gets past the state check."""

import pytest

from imap_pool import pool_fixture
from test_imap_rev2 import Raw, tagged

ANY = ["CAPABILITY", "NOOP", "ID NIL"]
NOT_AUTHENTICATED = ["STARTTLS", "AUTHENTICATE XYZ", "LOGIN a b"]
AUTHENTICATED = ["ENABLE X", "SELECT Nowhere", "EXAMINE Nowhere", "CREATE", "DELETE", "RENAME", "SUBSCRIBE",
                 "UNSUBSCRIBE", "LIST", "LSUB", "NAMESPACE", "STATUS", "APPEND"]
SELECTED = ["CHECK", "EXPUNGE", "SEARCH", "FETCH", "STORE", "COPY", "MOVE"]
UID_FORMS = ["EXPUNGE", "SEARCH", "FETCH", "STORE", "COPY", "MOVE"]
NOT_AUTHENTICATED_TEXT = b"BAD Not authenticated"
WRONG_STATE_TEXT = b"BAD Command valid only in the selected state or before login"


srv = pool_fixture("states", 4)


def reply(r, tag, text):
    return tagged(r.cmd(tag, text))[len(tag) + 1:]


def admitted(answer):
    return answer not in (NOT_AUTHENTICATED_TEXT, WRONG_STATE_TEXT) and not answer.startswith(b"BAD Unknown")


def test_not_authenticated(srv):
    r = Raw(srv)
    for i, text in enumerate(AUTHENTICATED + SELECTED + ["IDLE", "CLOSE", "UNSELECT", "XYZZY"]):
        assert reply(r, f"n{i}", text) == NOT_AUTHENTICATED_TEXT, text
    for i, name in enumerate(UID_FORMS + ["XYZZY"]):
        assert reply(r, f"u{i}", f"UID {name} 1") == NOT_AUTHENTICATED_TEXT, name
    assert reply(r, "v1", "UID LOGIN a b") == b"BAD Unknown UID command"
    for i, text in enumerate(ANY):
        assert reply(r, f"a{i}", text).startswith(b"OK"), text
    r.close()


def test_authenticated_and_selected(srv):
    r = Raw(srv, srv.pool.pop())
    for state in ("authenticated", "selected"):
        refused = NOT_AUTHENTICATED + (SELECTED + ["CLOSE", "UNSELECT"] if state == "authenticated" else [])
        for i, text in enumerate(refused):
            assert reply(r, f"w{i}", text) == WRONG_STATE_TEXT, (state, text)
        for i, name in enumerate(UID_FORMS):
            answer = reply(r, f"u{i}", f"UID {name}")
            assert answer == WRONG_STATE_TEXT if state == "authenticated" else admitted(answer), (state, name)
        for i, name in enumerate(["CHECK", "SELECT INBOX", "LOGIN a b", "XYZZY", "CAPABILITY"]):
            expected = WRONG_STATE_TEXT if name == "LOGIN a b" or state == "authenticated" and name == "CHECK" \
                else b"BAD Unknown UID command"
            assert reply(r, f"x{i}", f"UID {name}") == expected, (state, name)
        assert reply(r, "y", "XYZZY") == b"BAD Unknown command"
        # Selected-state commands first: a failed SELECT leaves the selected state.
        for i, text in enumerate((SELECTED if state == "selected" else []) + ANY + AUTHENTICATED):
            assert admitted(reply(r, f"z{i}", text)), (state, text)
        assert reply(r, "s", "SELECT INBOX").startswith(b"OK")
    r.close()
