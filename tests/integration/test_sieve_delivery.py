"""Sieve at delivery (README.md, "Sieve at delivery"): each local
recipient's active script, between the admin's `before` and `after`
scripts, decides where a message arriving over SMTP is stored. Redirects
and rejections leave through the outbound queue to an aiosmtpd sink (the
relay); Pigeonhole's `sieve-test` (Debian's dovecot-sieve) says for a set
of scripts where the message belongs, and pochta must have stored it
exactly there."""

import re
import types

import pytest

import pochta_harness as h
from conftest import ServerFactory
from pochta_harness import ALICE, BOB
from test_outbound import Sink, outbound_server
from test_sieve_oracle import parse_pigeonhole, pigeonhole, run_pigeonhole  # noqa: F401 (fixture)

SENDER = "sender@remote.example"
CAROL = "carol@example.test"
BEFORE = """require ["fileinto", "imap4flags"];
if header :contains "subject" "global-junk" { fileinto "Junk"; stop; }
"""
AFTER = """require ["fileinto"];
if header :contains "subject" "after-archive" { fileinto "Archive"; }
"""


@pytest.fixture(scope="module")
def sink():
    s = Sink()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def srv(pochta_bin, tls_cert, default_users, sink, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sieve-delivery")
    (folder / "before.sieve").write_text(BEFORE)
    (folder / "after.sieve").write_text(AFTER)
    users = dict(default_users)
    users[CAROL] = "{PLAIN}" + h.PASSWORD
    extra = (f"[sieve]\nbefore = [{h.toml_str(folder / 'before.sieve')}]\n"
             f"after = [{h.toml_str(folder / 'after.sieve')}]\n"
             "[spam]\nenabled = false\n[checks]\nenabled = false\n")
    factory = ServerFactory(pochta_bin, tls_cert, users, folder)
    server = outbound_server(factory, f'relay = "127.0.0.1:{sink.port}"', extra_config=extra)
    yield server
    problems = factory.finish()
    assert not problems, "\n".join(problems)


def set_script(srv, user, text, tmp_path, name="main"):
    path = tmp_path / f"{name}.sieve"
    path.write_text(text)
    srv.cli_ok("sieve", "set", user, name, str(path), "--activate")


def send(srv, rcpts, tok, sender=SENDER, headers=b"", body=b"Hello.\r\n"):
    with srv.raw("smtp") as c:
        c.ehlo()
        r = c.cmd(f"MAIL FROM:<{sender}>")
        assert r.code == 250, r
        for rcpt in rcpts:
            assert c.cmd(f"RCPT TO:<{rcpt}>").code == 250
        assert c.cmd("DATA").code == 354
        c.send(h.dot_stuff(h.make_message(tok, sender=sender, to=rcpts[0], headers=headers, body=body)) + b".\r\n")
        return c.reply()


def flags_of(srv, user, mailbox, tok):
    for uid, _size, flags in srv.message_list(user, mailbox):
        if tok.encode() in srv.show(user, mailbox, uid):
            return set(flags.split(",")) - {"-"}
    return None


def placed(srv, user, tok):
    """{mailbox: flags} of every copy of the message the user got."""
    return {box: flags_of(srv, user, box, tok) for box in srv.mailboxes(user)
            if flags_of(srv, user, box, tok) is not None}


def test_fileinto_create_and_flags(srv, tmp_path):
    set_script(srv, ALICE, 'require ["fileinto", "mailbox", "imap4flags"];\n'
                           'if header :contains "subject" "proj" {\n'
                           '  fileinto :create :flags ["\\\\Seen", "$Work"] "Projects/2026";\n'
                           '}\n'
                           'if header :contains "subject" "nobox" { fileinto "Missing"; }\n', tmp_path)
    tok = h.token("proj")
    assert send(srv, [ALICE], tok).code == 250
    assert placed(srv, ALICE, tok) == {"Projects/2026": {"\\Seen", "$Work"}}
    # Without :create a missing mailbox means INBOX (nothing is lost).
    tok = h.token("nobox")
    assert send(srv, [ALICE], tok).code == 250
    assert placed(srv, ALICE, tok) == {"INBOX": set()}
    assert "Missing" not in srv.mailboxes(ALICE)


def test_keep_flags_and_copy(srv, tmp_path):
    set_script(srv, ALICE, 'require ["fileinto", "copy", "imap4flags"];\n'
                           'setflag "\\\\Flagged";\n'
                           'fileinto :copy "Archive";\n', tmp_path)
    tok = h.token("copy")
    assert send(srv, [ALICE], tok).code == 250
    assert placed(srv, ALICE, tok) == {"INBOX": {"\\Flagged"}, "Archive": {"\\Flagged"}}


def test_discard_is_accepted_and_not_stored(srv, tmp_path):
    set_script(srv, ALICE, 'if header :contains "subject" "drop" { discard; }\n', tmp_path)
    tok = h.token("drop")
    r = send(srv, [ALICE, BOB], tok)
    assert r.code == 250
    assert placed(srv, ALICE, tok) == {}
    assert placed(srv, BOB, tok) == {"INBOX": set()}
    tok = h.token("dropalone")
    assert send(srv, [ALICE], tok).code == 250
    assert placed(srv, ALICE, tok) == {}


def test_redirect_with_srs_and_loop_check(srv, sink, tmp_path):
    set_script(srv, ALICE, 'redirect "friend@outside.example";\n', tmp_path)
    tok = h.token("redir")
    assert send(srv, [ALICE], tok).code == 250
    got = h.eventually(lambda: sink.handler.received(tok), timeout=15)
    assert len(got) == 1
    mail_from, rcpts, content = got[0]
    assert rcpts == ["friend@outside.example"]
    assert re.match(r"SRS0=[^=]+=[^=]+=remote\.example=sender@example\.test$", mail_from), mail_from
    assert b"Delivered-To: alice@example.test\r\n" in content
    assert not content.startswith(b"Return-Path:")
    assert placed(srv, ALICE, tok) == {}
    # The copy coming back (it names alice in Delivered-To) is not sent
    # round again: kept in INBOX instead.
    tok = h.token("loop")
    assert send(srv, [ALICE], tok, headers=b"Delivered-To: alice@example.test\r\n").code == 250
    assert placed(srv, ALICE, tok) == {"INBOX": set()}
    assert "mail loop" in srv.log_text()


def test_reject_alone_refuses_in_smtp(srv, sink, tmp_path):
    set_script(srv, ALICE, 'require "reject";\nreject "Not here, try bob";\n', tmp_path)
    tok = h.token("rej")
    r = send(srv, [ALICE], tok)
    assert (r.code, r.text) == (550, "5.7.1 Not here, try bob")
    assert placed(srv, ALICE, tok) == {}


def test_reject_beside_others_sends_rfc5429_mdn(srv, sink, tmp_path):
    set_script(srv, ALICE, 'require "reject";\nreject "Gone fishing";\n', tmp_path)
    tok = h.token("rejmdn")
    assert send(srv, [ALICE, BOB], tok).code == 250
    assert placed(srv, BOB, tok) == {"INBOX": set()}
    assert placed(srv, ALICE, tok) == {}
    got = h.eventually(lambda: [m for m in sink.handler.received(tok) if m[1] == [SENDER]], timeout=15)
    assert len(got) == 1
    mail_from, _rcpts, content = got[0]
    assert mail_from == "<>" or mail_from == ""
    text = content.decode()
    assert "report-type=disposition-notification" in text
    assert "Disposition: automatic-action/MDN-sent-automatically; deleted" in text
    assert "Final-Recipient: rfc822; alice@example.test" in text
    assert "Gone fishing" in text
    assert f"Original-Message-ID: <{tok}@client.test>" in text


def test_editheader(srv, tmp_path):
    set_script(srv, ALICE, 'require ["editheader"];\naddheader "X-Filed-By" "sieve";\n'
                           'deleteheader "X-Remove-Me";\n', tmp_path)
    tok = h.token("edit")
    big = b"x" * 200 + b"\r\n"
    for body in (b"small\r\n", big * 2000):  # in memory, and spooled (over 256 KiB)
        tok = h.token("edit")
        assert send(srv, [ALICE], tok, headers=b"X-Remove-Me: yes\r\n", body=body).code == 250
        stored = srv.find_one(ALICE, tok)
        assert stored.startswith(b"X-Filed-By: sieve\r\n")
        assert b"X-Remove-Me" not in stored
        assert stored.endswith(body)


def test_duplicate(srv, tmp_path):
    set_script(srv, ALICE, 'require "duplicate";\nif duplicate { discard; stop; }\n', tmp_path)
    tok = h.token("dup")
    for _ in range(2):
        assert send(srv, [ALICE], tok).code == 250
    assert len(srv.find(ALICE, tok)) == 1  # the 250 waited for the mark


def test_runtime_error_keeps_in_inbox_and_tells_once(srv, tmp_path):
    set_script(srv, CAROL, 'require ["ihave", "fileinto"];\nerror "broken on purpose";\n', tmp_path)
    toks = [h.token("err") for _ in range(2)]
    for tok in toks:
        assert send(srv, [CAROL], tok).code == 250
        assert placed(srv, CAROL, tok) == {"INBOX": set()}
    notices = h.eventually(lambda: srv.find(CAROL, 'Your Sieve script "main" failed'))
    assert len(notices) == 1
    assert b"broken on purpose" in notices[0]
    assert b"Auto-Submitted: auto-generated" in notices[0]


def test_global_before_and_after(srv, tmp_path):
    # bob has no script: the global ones still run.
    tok = h.token("global-junk")
    assert send(srv, [BOB], tok).code == 250
    assert placed(srv, BOB, tok) == {"Junk": set()}
    tok = h.token("after-archive")
    assert send(srv, [BOB], tok).code == 250
    assert placed(srv, BOB, tok) == {"Archive": set()}
    # A user script that files the message ends the sequence: no after script.
    set_script(srv, ALICE, 'require "fileinto";\nfileinto "Trash";\n', tmp_path)
    tok = h.token("after-archive")
    assert send(srv, [ALICE], tok).code == 250
    assert placed(srv, ALICE, tok) == {"Trash": set()}


def test_submission_to_local_user_runs_scripts(srv, tmp_path):
    set_script(srv, BOB, 'require "fileinto";\nfileinto "Archive";\n', tmp_path)
    tok = h.token("sub")
    with srv.smtp("submissions") as s:
        s.login(ALICE, h.PASSWORD)
        s.sendmail(ALICE, [BOB], h.make_message(tok, sender=ALICE, to=BOB))
    assert placed(srv, BOB, tok) == {"Archive": set()}
    srv.cli_ok("sieve", "activate", BOB, "--none")


ORACLE_SCRIPTS = {
    "fileinto-flags": 'require ["fileinto", "imap4flags"];\n'
                      'if address :domain "from" "remote.example" { fileinto :flags "\\\\Seen $Remote" "Archive"; }\n',
    "keep-and-copy": 'require ["fileinto", "copy", "imap4flags"];\naddflag "\\\\Flagged";\n'
                     'fileinto :copy "Trash";\nkeep;\n',
    "regex-subject": 'require ["fileinto", "regex", "variables"];\n'
                     'if header :regex "subject" "^(orc)-" { fileinto "Archive"; } else { fileinto "Junk"; }\n',
    "discard-else-keep": 'if size :over 10K { discard; }\n',
    "body-test": 'require ["body", "fileinto"];\nif body :text :contains "invoice" { fileinto "Archive"; }\n',
    "implicit-keep-flags": 'require "imap4flags";\nsetflag ["\\\\Answered", "$Done"];\n',
}


@pytest.mark.parametrize("name", sorted(ORACLE_SCRIPTS))
def test_stored_where_pigeonhole_says(srv, pigeonhole, tmp_path, name):  # noqa: F811
    script = ORACLE_SCRIPTS[name]
    set_script(srv, ALICE, script, tmp_path)
    tok = "orc-" + h.token(name)
    body = b"Please pay the invoice.\r\n"
    message = h.make_message(tok, body=body)
    folder = pigeonhole / ("delivery-" + name)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o777)
    (folder / "script.sieve").write_text(script)
    (folder / "message.eml").write_bytes(message)
    case = types.SimpleNamespace(sender=SENDER, recipient=ALICE)
    expected = run_pigeonhole(pigeonhole, case, folder)
    assert send(srv, [ALICE], tok, body=body).code == 250
    got = []
    for box, flags in placed(srv, ALICE, tok).items():
        line = f"store {box}"
        if flags:
            line += " flags=" + ",".join(sorted(f.lower() for f in flags))
        got.append(line)
    assert sorted(got) == expected


def test_bad_global_script_is_a_config_error(make_server, tmp_path):
    bad = tmp_path / "bad.sieve"
    bad.write_text('require "fileinto";\nfileinto 3;\n')
    srv = make_server(start=False, extra_config=f"[sieve]\nbefore = [{h.toml_str(bad)}]\n")
    r = srv.cli("check-config")
    assert r.returncode == 1
    assert f"{bad}:2:10: " in r.stderr.decode()
    with pytest.raises(RuntimeError, match="2:10"):  # before any port is bound
        srv.start(timeout=10)
    srv.kill()
