"""Message content over DATA and BDAT: exact byte round trips, dot-stuffing,
8-bit and SMTPUTF8 mail, SMTP smuggling, PIPELINING and CHUNKING."""

import pytest

import pochta_harness as h
from pochta_harness import ALICE, BOB, REMOTE_SENDER


def send_raw_data(c, wire: bytes, sender=REMOTE_SENDER, rcpts=(ALICE,), params=""):
    """MAIL/RCPT/DATA, then `wire` verbatim (the caller did any stuffing)."""
    r = c.cmd(f"MAIL FROM:<{sender}>{params}")
    assert r.code == 250, r
    for rcpt in rcpts:
        r = c.cmd(f"RCPT TO:<{rcpt}>")
        assert r.code == 250, r
    assert c.cmd("DATA").code == 354
    c.send(wire)
    return c.reply()


# --- DATA ---------------------------------------------------------------------

def test_dot_stuffing_round_trip(server):
    tok = h.token("dots")
    body = (b".hidden line\r\n..\r\n.\r\n...three\r\n. space\r\n"
            b"not.at.start\r\n.\r\n..\r\nlast line before end\r\n.")
    msg = h.make_message(tok, body=body + b"\r\n")
    with server.raw() as c:
        c.ehlo()
        r = send_raw_data(c, h.dot_stuff(msg) + b".\r\n")
        assert r.code == 250, r
    assert h.body_of(server.find_one(ALICE, tok)) == msg


def test_message_without_final_crlf(server):
    tok = h.token("nocrlf")
    msg = h.make_message(tok, body=b"no newline at the end")
    assert not msg.endswith(b"\n")
    with server.smtp() as s:
        s.ehlo(h.CLIENT_NAME)
        assert s.sendmail(REMOTE_SENDER, [ALICE], msg) == {}
    # The client adds CRLF before the terminating dot; that CRLF is the
    # end of the last line and belongs to the message.
    assert h.body_of(server.find_one(ALICE, tok)) == msg + b"\r\n"


def test_header_only_message(server):
    tok = h.token("hdronly")
    msg = f"Subject: {tok}\r\nFrom: <{REMOTE_SENDER}>\r\n".encode()
    with server.raw() as c:
        c.ehlo()
        assert send_raw_data(c, msg + b".\r\n").code == 250
    assert h.body_of(server.find_one(ALICE, tok)) == msg


def test_eight_bit_body_with_8bitmime(server):
    tok = h.token("8bit")
    body = "Grüße aus Köln — Привет, мир\r\n".encode() + bytes(range(0x80, 0x100)) + b"\r\n"
    msg = h.make_message(tok, body=body,
                         headers=b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                 b"Content-Transfer-Encoding: 8bit\r\n")
    with server.raw() as c:
        c.ehlo()
        assert send_raw_data(c, h.dot_stuff(msg) + b".\r\n", params=" BODY=8BITMIME").code == 250
    assert h.body_of(server.find_one(ALICE, tok)) == msg


def test_seven_bit_body_param(server):
    tok = h.token("7bit")
    msg = h.make_message(tok)
    with server.raw() as c:
        c.ehlo()
        assert send_raw_data(c, h.dot_stuff(msg) + b".\r\n", params=" BODY=7BIT").code == 250
    assert h.body_of(server.find_one(ALICE, tok)) == msg


def test_smtputf8_sender(server):
    tok = h.token("utf8")
    sender = "jöe@remote.example"
    msg = (f"From: Jöe <{sender}>\r\nTo: <{ALICE}>\r\nSubject: {tok} — ünïcode\r\n"
           f"Message-ID: <{tok}@client.test>\r\n\r\nПривет\r\n").encode()
    with server.raw() as c:
        kw = c.keywords(c.ehlo())
        assert "SMTPUTF8" in kw
        r = send_raw_data(c, h.dot_stuff(msg) + b".\r\n", sender=sender, params=" SMTPUTF8 BODY=8BITMIME")
        assert r.code == 250, r
    stored = server.find_one(ALICE, tok)
    rp, _rec, rest = h.split_trace(stored)
    assert rp == f"<{sender}>"
    assert rest == msg


def test_ios_habit_smtputf8_without_body_param(server):
    tok = h.token("ios")
    msg = h.make_message(tok, body="Отправлено с iPhone\r\n".encode())
    with server.raw() as c:
        c.ehlo()
        r = send_raw_data(c, h.dot_stuff(msg) + b".\r\n", params=" SMTPUTF8")
        assert r.code == 250, r
    assert h.body_of(server.find_one(ALICE, tok)) == msg


def test_utf8_address_without_smtputf8_is_refused(server):
    with server.raw() as c:
        c.ehlo()
        r = c.cmd("MAIL FROM:<jöe@remote.example>")
        assert 500 <= r.code < 600, r
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>").code == 250
        r = c.cmd("RCPT TO:<jöe@example.test>")
        assert 500 <= r.code < 600, r


def test_utf8_local_user(make_server, default_users):
    user = "jöe@example.test"
    srv = make_server(users={**default_users, user: "{PLAIN}" + h.PASSWORD})
    tok = h.token("utf8user")
    msg = h.make_message(tok, to=user, body="für dich\r\n".encode())
    with srv.raw() as c:
        c.ehlo()
        r = send_raw_data(c, h.dot_stuff(msg) + b".\r\n", sender="zoë@remote.example",
                          rcpts=(user,), params=" SMTPUTF8")
        assert r.code == 250, r
    stored = srv.find_one(user, tok)
    rp, _rec, rest = h.split_trace(stored)
    assert rp == "<zoë@remote.example>"
    assert rest == msg
    assert "INBOX" in srv.mailboxes(user)


def test_large_message_round_trip(server):
    tok = h.token("large")
    line = b"0123456789abcdefghijklmnopqrstuvwxyz.ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789\r\n"
    body = b"".join(b"." + line if i % 7 == 0 else line for i in range(10000))  # ~760 KB
    msg = h.make_message(tok, body=body)
    assert len(msg) < h.MAX_MESSAGE_SIZE - 10000
    with server.raw() as c:
        c.ehlo()
        assert send_raw_data(c, h.dot_stuff(msg) + b".\r\n").code == 250
    assert h.body_of(server.find_one(ALICE, tok)) == msg


# --- SMTP smuggling -------------------------------------------------------------

@pytest.mark.parametrize("separator", [b"\n.\n", b"\r.\r", b"\n.\r\n", b"\r.\n", b"\r\n.\r\r\n"],
                         ids=["LF.LF", "CR.CR", "LF.CRLF", "CR.LF", "CRLF.CRCRLF"])
def test_smuggled_end_of_data_is_data(server, separator):
    tok = h.token("smuggle")
    smuggled = (f"MAIL FROM:<smuggler@remote.example>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\n"
                f"Subject: smuggled {tok}\r\n\r\nsmuggled body\r\n").encode()
    msg = h.make_message(tok, to=BOB, body=b"a\r\n" + separator + smuggled)
    wire = h.dot_stuff(msg) + b".\r\n"
    with server.raw() as c:
        c.ehlo()
        r = send_raw_data(c, wire, rcpts=(BOB,))
        assert r.code == 250, r
        c.expect_silence(0.5)  # no replies to "smuggled" commands
        assert c.cmd("NOOP").code == 250
    stored = server.find_one(BOB, tok)
    assert b"smuggled body" in stored and b"smuggler@remote.example" in stored
    assert h.body_of(stored) == msg
    assert server.find(ALICE, tok) == []


# --- PIPELINING -----------------------------------------------------------------

def test_pipelined_envelope(server):
    tok = h.token("pipe")
    msg = h.make_message(tok)
    with server.raw() as c:
        assert "PIPELINING" in c.keywords(c.ehlo())
        c.send(f"MAIL FROM:<{REMOTE_SENDER}>\r\nRCPT TO:<{ALICE}>\r\nRCPT TO:<{BOB}>\r\nDATA\r\n")
        codes = [c.reply().code for _ in range(4)]
        assert codes == [250, 250, 250, 354]
        c.send(h.dot_stuff(msg) + b".\r\n")
        assert c.reply().code == 250
    server.find_one(ALICE, tok)
    server.find_one(BOB, tok)


def test_whole_session_pipelined(server):
    tok = h.token("pipe2")
    msg = h.make_message(tok, to=BOB)
    with server.raw() as c:
        c.send(f"EHLO {h.CLIENT_NAME}\r\nMAIL FROM:<{REMOTE_SENDER}>\r\nRCPT TO:<{BOB}>\r\nDATA\r\n")
        ehlo = c.reply()
        assert ehlo.code == 250 and len(ehlo.lines) > 1, ehlo
        assert [c.reply().code for _ in range(3)] == [250, 250, 354]
        # The message, its end and the next commands in one write too.
        c.send(h.dot_stuff(msg) + b".\r\n" + f"RSET\r\nMAIL FROM:<{REMOTE_SENDER}>\r\n"
               f"RCPT TO:<{ALICE}>\r\nDATA\r\n".encode())
        assert [c.reply().code for _ in range(5)] == [250, 250, 250, 250, 354]
        c.send(h.dot_stuff(msg) + b".\r\nQUIT\r\n")
        assert c.reply().code == 250
        assert c.reply().code == 221
    server.find_one(BOB, tok)
    server.find_one(ALICE, tok)


def test_pipelined_with_a_failing_recipient(server):
    tok = h.token("pipe3")
    with server.raw() as c:
        c.ehlo()
        c.send(f"MAIL FROM:<{REMOTE_SENDER}>\r\nRCPT TO:<nobody@example.test>\r\n"
               f"RCPT TO:<{BOB}>\r\nDATA\r\n")
        replies = [c.reply() for _ in range(4)]
        assert [r.code for r in replies] == [250, 550, 250, 354], replies
        c.send(h.dot_stuff(h.make_message(tok)) + b".\r\n")
        assert c.reply().code == 250
    server.find_one(BOB, tok)


def test_pipelined_with_no_valid_recipient(server):
    with server.raw() as c:
        c.ehlo()
        c.send(f"MAIL FROM:<{REMOTE_SENDER}>\r\nRCPT TO:<nobody@example.test>\r\nDATA\r\nNOOP\r\n")
        replies = [c.reply() for _ in range(4)]
        assert replies[0].code == 250
        assert replies[1].code == 550
        assert replies[2].code in (503, 554), replies
        assert replies[3].code == 250, replies


# --- CHUNKING -------------------------------------------------------------------

def binaryish(tok):
    """8-bit content with bare CR and LF, dots at line starts and a fake end."""
    body = bytes(range(1, 256)) * 3 + b"\r\n.\r\n..\r\n\n.\n\r.\r" + b"tail\r\n"
    return h.make_message(tok, body=body)


def bdat(c, chunk: bytes, last=False):
    c.send(f"BDAT {len(chunk)}{' LAST' if last else ''}\r\n".encode() + chunk)
    return c.reply()


def test_bdat_chunks_round_trip(server):
    tok = h.token("bdat")
    msg = binaryish(tok)
    pieces = [msg[:100], msg[100:101], msg[101:700], msg[700:]]
    with server.raw() as c:
        assert "CHUNKING" in c.keywords(c.ehlo())
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}> BODY=8BITMIME").code == 250
        assert c.cmd(f"RCPT TO:<{ALICE}>").code == 250
        for i, piece in enumerate(pieces):
            r = bdat(c, piece, last=(i == len(pieces) - 1))
            assert r.code == 250, (i, r)
    stored = server.find_one(ALICE, tok)
    rp, _rec, rest = h.split_trace(stored)
    assert rp == f"<{REMOTE_SENDER}>"
    assert rest == msg


def test_bdat_zero_last(server):
    tok = h.token("bdat0")
    msg = h.make_message(tok, body=b".leading dot: BDAT content is never dot-stuffed\r\n")
    with server.raw() as c:
        c.ehlo()
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>").code == 250
        assert c.cmd(f"RCPT TO:<{BOB}>").code == 250
        assert bdat(c, msg).code == 250
        assert c.cmd("BDAT 0 LAST").code == 250
    assert h.body_of(server.find_one(BOB, tok)) == msg


def test_bdat_pipelined(server):
    tok = h.token("bdatpipe")
    msg = binaryish(tok)
    with server.raw() as c:
        c.ehlo()
        wire = (f"MAIL FROM:<{REMOTE_SENDER}> BODY=8BITMIME\r\nRCPT TO:<{ALICE}>\r\n"
                f"BDAT 300\r\n").encode() + msg[:300] + f"BDAT {len(msg) - 300} LAST\r\n".encode() + msg[300:]
        c.send(wire)
        assert [c.reply().code for _ in range(4)] == [250, 250, 250, 250]
        # A second message on the same connection.
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>").code == 250
    assert h.body_of(server.find_one(ALICE, tok)) == msg


def test_bdat_then_data_is_503(server):
    with server.raw() as c:
        c.ehlo()
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>").code == 250
        assert c.cmd(f"RCPT TO:<{ALICE}>").code == 250
        assert bdat(c, b"Subject: x\r\n").code == 250
        r = c.cmd("DATA")
        assert r.code == 503, r
        assert c.cmd("RSET").code == 250


def test_bdat_inside_data_is_text(server):
    with server.raw() as c:
        c.ehlo()
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>").code == 250
        assert c.cmd(f"RCPT TO:<{ALICE}>").code == 250
        assert c.cmd("DATA").code == 354
        # Inside DATA, "BDAT" is just message text.
        tok = h.token("inside")
        c.send(f"Subject: {tok}\r\n\r\nBDAT 5 LAST\r\n.\r\n".encode())
        assert c.reply().code == 250
    assert b"BDAT 5 LAST" in server.find_one(ALICE, tok)


@pytest.mark.parametrize("setup", [[], [f"MAIL FROM:<{REMOTE_SENDER}>"]], ids=["no-mail", "no-rcpt"])
def test_bdat_without_recipients_is_503_and_chunk_swallowed(server, setup):
    with server.raw() as c:
        c.ehlo()
        for line in setup:
            assert c.cmd(line).code == 250
        # The chunk looks like a command: if the server did not consume it,
        # it would answer RSET with 250 before our VRFY's 252.
        r = bdat(c, b"RSET\r\n")
        assert r.code == 503, r
        assert c.cmd(f"VRFY {ALICE}").code == 252
