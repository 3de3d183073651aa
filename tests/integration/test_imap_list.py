"""LIST-EXTENDED (RFC 5258), SPECIAL-USE selection (RFC 6154), LIST-STATUS
(RFC 5819), STATUS SIZE (RFC 8438) and the keywords in SELECT's FLAGS, over
imaps with a raw client (imaplib has no syntax for them)."""

import re

import pytest

import pochta_harness as h
from conftest import shared_server
from test_imap import Raw, deliver, mail

USERS = [f"ls{i}@example.test" for i in range(20)]


@pytest.fixture(scope="module")
def server(pochta_bin, tls_cert, tmp_path_factory):
    users = {u: "{PLAIN}" + h.PASSWORD for u in USERS}
    with shared_server(pochta_bin, tls_cert, users, tmp_path_factory.mktemp("imaplist"), pool=USERS,
                       listen=("smtp", "imaps")) as srv:
        yield srv


@pytest.fixture
def c(server):
    user = server.pool.pop()
    client = Raw(server)
    assert client.cmd("L", f"LOGIN {user} {h.PASSWORD}")[-1].startswith(b"L OK")
    client.user = user
    yield client
    client.close()


def ok(lines, tag):
    assert lines[-1].startswith(tag.encode() + b" OK"), lines
    return lines[:-1]


def listed(lines):
    """{name: (attributes, extra)} of the LIST lines."""
    out = {}
    for line in lines:
        m = re.match(rb'\* LIST \(([^)]*)\) "/" ("[^"]*"|\S+)(.*)$', line)
        if m:
            out[m.group(2).strip(b'"').decode()] = (set(m.group(1).decode().split()), m.group(3).decode())
    return out


def test_capabilities(c):
    caps = c.cmd("C", "CAPABILITY")[0]
    for cap in (b"LIST-EXTENDED", b"LIST-STATUS", b"STATUS=SIZE", b"SPECIAL-USE"):
        assert b" " + cap in caps, caps


def test_multiple_patterns_and_return_options(c):
    ok(c.cmd("A", "CREATE Projects/2026"), "A")
    ok(c.cmd("A2", "SUBSCRIBE Projects/2026"), "A2")
    ok(c.cmd("B", "UNSUBSCRIBE Sent"), "B")
    lines = ok(c.cmd("T", 'LIST "" ("INBOX" "Sent" "Projects/%") RETURN (SUBSCRIBED CHILDREN SPECIAL-USE)'), "T")
    got = listed(lines)
    assert list(got) == ["INBOX", "Projects/2026", "Sent"]
    assert got["INBOX"][0] == {"\\HasNoChildren", "\\Subscribed"}
    assert got["Sent"][0] == {"\\HasNoChildren", "\\Sent"}
    assert "\\Subscribed" in got["Projects/2026"][0]
    # Without RETURN (SUBSCRIBED), no \Subscribed.
    got = listed(ok(c.cmd("U", 'LIST () "" "%"'), "U"))
    assert got["Projects"][0] == {"\\Noselect", "\\HasChildren"}  # CREATE makes no empty parents
    assert got["Drafts"][0] == {"\\HasNoChildren", "\\Drafts"}


def test_special_use_selection(c):
    lines = ok(c.cmd("S", 'LIST (SPECIAL-USE) "" "*" RETURN (SPECIAL-USE)'), "S")
    got = listed(lines)
    assert set(got) == {"Archive", "Drafts", "Junk", "Sent", "Trash"}
    assert got["Trash"][0] == {"\\HasNoChildren", "\\Trash"}


def test_subscribed_selection_nonexistent_and_recursivematch(c):
    ok(c.cmd("A", "CREATE Work/Team"), "A")
    ok(c.cmd("B", "SUBSCRIBE Work/Team"), "B")
    ok(c.cmd("C1", "UNSUBSCRIBE Work"), "C1")
    ok(c.cmd("D", "CREATE Gone"), "D")
    ok(c.cmd("E", "SUBSCRIBE Gone"), "E")
    ok(c.cmd("F", "DELETE Gone"), "F")  # the subscription stays
    got = listed(ok(c.cmd("L", 'LIST (SUBSCRIBED) "" "*"'), "L"))
    assert got["Gone"][0] == {"\\NonExistent", "\\Subscribed"}
    assert got["Work/Team"][0] == {"\\HasNoChildren", "\\Subscribed"}
    assert "Work" not in got
    got = listed(ok(c.cmd("M", 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"'), "M"))
    assert got["Work"] == ({"\\Noselect", "\\HasChildren"}, ' ("CHILDINFO" ("SUBSCRIBED"))')
    assert "Work/Team" not in got
    assert got["INBOX"][1] == ""
    # RECURSIVEMATCH alone, unknown options, broken syntax: BAD.
    for tag, text in (("N1", 'LIST (RECURSIVEMATCH) "" "*"'), ("N2", 'LIST (BOGUS) "" "*"'),
                      ("N3", 'LIST "" "*" RETURN (BOGUS)'), ("N4", 'LIST "" () '),
                      ("N5", 'LIST "" "*" RETURN'), ("N6", 'LIST "" "*" RETURN (STATUS (NOPE))')):
        assert c.cmd(tag, text)[-1].startswith(tag.encode() + b" BAD"), text


def test_list_status(server, c):
    deliver(server, c.user, mail("list-status-1"))
    deliver(server, c.user, mail("list-status-2", body="x" * 1000 + "\r\n"))
    lines = ok(c.cmd("S", 'LIST "" ("INBOX" "Trash") RETURN (STATUS (MESSAGES UNSEEN SIZE HIGHESTMODSEQ))'), "S")
    assert lines[0].startswith(b"* LIST (") and lines[0].endswith(b'"/" INBOX')
    m = re.match(rb"\* STATUS INBOX \(MESSAGES 2 UNSEEN 2 SIZE (\d+) HIGHESTMODSEQ (\d+)\)", lines[1])
    assert m, lines
    size = int(m.group(1))
    assert lines[3] == b"* STATUS Trash (MESSAGES 0 UNSEEN 0 SIZE 0 HIGHESTMODSEQ 1)", lines
    # STATUS SIZE is the sum of RFC822.SIZE.
    ok(c.cmd("X", "EXAMINE INBOX"), "X")
    sizes = [int(x) for x in re.findall(rb"RFC822.SIZE (\d+)", b"".join(ok(c.cmd("F", "FETCH 1:* RFC822.SIZE"), "F")))]
    assert sum(sizes) == size
    status = ok(c.cmd("T", "STATUS INBOX (SIZE DELETED MESSAGES)"), "T")
    assert status[0] == b"* STATUS INBOX (SIZE %d DELETED 0 MESSAGES 2)" % size


def test_keywords_in_flags_and_permanentflags(server, c):
    deliver(server, c.user, mail("kw-1"))
    ok(c.cmd("S", "SELECT INBOX"), "S")
    ok(c.cmd("K", "STORE 1 +FLAGS ($Forwarded Work)"), "K")
    lines = ok(c.cmd("S2", "SELECT INBOX"), "S2")
    flags = next(x for x in lines if x.startswith(b"* FLAGS "))
    assert flags == b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded Work)", flags
    perm = next(x for x in lines if b"PERMANENTFLAGS" in x)
    assert b"$Forwarded Work \\*)" in perm, perm
    # A keyword new to the mailbox: the session hears a new FLAGS line.
    lines = ok(c.cmd("K2", "STORE 1 +FLAGS (Urgent)"), "K2")
    assert lines[0] == b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded Urgent Work)", lines


# --- UTF8=ACCEPT (RFC 6855) -------------------------------------------------

def test_utf8_accept_names_and_append(c):
    assert b" UTF8=ACCEPT" in c.cmd("C", "CAPABILITY")[0]
    # Before ENABLE: modified UTF-7 both ways; raw UTF-8 names are refused.
    ok(c.cmd("A", "CREATE &AMk-t&AOk-"), "A")  # "Été"
    assert c.cmd("B", "CREATE \"Caf\xc3\xa9\"".encode("latin-1"))[-1].startswith(b"B BAD")
    assert c.cmd("E", "ENABLE UTF8=ACCEPT")[0] == b"* ENABLED UTF8=ACCEPT"
    got = listed(ok(c.cmd("L", "LIST \"\" \"*\""), "L"))
    assert "\u00c9t\u00e9" in got, got
    raw = b"".join(ok(c.cmd("L2", "LIST \"\" \"*\""), "L2"))
    assert "\"\u00c9t\u00e9\"".encode() in raw and b"&AMk-" not in raw
    # Raw UTF-8 and a bare '&' are names now.
    ok(c.cmd("D", "CREATE \"Caf\u00e9 & Bar\"".encode()), "D")
    lines = ok(c.cmd("S", "STATUS \"Caf\u00e9 & Bar\" (MESSAGES)".encode()), "S")
    assert lines[0] == "* STATUS \"Caf\u00e9 & Bar\" (MESSAGES 0)".encode()
    # APPEND's UTF8 form with a ~{n} literal; the bytes are stored as given.
    message = "Subject: Gr\u00fc\u00dfe\r\nFrom: \u00e4@example.test\r\n\r\nHallo\r\n".encode()
    c.send(b'P APPEND "Caf\xc3\xa9 & Bar" UTF8 (~{%d+}\r\n' % len(message) + message + b")\r\n")
    assert c.until("P")[-1].startswith(b"P OK [APPENDUID ")
    ok(c.cmd("X", "SELECT \"Caf\u00e9 & Bar\"".encode()), "X")
    lines = ok(c.cmd("F", "FETCH 1 BODY.PEEK[]"), "F")
    assert lines[0].endswith(b"\r\n" + message + b")"), lines
    # The UTF8 wrapper needs its literal in parentheses.
    assert c.cmd("Q", "APPEND INBOX UTF8 \"x\"")[-1].startswith(b"Q BAD")
