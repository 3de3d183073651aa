"""The command line: check-config and serve on bad configuration, user
management (also picked up by a running server), store inspection, queue,
and the exit statuses 0 / 1 / 2."""

import itertools
import re
import signal
import smtplib
import subprocess
import threading

import pytest

import pochta_harness as h
from pochta_harness import ALICE, BOB, PASSWORD, REMOTE_SENDER

DAVE = "dave@example.test"
CRYPT_LINE = re.compile(r"^dave@example\.test:\{(SHA512-CRYPT|SHA256-CRYPT|BLF-CRYPT|CRYPT)\}\$\S+$")


def run(pochta_bin, *args, input=None):
    return subprocess.run([pochta_bin, *args], input=input, capture_output=True, timeout=30)


def login_plain(s, user, password):
    """One AUTH PLAIN (smtplib's login() would also try LOGIN on failure)."""
    s.ehlo_or_helo_if_needed()
    s.user, s.password = user, password
    s.auth("PLAIN", s.auth_plain)


_probe_sources = itertools.count()


def can_login(srv, user, password):
    # Each probe comes from an address of its own (127.0.0.2, .3, ...): the
    # server delays every answer after failures from an address, and a good
    # login of another account no longer clears them (README.md, "Logins
    # under attack").
    source = f"127.0.0.{2 + next(_probe_sources) % 250}"
    with smtplib.SMTP_SSL("127.0.0.1", srv.ports["submissions"], local_hostname=h.CLIENT_NAME,
                          context=h.client_tls_context(), timeout=30, source_address=(source, 0)) as s:
        try:
            login_plain(s, user, password)
            return True
        except smtplib.SMTPAuthenticationError:
            return False


def with_line(config, after_prefix, new_line):
    """Inserts new_line after the first line starting with after_prefix
    (at the top for None); returns its 1-based line number."""
    lines = config.read_text(encoding="utf-8").split("\n")
    at = 0 if after_prefix is None else next(i for i, l in enumerate(lines) if l.startswith(after_prefix)) + 1
    lines.insert(at, new_line)
    config.write_text("\n".join(lines), encoding="utf-8")
    return at + 1


def assert_config_error(srv, path, line):
    stderr = ""
    for args in (["check-config"], ["serve"]):
        r = srv.cli(*args, timeout=15)
        stderr = r.stderr.decode(errors="replace")
        assert r.returncode == 1, (args, r.returncode, stderr)
        assert f"{path}:{line}:" in stderr, (args, stderr)
        assert len(stderr.strip().splitlines()) >= 1
    return stderr


# --- configuration ----------------------------------------------------------

def test_check_config_accepts_a_good_config(make_server):
    srv = make_server(start=False)
    r = srv.cli("check-config")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("after,line", [
    (None, "bogus_key = 1"),
    ("[limits]", "max_fun = 3"),
    ("[listen]", "smtpx = \"127.0.0.1:0\""),
    ("[tls]", "chain = \"x.pem\""),
])
def test_unknown_key_is_an_error_with_line(make_server, after, line):
    srv = make_server(start=False)
    n = with_line(srv.config, after, line)
    assert_config_error(srv, srv.config, n)


@pytest.mark.parametrize("after,line", [
    (None, "data_dir = 5"),
    ("[listen]", "imap = \"not-an-address\""),
    ("[limits]", "max_recipients = \"many\""),
    ("[delivery]", "max_queue_time = \"soon\""),
])
def test_bad_value_is_an_error_with_line(make_server, after, line):
    srv = make_server(start=False)
    config = srv.config.read_text(encoding="utf-8")
    key = line.split()[0]
    # Replace an existing key instead of duplicating it (duplicates are a TOML error of their own).
    srv.config.write_text("\n".join(l for l in config.split("\n") if not l.startswith(key + " ")),
                          encoding="utf-8")
    n = with_line(srv.config, after, line)
    assert_config_error(srv, srv.config, n)


def test_toml_syntax_error(make_server):
    srv = make_server(start=False)
    n = with_line(srv.config, None, "this is not toml")
    assert_config_error(srv, srv.config, n)


def test_bad_users_file_line(make_server):
    srv = make_server(start=False)
    with open(srv.users_file, "a", encoding="utf-8") as f:
        f.write("# comment\n\nno-colon-here\n")
    r = srv.cli("check-config")
    assert r.returncode == 1
    assert f"{srv.users_file}:5:" in r.stderr.decode(errors="replace"), r.stderr


def test_bad_aliases_file_line(make_server):
    srv = make_server(start=False)
    with open(srv.aliases_file, "a", encoding="utf-8") as f:
        f.write("broken line without colon\n")
    lineno = len(srv.aliases_file.read_text(encoding="utf-8").splitlines())
    r = srv.cli("check-config")
    assert r.returncode == 1
    assert f"{srv.aliases_file}:{lineno}:" in r.stderr.decode(errors="replace"), r.stderr


def test_missing_config_file(pochta_bin, tmp_path):
    for sub in ("check-config", "serve"):
        r = run(pochta_bin, sub, "-c", str(tmp_path / "nope.toml"))
        assert r.returncode == 1, (sub, r)
        assert r.stderr.strip(), sub


@pytest.mark.parametrize("args", [[], ["frobnicate"], ["serve", "--no-such-flag"], ["user"], ["user", "add"],
                                  ["user", "bogus", "x@y"], ["check-config", "--no-such-flag"],
                                  ["message", "show"], ["queue", "delete"], ["mailbox", "list"]])
def test_wrong_usage_exits_2(make_server, pochta_bin, args):
    srv = make_server(start=False)
    # With a valid configuration, so only the usage can be wrong.
    r = run(pochta_bin, *args, *(["-c", str(srv.config)] if args else []))
    assert r.returncode == 2, (args, r.returncode, r.stderr)
    assert r.stderr.strip()


@pytest.mark.parametrize("command", ["user", "queue", "mailbox", "message"])
def test_command_without_subcommand_is_usage_without_reading_the_config(pochta_bin, tmp_path, command):
    # Issue 10 item 7: no configuration exists here, and none is read.
    for args in ([command], [command, "-c", str(tmp_path / "nope.toml")]):
        r = run(pochta_bin, *args)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert r.stderr.startswith(b"usage: pochta"), r.stderr
        assert b"nope.toml" not in r.stderr and b"cannot read" not in r.stderr


def test_version(pochta_bin):
    r = run(pochta_bin, "version")
    assert r.returncode == 0
    text = r.stdout.decode()
    assert re.search(r"\d+\.\d+", text)
    assert "sqlite" in text.lower() and "openssl" in text.lower()


# --- users ------------------------------------------------------------------

def test_user_add_list_passwd_del(make_server):
    srv = make_server(start=False)
    r = srv.cli("user", "add", DAVE, input="pw-one\nsecond line is ignored\n")
    assert r.returncode == 0, r.stderr
    assert sorted(srv.cli_ok("user", "list").decode().split()) == [ALICE, BOB, DAVE]
    line = next(l for l in srv.users_file.read_text(encoding="utf-8").splitlines() if l.startswith(DAVE))
    assert CRYPT_LINE.match(line), line
    assert "pw-one" not in srv.users_file.read_text(encoding="utf-8")
    old_hash = line

    assert srv.cli("user", "add", DAVE, input="again\n").returncode == 1   # exists
    assert srv.cli("user", "add", "eve@remote.example", input="x\n").returncode == 1  # not local
    assert srv.cli("user", "passwd", "nobody@example.test", input="x\n").returncode == 1
    assert srv.cli("user", "del", "nobody@example.test").returncode == 1

    assert srv.cli("user", "passwd", DAVE, input="pw-two\n").returncode == 0
    line = next(l for l in srv.users_file.read_text(encoding="utf-8").splitlines() if l.startswith(DAVE))
    assert CRYPT_LINE.match(line) and line != old_hash

    assert srv.cli("user", "del", DAVE).returncode == 0
    assert sorted(srv.cli_ok("user", "list").decode().split()) == [ALICE, BOB]
    # The other entries are untouched.
    assert srv.users_file.read_text(encoding="utf-8").count("{PLAIN}" + PASSWORD) == 1


def test_running_server_picks_up_user_changes(make_server):
    srv = make_server()
    assert srv.cli("user", "add", DAVE, input="pw-one\nnot-this\n").returncode == 0
    srv.signal(signal.SIGHUP)
    assert h.eventually(lambda: can_login(srv, DAVE, "pw-one"), timeout=3), "SIGHUP did not reload users"
    assert not can_login(srv, DAVE, "not-this")
    # Without a signal: picked up within 5 s.
    assert srv.cli("user", "passwd", DAVE, input="pw-two\n").returncode == 0
    assert h.eventually(lambda: can_login(srv, DAVE, "pw-two"), timeout=8)
    assert not can_login(srv, DAVE, "pw-one")
    # Mail to the new user is delivered.
    tok = h.token("dave")
    with srv.smtp() as s:
        s.sendmail(REMOTE_SENDER, [DAVE], h.make_message(tok, to=DAVE))
    srv.find_one(DAVE, tok)
    assert set(srv.mailboxes(DAVE)) >= {"INBOX", "Drafts", "Sent", "Trash", "Junk", "Archive"}

    # del keeps the mail; the user is refused afterwards.
    assert srv.cli("user", "del", DAVE).returncode == 0
    srv.signal(signal.SIGHUP)
    assert h.eventually(lambda: not can_login(srv, DAVE, "pw-two"), timeout=3)
    srv.find_one(DAVE, tok)
    with srv.raw() as c:
        c.ehlo()
        assert c.cmd(f"MAIL FROM:<{REMOTE_SENDER}>").code == 250
        r = c.cmd(f"RCPT TO:<{DAVE}>")
        assert r.code == 550 and r.enhanced == "5.1.1", r


def test_user_del_purge_removes_mail(make_server):
    srv = make_server()
    tok = h.token("purge")
    with srv.smtp() as s:
        s.sendmail(REMOTE_SENDER, [BOB], h.make_message(tok, to=BOB))
    srv.find_one(BOB, tok)
    assert srv.cli("user", "del", BOB, "--purge").returncode == 0
    assert srv.message_list(BOB) == []
    r = srv.cli("mailbox", "list", BOB)
    assert r.returncode != 0 or r.stdout.strip() == b""


# --- store and queue inspection ---------------------------------------------

def test_mailbox_and_message_listing(make_server):
    srv = make_server()
    toks = [h.token("list") for _ in range(2)]
    with srv.smtp() as s:
        for tok in toks:
            s.sendmail(REMOTE_SENDER, [ALICE], h.make_message(tok))
    boxes = srv.mailboxes(ALICE)
    assert set(boxes) >= {"INBOX", "Drafts", "Sent", "Trash", "Junk", "Archive"}
    messages, unseen, uidvalidity, uidnext = boxes["INBOX"]
    assert messages == 2 and unseen == 2 and uidvalidity > 0
    rows = srv.message_list(ALICE)
    uids = [uid for uid, _s, _f in rows]
    assert len(uids) == 2 and 0 < uids[0] < uids[1] < uidnext
    for uid, size, flags in rows:
        assert size == len(srv.show(ALICE, "INBOX", uid))
        assert "\\Seen" not in flags
    assert toks[0].encode() in srv.show(ALICE, "INBOX", uids[0])
    assert srv.cli("message", "show", ALICE, "INBOX", str(uidnext + 10)).returncode == 1
    assert srv.cli("message", "list", ALICE, "NoSuchBox").returncode == 1


def test_parallel_cli_readers_beside_the_server(make_server):
    # Admin scripts may run several inspections at once while mail arrives.
    srv = make_server()
    with srv.smtp() as s:
        s.sendmail(REMOTE_SENDER, [ALICE], h.make_message(h.token("par")))
    stop = threading.Event()

    def send_mail():
        with srv.smtp() as s:
            while not stop.is_set():
                s.sendmail(REMOTE_SENDER, [ALICE], h.make_message(h.token("par")))

    sender = threading.Thread(target=send_mail, daemon=True)
    sender.start()
    failures, procs = [], []
    try:
        for _round in range(4):
            procs = [subprocess.Popen([srv.binary, *args, "-c", str(srv.config)],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                     for _ in range(3)
                     for args in (["message", "list", ALICE, "INBOX"], ["mailbox", "list", ALICE],
                                  ["message", "show", ALICE, "INBOX", "1"], ["queue", "list"])]
            for p in procs:
                _out, err = p.communicate(timeout=30)
                if p.returncode != 0:
                    failures.append((p.args[1:4], p.returncode, err.decode(errors="replace").strip()))
    finally:
        stop.set()
        sender.join(20)
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert not failures, failures


def test_queue_list_and_delete(make_server):
    srv = make_server()
    assert srv.queue() == []
    rcpt = "someone@remote.example"
    with srv.smtp("submissions") as s:
        s.login(ALICE, PASSWORD)
        s.sendmail(ALICE, [rcpt], h.make_message(h.token("q"), sender=ALICE, to=rcpt))
    lines = srv.queue()
    assert len(lines) == 1, lines
    fields = lines[0].split()
    assert ALICE in fields[1] and rcpt in lines[0]
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", lines[0]), lines[0]
    assert lines[0].rstrip().endswith('"')
    assert srv.cli("queue", "delete", fields[0]).returncode == 0
    assert srv.queue() == []
    assert srv.cli("queue", "delete", fields[0]).returncode == 1
