"""Real IMAP clients against pochta: curl (listing, search, fetch by UID,
upload), fetchmail (download and delete, over imaps and STARTTLS) and
mbsync (two-way sync with a local Maildir). Each test takes its own user,
so the tests share one server and stay apart. Message bytes are always
compared with what the store holds (`pochta message show`) or with what
the test sent."""

import imaplib
import os
import re
import shutil
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

import pochta_harness as h
from pochta_harness import deliver
from conftest import shared_server

LISTEN = ("smtp", "imap", "imaps")
USERS = [f"client{i}@example.test" for i in range(30)]
SPECIAL = ("Drafts", "Sent", "Trash", "Junk", "Archive")


@pytest.fixture(scope="module")
def imap_server(pochta_bin, tls_cert, tmp_path_factory):
    users = {u: "{PLAIN}" + h.PASSWORD for u in USERS}
    with shared_server(pochta_bin, tls_cert, users, tmp_path_factory.mktemp("clients"), pool=USERS,
                       listen=LISTEN, limits={"max_message_size": 10_000_000}) as srv:
        srv.cert = tls_cert[0]
        yield srv


@pytest.fixture
def user(imap_server):
    return imap_server.pool.pop()


@pytest.fixture
def home(tmp_path):
    """A private HOME: the clients read and write dot files there."""
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def need(tool):
    if not shutil.which(tool):
        pytest.skip(f"{tool} not installed")



def mail(subject, body="Hello there.\r\n", extra=""):
    return (f"From: Sender <{h.REMOTE_SENDER}>\r\nTo: someone@example.test\r\n"
            f"Subject: {subject}\r\nMessage-ID: <{subject}@remote.example>\r\n{extra}\r\n{body}").encode()


def imaps(server, user):
    m = imaplib.IMAP4_SSL("127.0.0.1", server.ports["imaps"], ssl_context=h.client_tls_context(), timeout=30)
    m.login(user, h.PASSWORD)
    return m


def ok(result):
    typ, data = result
    assert typ == "OK", (typ, data)
    return data


def server_messages(server, user, mailbox_name="INBOX"):
    """{uid: (flags set, bytes)} read over IMAP (not the CLI), so what a
    client sees is what gets checked."""
    m = imaps(server, user)
    try:
        ok(m.select(f'"{mailbox_name}"', readonly=True))
        data = ok(m.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[])"))
    finally:
        m.logout()
    out = {}
    for item in data:
        if not isinstance(item, tuple):
            continue
        head = item[0].decode()
        uid = int(re.search(r"UID (\d+)", head).group(1))
        flags = set(re.search(r"FLAGS \(([^)]*)\)", head).group(1).split())
        out[uid] = (flags, item[1])
    return out


def run(cmd, env=None, timeout=60):
    return subprocess.run(cmd, capture_output=True, timeout=timeout, env=env)


# --- curl -----------------------------------------------------------------

def curl(server, user, path, *extra, password=h.PASSWORD, starttls=False):
    if starttls:  # imap:// with --ssl-reqd: STARTTLS or fail
        url = f"imap://127.0.0.1:{server.ports['imap']}{path}"
        extra = ("--ssl-reqd", *extra)
    else:
        url = f"imaps://127.0.0.1:{server.ports['imaps']}{path}"
    return run(["curl", "-k", "-s", "-S", "--max-time", "20", "-u", f"{user}:{password}", *extra, url],
               timeout=30)


def test_curl_lists_folders_and_fetches_exact_bytes(imap_server, user):
    need("curl")
    first = mail("curl-a", "first body\r\n.leading dot\r\nFrom the start\r\n")
    second = mail("curl-b", "x" * 70 + "\r\n" + "\u00e9t\u00e9 8bit\r\n", extra="X-Note: two\r\n")
    deliver(imap_server, user, first)
    deliver(imap_server, user, second)
    uids = [uid for uid, _s, _f in imap_server.message_list(user)]
    assert len(uids) == 2

    out = curl(imap_server, user, "/")
    assert out.returncode == 0, out.stderr
    listed = re.findall(rb'^\* LIST \(([^)]*)\) "/" "?([^"\r\n]+)"?\r?$', out.stdout, re.M)
    names = {name.decode() for _attrs, name in listed}
    assert names >= {"INBOX", *SPECIAL}, out.stdout
    attrs = {name.decode(): a.decode() for a, name in listed}
    assert "\\Sent" in attrs["Sent"] and "\\Trash" in attrs["Trash"], attrs

    # imaps://host/INBOX lists that folder (LIST "INBOX" *).
    out = curl(imap_server, user, "/INBOX")
    assert out.returncode == 0, out.stderr
    assert re.search(rb'^\* LIST \([^)]*\) "/" "?INBOX"?\r?$', out.stdout, re.M), out.stdout

    out = curl(imap_server, user, "/INBOX?ALL")
    assert out.returncode == 0, out.stderr
    assert re.search(rb"^\* SEARCH 1 2\r?$", out.stdout, re.M), out.stdout

    for uid, sent in zip(uids, (first, second)):
        out = curl(imap_server, user, f"/INBOX;UID={uid}")
        assert out.returncode == 0, out.stderr
        assert out.stdout == imap_server.show(user, "INBOX", uid)
        assert h.body_of(out.stdout) == sent
    out = curl(imap_server, user, f"/INBOX;UID={uids[1]};SECTION=TEXT")
    assert out.returncode == 0, out.stderr
    assert out.stdout == second.split(b"\r\n\r\n", 1)[1]


def test_curl_errors_are_reported(imap_server, user):
    need("curl")
    out = curl(imap_server, user, "/", password="wrong")
    assert out.returncode == 67, (out.returncode, out.stderr)  # CURLE_LOGIN_DENIED
    out = curl(imap_server, user, "/INBOX;UID=999")
    assert out.returncode != 0 and out.stdout == b""
    out = curl(imap_server, user, "/NoSuchFolder;UID=1")
    assert out.returncode != 0 and out.stdout == b""


def test_curl_over_starttls(imap_server, user):
    need("curl")
    sent = mail("curl-starttls", "over STARTTLS\r\n")
    deliver(imap_server, user, sent)
    uid = imap_server.message_list(user)[0][0]
    out = curl(imap_server, user, f"/INBOX;UID={uid}", starttls=True)
    assert out.returncode == 0, out.stderr
    assert h.body_of(out.stdout) == sent
    # Without TLS the server refuses LOGIN (LOGINDISABLED): curl cannot log in.
    url = f"imap://127.0.0.1:{imap_server.ports['imap']}/INBOX;UID={uid}"
    out = run(["curl", "-s", "--max-time", "20", "-u", f"{user}:{h.PASSWORD}", url], timeout=30)
    assert out.returncode != 0 and out.stdout == b""


def test_curl_uploads_with_append(imap_server, user, tmp_path):
    need("curl")
    msg = mail("curl-up", "uploaded by curl\r\n")
    path = tmp_path / "up.eml"
    path.write_bytes(msg)
    out = curl(imap_server, user, "/Drafts", "-T", str(path))
    assert out.returncode == 0, out.stderr
    stored = server_messages(imap_server, user, "Drafts")
    assert [body for _f, body in stored.values()] == [msg]


# --- fetchmail ------------------------------------------------------------

MDA = """\
import sys, time
msg = sys.stdin.buffer.read()
with open(sys.argv[1], "ab") as f:
    f.write(b"From fetchmail@localhost " + time.asctime().encode() + b"\\n")
    for line in msg.splitlines(keepends=True):
        f.write(b">" + line if line.startswith(b"From ") else line)
    if not msg.endswith(b"\\n"):
        f.write(b"\\n")
    f.write(b"\\n")
"""


def fetchmail(server, user, home, *, tls, keep=False, password=h.PASSWORD):
    """One foreground run of fetchmail; returns (exit code, mbox messages, output)."""
    mbox = home / "inbox.mbox"
    mda = home / "mda.py"
    mda.write_text(MDA)
    rc = home / ".fetchmailrc"
    if tls == "imaps":
        port, tls_opts = server.ports["imaps"], "ssl sslcertck sslcommonname localhost sslcertfile " + h.toml_str(server.cert)
    else:  # STARTTLS is required by sslproto on the plain port
        port, tls_opts = server.ports["imap"], "sslproto tls1.2+ sslcertck sslcommonname localhost sslcertfile " + h.toml_str(server.cert)
    rc.write_text(textwrap.dedent(f"""\
        set no bouncemail
        set no syslog
        poll 127.0.0.1 service {port} protocol IMAP auth password timeout 20
          user "{user}" there with password "{password}" is "{os.environ.get('USER', 'root')}" here
          {tls_opts}
          folder INBOX
        """))
    rc.chmod(0o600)
    env = dict(os.environ, HOME=str(home), FETCHMAILHOME=str(home))
    cmd = ["fetchmail", "--nodetach", "-N", "-f", str(rc), "--pidfile", str(home / "fm.pid"),
           "--mda", f"/usr/bin/python3 {mda} {mbox}", "-v"]
    cmd.append("--keep" if keep else "--nokeep")
    r = run(cmd, env=env, timeout=90)
    return r.returncode, read_mbox(mbox), (r.stdout + r.stderr).decode(errors="replace")


def read_mbox(path: Path):
    """The messages of the MDA's mbox, with its >From quoting undone."""
    if not path.exists():
        return []
    messages = []
    for line in path.read_bytes().splitlines(keepends=True):
        if line.startswith(b"From fetchmail@localhost "):
            messages.append([])
        else:
            messages[-1].append(line[1:] if line.startswith(b">From ") else line)
    # the MDA ends every message with one blank separator line
    return [b"".join(m)[:-1] for m in messages]


def as_lf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n")


RECEIVED_BY_FETCHMAIL = re.compile(
    rb"Received: from 127\.0\.0\.1 \[127\.0\.0\.1\]\n\tby \S+ with IMAP \(fetchmail-[^)]+\)\n"
    rb"\tfor <[^>\n]+> \(single-drop\); [A-Z][a-z]{2}, [^\n]+\n")


def assert_fetched(stored, got):
    """fetchmail keeps Return-Path first, puts its own Received field into
    the header (under Return-Path, or under our Authentication-Results) and
    hands the MDA LF line ends; the rest must be the stored message byte for
    byte."""
    assert len(got) == len(stored), (len(got), len(stored))
    by_subject = {re.search(rb"Subject: (\S+)", s).group(1): s for s in stored}
    for message in got:
        subject = re.search(rb"Subject: (\S+)", message).group(1)
        return_path, rest = as_lf(by_subject.pop(subject)).split(b"\n", 1)
        assert return_path.startswith(b"Return-Path: <")
        assert message.startswith(return_path + b"\n"), message[:300]
        m = RECEIVED_BY_FETCHMAIL.search(message, len(return_path) + 1)
        assert m, message[:500]
        without = message[len(return_path) + 1:m.start()] + message[m.end():]
        assert without == rest, (subject, without[:300], rest[:300])
    assert not by_subject


@pytest.mark.parametrize("tls", ["imaps", "starttls"])
def test_fetchmail_downloads_deletes_and_then_finds_nothing(imap_server, home, tls):
    need("fetchmail")
    user = imap_server.pool.pop()
    big = "".join(f"line {i:05d} of a bigger message\r\n" for i in range(8000))
    for n, body in enumerate(["short\r\n", "From here on\r\n.dot line\r\n", big]):
        deliver(imap_server, user, mail(f"fm-{tls}-{n}", body))
    stored = imap_server.messages(user)
    assert len(stored) == 3

    code, got, out = fetchmail(imap_server, user, home, tls=tls)
    assert code == 0, out
    assert_fetched(stored, got)
    assert h.eventually(lambda: imap_server.message_list(user) == []), imap_server.message_list(user)
    assert server_messages(imap_server, user) == {}

    code, got2, out = fetchmail(imap_server, user, home, tls=tls)
    assert code == 1, out  # 1: no mail
    assert len(got2) == 3  # the mbox did not grow

    deliver(imap_server, user, mail(f"fm-{tls}-late"))
    code, got3, out = fetchmail(imap_server, user, home, tls=tls)
    assert code == 0, out
    assert len(got3) == 4 and b"Subject: fm-" + tls.encode() + b"-late" in got3[-1]


def test_fetchmail_keep_marks_seen_and_skips_it_next_time(imap_server, home):
    need("fetchmail")
    user = imap_server.pool.pop()
    deliver(imap_server, user, mail("fm-keep-1"))
    deliver(imap_server, user, mail("fm-keep-2"))
    code, got, out = fetchmail(imap_server, user, home, tls="imaps", keep=True)
    assert code == 0, out
    assert len(got) == 2
    kept = server_messages(imap_server, user)
    assert len(kept) == 2 and all("\\Seen" in flags for flags, _b in kept.values()), kept
    code, got, out = fetchmail(imap_server, user, home, tls="imaps", keep=True)
    assert code == 1, out
    assert len(got) == 2


def test_fetchmail_wrong_password_is_an_auth_error(imap_server, home):
    need("fetchmail")
    user = imap_server.pool.pop()
    deliver(imap_server, user, mail("fm-auth"))
    code, got, out = fetchmail(imap_server, user, home, tls="imaps", password="wrong")
    assert code == 3, out  # 3: authentication failed
    assert got == [] and len(imap_server.message_list(user)) == 1


# --- mbsync ---------------------------------------------------------------

class Mbsync:
    """One account synced with a local Maildir tree by `mbsync -a`."""

    def __init__(self, server, user, base: Path, tls="IMAPS"):
        self.server, self.user = server, user
        self.root = base / "Mail"
        self.root.mkdir(parents=True)
        self.rc = base / "mbsyncrc"
        self.rc.write_text(textwrap.dedent(f"""\
            IMAPAccount pochta
            Host localhost
            Port {server.ports['imaps' if tls == 'IMAPS' else 'imap']}
            User {user}
            Pass {h.PASSWORD}
            SSLType {tls}
            SystemCertificates no
            CertificateFile {server.cert}
            Timeout 20

            IMAPStore far
            Account pochta

            MaildirStore near
            Path {self.root}/
            Inbox {self.root}/INBOX
            SubFolders Verbatim

            Channel both
            Far :far:
            Near :near:
            Patterns *
            Create Both
            Expunge Both
            SyncState *
            """))
        self.rc.chmod(0o600)
        self.env = dict(os.environ, HOME=str(base))

    def sync(self):
        r = run(["mbsync", "-c", str(self.rc), "-V", "-a"], env=self.env, timeout=90)
        out = (r.stdout + r.stderr).decode(errors="replace")
        assert r.returncode == 0, out
        return out

    def folder(self, name):
        return self.root / name

    def files(self, name="INBOX"):
        """[(path, flags)] of the local messages of one folder."""
        out = []
        for sub in ("new", "cur"):
            for p in sorted((self.folder(name) / sub).glob("*")):
                flags = p.name.split(":2,", 1)[1] if ":2," in p.name else ""
                out.append((p, flags))
        return out


@pytest.fixture
def mbsync_account(imap_server, user, tmp_path):
    need("mbsync")
    return Mbsync(imap_server, user, tmp_path)


def local_bytes(acct, name="INBOX"):
    return sorted(plain(p.read_bytes()) for p, _f in acct.files(name))


def plain(data: bytes) -> bytes:
    """A message as mbsync moves it: Maildir files have LF line ends, and
    mbsync puts an X-TUID field (its own tracking id) at the end of the
    header of every message it copies, in either direction; both are the
    client's doing and are taken out before comparing bytes."""
    data = data.replace(b"\r\n", b"\n")
    head, sep, body = data.partition(b"\n\n")
    lines = head.split(b"\n")
    kept = [l for l in lines if not l.startswith(b"X-TUID: ")]
    assert len(lines) - len(kept) <= 1, head
    return b"\n".join(kept) + sep + body


def test_mbsync_initial_pull_of_inbox_and_special_folders(imap_server, mbsync_account):
    acct, user = mbsync_account, mbsync_account.user
    deliver(imap_server, user, mail("mb-pull-1"))
    deliver(imap_server, user, mail("mb-pull-2", "second\r\n"))
    m = imaps(imap_server, user)
    sent = mail("mb-sent", "in Sent\r\n")
    ok(m.append("Sent", "(\\Seen)", None, sent))
    m.logout()

    acct.sync()
    for name in ("INBOX", *SPECIAL):
        assert (acct.folder(name) / "cur").is_dir(), name
    server_inbox = server_messages(imap_server, user)
    assert len(server_inbox) == 2
    assert local_bytes(acct) == sorted(plain(b) for _f, b in server_inbox.values())
    assert sorted(server_inbox) == [uid for uid, _s, _f in imap_server.message_list(user)]
    assert local_bytes(acct, "Sent") == [plain(sent)]
    assert [f for _p, f in acct.files("Sent")] == ["S"]
    assert [f for _p, f in acct.files()] == ["", ""]

    # A second run with nothing changed changes nothing on either side.
    before = [p.name for p, _f in acct.files()]
    acct.sync()
    assert [p.name for p, _f in acct.files()] == before
    assert server_messages(imap_server, user) == server_inbox


def test_mbsync_over_starttls(imap_server, user, tmp_path):
    need("mbsync")
    acct = Mbsync(imap_server, user, tmp_path, tls="STARTTLS")
    deliver(imap_server, user, mail("mb-starttls"))
    acct.sync()
    assert local_bytes(acct) == [plain(imap_server.show(user, "INBOX", imap_server.message_list(user)[0][0]))]
    (acct.folder("INBOX") / "new" / f"{int(time.time())}.starttls.host").write_bytes(mail("mb-starttls-up"))
    acct.sync()
    assert len(server_messages(imap_server, user)) == 2


def test_mbsync_pushes_new_local_mail_and_folders(imap_server, mbsync_account):
    acct, user = mbsync_account, mbsync_account.user
    acct.sync()  # creates the local tree
    local = mail("mb-local", "written locally\r\n")
    name = f"{int(time.time())}.{os.getpid()}_1.testhost"
    (acct.folder("INBOX") / "new" / name).write_bytes(local)
    project = acct.folder("Projects")
    for sub in ("cur", "new", "tmp"):
        (project / sub).mkdir(parents=True)
    (project / "cur" / f"{name}x:2,S").write_bytes(mail("mb-project", "filed\r\n"))

    acct.sync()
    on_server = server_messages(imap_server, user)
    assert [plain(b) for _f, b in on_server.values()] == [plain(local)]
    assert all(b"\r\n" in b and b"\n" not in b.replace(b"\r\n", b"") for _f, b in on_server.values())
    m = imaps(imap_server, user)
    names = [line.decode() for line in ok(m.list())]
    m.logout()
    assert any(n.endswith(' "Projects"') or n.endswith(" Projects") for n in names), names
    in_project = server_messages(imap_server, user, "Projects")
    assert [(f, plain(b)) for f, b in in_project.values()] == [({"\\Seen"}, plain(mail("mb-project", "filed\r\n")))]


def test_mbsync_flags_travel_both_ways(imap_server, mbsync_account):
    acct, user = mbsync_account, mbsync_account.user
    deliver(imap_server, user, mail("mb-flag-1"))
    deliver(imap_server, user, mail("mb-flag-2"))
    acct.sync()
    assert len(acct.files()) == 2

    # server -> local
    m = imaps(imap_server, user)
    ok(m.select("INBOX"))
    ok(m.store("1", "+FLAGS", "(\\Seen \\Flagged)"))
    m.logout()
    acct.sync()
    by_subject = {re.search(rb"Subject: (\S+)", p.read_bytes()).group(1): f for p, f in acct.files()}
    assert by_subject == {b"mb-flag-1": "FS", b"mb-flag-2": ""}, by_subject

    # local -> server: mark the second one seen and replied by renaming.
    path = next(p for p, _f in acct.files() if b"mb-flag-2" in p.read_bytes())
    base = path.name.split(":2,", 1)[0]
    path.rename(acct.folder("INBOX") / "cur" / f"{base}:2,RS")
    # and take \Flagged off the first one
    path1 = next(p for p, _f in acct.files() if b"mb-flag-1" in p.read_bytes())
    path1.rename(path1.with_name(path1.name.split(":2,", 1)[0] + ":2,S"))
    acct.sync()
    flags = {re.search(rb"Subject: (\S+)", b).group(1): f for f, b in server_messages(imap_server, user).values()}
    assert flags == {b"mb-flag-1": {"\\Seen"}, b"mb-flag-2": {"\\Seen", "\\Answered"}}, flags


def test_mbsync_deletions_travel_both_ways(imap_server, mbsync_account):
    acct, user = mbsync_account, mbsync_account.user
    for n in range(3):
        deliver(imap_server, user, mail(f"mb-del-{n}"))
    acct.sync()
    assert len(acct.files()) == 3

    # deleted on the server -> gone locally
    m = imaps(imap_server, user)
    ok(m.select("INBOX"))
    ok(m.store("1", "+FLAGS", "(\\Deleted)"))
    ok(m.expunge())
    m.logout()
    acct.sync()
    subjects = sorted(re.search(rb"Subject: (\S+)", p.read_bytes()).group(1) for p, _f in acct.files())
    assert subjects == [b"mb-del-1", b"mb-del-2"], subjects

    # trashed locally (T flag) -> expunged on the server
    path = next(p for p, _f in acct.files() if b"mb-del-1" in p.read_bytes())
    path.rename(path.with_name(path.name.split(":2,", 1)[0] + ":2,T"))
    # removed locally -> expunged on the server
    next(p for p, _f in acct.files() if b"mb-del-2" in p.read_bytes()).unlink()
    acct.sync()
    assert server_messages(imap_server, user) == {}
    assert acct.files() == []
    acct.sync()
    assert server_messages(imap_server, user) == {}
