"""The optional rspamd client (README.md, "Spam") against Debian's real
rspamd on loopback with a minimal configuration: its reject and add-header
actions are applied, its header fields stored, and with rspamd stopped
mail still arrives (fail open)."""

import contextlib
import shutil
import socket
import subprocess
import time

import pytest

import pochta_harness as h
from dns_zone import DnsZone

ALICE, BOB = h.ALICE, h.BOB
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

pytestmark = pytest.mark.skipif(not shutil.which("rspamd"), reason="rspamd is not installed (make deps)")


@pytest.fixture(scope="module")
def zone():
    with DnsZone() as z:
        yield z


@contextlib.contextmanager
def running_rspamd(folder, zone, actions):
    """rspamd's own configuration from /etc/rspamd, one normal worker on a
    free loopback port, DNS from the test zone, X-Spamd-Result added, no
    greylisting (it needs redis), `actions` as its actions.conf."""
    port = h.free_port()
    (folder / "local.d").mkdir()
    (folder / "local.d" / "milter_headers.conf").write_text('use = ["x-spamd-result"];\nskip_local = false;\n')
    (folder / "local.d" / "actions.conf").write_text(actions)
    (folder / "rspamd.conf").write_text(f"""
.include "$CONFDIR/common.conf"
options {{
    pidfile = "$RUNDIR/rspamd.pid";
    .include "$CONFDIR/options.inc"
    dns {{ nameserver = ["{zone.server}"]; timeout = 1s; retransmits = 1; }}
}}
logging {{ type = "console"; level = "error"; }}
worker "normal" {{
    bind_socket = "127.0.0.1:{port}";
    .include "$CONFDIR/worker-normal.inc"
}}
""")
    variables = [f"--var={name}={folder}" for name in ("LOCAL_CONFDIR", "RUNDIR", "DBDIR", "LOGDIR")]
    proc = subprocess.Popen(["rspamd", "-f", "-u", "root", "-g", "root", "-c", str(folder / "rspamd.conf"),
                             "--var=CONFDIR=/etc/rspamd", *variables],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180   # hyperscan compiles first: a minute on a busy machine
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, "rspamd exited"
                assert time.monotonic() < deadline, "rspamd did not start"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def rspamd(tmp_path_factory, zone):
    """Its score for mail without To, Date and Message-ID asks to add a header."""
    with running_rspamd(tmp_path_factory.mktemp("rspamd"), zone, "greylist = null;\nadd_header = 4;\n") as url:
        yield url


@pytest.fixture(scope="module")
def rspamd_rewriting(tmp_path_factory, zone):
    """The same score asks to rewrite the subject."""
    actions = 'greylist = null;\nadd_header = null;\nrewrite_subject = 4;\nsubject = "*** SPAM *** %s";\n'
    with running_rspamd(tmp_path_factory.mktemp("rspamd-rewrite"), zone, actions) as url:
        yield url


def send(server, rcpt, tok, body=b"Hello.\r\n", headers=True, extra=b""):
    msg = h.make_message(tok, sender="someone@elsewhere.example", to=rcpt, body=body)
    if not headers:   # no To, Date or Message-ID: rspamd's "add header" score
        msg = f"From: <someone@elsewhere.example>\r\nSubject: {tok}\r\n".encode() + extra + b"\r\n" + body
    with server.raw("smtp") as c:
        c.ehlo()
        return c.transaction("someone@elsewhere.example", [rcpt], msg)


def test_reject_of_rspamd_is_applied(make_server, zone, rspamd):
    # pochta itself would only junk GTUBE for alice (her reject_score is out of reach): the refusal is rspamd's.
    server = make_server(dns_zone=zone, extra_config=f'[spam]\nrspamd = "{rspamd}"\n'
                                                     f'[spam.users."{ALICE}"]\nreject_score = 100000\n')
    r = send(server, ALICE, h.token("rsp-reject"), body=f"{GTUBE}\r\n".encode())
    assert r.code == 550 and r.enhanced == "5.7.1", r
    assert 'rspamd action="reject"' in server.log_text()


def test_add_header_of_rspamd_files_in_junk_with_its_field(make_server, zone, rspamd):
    server = make_server(dns_zone=zone, extra_config=f'[spam]\nrspamd = "{rspamd}"\n')
    tok = h.token("rsp-header")
    # An upstream spam flag: rspamd asks for it to go (milter.remove_headers).
    assert send(server, BOB, tok, headers=False, extra=b"X-Spam: Yes\r\n").code == 250
    stored = server.find_one(BOB, tok, "Junk")
    assert b"RSPAMD(add header:" in stored
    assert b"\r\nX-Spamd-Result: " in stored
    assert b"X-Spam: Yes" not in stored
    assert 'rspamd action="add header"' in server.log_text()


def test_rewrite_subject_of_rspamd_rewrites_it_and_files_in_junk(make_server, zone, rspamd_rewriting):
    server = make_server(dns_zone=zone, extra_config=f'[spam]\nrspamd = "{rspamd_rewriting}"\n')
    tok = h.token("rsp-subject")
    assert send(server, BOB, tok, headers=False).code == 250
    stored = server.find_one(BOB, tok, "Junk")
    assert f"\r\nSubject: *** SPAM *** {tok}\r\n".encode() in stored
    assert stored.count(b"\nSubject:") == 1
    assert 'rspamd action="rewrite subject"' in server.log_text()


def test_with_rspamd_down_mail_still_arrives(make_server, zone):
    server = make_server(dns_zone=zone,
                         extra_config=f'[spam]\nrspamd = "http://127.0.0.1:{h.free_port()}"\nrspamd_timeout = 5\n')
    tok = h.token("rsp-down")
    assert send(server, BOB, tok).code == 250
    assert server.find_one(BOB, tok)
    assert "rspamd not asked, going on without it: connect:" in server.log_text()
