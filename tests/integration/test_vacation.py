"""Vacation replies and forwarding (README "Vacation and forwarding").

End to end over SMTP: a user whose active script takes a vacation action
gets mail on the MX listener; the reply reaches a relay sink with the null
sender, RFC 3834's fields and a DKIM signature dkimpy verifies; a sender gets
one reply per period (`:seconds` too); lists, Auto-Submitted mail and <> get
none. These need Sieve at delivery (README "Sieve"): they are skipped, with
the reason, on a server that does not run scripts at delivery yet.

Without delivery: `pochta vacation|forward set|clear` write and remove the
managed script, and Pigeonhole's `sieve-test` (Debian dovecot-sieve) runs
the script they write and finds the same actions."""

import email
import email.policy
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import dkim
import pytest

import pochta_harness as h
from conftest import DEFAULT_ALIASES, shared_server
from dns_zone import DnsZone
from smtp_sink import running_sink

ALICE, BOB = h.ALICE, h.BOB
CAROL, DAVE, PROBE = "carol@example.test", "dave@example.test", "probe@example.test"
USERS = {u: "{PLAIN}" + h.PASSWORD for u in (ALICE, BOB, CAROL, DAVE, PROBE)}
SIEVE_TEST = shutil.which("sieve-test") or "/usr/bin/sieve-test"
AWAY_TEXT = "I am away until Monday.\nYour mail will be read then.\n"


@pytest.fixture(scope="module")
def zone():
    with DnsZone() as z:
        yield z


@pytest.fixture(scope="module")
def sink():
    with running_sink() as keep:
        yield keep


@pytest.fixture(scope="module")
def server(pochta_bin, tls_cert, tmp_path_factory, zone, sink):
    """Relays to the sink, retries each second, signs example.test, and lets
    a script's :seconds go down to 1 s."""
    with shared_server(pochta_bin, tls_cert, USERS, tmp_path_factory.mktemp("vacation"), start=False,
                       aliases=DEFAULT_ALIASES, dns_zone=zone,
                       extra_config='[sieve]\nvacation_min_period = "1s"\n') as srv:
        text = srv.config.read_text()
        text = re.sub(r'relay = "127\.0\.0\.1:\d+"', f'relay = "127.0.0.1:{sink.port}"\nretry_schedule = "1s"', text)
        srv.config.write_text(text)
        out = srv.cli_ok("dkim", "keygen", "example.test", "--selector", "vac").decode()
        m = re.search(r"^(\S+)\. IN TXT (.*)$", out, re.M)
        zone.add(m.group(1), "TXT", re.findall(r'"([^"]*)"', m.group(2)))
        srv.start()
        yield srv


def set_script(srv, user, name, source, tmp_path, activate=True):
    path = tmp_path / f"{name}.sieve"
    path.write_text(source, encoding="utf-8")
    srv.cli_ok("sieve", "set", user, name, str(path), *(["--activate"] if activate else []))


def scripts(srv, user):
    return srv.cli_ok("sieve", "list", user).decode().splitlines()


@pytest.fixture(scope="module")
def sieve_at_delivery(server, tmp_path_factory):
    """Skips the test unless the server runs the active script at delivery."""
    set_script(server, PROBE, "probe", 'require ["fileinto", "mailbox"];\nfileinto :create "Probe";\n',
               tmp_path_factory.mktemp("probe"))
    tok = h.token("probe")
    h.deliver(server, PROBE, h.make_message(tok, to=PROBE))
    if not server.message_list(PROBE, "Probe"):
        pytest.skip("this server does not run Sieve at delivery yet (the sieve-delivery work): "
                    "vacation actions are never taken")


def send(srv, sender, rcpt, tok, headers=b""):
    with srv.raw("smtp") as c:
        c.ehlo()
        r = c.transaction(sender, [rcpt], h.make_message(tok, sender=sender or "x@remote.example", to=rcpt,
                                                         headers=headers))
        assert r.code == 250, r


def replies(sink, tok):
    """What reached the sink in answer to the message with this token."""
    with sink.lock:
        return [e for e in sink.envelopes if f"<{tok}@client.test>".encode() in e[2]
                and b"Auto-Submitted: auto-replied" in e[2]]


def one_reply(sink, tok):
    found = h.eventually(lambda: replies(sink, tok), timeout=20)
    assert len(found) == 1, f"{len(found)} replies to {tok}"
    return found[0]


def logged(srv, text, timeout=10):
    return h.eventually(lambda: text in srv.log_text(), timeout=timeout)


@pytest.fixture(scope="module")
def alice_away(server, tmp_path_factory):
    """Alice has a script of her own and, over it, the vacation reply."""
    folder = tmp_path_factory.mktemp("alice")
    set_script(server, ALICE, "rules", 'require "fileinto";\nif header :contains "subject" "filed" '
               '{ fileinto "Junk"; }\n', folder)
    (folder / "away.txt").write_text(AWAY_TEXT, encoding="utf-8")
    server.cli_ok("vacation", "set", ALICE, "--message", str(folder / "away.txt"))
    return server


# --- end to end over SMTP -----------------------------------------------------

def test_reply_reaches_the_sender_with_rfc3834_fields_and_dkim(alice_away, sieve_at_delivery, sink, zone):
    srv = alice_away
    tok = h.token("vac")
    send(srv, "sender1@remote.example", ALICE, tok)
    mail_from, rcpts, raw = one_reply(sink, tok)
    assert mail_from in ("", "<>")  # RFC 3834 3.3: the null sender
    assert rcpts == ["sender1@remote.example"]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["From"] == ALICE
    assert b"\r\nTo: <sender1@remote.example>\r\n" in raw
    assert msg["Subject"] == f"Auto: {tok}"
    assert msg["In-Reply-To"] == f"<{tok}@client.test>"
    assert f"<{tok}@client.test>" in msg["References"]
    assert msg["Auto-Submitted"].startswith("auto-replied")
    assert msg.get_content().replace("\r\n", "\n") == AWAY_TEXT
    assert dkim.verify(raw, dnsfunc=zone.dkim_dnsfunc), "dkimpy does not verify the reply"
    assert srv.find_one(ALICE, tok)  # the message itself was delivered, filed by her own script


def test_one_reply_per_sender_and_period(alice_away, sieve_at_delivery, sink):
    srv = alice_away
    first, second = h.token("once"), h.token("twice")
    send(srv, "sender2@remote.example", ALICE, first)
    one_reply(sink, first)
    send(srv, "sender2@remote.example", ALICE, second)
    assert logged(srv, f"no reply for {ALICE} to <sender2@remote.example>: replied within the period")
    assert replies(sink, second) == []
    assert srv.find_one(ALICE, second)


def test_seconds_memory_runs_out(server, sieve_at_delivery, sink, tmp_path):
    set_script(server, DAVE, "short", 'require ["vacation", "vacation-seconds"];\n'
               'vacation :seconds 2 "Back in a moment.";\n', tmp_path)
    first, second, third = h.token("s1"), h.token("s2"), h.token("s3")
    send(server, "sender3@remote.example", DAVE, first)
    one_reply(sink, first)
    send(server, "sender3@remote.example", DAVE, second)
    assert logged(server, f"no reply for {DAVE} to <sender3@remote.example>: replied within the period")
    time.sleep(2.2)
    send(server, "sender3@remote.example", DAVE, third)
    one_reply(sink, third)
    assert replies(sink, second) == []


@pytest.mark.parametrize("case,sender,headers,reason", [
    ("list", "sender4@remote.example", b"List-Id: <dev.lists.remote.example>\r\n", "list message"),
    ("auto", "sender5@remote.example", b"Auto-Submitted: auto-generated\r\n", "Auto-Submitted message"),
    ("bulk", "sender6@remote.example", b"Precedence: bulk\r\n", "Precedence bulk"),
    ("null", "", b"", "null sender"),
    ("daemon", "MAILER-DAEMON@remote.example", b"", "sender is a program"),
])
def test_no_reply_to_lists_automatic_mail_or_null_sender(alice_away, sieve_at_delivery, sink, case, sender,
                                                         headers, reason):
    srv = alice_away
    tok = h.token(case)
    send(srv, sender, ALICE, tok, headers)
    assert logged(srv, f"no reply for {ALICE} to <{sender}>: {reason}")
    assert srv.find_one(ALICE, tok)
    assert replies(sink, tok) == []


def test_local_sender_gets_the_reply_in_its_inbox(alice_away, sieve_at_delivery):
    srv = alice_away
    tok = h.token("local")
    with srv.smtp("submissions") as s:  # a local sender submits: the MX listener would refuse its domain
        s.login(BOB, h.PASSWORD)
        s.sendmail(BOB, [ALICE], h.make_message(tok, sender=BOB, to=ALICE))
    reply = h.eventually(lambda: srv.find(BOB, f"<{tok}@client.test>"), timeout=10)
    assert len(reply) == 1
    assert reply[0].startswith(b"Return-Path: <>\r\n")
    assert f"Subject: Auto: {tok}".encode() in reply[0]


def test_forward_keeps_a_copy_with_keep(server, sieve_at_delivery, sink):
    server.cli_ok("forward", "set", CAROL, "carol.away@remote.example", "--keep")
    tok = h.token("fwd")
    send(server, "sender7@remote.example", CAROL, tok)
    found = h.eventually(lambda: [e for e in sink.envelopes if tok.encode() in e[2]], timeout=20)
    assert found and found[0][1] == ["carol.away@remote.example"]
    assert found[0][0].startswith("SRS0=")  # README "Forwarding with SRS"
    assert server.find_one(CAROL, tok)
    server.cli_ok("forward", "clear", CAROL)


# --- the commands, without delivery -------------------------------------------

def test_commands_write_and_remove_the_managed_script(server, tmp_path):
    set_script(server, BOB, "mine", 'require "fileinto";\nfileinto "Archive";\n', tmp_path)
    (tmp_path / "msg.txt").write_text('Away, "quoted" and \\ back.\n', encoding="utf-8")
    server.cli_ok("vacation", "set", BOB, "--message", str(tmp_path / "msg.txt"), "--subject", "Gone fishing",
                  "--days", "3", "--until", "2030-01-31")
    assert scripts(server, BOB) == ["mine", "pochta-managed active"]
    managed = server.cli_ok("sieve", "get", BOB, "pochta-managed").decode()
    assert 'if currentdate :value "le" :comparator "i;octet" "date" "2030-01-31" {' in managed
    assert 'vacation :days 3 :subject "Gone fishing" "Away, \\"quoted\\" and \\\\ back.\n";' in managed
    assert managed.rstrip().endswith('include :personal :optional "mine";')

    server.cli_ok("forward", "set", BOB, "b1@remote.example", "b2@remote.example", "--keep")
    managed = server.cli_ok("sieve", "get", BOB, "pochta-managed").decode()
    assert 'redirect :copy "b1@remote.example";\nredirect :copy "b2@remote.example";' in managed
    server.cli_ok("vacation", "clear", BOB)
    managed = server.cli_ok("sieve", "get", BOB, "pochta-managed").decode()
    assert "vacation :days" not in managed and "include :personal" in managed
    server.cli_ok("forward", "set", BOB, "b1@remote.example")  # nothing kept: nothing to file
    managed = server.cli_ok("sieve", "get", BOB, "pochta-managed").decode()
    assert 'redirect "b1@remote.example";' in managed and "include :personal" not in managed
    server.cli_ok("forward", "clear", BOB)
    assert scripts(server, BOB) == ["mine active"]
    server.cli_ok("forward", "clear", BOB)  # clearing twice changes nothing
    assert scripts(server, BOB) == ["mine active"]


@pytest.mark.parametrize("args,status,message", [
    (["vacation", "set", BOB, "--message", "MSG", "--until", "2030-13-01"], 1, "not a date"),
    (["vacation", "set", BOB, "--message", "MSG", "--subject", "a\nb"], 1, "one line"),
    (["vacation", "set", BOB, "--message", "MSG", "--days", "0"], 2, "usage"),
    (["vacation", "set", BOB], 2, "usage"),
    (["vacation", "set", "nobody@example.test", "--message", "MSG"], 1, "no user"),
    (["vacation", "set", BOB, "--message", "/nonexistent"], 1, "cannot read"),
    (["forward", "set", BOB, "bob@example.test"], 1, "loop"),
    (["forward", "set", BOB, "not an address"], 1, "not an address"),
    (["forward", "set", BOB] + [f"f{i}@remote.example" for i in range(5)], 1, "at most 4"),
])
def test_commands_refuse_bad_input(server, tmp_path, args, status, message):
    (tmp_path / "msg.txt").write_text("away\n")
    r = server.cli(*[str(tmp_path / "msg.txt") if a == "MSG" else a for a in args])
    assert r.returncode == status, r.stderr
    assert message in r.stderr.decode()


# --- Pigeonhole runs the script the commands write ----------------------------

DOVECOT_CONF = """\
base_dir = {base}/run
log_path = /dev/stderr
mail_location = maildir:{base}/mail
plugin {{
  sieve_vacation_min_period = 0
}}
"""


def test_managed_script_runs_the_same_in_pigeonhole(server, tmp_path):
    if not os.access(SIEVE_TEST, os.X_OK):
        pytest.skip("sieve-test (Debian dovecot-sieve) is not installed")
    set_script(server, CAROL, "sorting", 'require "fileinto";\nfileinto "Lists";\n', tmp_path)
    (tmp_path / "msg.txt").write_text("Away.\n")
    server.cli_ok("vacation", "set", CAROL, "--message", str(tmp_path / "msg.txt"), "--until", "2999-12-31")
    server.cli_ok("forward", "set", CAROL, "c2@remote.example", "--keep")
    base = Path(tempfile.mkdtemp(prefix="pochta-vacation-"))
    try:
        os.chmod(base, 0o777)
        (base / "dovecot.conf").write_text(DOVECOT_CONF.format(base=base))
        (base / "managed.sieve").write_bytes(server.cli_ok("sieve", "get", CAROL, "pochta-managed"))
        (base / "sorting.sieve").write_bytes(server.cli_ok("sieve", "get", CAROL, "sorting"))
        (base / "message.eml").write_bytes(h.make_message("pigeonhole", to=CAROL))
        for f in base.iterdir():
            os.chmod(f, 0o666)
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.getuid() == 0 else []
        r = subprocess.run(prefix + [SIEVE_TEST, "-c", str(base / "dovecot.conf"), "-f", "sender@remote.example",
                                     "-a", CAROL, "-r", CAROL, "-o", f"plugin/sieve=file:{base}",
                                     str(base / "managed.sieve"), str(base / "message.eml")],
                           capture_output=True, timeout=30, env={**os.environ, "HOME": str(base)})
        out = r.stdout.decode(errors="replace")
        assert r.returncode == 0, r.stderr.decode(errors="replace")
        assert " * send vacation message:" in out
        assert re.search(r" \* redirect message to: <?c2@remote\.example>?", out)
        assert " * store message in folder: Lists" in out
        assert " * keep" not in out  # the included script's fileinto took the kept copy
        # pochta's interpreter takes the same actions.
        ours = server.cli_ok("sieve", "test", str(base / "managed.sieve"), str(base / "message.eml"),
                             "--from", "sender@remote.example", "--to", CAROL).decode().splitlines()
        assert [line.split()[0] for line in ours] == ["vacation", "redirect", "fileinto"]
        assert ours[1] == 'redirect "c2@remote.example" copy' and ours[2] == 'fileinto "Lists"'
    finally:
        shutil.rmtree(base, ignore_errors=True)
