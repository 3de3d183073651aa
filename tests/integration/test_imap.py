"""IMAP on the imap (STARTTLS) and imaps listeners, driven by Python's
imaplib, a raw socket client for exact bytes, and curl. Mail gets into the
store over SMTP (the MX listener) and IMAP APPEND."""

import imaplib
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest

import pochta_harness as h
from pochta_harness import deliver
from conftest import shared_server

LISTEN = ("smtp", "imap", "imaps")
USERS = [f"imap{i}@example.test" for i in range(40)]


@pytest.fixture(scope="module")
def imap_server(pochta_bin, tls_cert, tmp_path_factory):
    users = {u: "{PLAIN}" + h.PASSWORD for u in USERS}
    users[h.ALICE] = "{SHA512-CRYPT}" + h.sha512_crypt(h.PASSWORD)
    with shared_server(pochta_bin, tls_cert, users, tmp_path_factory.mktemp("imap"), pool=USERS,
                       listen=LISTEN, limits={"max_message_size": 10_000_000}) as srv:
        yield srv


@pytest.fixture
def user(imap_server):
    return imap_server.pool.pop()



def mail(subject, body="Hello there.\r\n", extra=""):
    return (f"From: Sender <{h.REMOTE_SENDER}>\r\nTo: someone@example.test\r\n"
            f"Subject: {subject}\r\nMessage-ID: <{subject}@remote.example>\r\n{extra}\r\n{body}").encode()


def imaps(server, user=None):
    m = imaplib.IMAP4_SSL("127.0.0.1", server.ports["imaps"], ssl_context=h.client_tls_context(), timeout=30)
    if user:
        m.login(user, h.PASSWORD)
    return m


def ok(result):
    typ, data = result
    assert typ == "OK", (typ, data)
    return data


class Raw:
    """Exact bytes over TLS: send a line, read until the tagged reply."""

    def __init__(self, server, tls=True):
        s = socket.create_connection(("127.0.0.1", server.ports["imaps" if tls else "imap"]), timeout=30)
        self.sock = h.client_tls_context().wrap_socket(s) if tls else s
        self.buf = b""
        self.greeting = self.line()

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def send(self, data: bytes):
        self.sock.sendall(data)

    def cmd(self, tag, text):
        self.send(f"{tag} {text}\r\n".encode() if isinstance(text, str) else tag.encode() + b" " + text + b"\r\n")
        return self.until(tag)

    def until(self, tag):
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            m = re.search(rb"\{(\d+)\}$", line)
            if m:  # a literal: read its bytes as part of the response
                n = int(m.group(1))
                while len(self.buf) < n:
                    self.buf += self.sock.recv(65536)
                lines[-1] += b"\r\n" + self.buf[:n]
                self.buf = self.buf[n:]
                rest = self.line()
                lines[-1] += rest
                if not rest.startswith(tag.encode() + b" "):
                    continue
            if line.startswith(tag.encode() + b" "):
                return lines

    def close(self):
        self.sock.close()


# --- greeting, capabilities, login ----------------------------------------

def test_greeting_and_capabilities_before_tls(imap_server):
    m = imaplib.IMAP4("127.0.0.1", imap_server.ports["imap"], timeout=30)
    assert re.match(rb"\[CAPABILITY IMAP4rev1 .*\] pochta ready", m.welcome.split(b" ", 2)[2])
    caps = m.capabilities
    assert "STARTTLS" in caps and "LOGINDISABLED" in caps
    assert not any(c.startswith("AUTH=") for c in caps)
    with pytest.raises(imaplib.IMAP4.error):
        m.login(USERS[-1], h.PASSWORD)
    m.starttls(h.client_tls_context())
    assert "AUTH=PLAIN" in m.capabilities and "STARTTLS" not in m.capabilities
    m.login(h.ALICE, h.PASSWORD)
    assert ok(m.noop()) is not None
    m.logout()


def test_login_reports_capabilities_and_logout_says_bye(imap_server, user):
    r = Raw(imap_server)
    lines = r.cmd("a1", f'LOGIN {user} "{h.PASSWORD}"')
    assert re.match(rb"a1 OK \[CAPABILITY IMAP4rev1 .*IDLE.*\] Logged in", lines[-1]), lines
    for cap in (b"UIDPLUS", b"MOVE", b"NAMESPACE", b"UNSELECT", b"SPECIAL-USE", b"CHILDREN", b"ESEARCH"):
        assert cap in lines[-1]
    lines = r.cmd("a2", "LOGOUT")
    assert lines[0].startswith(b"* BYE") and lines[-1].startswith(b"a2 OK")
    r.close()


def test_bad_login_is_refused_and_slowed(imap_server):
    m = imaps(imap_server)
    started = time.monotonic()
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        m.login(USERS[0], "wrong")
    assert time.monotonic() - started >= 0.2
    m.logout()


def test_authenticate_plain_with_and_without_initial_response(imap_server, user):
    import base64
    token = base64.b64encode(f"\0{user}\0{h.PASSWORD}".encode()).decode()
    r = Raw(imap_server)
    assert r.cmd("a1", f"AUTHENTICATE PLAIN {token}")[-1].startswith(b"a1 OK [CAPABILITY")
    r.close()
    r = Raw(imap_server)
    r.send(b"a1 AUTHENTICATE PLAIN\r\n")
    assert r.line() == b"+ "
    r.send(token.encode() + b"\r\n")
    assert r.until("a1")[-1].startswith(b"a1 OK")
    r.close()
    # LOGIN mechanism, and a cancelled exchange
    m = imaps(imap_server)
    answers = iter([user.encode(), h.PASSWORD.encode()])
    m.authenticate("LOGIN", lambda challenge: next(answers))
    m.logout()
    r = Raw(imap_server)
    r.send(b"c1 AUTHENTICATE PLAIN\r\n")
    assert r.line() == b"+ "
    r.send(b"*\r\n")
    assert r.until("c1")[-1].startswith(b"c1 BAD")
    r.close()
    # An overlong response line: BAD once, and the rest of that line is
    # skipped rather than read as commands.
    r = Raw(imap_server)
    r.send(b"d1 AUTHENTICATE PLAIN\r\n")
    assert r.line() == b"+ "
    r.send(b"x" * 20000)
    assert r.until("d1")[-1].startswith(b"d1 BAD")
    r.send(b"x" * 5000 + b" d2 LOGOUT\r\n")
    assert r.cmd("d3", "NOOP") == [b"d3 OK NOOP completed"]
    r.close()


def test_syntax_errors_and_state_errors(imap_server, user):
    r = Raw(imap_server)
    assert r.cmd("a1", "SELECT INBOX")[-1].startswith(b"a1 BAD")
    assert r.cmd("a2", "FROBNICATE")[-1].startswith(b"a2 BAD")
    r.send(b"* NOOP\r\n")
    assert r.line().startswith(b"* BAD")
    r.cmd("a3", f"LOGIN {user} {h.PASSWORD}")
    assert r.cmd("a4", "FETCH 1 FLAGS")[-1].startswith(b"a4 BAD")
    assert r.cmd("a5", 'LIST "" "*" extra')[-1].startswith(b"a5 BAD")
    # A literal too big is refused before the client sends it.
    r.send(b"a6 APPEND INBOX {999999999}\r\n")
    assert r.line().startswith(b"a6 NO [TOOBIG]")
    assert r.cmd("a7", "NOOP")[-1] == b"a7 OK NOOP completed"
    r.close()


def test_id_enable_namespace(imap_server, user):
    r = Raw(imap_server)
    lines = r.cmd("a1", 'ID ("name" "test")')
    assert lines[0].startswith(b'* ID ("name" "pochta"') and lines[-1].startswith(b"a1 OK")
    r.cmd("a2", f"LOGIN {user} {h.PASSWORD}")
    assert r.cmd("a3", "ENABLE FOO")[0] == b"* ENABLED"
    lines = r.cmd("a4", "NAMESPACE")
    assert lines[0] == b'* NAMESPACE (("" "/")) NIL (("Lists/" "/"))'
    r.close()


# --- mailboxes -------------------------------------------------------------

def test_list_default_mailboxes_with_special_use(imap_server, user):
    m = imaps(imap_server, user)
    lines = ok(m.list())
    text = b"\n".join(lines)
    assert lines[0] == b'(\\HasNoChildren) "/" INBOX'
    for name, attr in (("Sent", b"\\Sent"), ("Drafts", b"\\Drafts"), ("Trash", b"\\Trash"),
                       ("Junk", b"\\Junk"), ("Archive", b"\\Archive")):
        assert re.search(rb"\(\\HasNoChildren " + re.escape(attr) + rb'\) "/" ' + name.encode(), text), text
    assert ok(m.list('""', '""')) == [b'(\\Noselect) "/" ""']
    m.logout()


def test_create_hierarchy_rename_delete(imap_server, user):
    m = imaps(imap_server, user)
    ok(m.create("Projects/2026/"))
    ok(m.create("Caf&AOk-"))  # "Café" in modified UTF-7
    # No empty parent is made: Projects is a \Noselect level until created.
    assert b'(\\Noselect \\HasChildren) "/" Projects' in ok(m.list('""', "%"))
    ok(m.create("Projects"))
    typ, data = m.create("Projects")
    assert typ == "NO" and b"ALREADYEXISTS" in data[0]
    lines = ok(m.list('""', "%"))
    assert b'(\\HasChildren) "/" Projects' in lines
    assert b'(\\HasNoChildren) "/" Caf&AOk-' in lines
    assert not any(b"2026" in line for line in lines)
    assert ok(m.list("Projects/", "%")) == [b'(\\HasNoChildren) "/" Projects/2026']
    ok(m.rename("Projects", "Work"))
    assert b'(\\HasNoChildren) "/" Work/2026' in ok(m.list('""', "*"))
    ok(m.delete("Work"))  # RFC 3501 6.3.4: Work lives on as \Noselect while Work/2026 exists
    typ, data = m.delete("Work")
    assert typ == "NO" and b"INUSE" in data[0]
    ok(m.delete("Work/2026"))
    typ, data = m.delete("Work")  # the \Noselect level went with its last inferior
    assert typ == "NO" and b"NONEXISTENT" in data[0]
    typ, data = m.delete("INBOX")
    assert typ == "NO"
    typ, data = m.rename("Nope", "Other")
    assert typ == "NO" and b"NONEXISTENT" in data[0]
    with pytest.raises(imaplib.IMAP4.error, match="Invalid mailbox name"):
        m.create("Bad&Name")
    m.logout()


def test_users_are_isolated_whatever_the_mailbox_name(imap_server):
    """Names are rows of the user's own store, never paths: no name reaches
    another user's mailboxes or the file system."""
    victim, attacker = imap_server.pool.pop(), imap_server.pool.pop()
    deliver(imap_server, victim, mail("victim-secret"))
    v = imaps(imap_server, victim)
    ok(v.create("Private"))
    v.logout()
    r = Raw(imap_server)
    assert r.cmd("a1", f"LOGIN {attacker} {h.PASSWORD}")[-1].startswith(b"a1 OK")
    # LIST with wildcards shows only the attacker's own mailboxes.
    listed = b"\n".join(r.cmd("a2", 'LIST "" "*"'))
    assert b"Private" not in listed and victim.encode() not in listed
    data_dir = imap_server.folder / "data"
    before = sorted(p.name for p in data_dir.iterdir())
    tricky = [b'"../Private"', b'"' + victim.encode() + b'/INBOX"', b'"/INBOX"', b'"INBOX/../../x"',
              b'"../../../../etc/passwd"', b'"' + str(data_dir).encode() + b'/index.db"', b'"%"', b'"*"',
              b'"Priv*"', b'"~' + victim.split("@")[0].encode() + b'/INBOX"', b'"a&-b"', b'"&Jjo"']
    for i, name in enumerate(tricky):
        tag = f"s{i}"
        reply = r.cmd(tag, b"SELECT " + name)
        # Either refused, or the attacker's own (empty, just created) mailbox: never the victim's mail.
        assert not any(b"EXISTS" in l and not l.startswith(b"* 0 ") for l in reply), (name, reply)
        status = r.cmd(f"t{i}", b"STATUS " + name + b" (MESSAGES)")
        assert not any(b"MESSAGES 1" in l for l in status), (name, status)
        created = r.cmd(f"c{i}", b"CREATE " + name)
        assert created[-1].split(b" ")[1] in (b"OK", b"NO", b"BAD"), created
    # A NUL or 8-bit byte in a name is refused before anything is looked up.
    assert r.cmd("n1", b'SELECT "In\x00box"')[-1].startswith(b"n1 BAD")
    assert r.cmd("n2", b'SELECT "Inb\xffox"')[-1].split(b" ")[1] in (b"BAD", b"NO")
    r.close()
    # The victim's mail and mailboxes are untouched, and nothing appeared
    # beside the store on disk.
    v = imaps(imap_server, victim)
    assert ok(v.select("INBOX"))[0] == b"1"
    names = b" ".join(ok(v.list()))
    assert b"Private" in names and b"passwd" not in names
    v.logout()
    assert sorted(p.name for p in data_dir.iterdir()) == before


def test_subscriptions_and_lsub(imap_server, user):
    m = imaps(imap_server, user)
    ok(m.create("Reading"))
    ok(m.unsubscribe("Reading"))
    assert not any(b"Reading" in line for line in ok(m.lsub()))
    ok(m.subscribe("Reading"))
    assert b'() "/" Reading' in ok(m.lsub('""', "*"))
    typ, data = m.subscribe("Missing")
    assert typ == "NO"
    m.logout()


def test_status(imap_server, user):
    deliver(imap_server, user, mail("status-1"))
    deliver(imap_server, user, mail("status-2"))
    m = imaps(imap_server, user)
    line = ok(m.status("INBOX", "(MESSAGES UNSEEN UIDNEXT UIDVALIDITY RECENT)"))[0]
    assert re.match(rb"INBOX \(MESSAGES 2 UNSEEN 2 UIDNEXT 3 UIDVALIDITY \d+ RECENT 2\)", line), line  # unclaimed: the next SELECT sees them
    typ, data = m.status("Nope", "(MESSAGES)")
    assert typ == "NO"
    with pytest.raises(imaplib.IMAP4.error, match="Unknown STATUS item"):
        m.status("INBOX", "(BOGUS)")
    m.logout()


# --- select, fetch, store --------------------------------------------------

def test_select_examine_and_recent(imap_server, user):
    deliver(imap_server, user, mail("sel-1"))
    deliver(imap_server, user, mail("sel-2"))
    r = Raw(imap_server)
    r.cmd("a1", f"LOGIN {user} {h.PASSWORD}")
    lines = r.cmd("a2", "EXAMINE INBOX")
    assert b"* 2 EXISTS" in lines and b"* OK [PERMANENTFLAGS ()] Limited" in lines
    assert lines[-1] == b"a2 OK [READ-ONLY] EXAMINE completed"
    lines = r.cmd("a3", "SELECT INBOX")
    assert b"* 2 RECENT" in lines and b"* OK [UNSEEN 1] First unseen" in lines
    assert any(re.match(rb"\* OK \[UIDVALIDITY \d+\]", l) for l in lines)
    assert b"* OK [UIDNEXT 3] Predicted next UID" in lines
    assert lines[-1] == b"a3 OK [READ-WRITE] SELECT completed"
    r2 = Raw(imap_server)
    r2.cmd("b1", f"LOGIN {user} {h.PASSWORD}")
    assert b"* 0 RECENT" in r2.cmd("b2", "SELECT INBOX")  # the first session claimed them
    assert r.cmd("a4", "SELECT Nope")[-1].startswith(b"a4 NO")
    assert r.cmd("a5", "FETCH 1 FLAGS")[-1].startswith(b"a5 BAD")  # nothing selected now
    r.close()
    r2.close()


def test_fetch_items(imap_server, user):
    body = "Line one.\r\nLine two.\r\n"
    deliver(imap_server, user, mail("fetch-1", body))
    m = imaps(imap_server, user)
    ok(m.select("INBOX"))
    stored = imap_server.find_one(user, "fetch-1")
    data = ok(m.fetch("1", "(UID FLAGS RFC822.SIZE INTERNALDATE)"))
    assert re.match(rb'1 \(UID 1 FLAGS \(\\Recent\) RFC822.SIZE %d INTERNALDATE "\d\d-\w{3}-\d{4} \d\d:\d\d:\d\d \+0000"\)'
                    % len(stored), data[0]), data
    data = ok(m.fetch("1", "(BODY.PEEK[])"))
    assert data[0][1] == stored
    assert b"\\Seen" not in ok(m.fetch("1", "FLAGS"))[0]
    data = ok(m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (Subject)])"))
    assert data[0][0].endswith(b"BODY[HEADER.FIELDS (SUBJECT)] {20}")
    assert data[0][1] == b"Subject: fetch-1\r\n\r\n"
    data = ok(m.fetch("1", "(BODY.PEEK[TEXT]<5.8>)"))
    assert data[0][0].endswith(b"BODY[TEXT]<5> {8}") and data[0][1] == body.encode()[5:13]
    data = ok(m.fetch("1", "(ENVELOPE)"))
    assert b'"fetch-1"' in data[0] and b'"<fetch-1@remote.example>"' in data[0]
    data = ok(m.fetch("1", "(BODYSTRUCTURE)"))
    assert b'("text" "plain"' in data[0].lower() or b'("TEXT" "PLAIN"' in data[0].upper()
    # A non-PEEK fetch sets \Seen and reports it.
    data = ok(m.fetch("1", "(BODY[1])"))
    assert b"\\Seen" in data[0][0] or b"\\Seen" in b"".join(x if isinstance(x, bytes) else x[0] for x in data)
    assert b"\\Seen" in ok(m.fetch("1", "FLAGS"))[0]
    data = ok(m.uid("FETCH", "1", "(RFC822.HEADER)"))
    assert b"UID 1" in data[0][0] and data[0][1].endswith(b"\r\n\r\n")
    with pytest.raises(imaplib.IMAP4.error, match="Invalid message sequence number"):
        m.fetch("5", "FLAGS")
    with pytest.raises(imaplib.IMAP4.error):
        m.fetch("1", "(BOGUS)")
    m.logout()


def test_fetch_multipart_sections(imap_server, user):
    msg = (b"From: a@remote.example\r\nSubject: multi\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=XX\r\n\r\npreamble\r\n"
           b"--XX\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n"
           b"--XX\r\nContent-Type: text/html\r\n\r\n<p>second</p>\r\n--XX--\r\n")
    m = imaps(imap_server, user)
    ok(m.append("INBOX", None, None, msg))
    ok(m.select("INBOX"))
    data = ok(m.fetch("1", "(BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[2])"))
    flat = b"".join(b"".join(x) if isinstance(x, tuple) else x for x in data)
    assert data[0][1] == b"first part"
    assert b"BODY[2.MIME] {27}\r\n" not in flat  # imaplib splits literals off
    assert b"Content-Type: text/html\r\n\r\n" in flat
    assert flat.endswith(b"<p>second</p>)")
    data = ok(m.fetch("1", "(BODY.PEEK[])"))
    assert data[0][1] == msg  # APPEND stores the bytes given
    bs = ok(m.fetch("1", "BODYSTRUCTURE"))[0].upper()
    assert b'"MIXED"' in bs and b'"HTML"' in bs
    m.logout()


def test_store_flags_and_keywords(imap_server, user):
    deliver(imap_server, user, mail("store-1"))
    deliver(imap_server, user, mail("store-2"))
    m = imaps(imap_server, user)
    ok(m.select("INBOX"))
    data = ok(m.store("1:2", "+FLAGS", "(\\Flagged $Work)"))
    assert len(data) == 2 and b"\\Flagged" in data[0] and b"$Work" in data[0]
    data = ok(m.store("1", "-FLAGS", "($Work)"))
    assert b"$Work" not in data[0]
    data = ok(m.uid("STORE", "2", "FLAGS.SILENT", "(\\Answered)"))
    assert data == [None]
    assert b"(\\Answered \\Recent)" in ok(m.fetch("2", "FLAGS"))[0] or b"\\Answered" in ok(m.fetch("2", "FLAGS"))[0]
    with pytest.raises(imaplib.IMAP4.error, match="Invalid system flag"):
        m.store("1", "+FLAGS", "(\\Bogus)")
    with pytest.raises(imaplib.IMAP4.error):
        m.store("1", "+FLAGS", "(\\Recent)")
    m.logout()
    m = imaps(imap_server, user)
    ok(m.select("INBOX", readonly=True))
    typ, data = m.store("1", "+FLAGS", "(\\Seen)")
    assert typ == "NO"
    m.logout()


def test_expunge_copy_move_and_uid_expunge(imap_server, user):
    for i in range(4):
        deliver(imap_server, user, mail(f"exp-{i}"))
    m = imaps(imap_server, user)
    ok(m.create("Keep"))
    ok(m.select("INBOX"))
    typ, data = m.copy("1:2", "Keep")
    assert typ == "OK" and re.match(rb"\[COPYUID \d+ 1:2 1:2\]", data[0]), data
    typ, data = m.copy("1", "Missing")
    assert typ == "NO" and b"TRYCREATE" in data[0]
    ok(m.store("1,3", "+FLAGS", "(\\Deleted)"))
    ok(m.uid("EXPUNGE", "3"))  # UID EXPUNGE: only UID 3 goes
    assert m.untagged_responses["EXPUNGE"] == [b"3"]
    assert ok(m.expunge()) == [b"3", b"1"]  # imaplib collects both EXPUNGE responses
    ok(m.uid("MOVE", "2", "Keep"))
    assert ok(m.search(None, "ALL")) == [b"1"]
    m.logout()
    assert [uid for uid, _s, _f in imap_server.message_list(user, "Keep")] == [1, 2, 3]
    assert [uid for uid, _s, _f in imap_server.message_list(user)] == [4]


def test_move_announces_copyuid_then_expunge(imap_server, user):
    deliver(imap_server, user, mail("mv-1"))
    r = Raw(imap_server)
    r.cmd("a1", f"LOGIN {user} {h.PASSWORD}")
    r.cmd("a2", "SELECT INBOX")
    lines = r.cmd("a3", "MOVE 1 Trash")
    assert re.match(rb"\* OK \[COPYUID \d+ 1 1\] Moved", lines[0]), lines
    assert lines[1] == b"* 1 EXPUNGE" and lines[2] == b"a3 OK MOVE completed"
    r.close()


def test_close_expunges_and_unselect_does_not(imap_server, user):
    deliver(imap_server, user, mail("close-1"))
    deliver(imap_server, user, mail("close-2"))
    m = imaps(imap_server, user)
    ok(m.select("INBOX"))
    ok(m.store("1", "+FLAGS", "(\\Deleted)"))
    ok(m._simple_command("UNSELECT"))
    assert len(imap_server.message_list(user)) == 2
    ok(m.select("INBOX"))
    ok(m.close())
    assert [uid for uid, _s, _f in imap_server.message_list(user)] == [2]
    m.logout()


def test_append_with_flags_date_and_literal_plus(imap_server, user):
    m = imaps(imap_server, user)
    msg = mail("append-1")
    typ, data = m.append("Drafts", "(\\Draft $Label)", '"05-Mar-2024 10:20:30 +0100"', msg)
    assert typ == "OK" and re.match(rb"\[APPENDUID \d+ 1\]", data[0]), data
    ok(m.select("Drafts"))
    data = ok(m.fetch("1", "(FLAGS INTERNALDATE BODY.PEEK[])"))
    assert b'INTERNALDATE "05-Mar-2024 09:20:30 +0000"' in data[0][0]
    assert b"\\Draft" in data[0][0] and b"$Label" in data[0][0]
    assert data[0][1] == msg
    typ, data = m.append("Nope", None, None, msg)
    assert typ == "NO" and b"TRYCREATE" in data[0]
    m.logout()
    # LITERAL+: no continuation needed.
    r = Raw(imap_server)
    r.cmd("a1", f"LOGIN {user} {h.PASSWORD}")
    r.send(b"a2 APPEND INBOX {%d+}\r\n" % len(msg) + msg + b"\r\n")
    assert r.until("a2")[-1].startswith(b"a2 OK [APPENDUID")
    # Into the selected mailbox: EXISTS before the OK.
    r.cmd("a3", "SELECT INBOX")
    r.send(b"a4 APPEND INBOX {%d}\r\n" % len(msg))
    assert r.line().startswith(b"+ ")
    r.send(msg + b"\r\n")
    lines = r.until("a4")
    assert b"* 2 EXISTS" in lines and lines[-1].startswith(b"a4 OK [APPENDUID")
    r.close()


def test_search(imap_server, user):
    deliver(imap_server, user, mail("find-apple", "red fruit\r\n"))
    deliver(imap_server, user, mail("find-pear", "green fruit\r\n"))
    m = imaps(imap_server, user)
    ok(m.select("INBOX"))
    assert ok(m.search(None, "ALL")) == [b"1 2"]
    assert ok(m.search(None, "SUBJECT", "pear")) == [b"2"]
    assert ok(m.search(None, "BODY", "red")) == [b"1"]
    ok(m.store("2", "+FLAGS", "(\\Seen)"))
    assert ok(m.uid("SEARCH", "UNSEEN")) == [b"1"]
    typ, data = m.search("KOI8-XYZ", "ALL")
    assert typ == "NO" and b"BADCHARSET" in data[0]
    with pytest.raises(imaplib.IMAP4.error):
        m.search(None, "FOO")
    r = Raw(imap_server)
    r.cmd("a1", f"LOGIN {user} {h.PASSWORD}")
    r.cmd("a2", "EXAMINE INBOX")
    lines = r.cmd("a3", "SEARCH RETURN (MIN MAX COUNT) ALL")
    assert lines[0] == b'* ESEARCH (TAG "a3") MIN 1 MAX 2 COUNT 2'
    assert r.cmd("a4", "UID SEARCH RETURN () SUBJECT find")[0] == b'* ESEARCH (TAG "a4") UID ALL 1:2'
    r.close()
    m.logout()


# --- concurrency, IDLE, restart, curl ------------------------------------

def test_two_sessions_see_each_others_changes(imap_server, user):
    deliver(imap_server, user, mail("conc-1"))
    deliver(imap_server, user, mail("conc-2"))
    a, b = Raw(imap_server), Raw(imap_server)
    for r in (a, b):
        r.cmd("x1", f"LOGIN {user} {h.PASSWORD}")
        r.cmd("x2", "SELECT INBOX")
    b.cmd("b1", "STORE 1 +FLAGS (\\Deleted)")
    b.cmd("b2", "EXPUNGE")
    b.cmd("b3", "STORE 1 +FLAGS (\\Flagged)")
    # FETCH may not announce the expunge; NOOP must.
    lines = a.cmd("a1", "FETCH 2 (FLAGS)")
    assert b"EXPUNGE" not in b"\n".join(lines)
    assert any(l.startswith(b"* 2 FETCH (FLAGS (\\Flagged") for l in lines), lines
    lines = a.cmd("a2", "NOOP")
    assert b"* 1 EXPUNGE" in lines, lines
    deliver(imap_server, user, mail("conc-3"))
    lines = a.cmd("a3", "NOOP")
    assert b"* 2 EXISTS" in lines, lines
    a.close()
    b.close()


def test_idle_is_woken_by_delivery(imap_server, user):
    r = Raw(imap_server)
    r.cmd("a1", f"LOGIN {user} {h.PASSWORD}")
    r.cmd("a2", "SELECT INBOX")
    r.send(b"a3 IDLE\r\n")
    assert r.line().startswith(b"+ ")
    started = time.monotonic()
    deliver(imap_server, user, mail("idle-1"))
    r.sock.settimeout(3)
    assert r.line() == b"* 1 EXISTS"
    assert time.monotonic() - started < 2.5
    assert r.line() == b"* 1 RECENT"
    # another session's flag change shows up too
    m = imaps(imap_server, user)
    ok(m.select("INBOX"))
    ok(m.store("1", "+FLAGS.SILENT", "(\\Flagged)"))
    m.logout()
    assert r.line().startswith(b"* 1 FETCH (FLAGS (\\Flagged")
    r.send(b"DONE\r\n")
    assert r.until("a3")[-1] == b"a3 OK IDLE terminated"
    r.close()


def test_large_message_is_streamed_intact(imap_server, user):
    blob = ("".join(f"line {i:07d} of a large message, padded to be long enough\r\n" for i in range(60000))).encode()
    msg = mail("big", "") + blob
    m = imaps(imap_server, user)
    ok(m.append("INBOX", None, None, msg))
    ok(m.select("INBOX"))
    data = ok(m.fetch("1", "(RFC822.SIZE BODY.PEEK[])"))
    assert data[0][1] == msg and b"RFC822.SIZE %d" % len(msg) in data[0][0]
    data = ok(m.fetch("1", "(BODY.PEEK[]<100.2000000>)"))
    assert data[0][1] == msg[100:2000100]
    m.logout()


def test_uids_survive_restart(make_server):
    srv = make_server(listen=LISTEN)
    deliver(srv, h.ALICE, mail("restart-1"))
    m = imaps(srv, h.ALICE)
    ok(m.select("INBOX"))
    before = ok(m.status("INBOX", "(UIDVALIDITY UIDNEXT)"))
    uid = ok(m.uid("SEARCH", "ALL"))
    m.logout()
    assert srv.stop()[0] == 0
    srv.start()
    m = imaps(srv, h.ALICE)
    assert ok(m.status("INBOX", "(UIDVALIDITY UIDNEXT)")) == before
    ok(m.select("INBOX"))
    assert ok(m.uid("SEARCH", "ALL")) == uid
    m.logout()


@pytest.mark.skipif(not shutil.which("curl"), reason="curl not installed")
def test_curl_imaps_lists_and_fetches(imap_server, user):
    deliver(imap_server, user, mail("curl-1", "fetched by curl\r\n"))
    base = f"imaps://127.0.0.1:{imap_server.ports['imaps']}"
    auth = ["-k", "-s", "--user", f"{user}:{h.PASSWORD}", "--max-time", "20"]
    out = subprocess.run(["curl", *auth, base + "/"], capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert b"INBOX" in out.stdout and b"Sent" in out.stdout
    out = subprocess.run(["curl", *auth, base + "/INBOX;UID=1"], capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert b"fetched by curl" in out.stdout and b"Subject: curl-1" in out.stdout


def test_bare_lf_message_is_sent_with_crlf(imap_server, user):
    raw = b"Subject: bare-lf\nFrom: a@remote.example\n\nline one\nline two\n"
    with imap_server.raw("smtp") as c:
        c.ehlo()
        assert c.cmd(f"MAIL FROM:<{h.REMOTE_SENDER}>").code == 250
        assert c.cmd(f"RCPT TO:<{user}>").code == 250
        c.send(f"BDAT {len(raw)} LAST\r\n".encode() + raw)
        assert c.reply().code == 250
    stored = imap_server.find_one(user, "bare-lf")
    wire = stored.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    m = imaps(imap_server, user)
    ok(m.select("INBOX"))
    data = ok(m.fetch("1", "(RFC822.SIZE BODY.PEEK[] BODY.PEEK[TEXT])"))
    assert b"RFC822.SIZE %d" % len(wire) in data[0][0]
    assert data[0][1] == wire
    assert data[1][1] == b"line one\r\nline two\r\n"
    m.logout()


def test_starttls_discards_pipelined_input_and_literal_login(imap_server, user):
    r = Raw(imap_server, tls=False)
    r.send(b"a1 STARTTLS\r\na2 NOOP\r\n")
    assert r.line() == b"a1 OK Begin TLS negotiation now"
    r.sock = h.client_tls_context().wrap_socket(r.sock)
    lines = r.cmd("b1", "CAPABILITY")
    assert b"a2" not in b"\n".join(lines)  # the plaintext NOOP never ran
    assert b"AUTH=PLAIN" in lines[0] and b"STARTTLS" not in lines[0]
    assert r.cmd("b2", "STARTTLS")[-1].startswith(b"b2 BAD")
    # A synchronizing literal gets "+" before its bytes.
    r.send(b"b3 LOGIN {%d}\r\n" % len(user))
    assert r.line().startswith(b"+ ")
    r.send(user.encode() + b" " + h.PASSWORD.encode() + b"\r\n")
    assert r.until("b3")[-1].startswith(b"b3 OK [CAPABILITY")
    r.close()
