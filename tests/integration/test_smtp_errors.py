"""Protocol errors: command order, syntax, parameters, limits, STARTTLS
misuse and connection caps. After each error the session must stay usable."""

import socket
import time

import pytest

import pochta_harness as h
from pochta_harness import ALICE, BOB, REMOTE_SENDER


def assert_reply(r, code, *enhanced):
    assert r.code == code, r
    if enhanced:
        assert r.enhanced in enhanced, r


def still_usable(c, server, rcpt=BOB):
    """A full transaction on the same connection after an error."""
    tok = h.token("after")
    c.cmd("RSET")
    assert c.transaction(REMOTE_SENDER, [rcpt], h.make_message(tok, to=rcpt)).code == 250
    server.find_one(rcpt, tok)


# --- command order -----------------------------------------------------------

def test_mail_before_helo_is_503(server):
    with server.raw() as c:
        assert_reply(c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>"), 503, "5.5.1")
        c.ehlo()
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>").code == 250


def test_rcpt_before_mail_is_503_551(server):
    with server.raw() as c:
        c.ehlo()
        assert_reply(c.cmd(f"RCPT TO:<{ALICE}>"), 503, "5.5.1")
        still_usable(c, server)


def test_data_before_mail_and_before_rcpt_is_503_551(server):
    with server.raw() as c:
        c.ehlo()
        assert_reply(c.cmd("DATA"), 503, "5.5.1")
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>").code == 250
        assert_reply(c.cmd("DATA"), 503, "5.5.1")
        still_usable(c, server)


def test_nested_mail_is_503_551(server):
    with server.raw() as c:
        c.ehlo()
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>").code == 250
        assert_reply(c.cmd("MAIL FROM:<other@remote.example>"), 503, "5.5.1")
        # The first transaction is intact.
        tok = h.token("nested")
        assert c.cmd(f"RCPT TO:<{ALICE}>").code == 250
        assert c.cmd("DATA").code == 354
        c.send(h.dot_stuff(h.make_message(tok)) + b".\r\n")
        assert c.reply().code == 250
    rp, _rec, _rest = h.split_trace(server.find_one(ALICE, tok))
    assert rp == f"<{REMOTE_SENDER}>"


# --- unknown commands and syntax -----------------------------------------------

@pytest.mark.parametrize("line", ["FROBNICATE", "MAIL", "XYZZY with args", "EHLOX foo", "DATAX"])
def test_unknown_command_is_500_or_502_552(server, line):
    with server.raw() as c:
        c.ehlo()
        r = c.cmd(line)
        if line == "MAIL":  # a known verb without its argument is a syntax error
            assert_reply(r, 501, "5.5.4")
        else:
            assert r.code in (500, 502) and r.enhanced == "5.5.2", (line, r)
        assert c.cmd("NOOP").code == 250


def test_empty_line(server):
    with server.raw() as c:
        c.ehlo()
        r = c.cmd("")
        assert r.code in (500, 501, 502), r
        assert c.cmd("NOOP").code == 250


@pytest.mark.parametrize("line,enhanced", [
    ("HELO", ("5.5.4",)),
    ("EHLO", ("5.5.4",)),
    ("MAIL FROM alice@remote.example", ("5.5.4", "5.1.7")),
    ("MAIL FROM:<unterminated@remote.example", ("5.5.4", "5.1.7")),
    ("MAIL FROM:<a b@remote.example>", ("5.5.4", "5.1.7")),
    ("MAIL FROM:<@@remote.example>", ("5.5.4", "5.1.7")),
    ("BDAT notanumber", ("5.5.4",)),
])
def test_bad_syntax_is_501(server, line, enhanced):
    with server.raw() as c:
        if not line.startswith(("HELO", "EHLO")):
            c.ehlo()
        assert_reply(c.cmd(line), 501, *enhanced)
        if line.startswith(("HELO", "EHLO")):
            c.ehlo()
        still_usable(c, server)


@pytest.mark.parametrize("rcpt", ["<a@@example.test>", "<alice@>", "<alice@exa mple.test>", "alice"])
def test_bad_recipient_syntax_is_501(server, rcpt):
    with server.raw() as c:
        c.ehlo()
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>").code == 250
        assert_reply(c.cmd(f"RCPT TO:{rcpt}"), 501, "5.5.4", "5.1.3")
        assert c.cmd(f"RCPT TO:<{ALICE}>").code == 250


def test_unknown_mail_parameter_is_555_554(server):
    with server.raw() as c:
        c.ehlo()
        assert_reply(c.cmd(f"MAIL FROM:<{REMOTE_SENDER}> FOO=BAR"), 555, "5.5.4")
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>").code == 250
        assert_reply(c.cmd(f"RCPT TO:<{ALICE}> XYZZY=1"), 555, "5.5.4")
        assert c.cmd(f"RCPT TO:<{ALICE}>").code == 250


def test_overlong_command_line(server):
    with server.raw() as c:
        c.ehlo()
        assert_reply(c.cmd("NOOP " + "x" * 2000), 500, "5.5.2")
        assert c.cmd("NOOP").code == 250
        # A too-long MAIL starts no transaction.
        assert_reply(c.cmd(f"MAIL FROM:<{REMOTE_SENDER}> " + "X" * 2000), 500, "5.5.2")
        assert_reply(c.cmd(f"RCPT TO:<{ALICE}>"), 503, "5.5.1")
        # Several huge lines in one write, then a normal command.
        c.send(("Y" * 5000 + "\r\n") * 3 + "NOOP\r\n")
        for _ in range(3):
            assert_reply(c.reply(), 500, "5.5.2")
        assert c.reply().code == 250
        still_usable(c, server)


def test_too_many_recipients_is_452_453(server):
    tok = h.token("many")
    rcpts = [ALICE, BOB, "alice+1@example.test", "bob+1@example.test", "x@catchall.test"]
    assert len(rcpts) == h.MAX_RECIPIENTS
    with server.raw() as c:
        c.ehlo()
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>").code == 250
        for rcpt in rcpts:
            assert c.cmd(f"RCPT TO:<{rcpt}>").code == 250, rcpt
        assert_reply(c.cmd("RCPT TO:<y@catchall.test>"), 452, "4.5.3")
        assert c.cmd("DATA").code == 354
        c.send(h.dot_stuff(h.make_message(tok)) + b".\r\n")
        assert c.reply().code == 250
    assert len(server.find(ALICE, tok)) >= 1
    assert len(server.find(BOB, tok)) >= 1


def test_size_parameter_over_the_limit(server):
    with server.raw() as c:
        c.ehlo()
        assert_reply(c.cmd(f"MAIL FROM:<{REMOTE_SENDER}> SIZE={h.MAX_MESSAGE_SIZE + 1}"), 552, "5.3.4")
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}> SIZE={h.MAX_MESSAGE_SIZE}").code == 250
        assert c.cmd("RSET").code == 250
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}> SIZE={h.MAX_MESSAGE_SIZE // 2}").code == 250


def oversize_message(tok):
    line = b"z" * 998 + b"\r\n"
    return h.make_message(tok, body=line * (h.MAX_MESSAGE_SIZE // len(line) + 100))


def test_oversize_data_is_552_534_and_not_stored(server):
    tok = h.token("big")
    msg = oversize_message(tok)
    assert len(msg) > h.MAX_MESSAGE_SIZE
    with server.raw() as c:
        c.ehlo()
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>").code == 250
        assert c.cmd(f"RCPT TO:<{ALICE}>").code == 250
        assert c.cmd("DATA").code == 354
        c.send(h.dot_stuff(msg) + b".\r\n")
        assert_reply(c.reply(), 552, "5.3.4")
        still_usable(c, server, ALICE)
    assert server.find(ALICE, tok) == []


def test_oversize_bdat_is_552_534_and_not_stored(server):
    tok = h.token("bigbdat")
    msg = oversize_message(tok)
    with server.raw() as c:
        c.ehlo()
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>").code == 250
        assert c.cmd(f"RCPT TO:<{ALICE}>").code == 250
        half = len(msg) // 2
        c.send(f"BDAT {half}\r\n".encode() + msg[:half])
        first = c.reply()
        c.send(f"BDAT {len(msg) - half} LAST\r\n".encode() + msg[half:])
        second = c.reply()
        assert first.code == 250 or first.code == 552, first
        assert 552 in (first.code, second.code), (first, second)
        assert (first if first.code == 552 else second).enhanced == "5.3.4"
        assert second.code != 250
        assert c.cmd(f"VRFY {ALICE}").code == 252  # every chunk byte was consumed
        still_usable(c, server, ALICE)
    assert server.find(ALICE, tok) == []


# --- STARTTLS ------------------------------------------------------------------

@pytest.mark.parametrize("listener", ["smtp", "submission"])
def test_starttls_resets_the_session(server, listener):
    with server.raw(listener) as c:
        c.ehlo()
        c.starttls()
        assert c.tls
        assert_reply(c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>"), 503, "5.5.1")
        kw = c.keywords(c.ehlo())
        assert "STARTTLS" not in kw


def test_starttls_twice(server):
    with server.raw() as c:
        c.ehlo()
        c.starttls()
        c.ehlo()
        r = c.cmd("STARTTLS")
        assert r.code in (503, 454), r
        assert c.cmd("NOOP").code == 250


def test_starttls_on_implicit_tls_is_refused(server):
    with server.raw("submissions") as c:
        c.ehlo()
        r = c.cmd("STARTTLS")
        assert r.code in (502, 503, 454), r
        assert c.cmd("NOOP").code == 250


def test_plaintext_injected_after_starttls_is_discarded(server):
    with server.raw() as c:
        c.ehlo()
        c.send("STARTTLS\r\nNOOP\r\n")
        r = c.reply()
        assert r.code == 220, r
        c._wrap()
        r = c.cmd(f"EHLO {h.CLIENT_NAME}")
        # The first thing over TLS must be the EHLO reply, not NOOP's 250.
        assert r.code == 250 and r.lines[0].split()[0] == h.HOSTNAME, r
        assert len(r.lines) > 1, r
        assert c.cmd("NOOP").code == 250
        c.expect_silence(0.5)


def test_garbage_instead_of_tls_handshake(server):
    with server.raw() as c:
        c.ehlo()
        assert c.cmd("STARTTLS").code == 220
        c.send(b"this is not a TLS ClientHello\r\n" * 4)
        c.sock.settimeout(10)
        try:
            data = c.sock.recv(4096)
            while data:
                data = c.sock.recv(4096)  # a TLS alert is fine; then the close
        except (ConnectionResetError, BrokenPipeError):
            pass
    with server.raw() as c:  # the server is unharmed
        assert c.ehlo().code == 250


# --- connections ---------------------------------------------------------------

def test_per_ip_connection_cap(make_server):
    srv = make_server(limits={"max_connections_per_ip": 3})
    clients = [srv.raw() for _ in range(3)]
    try:
        for c in clients:
            assert c.greeting.code == 220
        extra = h.RawClient("127.0.0.1", srv.ports["smtp"], read_greeting=False)
        try:
            assert extra.closed_or_421(), "4th connection from one IP got a greeting"
        finally:
            extra.close()
        # The cap is per connection alive: after one quits, a new one is served.
        clients[0].cmd("QUIT")
        clients[0].close()

        def greeted():
            try:
                with srv.raw() as c:
                    return c.greeting.code == 220
            except (h.ConnectionClosed, ConnectionResetError, AssertionError):
                return False
        assert h.eventually(greeted, timeout=5)
        # The cap counts connections on every listener together.
        time.sleep(0.3)  # let the server notice the probe's close
        clients.append(srv.raw("submissions"))
        assert clients[-1].greeting.code == 220
        extra = h.RawClient("127.0.0.1", srv.ports["smtp"], read_greeting=False)
        try:
            assert extra.closed_or_421(), "4th connection (over two listeners) got a greeting"
        finally:
            extra.close()
    finally:
        for c in clients:
            c.close()


def test_abrupt_disconnects_do_not_hurt(server):
    # Clients vanishing mid-command, mid-DATA and mid-TLS-handshake.
    for payload in (b"EHLO x\r\nMAIL FROM:<a@remote.example>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nhalf",
                    b"MAIL FROM:<a@remote.ex", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"):
        s = socket.create_connection(("127.0.0.1", server.ports["smtp"]), timeout=5)
        s.recv(1024)
        s.sendall(payload)
        s.close()
    s = socket.create_connection(("127.0.0.1", server.ports["submissions"]), timeout=5)
    s.sendall(b"\x16\x03\x01\x00\x05hello")
    s.close()
    time.sleep(0.2)
    with server.raw() as c:
        assert c.ehlo().code == 250
    with server.raw("submissions") as c:
        assert c.ehlo().code == 250


def test_size_parameter_beyond_64_bits(server):
    # RFC 1870 allows up to 20 digits; a number past 2^64 is still just
    # "too big", not a syntax error.
    with server.raw() as c:
        c.ehlo()
        assert_reply(c.cmd(f"MAIL FROM:<{REMOTE_SENDER}> SIZE=99999999999999999999"), 552, "5.3.4")
