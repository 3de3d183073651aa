"""Submission (587 with STARTTLS, 465 with implicit TLS): TLS before AUTH,
AUTH before MAIL, the SASL variants real clients send, sender ownership,
local delivery and the outbound queue."""

import base64
import re
import smtplib
import subprocess

import pytest

import pochta_harness as h
from conftest import shared_server
from pochta_harness import ALICE, BOB, PASSWORD


def b64(text):
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def plain(user=ALICE, password=PASSWORD):
    return b64(f"\0{user}\0{password}")


def tls_session(server, listener="submission"):
    """A RawClient that is in TLS and has said EHLO (not yet authenticated)."""
    c = server.raw(listener)
    if listener == "submission":
        c.ehlo()
        c.starttls()
    c.kw = c.keywords(c.ehlo())
    return c


def authed(server, listener="submission", user=ALICE):
    c = tls_session(server, listener)
    r = c.cmd(f"AUTH PLAIN {plain(user)}")
    assert r.code == 235, r
    return c


# --- before TLS -------------------------------------------------------------

def test_no_auth_advertised_before_tls(server):
    with server.raw("submission") as c:
        kw = c.keywords(c.ehlo())
        assert "STARTTLS" in kw
        assert "AUTH" not in kw


def test_auth_before_starttls_is_530_570(server):
    with server.raw("submission") as c:
        c.ehlo()
        r = c.cmd(f"AUTH PLAIN {plain()}")
        assert r.code == 530 and r.enhanced == "5.7.0", r
        r = c.cmd("AUTH LOGIN")
        assert r.code == 530 and r.enhanced == "5.7.0", r


def test_mail_before_starttls_is_530_570(server):
    with server.raw("submission") as c:
        c.ehlo()
        r = c.cmd(f"MAIL FROM:<{ALICE}>")
        assert r.code == 530 and r.enhanced == "5.7.0", r


# --- after TLS ----------------------------------------------------------------

@pytest.mark.parametrize("listener", ["submission", "submissions"])
def test_auth_advertised_after_tls(server, listener):
    with tls_session(server, listener) as c:
        assert "STARTTLS" not in c.kw
        mechs = c.kw.get("AUTH", "").upper().split()
        assert "PLAIN" in mechs and "LOGIN" in mechs, c.kw
        for word in ("PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "SMTPUTF8", "CHUNKING", "SIZE"):
            assert word in c.kw, word


@pytest.mark.parametrize("listener", ["submission", "submissions"])
def test_mail_before_auth_is_530_570(server, listener):
    with tls_session(server, listener) as c:
        r = c.cmd(f"MAIL FROM:<{ALICE}>")
        assert r.code == 530 and r.enhanced == "5.7.0", r


def test_auth_plain_initial_response(server):
    with tls_session(server) as c:
        r = c.cmd(f"AUTH PLAIN {plain()}")
        assert r.code == 235 and r.enhanced == "2.7.0", r


def test_auth_plain_with_continuation(server):
    with tls_session(server) as c:
        r = c.cmd("AUTH PLAIN")
        assert r.code == 334, r
        assert r.lines[0].strip() == "", r
        r = c.cmd(plain(BOB))
        assert r.code == 235, r


def test_auth_plain_two_spaces(server):
    with tls_session(server) as c:
        r = c.cmd(f"AUTH PLAIN  {plain()}")
        assert r.code == 235, r


def test_auth_plain_with_authzid_equal_to_authcid(server):
    with tls_session(server) as c:
        r = c.cmd(f"AUTH PLAIN {b64(f'{ALICE}{chr(0)}{ALICE}{chr(0)}{PASSWORD}')}")
        assert r.code == 235, r


def test_auth_login_classic(server):
    with tls_session(server) as c:
        r = c.cmd("AUTH LOGIN")
        assert r.code == 334 and base64.b64decode(r.lines[0]).lower().startswith(b"username"), r
        r = c.cmd(b64(ALICE))
        assert r.code == 334 and base64.b64decode(r.lines[0]).lower().startswith(b"password"), r
        r = c.cmd(b64(PASSWORD))
        assert r.code == 235, r


def test_auth_login_with_username_as_initial_response(server):
    # Outlook's habit.
    with tls_session(server) as c:
        r = c.cmd(f"AUTH LOGIN {b64(ALICE)}")
        assert r.code == 334 and base64.b64decode(r.lines[0]).lower().startswith(b"password"), r
        r = c.cmd(b64(PASSWORD))
        assert r.code == 235, r


def fail_plain(c):
    return c.cmd(f"AUTH PLAIN {plain(password='wrong')}")


def fail_login(c):
    assert c.cmd("AUTH LOGIN").code == 334
    assert c.cmd(b64(BOB)).code == 334
    return c.cmd(b64("not-it"))


def fail_unknown_user(c):
    # The same answer as a wrong password: no user enumeration.
    return c.cmd(f"AUTH PLAIN {plain('nobody@example.test')}")


@pytest.fixture(scope="module")
def failing_server(pochta_bin, tls_cert, default_users, tmp_path_factory):
    """A server of its own for the tests that fail logins: the delays their
    failures earn 127.0.0.1 (README.md, "Logins under attack") would slow
    every later login of the module's shared server."""
    with shared_server(pochta_bin, tls_cert, default_users, tmp_path_factory.mktemp("failing")) as srv:
        yield srv


@pytest.mark.parametrize("attempt", [fail_plain, fail_login, fail_unknown_user])
def test_wrong_credentials_are_535_578(failing_server, attempt):
    with tls_session(failing_server) as c:
        r = attempt(c)
        assert r.code == 535 and r.enhanced == "5.7.8", r
        assert c.cmd(f"MAIL FROM:<{ALICE}>").code == 530  # still not authenticated
        # A correct attempt afterwards works (and resets the failure delay).
        assert c.cmd(f"AUTH PLAIN {plain()}").code == 235


def test_auth_cancelled_with_star(server):
    with tls_session(server) as c:
        assert c.cmd("AUTH LOGIN").code == 334
        r = c.cmd("*")
        assert r.code == 501, r
        assert c.cmd(f"MAIL FROM:<{ALICE}>").code == 530


def test_bad_base64_is_rejected(server):
    with tls_session(server) as c:
        r = c.cmd("AUTH PLAIN %%%not-base64%%%")
        assert r.code == 501, r
        assert c.cmd("NOOP").code == 250


def test_unknown_mechanism(server):
    with tls_session(server) as c:
        r = c.cmd("AUTH CRAM-MD5")
        assert r.code == 504, r
        assert c.cmd(f"AUTH PLAIN {plain()}").code == 235


def test_second_auth_is_503(server):
    with authed(server) as c:
        r = c.cmd(f"AUTH PLAIN {plain()}")
        assert r.code == 503, r


# --- sending ------------------------------------------------------------------

def test_sending_as_someone_else_is_553_571(server):
    with authed(server) as c:
        r = c.cmd(f"MAIL FROM:<{BOB}>")
        assert r.code == 553 and r.enhanced == "5.7.1", r
        r = c.cmd("MAIL FROM:<ceo@remote.example>")
        assert r.code == 553 and r.enhanced == "5.7.1", r


@pytest.mark.parametrize("sender", [ALICE, "alice+newsletter@example.test", "team@example.test",
                                    "postmaster@example.test", "alice@EXAMPLE.Test"])
def test_sending_as_own_addresses(server, sender):
    tok = h.token("own")
    with authed(server) as c:
        r = c.transaction(sender, [BOB], h.make_message(tok, sender=sender, to=BOB))
        assert r.code == 250, r
    rp, _rec, _rest = h.split_trace(server.find_one(BOB, tok))
    assert rp.lower() == f"<{sender}>".lower()


@pytest.mark.parametrize("listener", ["submission", "submissions"])
def test_smtplib_login_and_local_delivery(server, listener):
    tok = h.token("sub")
    # With a Date, as the README's submission hygiene would add one otherwise.
    msg = h.make_message(tok, sender=ALICE, to=BOB, headers=b"Date: Mon, 05 Jan 2026 10:00:00 +0000\r\n")
    with server.smtp(listener) as s:
        if listener == "submission":
            s.starttls(context=h.client_tls_context())
        s.login(ALICE, PASSWORD)
        assert s.sendmail(ALICE, [BOB], msg) == {}
    stored = server.find_one(BOB, tok)
    rp, received, rest = h.split_trace(stored)
    assert rp == f"<{ALICE}>"
    assert rest == msg
    assert h.HOSTNAME in received
    assert re.search(r"TLS\s*v?1[._]?[23]", received, re.I), received


def test_mail_to_a_remote_domain_is_queued(server):
    tok = h.token("out")
    rcpt = f"{tok}@remote.example"
    with authed(server, "submissions") as c:
        r = c.transaction(ALICE, [rcpt, BOB], h.make_message(tok, sender=ALICE, to=rcpt))
        assert r.code == 250, r
    server.find_one(BOB, tok)
    lines = [line for line in server.queue() if rcpt in line]
    assert len(lines) == 1, server.queue()
    fields = lines[0].split()
    assert ALICE in lines[0]
    assert fields[0] not in (ALICE, rcpt)  # the queue id comes first
    assert lines[0].rstrip().endswith('"'), lines[0]
    # Nothing local is left for the remote recipient.
    assert server.find(ALICE, tok) == []


def test_remote_mail_without_auth_refused_on_submission(server):
    with tls_session(server) as c:
        r = c.cmd("MAIL FROM:<>")
        assert r.code == 530, r


def test_swaks_submission_starttls_plain(server):
    tok = h.token("swaks-sub")
    r = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{server.ports['submission']}", "--helo", h.CLIENT_NAME,
         "--from", ALICE, "--to", BOB, "-tls", "-a", "PLAIN", "-au", ALICE, "-ap", PASSWORD,
         "--header", f"Subject: {tok}", "--body", "swaks via submission", "--timeout", "20"],
        capture_output=True, timeout=60)
    assert r.returncode == 0, r.stdout.decode(errors="replace")[-2000:]
    assert b"swaks via submission" in server.find_one(BOB, tok)


def test_swaks_submissions_login(server):
    tok = h.token("swaks-subs")
    r = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{server.ports['submissions']}", "--helo", h.CLIENT_NAME,
         "--from", ALICE, "--to", BOB, "-tlsc", "-a", "LOGIN", "-au", ALICE, "-ap", PASSWORD,
         "--header", f"Subject: {tok}", "--timeout", "20"],
        capture_output=True, timeout=60)
    assert r.returncode == 0, r.stdout.decode(errors="replace")[-2000:]
    server.find_one(BOB, tok)


def test_smtplib_wrong_password_raises(make_server):
    # A server of its own: after one failure the right password waits only
    # the first step of the delays, not the steps the other failures earned.
    with make_server().smtp("submissions") as s:
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            s.login(ALICE, "nope")
        assert e.value.smtp_code == 535
        s.login(ALICE, PASSWORD)
