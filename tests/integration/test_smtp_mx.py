"""The MX listener (`smtp`): greeting, EHLO, local delivery, aliases,
plus-addressing, catch-all, and refusing to relay."""

import base64
import re
import subprocess

import pytest

import pochta_harness as h
from pochta_harness import ALICE, BOB, REMOTE_SENDER


def test_greeting_names_the_host(server):
    with server.raw() as c:
        assert c.greeting.code == 220
        assert re.match(rf"{re.escape(h.HOSTNAME)} ESMTP\b", c.greeting.lines[0]), c.greeting


def test_ehlo_advertises_the_extensions(server):
    with server.raw() as c:
        r = c.ehlo()
        assert r.lines[0].split()[0] == h.HOSTNAME
        kw = c.keywords(r)
        for word in ("PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "STARTTLS", "SMTPUTF8", "CHUNKING"):
            assert word in kw, (word, r)
        assert kw.get("SIZE") == str(h.MAX_MESSAGE_SIZE), r
        assert "AUTH" not in kw, "the MX listener must never offer AUTH"


def test_no_auth_on_mx_even_after_starttls(server):
    with server.raw() as c:
        c.ehlo()
        c.starttls()
        kw = c.keywords(c.ehlo())
        assert "AUTH" not in kw
        assert "STARTTLS" not in kw
        r = c.cmd("AUTH PLAIN " + base64.b64encode(f"\0{ALICE}\0{h.PASSWORD}".encode()).decode())
        assert r.code != 235 and r.code >= 500, r


def test_helo_works(server):
    tok = h.token("helo")
    with server.raw() as c:
        r = c.cmd("HELO client.test")
        assert r.code == 250, r
        assert h.HOSTNAME in r.lines[0]
        r = c.transaction(REMOTE_SENDER, [BOB], h.make_message(tok, to=BOB))
        assert r.code == 250, r
    server.find_one(BOB, tok)


def test_delivery_round_trip_and_trace_fields(server):
    tok = h.token("mx")
    msg = h.make_message(tok, body=b"Line one\r\nLine two\r\n")
    with server.raw() as c:
        c.ehlo()
        r = c.transaction(REMOTE_SENDER, [ALICE], msg)
        assert r.code == 250 and r.enhanced.startswith("2."), r
        c.cmd("QUIT")
    stored = server.find_one(ALICE, tok)
    return_path, received, rest = h.split_trace(stored)
    assert return_path == f"<{REMOTE_SENDER}>"
    assert h.HOSTNAME in received
    assert h.CLIENT_NAME in received or "127.0.0.1" in received
    assert rest == msg


def test_received_names_tls_version_after_starttls(server):
    tok = h.token("tls")
    with server.raw() as c:
        c.ehlo()
        c.starttls()
        c.ehlo()
        assert c.transaction(REMOTE_SENDER, [ALICE], h.make_message(tok)).code == 250
    _rp, received, _rest = h.split_trace(server.find_one(ALICE, tok))
    assert re.search(r"TLS\s*v?1[._]?[23]", received, re.I), received


def test_smtplib_sendmail_to_two_users(server):
    tok = h.token("two")
    msg = h.make_message(tok, to=f"{ALICE}, {BOB}")
    with server.smtp() as s:
        refused = s.sendmail(REMOTE_SENDER, [ALICE, BOB], msg)
        assert refused == {}
    assert h.body_of(server.find_one(ALICE, tok)) == msg
    assert h.body_of(server.find_one(BOB, tok)) == msg


def test_null_sender_accepted_and_return_path_empty(server):
    tok = h.token("null")
    with server.raw() as c:
        c.ehlo()
        r = c.cmd("MAIL FROM:<>")
        assert r.code == 250, r
        assert c.cmd(f"RCPT TO:<{ALICE}>").code == 250
        assert c.cmd("DATA").code == 354
        c.send(h.dot_stuff(h.make_message(tok, sender="MAILER-DAEMON@remote.example")) + b".\r\n")
        assert c.reply().code == 250
    rp, _rec, _rest = h.split_trace(server.find_one(ALICE, tok))
    assert rp == "<>"


def test_domain_is_case_insensitive(server):
    tok = h.token("case")
    with server.raw() as c:
        c.ehlo()
        assert c.transaction(REMOTE_SENDER, ["alice@EXAMPLE.Test"], h.make_message(tok)).code == 250
    server.find_one(ALICE, tok)


def test_plus_addressing_goes_to_the_user(server):
    tok = h.token("plus")
    with server.raw() as c:
        c.ehlo()
        assert c.transaction(REMOTE_SENDER, ["alice+lists@example.test"], h.make_message(tok)).code == 250
    server.find_one(ALICE, tok)


def test_alias_postmaster_case_insensitive(server):
    tok = h.token("pm")
    with server.raw() as c:
        c.ehlo()
        assert c.transaction(REMOTE_SENDER, ["Postmaster@example.test"], h.make_message(tok)).code == 250
    server.find_one(ALICE, tok)


def test_alias_to_several_users_and_a_remote_one(server):
    tok = h.token("team")
    with server.raw() as c:
        c.ehlo()
        assert c.transaction(REMOTE_SENDER, ["team@example.test"], h.make_message(tok, to="team@example.test")).code == 250
    server.find_one(ALICE, tok)
    server.find_one(BOB, tok)
    # carol@remote.example is forwarded: it waits in the outbound queue.
    assert any("carol@remote.example" in line for line in server.queue()), server.queue()


def test_plus_address_of_an_alias(server):
    tok = h.token("pmplus")
    with server.raw() as c:
        c.ehlo()
        assert c.transaction(REMOTE_SENDER, ["postmaster+x@example.test"], h.make_message(tok)).code == 250
    server.find_one(ALICE, tok)


def test_catch_all_takes_unknown_addresses(server):
    tok = h.token("catch")
    with server.raw() as c:
        c.ehlo()
        assert c.transaction(REMOTE_SENDER, ["whoever.else@catchall.test"], h.make_message(tok)).code == 250
    server.find_one(BOB, tok)


def test_unknown_local_user_is_550_511(server):
    with server.raw() as c:
        c.ehlo()
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>").code == 250
        r = c.cmd("RCPT TO:<nobody@example.test>")
        assert r.code == 550 and r.enhanced == "5.1.1", r
        # The transaction goes on with the valid recipient.
        assert c.cmd(f"RCPT TO:<{BOB}>").code == 250


def test_mail_for_a_remote_domain_is_not_relayed(server):
    with server.raw() as c:
        c.ehlo()
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>").code == 250
        r = c.cmd("RCPT TO:<victim@remote.example>")
        assert r.code in (550, 554) and r.enhanced == "5.7.1", r
    assert not any("victim@remote.example" in line for line in server.queue())


@pytest.mark.parametrize("rcpt", [
    "victim%remote.example@example.test",
    "alice%remote.example@example.test",
    '"victim@remote.example"@example.test',
    "remote.example!victim@example.test",
    "@example.test:victim@remote.example",
    "@example.test,@mx.example.test:victim@remote.example",
])
def test_relay_hacks_are_refused(server, rcpt):
    with server.raw() as c:
        c.ehlo()
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>").code == 250
        r = c.cmd(f"RCPT TO:<{rcpt}>")
        assert r.code >= 500, (rcpt, r)
        assert r.enhanced == "5.7.1" or r.enhanced.startswith("5.1."), (rcpt, r)
        # With no accepted recipient, DATA is refused.
        assert c.cmd("DATA").code in (503, 554)
    assert not any("victim" in line for line in server.queue())


def test_vrfy_is_252(server):
    with server.raw() as c:
        c.ehlo()
        assert c.cmd(f"VRFY {ALICE}").code == 252


def test_noop_rset_quit(server):
    with server.raw() as c:
        c.ehlo()
        r = c.cmd("NOOP")
        assert r.code == 250 and r.enhanced.startswith("2."), r
        r = c.cmd("RSET")
        assert r.code == 250, r
        r = c.cmd("QUIT")
        assert r.code == 221, r
        with pytest.raises((h.ConnectionClosed, ConnectionResetError)):
            c.line()


def test_rset_clears_the_transaction(server):
    tok = h.token("rset")
    with server.raw() as c:
        c.ehlo()
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>").code == 250
        assert c.cmd(f"RCPT TO:<{ALICE}>").code == 250
        assert c.cmd("RSET").code == 250
        r = c.cmd("DATA")
        assert r.code == 503, r
        r = c.cmd(f"RCPT TO:<{ALICE}>")
        assert r.code == 503, r
        # A fresh transaction after RSET goes to bob only.
        assert c.transaction(REMOTE_SENDER, [BOB], h.make_message(tok)).code == 250
    assert server.find(ALICE, tok) == []
    server.find_one(BOB, tok)


def test_swaks_to_mx(server):
    tok = h.token("swaks")
    r = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{server.ports['smtp']}", "--helo", h.CLIENT_NAME,
         "--from", REMOTE_SENDER, "--to", BOB, "--header", f"Subject: {tok}",
         "--body", "sent by swaks", "--timeout", "20"],
        capture_output=True, timeout=60)
    assert r.returncode == 0, r.stdout.decode(errors="replace")[-2000:]
    stored = server.find_one(BOB, tok)
    assert b"sent by swaks" in stored
    assert h.split_trace(stored)[0] == f"<{REMOTE_SENDER}>"


def test_catch_all_only_takes_what_nothing_else_matches(make_server, default_users):
    dora = "dora@catchall.test"
    srv = make_server(users={**default_users, dora: "{PLAIN}" + h.PASSWORD},
                      aliases=f"@catchall.test: {BOB}\ninfo@catchall.test: {ALICE}\n")
    tok = h.token("prec")
    with srv.raw() as c:
        c.ehlo()
        r = c.transaction(REMOTE_SENDER, [dora, "dora+x@catchall.test", "INFO@catchall.test", "zed@catchall.test"],
                          h.make_message(tok))
        assert r.code == 250, r
    assert len(srv.find(dora, tok)) == 1
    srv.find_one(ALICE, tok)
    srv.find_one(BOB, tok)


def test_unqualified_postmaster_is_accepted(server):
    # RFC 5321 4.5.1: <Postmaster> without a domain must be accepted.
    tok = h.token("pmbare")
    with server.raw() as c:
        c.ehlo()
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>").code == 250
        r = c.cmd("RCPT TO:<Postmaster>")
        assert r.code == 250, r
        assert c.cmd("DATA").code == 354
        c.send(h.dot_stuff(h.make_message(tok)) + b".\r\n")
        assert c.reply().code == 250
    server.find_one(ALICE, tok)
