"""List archives over IMAP (README "Mailing lists": The archive): posts a
list distributes are kept in the read-only mailbox "Lists/<list>" of a
shared namespace, which the list's people see and read and nobody else
does. Checked with python imaplib and raw commands, and with a real
client (mbsync pulls the archive into a Maildir)."""

import imaplib
import re
import shutil
import sqlite3
import subprocess
import textwrap

import pytest

import pochta_harness as h
from conftest import shared_server
from test_imap import Raw

DOMAIN = "example.test"
MEMBER = f"member@{DOMAIN}"
MODERATOR = f"moderator@{DOMAIN}"
OUTSIDER = f"outsider@{DOMAIN}"
LIST = f"archived@{DOMAIN}"
OTHER_LIST = f"other@{DOMAIN}"
ARCHIVE = f"Lists/{LIST}"


def post(srv, tok, to=LIST):
    message = (f"From: Poster <{h.REMOTE_SENDER}>\r\nTo: {to}\r\nSubject: post {tok}\r\n"
               f"Message-ID: <{tok}@remote.example>\r\n\r\nbody of {tok}\r\n").encode()
    with srv.raw("smtp") as c:
        c.ehlo()
        r = c.transaction(h.REMOTE_SENDER, [to], message)
        assert r.code == 250, r


def imaps(srv, user):
    m = imaplib.IMAP4_SSL("127.0.0.1", srv.ports["imaps"], ssl_context=h.client_tls_context(), timeout=30)
    m.login(user, h.PASSWORD)
    return m


def raw(srv, user):
    c = Raw(srv)
    assert c.cmd("L", f"LOGIN {user} {h.PASSWORD}")[-1].startswith(b"L OK")
    return c


def ok(result):
    typ, data = result
    assert typ == "OK", (typ, data)
    return data


def archive_count(srv):
    m = imaps(srv, MEMBER)
    try:
        data = ok(m.status(f'"{ARCHIVE}"', "(MESSAGES)"))
        return int(re.search(rb"MESSAGES (\d+)", data[0]).group(1))
    finally:
        m.logout()


@pytest.fixture(scope="module")
def srv(pochta_bin, tls_cert, tmp_path_factory):
    users = {u: "{PLAIN}" + h.PASSWORD for u in (MEMBER, MODERATOR, OUTSIDER)}
    with shared_server(pochta_bin, tls_cert, users, tmp_path_factory.mktemp("archive"),
                       listen=("smtp", "imaps"), extra_config='[quota]\nstorage = "10M"') as server:
        server.cert = tls_cert[0]
        for address in (LIST, OTHER_LIST):
            server.cli_ok("list", "create", address)
            server.cli_ok("list", "set", address, "policy", "open")
            server.cli_ok("list", "set", address, "from_rewrite", "never")
        server.cli_ok("list", "add", LIST, MEMBER)
        server.cli_ok("list", "add", LIST, MODERATOR, "moderator")
        server.cli_ok("list", "add", OTHER_LIST, OUTSIDER)
        for tok in ("first", "second"):
            post(server, tok)
            assert h.eventually(lambda n=("first", "second").index(tok) + 1: archive_count(server) == n, timeout=20)
        yield server


def test_namespace_names_the_shared_archives(srv):
    c = raw(srv, MEMBER)
    lines = c.cmd("N", "NAMESPACE")
    assert lines[0] == b'* NAMESPACE (("" "/")) NIL (("Lists/" "/"))'
    assert lines[-1].startswith(b"N OK")
    c.close()


def test_list_shows_archives_to_their_people_only(srv):
    m = imaps(srv, MEMBER)
    names = {re.search(rb'"/" "?([^"]*)"?$', line).group(1).decode(): line for line in ok(m.list('""', "*"))}
    assert b"\\Noselect" in names["Lists"] and b"\\HasChildren" in names["Lists"]
    assert b"\\HasNoChildren" in names[ARCHIVE]
    assert f"Lists/{OTHER_LIST}" not in names
    top = [line for line in ok(m.list('""', "%"))]
    assert any(line.endswith(b' "/" Lists') for line in top), top
    inside = ok(m.list("Lists/", "%"))
    assert len(inside) == 1 and ARCHIVE.encode() in inside[0], inside
    m.logout()
    # A moderator is one of the list's people too; someone outside the list sees no level "Lists" at all.
    m = imaps(srv, MODERATOR)
    assert any(ARCHIVE.encode() in line for line in ok(m.list('""', "Lists/*")))
    m.logout()
    m = imaps(srv, OUTSIDER)
    listed = b"\n".join(x for x in ok(m.list('""', "*")) if x)
    assert ARCHIVE.encode() not in listed and f"Lists/{OTHER_LIST}".encode() in listed
    m.logout()


def test_list_extended_status_subscribe_and_lsub(srv):
    c = raw(srv, MODERATOR)
    lines = c.cmd("A", f'LIST "" ("Lists/*") RETURN (STATUS (MESSAGES UNSEEN RECENT))')
    assert lines[-1].startswith(b"A OK"), lines
    status = [line for line in lines if line.startswith(b"* STATUS")]
    assert status == [f'* STATUS {ARCHIVE} (MESSAGES 2 UNSEEN 2 RECENT 0)'.encode()], lines
    lines = c.cmd("B", f'STATUS "{ARCHIVE}" (MESSAGES UIDNEXT UNSEEN RECENT SIZE)')
    assert re.match(rb'\* STATUS ' + ARCHIVE.encode() + rb' \(MESSAGES 2 UIDNEXT 3 UNSEEN 2 RECENT 0 SIZE \d+\)',
                    lines[0]), lines
    assert c.cmd("C", f'SUBSCRIBE "{ARCHIVE}"')[-1].startswith(b"C OK")
    lines = c.cmd("D", 'LSUB "" "Lists/*"')
    assert lines[0] == f'* LSUB () "/" {ARCHIVE}'.encode(), lines
    lines = c.cmd("E", 'LIST (SUBSCRIBED) "" "Lists/*"')
    assert b"\\Subscribed" in lines[0] and ARCHIVE.encode() in lines[0], lines
    c.close()


def test_outsider_cannot_see_select_or_subscribe(srv):
    c = raw(srv, OUTSIDER)
    for tag, command in (("A", f'SELECT "{ARCHIVE}"'), ("B", f'EXAMINE "{ARCHIVE}"'),
                         ("C", f'STATUS "{ARCHIVE}" (MESSAGES)'), ("D", f'SUBSCRIBE "{ARCHIVE}"')):
        assert c.cmd(tag, command)[-1].startswith(tag.encode() + b" NO [NONEXISTENT]"), command
    assert c.cmd("E", 'SELECT "Lists"')[-1].startswith(b"E NO [NONEXISTENT]")
    c.close()


def test_member_reads_the_archive_read_only(srv):
    m = imaps(srv, MEMBER)
    # imaplib raises when a SELECT it sent answers READ-ONLY.
    with pytest.raises(imaplib.IMAP4.readonly):
        m.select(f'"{ARCHIVE}"')
    typ, data = m.select(f'"{ARCHIVE}"', readonly=True)
    assert typ == "OK" and data == [b"2"]
    assert m.untagged_responses["PERMANENTFLAGS"] == [b"()"]
    # What members got: the post with the list's fields.
    data = ok(m.uid("FETCH", "1:*", "(UID FLAGS RFC822.SIZE ENVELOPE BODY[])"))
    bodies = [part[1] for part in data if isinstance(part, tuple)]
    assert len(bodies) == 2
    assert b"body of first" in bodies[0] and b"body of second" in bodies[1]
    assert f"List-Id: <archived.{DOMAIN}>".encode() in bodies[0]
    # A non-PEEK fetch sets no \Seen in a read-only archive.
    assert b"\\Seen" not in b" ".join(p[0] if isinstance(p, tuple) else p for p in data)
    data = ok(m.fetch("1", "(FLAGS)"))
    assert b"\\Seen" not in data[0]
    assert ok(m.search(None, "SUBJECT", "second")) == [b"2"]
    assert ok(m.uid("SEARCH", "BODY", "first")) == [b"1"]
    assert ok(m.search(None, "UNSEEN")) == [b"1 2"]
    ok(m.close())
    m.logout()


def test_imap4rev2_select_names_the_archive(srv):
    c = raw(srv, MEMBER)
    assert c.cmd("E", "ENABLE IMAP4rev2")[-1].startswith(b"E OK")
    lines = c.cmd("S", f'SELECT "{ARCHIVE}"')
    assert f'* LIST () "/" {ARCHIVE}'.encode() in lines, lines
    assert lines[-1].startswith(b"S OK [READ-ONLY]"), lines
    lines = c.cmd("F", "UID FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)])")
    assert b"Subject: post first" in lines[0] and b"\\Seen" not in lines[0], lines
    c.close()


def test_writes_are_refused(srv):
    c = raw(srv, MEMBER)
    lines = c.cmd("S", f'SELECT "{ARCHIVE}"')
    assert lines[-1].startswith(b"S OK [READ-ONLY]"), lines
    refusals = {
        "A": ("STORE 1 +FLAGS (\\Seen)", b"NO [READ-ONLY]"),
        "B": ("UID STORE 1:* +FLAGS (\\Deleted)", b"NO [READ-ONLY]"),
        "C": ("EXPUNGE", b"NO [READ-ONLY]"),
        "D": ("UID EXPUNGE 1", b"NO [READ-ONLY]"),
        "E": ("MOVE 1 INBOX", b"NO [READ-ONLY]"),
        "F": (f'COPY 1 "{ARCHIVE}"', b"NO [CANNOT]"),
        "G": (f'CREATE "{ARCHIVE}"', b"NO [CANNOT]"),
        "H": (f'CREATE "{ARCHIVE}/sub"', b"NO [CANNOT]"),
        "I": (f'DELETE "{ARCHIVE}"', b"NO [CANNOT]"),
        "J": (f'RENAME "{ARCHIVE}" Kept', b"NO [CANNOT]"),
        "K": (f'RENAME Drafts "{ARCHIVE}"', b"NO [CANNOT]"),
    }
    for tag, (command, answer) in refusals.items():
        reply = c.cmd(tag, command)[-1]
        assert reply.startswith(tag.encode() + b" " + answer), (command, reply)
    reply = c.cmd("P", f'APPEND "{ARCHIVE}" {{5+}}\r\nhello')[-1]
    assert reply.startswith(b"P NO [CANNOT]"), reply
    assert c.cmd("R", "FETCH 1 BODY[TEXT]")[-1].startswith(b"R OK")
    # The archive counts in no quota root of the reader's.
    lines = c.cmd("Q", f'GETQUOTAROOT "{ARCHIVE}"')
    assert lines == [f"* QUOTAROOT {ARCHIVE}".encode(), b"Q OK GETQUOTAROOT completed"], lines
    assert c.cmd("Q2", "GETQUOTAROOT INBOX")[0] == b'* QUOTAROOT INBOX ""'
    # Copying a post out into one's own mailbox is allowed.
    reply = c.cmd("T", "UID COPY 2 Archive")[-1]
    assert re.match(rb"T OK \[COPYUID \d+ 2 1\]", reply), reply
    assert c.cmd("U", "STATUS Archive (MESSAGES)")[0] == b"* STATUS Archive (MESSAGES 1)"
    # Nothing changed: still two messages, no flags (a body fetch sets no \Seen).
    lines = c.cmd("Q", "FETCH 1:* (FLAGS)")
    assert lines[:-1] == [b"* 1 FETCH (FLAGS ())", b"* 2 FETCH (FLAGS ())"], lines
    c.close()


def test_own_mailboxes_under_lists_stay_the_users(srv):
    """A user's own folders under Lists/ (a Sieve `fileinto "Lists/debian"`
    makes them) live beside the archives."""
    c = raw(srv, MEMBER)
    assert c.cmd("A", 'CREATE "Lists/debian"')[-1].startswith(b"A OK")
    assert c.cmd("B", 'APPEND "Lists/debian" {5+}\r\nhello')[-1].startswith(b"B OK [APPENDUID")
    lines = c.cmd("C", 'LIST "Lists/" "*"')
    assert lines[:-1] == [b'* LIST (\\HasNoChildren) "/" ' + ARCHIVE.encode(),
                          b'* LIST (\\HasNoChildren) "/" Lists/debian'], lines
    lines = c.cmd("D", 'SELECT "Lists/debian"')
    assert lines[-1].startswith(b"D OK [READ-WRITE]"), lines
    assert c.cmd("E", 'DELETE "Lists/debian"')[-1].startswith(b"E OK")
    c.close()


def test_new_post_reaches_a_member_in_idle(srv):
    c = raw(srv, MEMBER)
    assert c.cmd("S", f'EXAMINE "{ARCHIVE}"')[-1].startswith(b"S OK")
    c.send(b"I IDLE\r\n")
    assert c.line().startswith(b"+ ")
    post(srv, "third")
    assert c.line() == b"* 3 EXISTS"
    c.send(b"DONE\r\n")
    lines = c.until("I")
    assert lines[-1].startswith(b"I OK"), lines
    lines = c.cmd("F", "FETCH 3 BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
    assert b"Subject: post third" in lines[0], lines
    c.close()


def test_mbsync_pulls_the_archive(srv, tmp_path):
    if not shutil.which("mbsync"):
        pytest.skip("mbsync not installed")
    root = tmp_path / "Mail"
    root.mkdir()
    rc = tmp_path / "mbsyncrc"
    rc.write_text(textwrap.dedent(f"""\
        IMAPAccount pochta
        Host localhost
        Port {srv.ports['imaps']}
        User {MEMBER}
        Pass {h.PASSWORD}
        SSLType IMAPS
        SystemCertificates no
        CertificateFile {srv.cert}
        Timeout 20

        IMAPStore far
        Account pochta

        MaildirStore near
        Path {root}/
        Inbox {root}/INBOX
        SubFolders Verbatim

        Channel archive
        Far :far:
        Near :near:
        Patterns Lists/*
        Create Near
        Sync Pull
        SyncState *
        """))
    rc.chmod(0o600)
    r = subprocess.run(["mbsync", "-c", str(rc), "-a"], capture_output=True, timeout=60, env={"HOME": str(tmp_path)})
    assert r.returncode == 0, r.stderr.decode()
    folder = root / "Lists" / LIST
    got = sorted((folder / "cur").iterdir()) + sorted((folder / "new").iterdir())
    texts = [p.read_bytes() for p in got]
    for tok in ("first", "second"):
        assert any(f"body of {tok}".encode() in t for t in texts), (tok, [p.name for p in got])


def test_leaving_the_list_or_deleting_it_hides_the_archive(srv):
    srv.cli_ok("list", "remove", LIST, MODERATOR)
    c = raw(srv, MODERATOR)
    assert c.cmd("A", f'EXAMINE "{ARCHIVE}"')[-1].startswith(b"A NO [NONEXISTENT]")
    lines = c.cmd("B", 'LIST "" "*"')
    assert not any(b"Lists" in line for line in lines[:-1]), lines
    # The subscription made while a person of the list is left, naming nothing.
    lines = c.cmd("C", 'LIST (SUBSCRIBED) "" "Lists/*"')
    assert lines[0] == f'* LIST (\\NonExistent \\Subscribed) "/" {ARCHIVE}'.encode(), lines
    c.close()
    post(srv, "other", to=OTHER_LIST)
    c = raw(srv, OUTSIDER)
    status = f'STATUS "Lists/{OTHER_LIST}" (MESSAGES)'
    assert h.eventually(lambda: c.cmd("S", status)[0].endswith(b"(MESSAGES 1)"), timeout=20)
    c.close()
    # A list deleted and made again starts with an empty archive.
    srv.cli_ok("list", "delete", OTHER_LIST)
    srv.cli_ok("list", "create", OTHER_LIST)
    srv.cli_ok("list", "add", OTHER_LIST, OUTSIDER)
    c = raw(srv, OUTSIDER)
    lines = c.cmd("S", f'STATUS "Lists/{OTHER_LIST}" (MESSAGES)')
    assert lines[0] == f'* STATUS Lists/{OTHER_LIST} (MESSAGES 0)'.encode(), lines
    c.close()


def test_search_in_an_archive_uses_its_full_text_index(srv):
    """The archive's messages are indexed under its own store user, and a
    SEARCH in the archive asks that index (a row changed behind its back
    shows in the answer)."""
    with sqlite3.connect(f"file:{srv.folder / 'data' / 'index.db'}?mode=ro", uri=True) as db:
        (owner_id,) = db.execute("SELECT id FROM users WHERE address = ?", (f"list-archive:{LIST}",)).fetchone()
    index = srv.folder / "data" / "fts" / f"{owner_id}.db"

    def indexed_row():
        if not index.exists():
            return None
        with sqlite3.connect(f"file:{index}?mode=ro", uri=True) as db:
            row = db.execute("SELECT rowid FROM text WHERE body LIKE '%body of first%'").fetchone()
        return row and row[0]

    rowid = h.eventually(indexed_row, timeout=20)
    assert rowid
    m = imaps(srv, MEMBER)
    ok(m.select(f'"{ARCHIVE}"', readonly=True))
    assert ok(m.search(None, "BODY", '"body of first"')) == [b"1"]
    with sqlite3.connect(index) as db:
        db.execute("UPDATE text SET body = '' WHERE rowid = ?", (rowid,))
    assert ok(m.search(None, "BODY", '"body of first"')) == [b""]
    m.logout()
