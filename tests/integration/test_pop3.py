"""POP3 on the pop3 (STLS) and pop3s listeners, driven by Python's poplib,
a raw socket client (exact bytes), curl and fetchmail. Mail gets into the
store over SMTP (the MX listener)."""

import base64
import os
import poplib
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

LISTEN = ("smtp", "pop3", "pop3s")
PASSWORD = h.PASSWORD
# A user per test keeps the tests apart on one shared server (POP3 deletes).
USERS = [f"pop{i}@example.test" for i in range(40)]
BIG_LIMIT = 60 * 1024 * 1024


@pytest.fixture(scope="module")
def pop_server(pochta_bin, tls_cert, tmp_path_factory):
    users = {u: "{PLAIN}" + PASSWORD for u in USERS}
    users[h.ALICE] = "{SHA512-CRYPT}" + h.sha512_crypt(PASSWORD)
    with shared_server(pochta_bin, tls_cert, users, tmp_path_factory.mktemp("pop3"), pool=USERS,
                       listen=LISTEN, limits={"max_message_size": BIG_LIMIT}) as srv:
        yield srv


@pytest.fixture
def user(pop_server):
    return pop_server.pool.pop()



def deliver_bdat(server, user, message: bytes):
    """Exact bytes, also without a final newline or with bare LFs."""
    with server.raw("smtp") as c:
        c.ehlo()
        assert c.cmd(f"MAIL FROM:<{h.REMOTE_SENDER}>").code == 250
        assert c.cmd(f"RCPT TO:<{user}>").code == 250
        c.send(f"BDAT {len(message)} LAST\r\n".encode() + message)
        r = c.reply()
        assert r.code == 250, r


def stored(server, user):
    """The stored bytes of the user's INBOX, in UID order."""
    return server.messages(user)


def pop3_stls(server, user=None):
    p = poplib.POP3("127.0.0.1", server.ports["pop3"], timeout=30)
    p.stls(h.client_tls_context())
    if user:
        p.user(user)
        p.pass_(PASSWORD)
    return p


def pop3s(server, user=None):
    p = poplib.POP3_SSL("127.0.0.1", server.ports["pop3s"], context=h.client_tls_context(), timeout=30)
    if user:
        p.user(user)
        p.pass_(PASSWORD)
    return p


def retr_bytes(p, n):
    _resp, lines, _octets = p.retr(n)
    return b"\r\n".join(lines) + b"\r\n"


class Raw:
    """POP3 over a bare (or TLS) socket: exact bytes both ways."""

    def __init__(self, server, listener="pop3"):
        self.sock = socket.create_connection(("127.0.0.1", server.ports[listener]), timeout=30)
        if listener == "pop3s":
            self.sock = h.client_tls_context().wrap_socket(self.sock)
        self.buf = b""
        self.greeting = self.line()

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError(f"closed (unread {self.buf!r})")
        self.buf += chunk

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.line()

    def wire_body(self):
        """The multi-line body as sent, up to and including '.\\r\\n'."""
        while b"\r\n.\r\n" not in b"\r\n" + self.buf:
            self._fill()
        i = (b"\r\n" + self.buf).index(b"\r\n.\r\n")
        body, self.buf = self.buf[:i + 3], self.buf[i + 3:]
        return body

    def starttls(self):
        assert self.cmd("STLS").startswith("+OK")
        assert not self.buf
        self.sock = h.client_tls_context().wrap_socket(self.sock)

    def login(self, user):
        assert self.cmd(f"USER {user}").startswith("+OK")
        r = self.cmd(f"PASS {PASSWORD}")
        assert r.startswith("+OK"), r
        return r

    def closed(self, seconds=5):
        self.sock.settimeout(seconds)
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except (ConnectionResetError, ssl.SSLError, OSError):
            return True


def unstuff(wire: bytes) -> bytes:
    assert wire.endswith(b".\r\n")
    lines = wire[:-3].split(b"\r\n")
    assert lines[-1] == b""
    return b"\r\n".join(l[1:] if l.startswith(b".") else l for l in lines[:-1]) + b"\r\n"


def plain(user, password=PASSWORD, authzid=""):
    return base64.b64encode(f"{authzid}\0{user}\0{password}".encode()).decode()


# --- capabilities and TLS ----------------------------------------------------

def test_capa_before_and_after_stls(pop_server):
    p = poplib.POP3("127.0.0.1", pop_server.ports["pop3"], timeout=30)
    assert p.getwelcome().startswith(b"+OK")
    caps = p.capa()
    assert "STLS" in caps
    assert "USER" not in caps and "SASL" not in caps  # no credentials before TLS
    for cap in ("TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "IMPLEMENTATION"):
        assert cap in caps, cap
    p.stls(h.client_tls_context())
    caps = p.capa()
    assert "STLS" not in caps
    assert "USER" in caps
    assert caps["SASL"] == ["PLAIN", "LOGIN"]
    p.quit()


def test_credentials_refused_before_tls(pop_server, user):
    with Raw(pop_server) as c:
        assert c.cmd(f"USER {user}").startswith("-ERR [AUTH] Plaintext authentication disallowed")
        assert c.cmd(f"PASS {PASSWORD}").startswith("-ERR [AUTH]")
        assert c.cmd(f"AUTH PLAIN {plain(user)}").startswith("-ERR [AUTH]")
        assert c.cmd("STAT").startswith("-ERR")
        c.starttls()
        assert c.cmd("STLS").startswith("-ERR")
        assert c.login(user).startswith("+OK maildrop has 0 messages")
        assert c.cmd("QUIT").startswith("+OK")


def test_pop3s_has_no_stls(pop_server, user):
    p = pop3s(pop_server)
    caps = p.capa()
    assert "STLS" not in caps and "USER" in caps
    p.user(user)
    p.pass_(PASSWORD)
    assert p.stat() == (0, 0)
    p.quit()


# --- every command -------------------------------------------------------------

def test_every_command_with_poplib(pop_server, user):
    toks = [h.token("pop") for _ in range(3)]
    for t in toks:
        deliver(pop_server, user, h.make_message(t, to=user))
    msgs = stored(pop_server, user)
    assert len(msgs) == 3
    p = pop3_stls(pop_server, user)
    assert p.stat() == (3, sum(len(m) for m in msgs))
    resp, listing, _ = p.list()
    assert resp.startswith(b"+OK 3 messages")
    assert listing == [f"{i + 1} {len(m)}".encode() for i, m in enumerate(msgs)]
    assert p.list(2) == f"+OK 2 {len(msgs[1])}".encode()
    resp, uidls, _ = p.uidl()
    ids = [u.split()[1] for u in uidls]
    assert len(set(ids)) == 3 and all(0 < len(i) <= 70 for i in ids)
    assert p.uidl(3).split()[2] == ids[2]
    for i, m in enumerate(msgs):
        assert retr_bytes(p, i + 1) == m
    _resp, top, _ = p.top(1, 0)
    header = msgs[0].split(b"\r\n\r\n", 1)[0]
    assert b"\r\n".join(top) == header + b"\r\n"
    _resp, top, _ = p.top(1, 1)
    assert top[-1] == msgs[0].split(b"\r\n\r\n", 1)[1].split(b"\r\n")[0]
    assert p.noop().startswith(b"+OK")
    assert p.dele(1).startswith(b"+OK")
    with pytest.raises(poplib.error_proto, match="already deleted"):
        p.retr(1)
    assert p.stat()[0] == 2
    assert p.rset().startswith(b"+OK maildrop has 3")
    assert p.dele(2).startswith(b"+OK")
    assert p.quit().startswith(b"+OK")
    left = stored(pop_server, user)
    assert left == [msgs[0], msgs[2]]
    # RETR set \Seen on what is left; TOP alone would not have.
    assert all("\\Seen" in flags for _uid, _size, flags in pop_server.message_list(user))


def test_auth_plain_and_login(pop_server, user):
    deliver(pop_server, user, h.make_message(h.token(), to=user))
    with Raw(pop_server, "pop3s") as c:
        assert c.cmd(f"AUTH PLAIN {plain(user)}").startswith("+OK maildrop has 1 messages")
        assert c.cmd("QUIT").startswith("+OK")
    with Raw(pop_server, "pop3s") as c:
        assert c.cmd("AUTH PLAIN") == "+ "
        assert c.cmd(plain(user)).startswith("+OK maildrop")
        assert c.cmd("QUIT").startswith("+OK")
    with Raw(pop_server) as c:
        c.starttls()
        assert c.cmd("AUTH LOGIN") == "+ VXNlcm5hbWU6"
        assert c.cmd(base64.b64encode(user.encode()).decode()) == "+ UGFzc3dvcmQ6"
        assert c.cmd(base64.b64encode(PASSWORD.encode()).decode()).startswith("+OK maildrop")
        assert c.cmd("QUIT").startswith("+OK")
    with Raw(pop_server, "pop3s") as c:
        b64user = base64.b64encode(h.ALICE.encode()).decode()
        assert c.cmd(f"AUTH LOGIN {b64user}") == "+ UGFzc3dvcmQ6"  # initial response
        assert c.cmd("*") == "-ERR authentication cancelled"
        assert c.cmd("AUTH") == "+OK"
        assert c.wire_body() == b"PLAIN\r\nLOGIN\r\n.\r\n"
        assert c.cmd("AUTH CRAM-MD5").startswith("-ERR")
        assert c.cmd("APOP a 0123456789abcdef0123456789abcdef").startswith("-ERR")
        assert c.cmd("QUIT").startswith("+OK")


def test_errors_and_wrong_states(pop_server, user):
    deliver(pop_server, user, h.make_message(h.token(), to=user))
    with Raw(pop_server, "pop3s") as c:
        assert c.cmd("STAT") == "-ERR [AUTH] log in first"
        assert c.cmd("LIST").startswith("-ERR")
        assert c.cmd("PASS x") == "-ERR send USER first"
        assert c.cmd("FOO bar") == "-ERR unknown command FOO"
        assert c.cmd("USER") == "-ERR missing argument"
        c.login(user)
        assert c.cmd(f"USER {user}") == "-ERR command not valid in this state"
        assert c.cmd("STLS").startswith("-ERR")
        assert c.cmd("RETR") == "-ERR missing argument"
        assert c.cmd("RETR one") == "-ERR invalid message number"
        assert c.cmd("RETR 0").startswith("-ERR no such message")
        assert c.cmd("RETR 2").startswith("-ERR no such message, only 1 messages")
        assert c.cmd("TOP 1").startswith("-ERR")
        assert c.cmd("TOP 1 -1") == "-ERR invalid number of lines"
        assert c.cmd("STAT 1") == "-ERR too many arguments"
        assert c.cmd("DELE 1").startswith("+OK")
        assert c.cmd("DELE 1") == "-ERR message 1 already deleted"
        assert c.cmd("TOP 1 0") == "-ERR message 1 already deleted"
        assert c.cmd("UIDL 1") == "-ERR message 1 already deleted"
        # RFC 2449: 255 octets a command line.
        assert c.cmd("NOOP " + "x" * 250) == "-ERR line too long"
        assert c.cmd("NOOP" + " " * 249) == "+OK"  # 255 with CRLF: fine
        assert c.cmd("RSET").startswith("+OK maildrop has 1 messages")
        assert c.cmd("QUIT").startswith("+OK")
    assert len(stored(pop_server, user)) == 1


def test_reply_lines_stay_short(pop_server, user):
    with Raw(pop_server, "pop3s") as c:
        r = c.cmd("X" * 200)
        assert r.startswith("-ERR unknown command") and len(r) + 2 <= 512


def test_too_many_errors_closes(pop_server):
    with Raw(pop_server, "pop3s") as c:
        c.send("BOGUS\r\n" * 25)
        last = None
        try:
            while True:
                last = c.line()
        except (EOFError, OSError):
            pass
        assert last == "-ERR too many errors, closing"


# --- exact bytes ----------------------------------------------------------------

def test_exact_round_trip(pop_server, user):
    tok = h.token()
    dotted = h.make_message(tok, to=user, body=b".\r\n..two dots\r\n.leading\r\nmid.dle\r\n.\r\n")
    eight_bit = h.make_message(h.token(), to=user, body="Grüße, ça va? \u20ac\r\n".encode() + bytes(range(128, 256)) + b"\r\n",
                               headers=b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n")
    no_newline = h.make_message(h.token(), to=user, body=b"first\r\n.second line without newline")
    bare_lf = h.make_message(h.token(), to=user, body=b"bare\nlf\n.dot\nend")
    deliver(pop_server, user, dotted)
    deliver(pop_server, user, eight_bit)
    deliver_bdat(pop_server, user, no_newline)
    deliver_bdat(pop_server, user, bare_lf)
    msgs = stored(pop_server, user)
    assert len(msgs) == 4
    assert msgs[2].endswith(b"without newline") and b"bare\nlf" in msgs[3]
    # What RETR must send: CRLF line endings, the last line ended.
    expected = [m.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") for m in msgs]
    expected = [e if e.endswith(b"\r\n") else e + b"\r\n" for e in expected]
    with Raw(pop_server, "pop3s") as c:
        c.login(user)
        assert c.cmd("LIST").startswith("+OK 4 messages")
        sizes = [int(l.split()[1]) for l in c.wire_body().decode().splitlines()[:-1]]
        assert sizes == [len(e) for e in expected]
        for i, e in enumerate(expected):
            assert c.cmd(f"RETR {i + 1}") == f"+OK {len(e)} octets"
            wire = c.wire_body()
            assert unstuff(wire) == e
            # Every line starting with a dot was stuffed.
            assert all(not l.startswith(b".") or l.startswith(b"..") for l in wire[:-3].split(b"\r\n"))
        assert c.cmd("TOP 3 1") == "+OK top of message follows"
        assert unstuff(c.wire_body()).endswith(b"\r\n\r\nfirst\r\n")
        assert c.cmd("QUIT").startswith("+OK")
    # poplib agrees.
    p = pop3s(pop_server, user)
    assert retr_bytes(p, 1) == msgs[0]
    assert retr_bytes(p, 2) == msgs[1]
    assert retr_bytes(p, 3) == msgs[2] + b"\r\n"
    p.quit()


def test_large_message_streams_with_bounded_memory(pop_server, user):
    line = b"0123456789abcdefghijklmnopqrstuvwxyz.ABCDEFGHIJKLMNOPQRSTUVWXYZ!?\r\n"
    body = b"".join((b"." if i % 10 == 0 else b"") + line for i in range(50 * 1024 * 1024 // len(line)))
    message = h.make_message(h.token(), to=user, body=body)
    deliver(pop_server, user, message)
    pid = pop_server.proc.pid
    time.sleep(0.5)  # let the SMTP session's buffers go
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM to the current RSS
    status = open(f"/proc/{pid}/status").read()
    base = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    with Raw(pop_server, "pop3s") as c:
        c.login(user)
        reply = c.cmd("RETR 1")
        size = int(reply.split()[1])
        assert size >= 50 * 1024 * 1024 - 100
        c.sock.settimeout(60)
        received = 0
        tail = b""
        while not tail.endswith(b"\r\n.\r\n"):
            chunk = c.buf or c.sock.recv(1 << 20)
            c.buf = b""
            if not chunk:
                raise EOFError
            received += len(chunk)
            tail = (tail + chunk)[-5:]
            time.sleep(0.0005)  # a client slower than the disk
        assert received == size + message.count(b"\n.") + 3  # stuffed dots + terminator
        assert c.cmd("QUIT").startswith("+OK")
    peak = int(re.search(r"VmHWM:\s+(\d+)", open(f"/proc/{pid}/status").read()).group(1))
    if not h.sanitized(pop_server.binary):  # ASan's quarantine keeps freed memory resident
        assert peak - base < 16 * 1024, f"RSS grew by {peak - base} KiB while streaming 50 MiB"


# --- the maildrop ---------------------------------------------------------------

def test_second_session_gets_in_use(pop_server, user):
    first = pop3s(pop_server, user)
    second = pop3s(pop_server)
    second.user(user)
    with pytest.raises(poplib.error_proto, match=r"\[IN-USE\]"):
        second.pass_(PASSWORD)
    first.quit()
    second.user(user)
    assert second.pass_(PASSWORD).startswith(b"+OK")
    second.quit()


def test_dropped_connection_deletes_nothing_and_unlocks(pop_server, user):
    deliver(pop_server, user, h.make_message(h.token(), to=user))
    deliver(pop_server, user, h.make_message(h.token(), to=user))
    c = Raw(pop_server, "pop3s")
    c.login(user)
    assert c.cmd("DELE 1").startswith("+OK")
    assert c.cmd("DELE 2").startswith("+OK")
    c.sock.close()
    reply = None
    for _ in range(50):
        with Raw(pop_server, "pop3s") as d:
            d.cmd(f"USER {user}")
            reply = d.cmd(f"PASS {PASSWORD}")
            if reply.startswith("+OK"):
                d.cmd("QUIT")
                break
        time.sleep(0.05)
    assert reply.startswith("+OK maildrop has 2 messages"), reply
    assert len(stored(pop_server, user)) == 2


def test_new_mail_waits_for_next_session(pop_server, user):
    deliver(pop_server, user, h.make_message(h.token(), to=user))
    p = pop3s(pop_server, user)
    deliver(pop_server, user, h.make_message(h.token(), to=user))
    assert p.stat()[0] == 1
    with pytest.raises(poplib.error_proto, match="no such message"):
        p.retr(2)
    p.quit()
    p = pop3s(pop_server, user)
    assert p.stat()[0] == 2
    p.quit()


def test_uidl_stable_and_unique(pop_server, user):
    for _ in range(3):
        deliver(pop_server, user, h.make_message(h.token(), to=user))
    p = pop3s(pop_server, user)
    before = p.uidl()[1]
    p.dele(2)
    p.quit()
    p = pop3s(pop_server, user)
    after = p.uidl()[1]
    p.quit()
    ids_before = [u.split()[1] for u in before]
    ids_after = [u.split()[1] for u in after]
    assert ids_after == [ids_before[0], ids_before[2]]
    # A new message never reuses an old id.
    deliver(pop_server, user, h.make_message(h.token(), to=user))
    p = pop3s(pop_server, user)
    newest = p.uidl()[1][-1].split()[1]
    p.quit()
    assert newest not in ids_before


def test_uidl_survives_restart(make_server):
    srv = make_server(listen=LISTEN)
    for _ in range(2):
        deliver(srv, h.BOB, h.make_message(h.token(), to=h.BOB))
    p = pop3s(srv, h.BOB)
    before = p.uidl()[1]
    p.quit()
    rc, _ = srv.stop()
    assert rc == 0
    srv.start()
    p = pop3s(srv, h.BOB)
    assert p.uidl()[1] == before
    p.quit()


def test_failed_logins_are_slowed_down(pop_server, user):
    with Raw(pop_server, "pop3s") as c:
        started = time.monotonic()
        assert c.cmd(f"USER {user}").startswith("+OK")
        assert c.cmd("PASS wrong") == "-ERR [AUTH] authentication failed"
        first = time.monotonic() - started
        started = time.monotonic()
        assert c.cmd(f"AUTH PLAIN {plain(user, 'wrong')}") == "-ERR [AUTH] authentication failed"
        second = time.monotonic() - started
        assert first >= 0.9 and second > first + 1
        c.login(user)  # a success forgets this IP's failures
        assert c.cmd("QUIT").startswith("+OK")


def test_shutdown_with_open_session(make_server):
    srv = make_server(listen=LISTEN)
    deliver(srv, h.BOB, h.make_message(h.token(), to=h.BOB))
    with Raw(srv, "pop3s") as c:
        c.login(h.BOB)
        assert c.cmd("DELE 1").startswith("+OK")
        rc, secs = srv.stop()
        assert rc == 0 and secs < 10
        assert c.line().startswith("-ERR [SYS/TEMP]")
    srv.start()
    assert len(srv.messages(h.BOB)) == 1  # no UPDATE without QUIT


# --- real clients ------------------------------------------------------------------

def test_curl_pop3s(pop_server, user):
    curl = shutil.which("curl")
    if not curl:
        pytest.skip("curl not installed")
    deliver(pop_server, user, h.make_message(h.token(), to=user))
    msgs = stored(pop_server, user)
    url = f"pop3s://127.0.0.1:{pop_server.ports['pop3s']}/"
    r = subprocess.run([curl, "-sS", "-k", "--user", f"{user}:{PASSWORD}", url],
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"1 {len(msgs[0])}\r\n".encode()
    r = subprocess.run([curl, "-sS", "-k", "--user", f"{user}:{PASSWORD}", url + "1"],
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout == msgs[0]
    r = subprocess.run([curl, "-sS", "-k", "--user", f"{user}:wrong", url], capture_output=True, timeout=30)
    assert r.returncode != 0
    # STLS on the plain port (curl's --ssl-reqd).
    r = subprocess.run([curl, "-sS", "-k", "--ssl-reqd", "--user", f"{user}:{PASSWORD}",
                        f"pop3://127.0.0.1:{pop_server.ports['pop3']}/1"], capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout == msgs[0]
    pop3s(pop_server, user).quit()  # curl's sessions left nothing locked


def run_fetchmail(server, user, home, listener):
    rc = home / ".fetchmailrc"
    # The test certificate is self-signed: no verification.
    ssl_opts = "ssl no sslcertck" if listener == "pop3s" else "sslproto TLS1.2+ no sslcertck"
    mbox = home / "mbox"
    rc.write_text(
        f"set no syslog\n"
        f"poll 127.0.0.1 service {server.ports[listener]} protocol pop3 uidl\n"
        f"  user \"{user}\" there with password \"{PASSWORD}\" is \"{os.environ.get('USER', 'root')}\" here\n"
        f"  {ssl_opts} fetchall nokeep\n"
        f"  mda \"cat >> {mbox}\"\n")
    rc.chmod(0o600)
    env = dict(os.environ, HOME=str(home), FETCHMAILHOME=str(home))
    return subprocess.run(["fetchmail", "--nodetach", "-N", "-f", str(rc), "-v"],
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("listener", ["pop3", "pop3s"])
def test_fetchmail_twice(pop_server, user, tmp_path, listener):
    if not shutil.which("fetchmail"):
        pytest.skip("fetchmail not installed")
    toks = [h.token("fm") for _ in range(3)]
    for t in toks:
        deliver(pop_server, user, h.make_message(t, to=user, body=b"line\r\n.dot\r\n"))
    first = run_fetchmail(pop_server, user, tmp_path, listener)
    assert first.returncode == 0, first.stdout + first.stderr
    mbox = (tmp_path / "mbox").read_bytes()
    for t in toks:
        assert mbox.count(t.encode()) >= 1, t
    assert b"\n.dot" in mbox
    assert stored(pop_server, user) == []
    # Over TLS on both listeners (STLS on pop3).
    assert re.search(rf"user={re.escape(user)} logged in.* tls\n", pop_server.log_text())
    second = run_fetchmail(pop_server, user, tmp_path, listener)
    assert second.returncode == 1, second.stdout + second.stderr  # PS_NOMAIL
    assert (tmp_path / "mbox").read_bytes() == mbox


def test_pipelined_retr(pop_server, user):
    n = 30
    for i in range(n):
        deliver(pop_server, user, h.make_message(h.token(f"pipe{i}"), to=user))
    msgs = stored(pop_server, user)
    with Raw(pop_server, "pop3s") as c:
        c.login(user)
        c.send("".join(f"RETR {i + 1}\r\n" for i in range(n)) + "STAT\r\nQUIT\r\n")
        for i in range(n):
            assert c.line().startswith("+OK")
            assert unstuff(c.wire_body()) == msgs[i]
        assert c.line().startswith(f"+OK {n} ")
        assert c.line().startswith("+OK")
