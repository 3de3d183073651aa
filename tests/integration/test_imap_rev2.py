"""IMAP4rev2 (RFC 9051) next to IMAP4rev1: what ENABLE IMAP4rev2 changes
(UTF-8 names, no \\Recent or RECENT, ESEARCH for every SEARCH, rev2's SELECT
responses, UID in unsolicited FETCH, HASCHILDREN), and the extensions rev2
folds in that every client may use: BINARY (RFC 3516), SEARCHRES (RFC 5182),
STATUS SIZE/DELETED. Each rev2 behaviour is checked against a rev1 session
of the same server, which must see what it always saw."""

import base64
import imaplib
import re
import socket

import pytest

import pochta_harness as h
from pochta_harness import deliver
from conftest import shared_server

LISTEN = ("smtp", "imap", "imaps")
USERS = [f"rev2-{i}@example.test" for i in range(30)]


@pytest.fixture(scope="module")
def srv(pochta_bin, tls_cert, tmp_path_factory):
    users = {u: "{PLAIN}" + h.PASSWORD for u in USERS}
    with shared_server(pochta_bin, tls_cert, users, tmp_path_factory.mktemp("rev2"), pool=USERS,
                       listen=LISTEN) as s:
        yield s


@pytest.fixture
def user(srv):
    return srv.pool.pop()


def mail(subject, body="Hello there.\r\n"):
    return (f"From: Sender <{h.REMOTE_SENDER}>\r\nTo: someone@example.test\r\n"
            f"Subject: {subject}\r\nMessage-ID: <{subject}@remote.example>\r\n\r\n{body}").encode()


class Raw:
    """Exact bytes over implicit TLS: commands out, lines (with literals and
    literal8s folded in) back up to the tagged reply."""

    def __init__(self, server, user=None, rev2=False):
        s = socket.create_connection(("127.0.0.1", server.ports["imaps"]), timeout=30)
        self.sock = h.client_tls_context().wrap_socket(s)
        self.buf = b""
        self.greeting = self.line()
        if user:
            assert self.cmd("L", f"LOGIN {user} {h.PASSWORD}")[-1].startswith(b"L OK")
        if rev2:
            assert self.cmd("E", "ENABLE IMAP4rev2") == [b"* ENABLED IMAP4rev2", b"E OK ENABLE completed"]

    def _fill(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(self.buf)
            self.buf += chunk

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill(len(self.buf) + 1)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def send(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def cmd(self, tag, text):
        self.send(f"{tag} {text}\r\n" if isinstance(text, str) else tag.encode() + b" " + text + b"\r\n")
        return self.until(tag)

    def until(self, tag):
        lines = []
        current = b""
        while True:
            part = self.line()
            current += part
            m = re.search(rb"~?\{(\d+)\}$", part)
            if m:
                n = int(m.group(1))
                self._fill(n)
                current += b"\r\n" + self.buf[:n]
                self.buf = self.buf[n:]
                continue
            lines.append(current)
            current = b""
            if part.startswith(tag.encode() + b" "):
                return lines

    def append(self, tag, mailbox, message, literal8=True, sync=True):
        prefix = "~" if literal8 else ""
        plus = "" if sync else "+"
        self.send(f"{tag} APPEND {mailbox} {prefix}{{{len(message)}{plus}}}\r\n")
        if sync:
            assert self.line().startswith(b"+")
        self.send(message + b"\r\n")
        return self.until(tag)

    def close(self):
        self.sock.close()


def tagged(lines):
    return lines[-1]


def untagged(lines, prefix):
    return [l for l in lines if l.startswith(prefix)]


# --- capabilities and ENABLE --------------------------------------------------

def test_capabilities_and_enable(srv, user):
    r = Raw(srv)
    assert re.search(rb"\[CAPABILITY IMAP4rev1 IMAP4rev2 ", r.greeting), r.greeting
    lines = r.cmd("a1", f"LOGIN {user} {h.PASSWORD}")
    caps = lines[-1].split(b"]")[0].split()
    for cap in (b"IMAP4rev1", b"IMAP4rev2", b"BINARY", b"SEARCHRES", b"STATUS=SIZE", b"ESEARCH", b"ENABLE"):
        assert cap in caps, lines
    assert r.cmd("a2", "ENABLE IMAP4rev2") == [b"* ENABLED IMAP4rev2", b"a2 OK ENABLE completed"]
    # Enabled once: a second ENABLE lists nothing new.
    assert r.cmd("a3", "ENABLE IMAP4rev2") == [b"* ENABLED", b"a3 OK ENABLE completed"]
    r.close()


def test_enable_rev2_refused_with_a_mailbox_selected(srv, user):
    r = Raw(srv, user)
    r.cmd("a1", "SELECT INBOX")
    assert r.cmd("a2", "ENABLE IMAP4rev2") == [b"* ENABLED", b"a2 OK ENABLE completed"]
    assert b"* 0 RECENT" in r.cmd("a3", "SELECT INBOX")  # still rev1
    r.close()


# --- SELECT, \Recent, unsolicited FETCH --------------------------------------

def test_select_responses_rev2_and_rev1(srv, user):
    deliver(srv, user, mail("sel-1"))
    deliver(srv, user, mail("sel-2"))
    r2 = Raw(srv, user, rev2=True)
    lines = r2.cmd("a1", "SELECT INBOX")
    assert b"* 2 EXISTS" in lines
    assert b'* LIST () "/" INBOX' in lines
    assert any(l.startswith(b"* FLAGS (") for l in lines)
    assert any(l.startswith(b"* OK [PERMANENTFLAGS (") for l in lines)
    assert any(re.match(rb"\* OK \[UIDVALIDITY \d+\]", l) for l in lines)
    assert b"* OK [UIDNEXT 3] Predicted next UID" in lines
    assert not any(b"RECENT" in l or b"UNSEEN" in l for l in lines), lines
    assert tagged(lines) == b"a1 OK [READ-WRITE] SELECT completed"
    flags = r2.cmd("a2", "FETCH 1:* FLAGS")
    assert flags[:2] == [b"* 1 FETCH (FLAGS ())", b"* 2 FETCH (FLAGS ())"], flags
    # A SELECT replacing a selected mailbox says so, and rev2 lists the new one.
    lines = r2.cmd("a3", "EXAMINE Trash")
    assert lines[0] == b"* OK [CLOSED] Previous mailbox closed"
    assert b'* LIST (\\Trash) "/" Trash' in lines
    assert tagged(lines) == b"a3 OK [READ-ONLY] EXAMINE completed"

    # The rev2 session claimed nothing: a rev1 session still gets \Recent.
    r1 = Raw(srv, user)
    lines = r1.cmd("b1", "SELECT INBOX")
    assert b"* 2 RECENT" in lines and b"* OK [UNSEEN 1] First unseen" in lines
    assert not any(l.startswith(b"* LIST") for l in lines)
    assert r1.cmd("b2", "FETCH 1 FLAGS")[0] == b"* 1 FETCH (FLAGS (\\Recent))"
    r1.close()
    r2.close()


def test_new_mail_and_flag_changes_in_rev2(srv, user):
    deliver(srv, user, mail("upd-1"))
    r2 = Raw(srv, user, rev2=True)
    r2.cmd("a1", "SELECT INBOX")
    other = Raw(srv, user)
    other.cmd("b1", "SELECT INBOX")
    other.cmd("b2", "STORE 1 +FLAGS (\\Flagged)")
    deliver(srv, user, mail("upd-2"))
    lines = h.eventually(lambda: (lambda ls: ls if b"* 2 EXISTS" in ls else None)(r2.cmd("a2", "NOOP")))
    assert not any(b"RECENT" in l for l in lines), lines
    # Unsolicited FETCH carries the UID in rev2 (RFC 9051 7.5.2) ...
    assert b"* 1 FETCH (UID 1 FLAGS (\\Flagged))" in lines, lines
    r1 = Raw(srv, user)
    r1.cmd("c1", "SELECT INBOX")
    other.cmd("b3", "STORE 1 -FLAGS (\\Flagged)")
    lines = h.eventually(lambda: (lambda ls: ls if len(ls) > 1 else None)(r1.cmd("c2", "NOOP")))
    # ... and not in rev1, where no UID command asked for it.
    assert b"* 1 FETCH (FLAGS ())" in lines, lines
    for c in (r1, r2, other):
        c.close()


# --- SEARCH answers ------------------------------------------------------------

def test_search_answers_with_esearch_in_rev2(srv, user):
    for i in range(3):
        deliver(srv, user, mail(f"srch-{i}"))
    r2 = Raw(srv, user, rev2=True)
    r2.cmd("a1", "SELECT INBOX")
    assert r2.cmd("a2", "SEARCH ALL") == [b'* ESEARCH (TAG "a2") ALL 1:3', b"a2 OK SEARCH completed"]
    assert r2.cmd("a3", "UID SEARCH SUBJECT srch-1") == [b'* ESEARCH (TAG "a3") UID ALL 2',
                                                          b"a3 OK UID SEARCH completed"]
    assert r2.cmd("a4", "SEARCH SUBJECT nowhere") == [b'* ESEARCH (TAG "a4")', b"a4 OK SEARCH completed"]
    assert r2.cmd("a5", "SEARCH RETURN (COUNT MIN) ALL") == [b'* ESEARCH (TAG "a5") MIN 1 COUNT 3',
                                                              b"a5 OK SEARCH completed"]
    # No \Recent in rev2: RECENT matches nothing, OLD everything.
    assert r2.cmd("a6", "SEARCH RECENT")[0] == b'* ESEARCH (TAG "a6")'
    assert r2.cmd("a7", "SEARCH OLD")[0] == b'* ESEARCH (TAG "a7") ALL 1:3'
    r1 = Raw(srv, user)
    r1.cmd("b1", "SELECT INBOX")
    assert r1.cmd("b2", "SEARCH ALL") == [b"* SEARCH 1 2 3", b"b2 OK SEARCH completed"]
    assert r1.cmd("b3", "SEARCH RECENT")[0] == b"* SEARCH 1 2 3"
    assert r1.cmd("b4", "SEARCH RETURN () ALL")[0] == b'* ESEARCH (TAG "b4") ALL 1:3'
    r1.close()
    r2.close()


# --- mailbox names and mailbox commands ---------------------------------------

def test_utf8_mailbox_names(srv, user):
    r2 = Raw(srv, user, rev2=True)
    name = "Счета"
    assert re.fullmatch(rb"a1 OK \[MAILBOXID \(F\d+\)\] CREATE completed", tagged(r2.cmd("a1", f'CREATE "{name}/2024"'.encode())))
    assert re.fullmatch(rb"a0 OK \[MAILBOXID \(F\d+\)\] CREATE completed", tagged(r2.cmd("a0", f'CREATE "{name}"'.encode())))  # no longer made by a1
    lines = r2.cmd("a2", 'LIST "" "*"')
    assert f'* LIST (\\HasChildren) "/" "{name}"'.encode() in lines, lines
    assert f'* LIST (\\HasNoChildren) "/" "{name}/2024"'.encode() in lines, lines
    assert b'* LIST () "/" "' + name.encode() + b'"' in r2.cmd("a3", f'SELECT "{name}"'.encode())
    r1 = Raw(srv, user)
    lines = r1.cmd("b1", 'LIST "" "*"')
    assert b'* LIST (\\HasChildren) "/" &BCEERwQ1BEIEMA-' in lines, lines
    r1.close()
    r2.close()


def test_delete_with_children(srv, user):
    r2 = Raw(srv, user, rev2=True)
    r2.cmd("a1", "CREATE Parent/Child")
    assert tagged(r2.cmd("a2", "DELETE Parent")).startswith(b"a2 NO [HASCHILDREN]")
    r1 = Raw(srv, user)
    assert tagged(r1.cmd("b1", "DELETE Parent")).startswith(b"b1 NO [INUSE]")
    r1.close()
    assert tagged(r2.cmd("a3", "DELETE Parent/Child")) == b"a3 OK DELETE completed"
    # CREATE made no Parent: the \Noselect level went with its last inferior.
    assert tagged(r2.cmd("a4", "DELETE Parent")).startswith(b"a4 NO [NONEXISTENT]")
    assert tagged(r2.cmd("a5", "DELETE Parent")).startswith(b"a5 NO [NONEXISTENT]")
    assert tagged(r2.cmd("a6", "CREATE Drafts")).startswith(b"a6 NO [ALREADYEXISTS]")
    assert tagged(r2.cmd("a7", "SELECT Nowhere")).startswith(b"a7 NO [NONEXISTENT]")
    r2.close()


def test_list_attributes_and_check(srv, user):
    r2 = Raw(srv, user, rev2=True)
    r2.cmd("a1", "CREATE Gone")
    r2.cmd("a2", "SUBSCRIBE Gone")
    r2.cmd("a3", "DELETE Gone")
    lines = r2.cmd("a4", 'LIST (SUBSCRIBED) "" "Gone"')
    assert lines[0] == b'* LIST (\\NonExistent \\Subscribed) "/" Gone', lines
    lines = r2.cmd("a5", 'LIST "" "%" RETURN (CHILDREN SPECIAL-USE)')
    assert b'* LIST (\\HasNoChildren \\Trash) "/" Trash' in lines, lines
    r2.cmd("a6", "SELECT INBOX")
    assert r2.cmd("a7", "CHECK") == [b"a7 OK CHECK completed"]
    r2.close()


# --- STATUS SIZE and DELETED ---------------------------------------------------

def test_status_size_and_deleted(srv, user):
    r = Raw(srv, user, rev2=True)
    sizes = []
    for i in range(3):
        msg = mail(f"size-{i}", "x" * (100 * (i + 1)) + "\r\n")
        sizes.append(len(msg))
        assert tagged(r.append(f"p{i}", "INBOX", msg, literal8=False)).startswith(f"p{i} OK".encode())
    r.cmd("a1", "SELECT INBOX")
    r.cmd("a2", "STORE 2:3 +FLAGS.SILENT (\\Deleted)")
    lines = r.cmd("a3", "STATUS INBOX (SIZE DELETED MESSAGES)")
    assert lines[0] == f"* STATUS INBOX (SIZE {sum(sizes)} DELETED 2 MESSAGES 3)".encode(), (lines, sizes)
    lines = r.cmd("a4", 'LIST "" "INBOX" RETURN (STATUS (DELETED SIZE))')
    assert lines[1] == f"* STATUS INBOX (DELETED 2 SIZE {sum(sizes)})".encode(), lines
    r.close()


# --- BINARY ---------------------------------------------------------------------

PAYLOAD = bytes(range(256)) * 3  # every octet, NUL included

BINARY_MESSAGE = (
    b"From: a@example.test\r\nSubject: binary\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="sep"\r\n\r\n'
    b"--sep\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    b"Caf=C3=A9 au lait, a long line that was wrapped by the encoder=\r\n here.\r\n"
    b"--sep\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    + base64.encodebytes(PAYLOAD).replace(b"\n", b"\r\n")
    + b"--sep\r\nContent-Type: application/x-thing\r\nContent-Transfer-Encoding: x-rot13\r\n\r\n"
    b"Uryyb\r\n"
    b"--sep\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 7bit\r\n\r\nplain text\r\n"
    b"--sep--\r\n"
)


def test_binary_fetch(srv, user):
    r = Raw(srv, user)
    assert tagged(r.append("p1", "INBOX", BINARY_MESSAGE)).startswith(b"p1 OK [APPENDUID")
    r.cmd("a1", "SELECT INBOX")
    lines = r.cmd("a2", "FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1] BINARY.SIZE[2])")
    text = "Café au lait, a long line that was wrapped by the encoder here.\r\n".encode()
    text = text[:-2]  # the CRLF before the boundary is not part of the body
    assert lines[0] == b"* 1 FETCH (BINARY[1] {%d}\r\n%s BINARY.SIZE[1] %d BINARY.SIZE[2] %d)" % (
        len(text), text, len(text), len(PAYLOAD)), lines
    # Decoded data with NUL comes as literal8.
    lines = r.cmd("a3", "FETCH 1 (BINARY.PEEK[2])")
    assert lines[0] == b"* 1 FETCH (BINARY[2] ~{%d}\r\n%s)" % (len(PAYLOAD), PAYLOAD)
    # A partial counts in decoded octets; without NUL it is a plain literal.
    lines = r.cmd("a4", "FETCH 1 (BINARY.PEEK[2]<65.5>)")
    assert lines[0] == b"* 1 FETCH (BINARY[2]<65> {5}\r\nABCDE)", lines
    lines = r.cmd("a5", "FETCH 1 (BINARY.PEEK[4] BINARY.PEEK[9])")
    assert lines[0] == b'* 1 FETCH (BINARY[4] {10}\r\nplain text BINARY[9] {0}\r\n)', lines
    assert b"\\Seen" not in r.cmd("a6", "FETCH 1 FLAGS")[0]
    # An encoding the server cannot undo fails the FETCH.
    assert tagged(r.cmd("a7", "FETCH 1 BINARY.PEEK[3]")).startswith(b"a7 NO [UNKNOWN-CTE]")
    # BINARY without PEEK sets \Seen like BODY[].
    lines = r.cmd("a8", "FETCH 1 BINARY[4]")
    assert b"\\Seen" in lines[0] and tagged(lines) == b"a8 OK FETCH completed", lines
    # Errors in the item are BAD.
    assert tagged(r.cmd("a9", "FETCH 1 BINARY[1.HEADER]")).startswith(b"a9 BAD")
    assert tagged(r.cmd("b1", "FETCH 1 BINARY.SIZE[1]<0.5>")).startswith(b"b1 BAD")
    r.close()


def test_append_literal8_with_nul(srv, user):
    r = Raw(srv, user, rev2=True)
    message = b"Subject: nul inside\r\n\r\nbefore\x00after\r\n"
    assert tagged(r.append("p1", "INBOX", message)).startswith(b"p1 OK [APPENDUID")
    assert tagged(r.append("p2", "INBOX", b"Subject: two\r\n\r\nplus\r\n", sync=False)).startswith(b"p2 OK")
    r.cmd("a1", "SELECT INBOX")
    lines = r.cmd("a2", "FETCH 1 BINARY.PEEK[]")
    assert lines[0] == b"* 1 FETCH (BINARY[] ~{%d}\r\n%s)" % (len(message), message), lines
    lines = r.cmd("a3", "FETCH 2 BINARY.PEEK[1]")
    assert lines[0] == b"* 2 FETCH (BINARY[1] {6}\r\nplus\r\n)", lines
    r.close()


def test_binary_through_imaplib(srv, user):
    m = imaplib.IMAP4_SSL("127.0.0.1", srv.ports["imaps"], ssl_context=h.client_tls_context(), timeout=30)
    m.login(user, h.PASSWORD)
    assert m.append("INBOX", None, None, BINARY_MESSAGE)[0] == "OK"
    m.select("INBOX")
    typ, data = m.fetch("1", "(BINARY.PEEK[4])")
    assert typ == "OK" and data[0][1] == b"plain text", data
    m.logout()


# --- SEARCHRES -------------------------------------------------------------------

def uids_of(lines):
    return [int(m.group(1)) for l in lines for m in [re.search(rb"UID (\d+)", l)] if m and l.startswith(b"* ")]


def seqs_of(lines):
    return [int(m.group(1)) for l in lines for m in [re.match(rb"\* (\d+) FETCH", l)] if m]


def test_searchres_save_and_use(srv, user):
    for i in range(6):
        deliver(srv, user, mail(f"res-{'odd' if i % 2 else 'even'}-{i}"))
    r = Raw(srv, user)
    r.cmd("a1", "SELECT INBOX")
    # Before any SAVE, $ names nothing.
    assert r.cmd("a2", "FETCH $ UID") == [b"a2 OK FETCH completed"]
    # SAVE alone answers nothing but the OK.
    assert r.cmd("a3", "SEARCH RETURN (SAVE) SUBJECT odd") == [b"a3 OK SEARCH completed"]
    assert seqs_of(r.cmd("a4", "FETCH $ UID")) == [2, 4, 6]
    assert uids_of(r.cmd("a5", "UID FETCH $ FLAGS")) == [2, 4, 6]
    lines = r.cmd("a6", "STORE $ +FLAGS (\\Flagged)")
    assert seqs_of(lines) == [2, 4, 6]
    assert r.cmd("a7", "SEARCH FLAGGED")[0] == b"* SEARCH 2 4 6"
    # "$" in SEARCH: as a key, negated, after UID, next to a string "$".
    assert r.cmd("a8", "SEARCH NOT $")[0] == b"* SEARCH 1 3 5"
    assert r.cmd("a9", "UID SEARCH UID $ SUBJECT res")[0] == b"* SEARCH 2 4 6"
    assert r.cmd("b1", "SEARCH $ SUBJECT $")[0] == b"* SEARCH"
    lines = r.cmd("b2", "COPY $ Trash")
    assert re.match(rb"b2 OK \[COPYUID \d+ 2,4,6 1:3\]", tagged(lines)), lines
    # A search that saves may use the old $ (RFC 5182 2.1): MIN of {2,4,6}.
    assert r.cmd("b3", "SEARCH RETURN (SAVE MIN) $") == [b'* ESEARCH (TAG "b3") MIN 2', b"b3 OK SEARCH completed"]
    assert seqs_of(r.cmd("b4", "FETCH $ UID")) == [2]
    # A search without SAVE, and a BAD one, leave $ alone.
    r.cmd("b5", "SEARCH ALL")
    assert tagged(r.cmd("b6", "SEARCH RETURN (SAVE) BOGUS")).startswith(b"b6 BAD")
    assert seqs_of(r.cmd("b7", "FETCH $ UID")) == [2]
    # A SAVE that ends in NO empties it.
    assert tagged(r.cmd("b8", "SEARCH RETURN (SAVE) CHARSET KOI8-R ALL")).startswith(b"b8 NO [BADCHARSET")
    assert r.cmd("b9", "FETCH $ UID") == [b"b9 OK FETCH completed"]
    # Pipelined: the FETCH sees what the SEARCH just saved.
    r.send("c1 UID SEARCH RETURN (SAVE) SUBJECT even\r\nc2 UID FETCH $ UID\r\n")
    assert r.until("c1") == [b"c1 OK UID SEARCH completed"]
    assert uids_of(r.until("c2")) == [1, 3, 5]
    r.close()


def test_searchres_expunge_move_and_reset(srv, user):
    for i in range(4):
        deliver(srv, user, mail(f"exp-{i}"))
    r = Raw(srv, user)
    r.cmd("a1", "SELECT INBOX")
    r.cmd("a2", "SEARCH RETURN (SAVE) 2:4")
    r.cmd("a3", "STORE 3 +FLAGS.SILENT (\\Deleted)")
    r.cmd("a4", "EXPUNGE")
    # The expunged message left $: UIDs 2 and 4 are now messages 2 and 3.
    assert seqs_of(r.cmd("a5", "FETCH $ UID")) == [2, 3]
    lines = r.cmd("a6", "MOVE $ Trash")
    assert b"* 3 EXPUNGE" in lines and b"* 2 EXPUNGE" in lines, lines
    assert r.cmd("a7", "FETCH $ UID") == [b"a7 OK FETCH completed"]
    # UID EXPUNGE $ works too.
    r.cmd("a8", "SEARCH RETURN (SAVE) ALL")
    r.cmd("a9", "STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert b"* 1 EXPUNGE" in r.cmd("b1", "UID EXPUNGE $")
    # SELECT and UNSELECT reset it.
    r.cmd("b2", "SELECT Trash")
    r.cmd("b3", "SEARCH RETURN (SAVE) ALL")
    assert seqs_of(r.cmd("b4", "FETCH $ UID")) == [1, 2]
    r.cmd("b5", "SELECT Trash")
    assert r.cmd("b6", "FETCH $ UID") == [b"b6 OK FETCH completed"]
    r.cmd("b7", "SEARCH RETURN (SAVE) ALL")
    r.cmd("b8", "UNSELECT")
    r.cmd("b9", "SELECT Trash")
    assert r.cmd("c1", "FETCH $ UID") == [b"c1 OK FETCH completed"]
    # $ only stands alone.
    assert tagged(r.cmd("c2", "FETCH 1,$ UID")).startswith(b"c2 BAD")
    r.close()


def test_searchres_in_rev2(srv, user):
    for i in range(3):
        deliver(srv, user, mail(f"r2res-{i}"))
    r = Raw(srv, user, rev2=True)
    r.cmd("a1", "SELECT INBOX")
    assert r.cmd("a2", "SEARCH RETURN (SAVE) 2:3") == [b"a2 OK SEARCH completed"]
    assert r.cmd("a3", "SEARCH $") == [b'* ESEARCH (TAG "a3") ALL 2:3', b"a3 OK SEARCH completed"]
    assert r.cmd("a4", "UID SEARCH RETURN (SAVE COUNT) 1") == [b'* ESEARCH (TAG "a4") UID COUNT 1',
                                                                b"a4 OK UID SEARCH completed"]
    assert seqs_of(r.cmd("a5", "FETCH $ FLAGS")) == [1]
    r.close()
