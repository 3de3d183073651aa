"""`pochta import` and `pochta export` (README.md, "Import and export")
against Debian's Dovecot: a Maildir that doveadm wrote (folders, flags,
keywords, gaps in the UIDs) imported while the server runs and read over
IMAP with Dovecot's UIDVALIDITY and UIDs; the export read back by doveadm
with the same UIDs, flags and keywords; an import killed half way and run
again with no duplicates; a 100,000-message mbox in bounded memory."""

import imaplib
import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

import dovecot_maildir as dm
import pochta_harness as h

pytestmark = pytest.mark.skipif(not dm.available(), reason="doveadm (dovecot-core) is not installed")

USER = h.ALICE


@pytest.fixture(scope="module")
def imap_server(pochta_bin, tls_cert, default_users, tmp_path_factory):
    from conftest import shared_server
    with shared_server(pochta_bin, tls_cert, default_users, tmp_path_factory.mktemp("srv"),
                       listen=("smtp", "imap")) as srv:
        yield srv


@pytest.fixture(scope="module")
def dovecot_source(tmp_path_factory):
    """A Maildir written by Dovecot: INBOX with a gap in its UIDs, a nested
    folder, a folder with a non-ASCII name, system flags and keywords."""
    folder = dm.open_folder()
    dove = dm.Doveadm(folder, folder / "Maildir")
    for i in range(1, 6):
        dove.save("INBOX", f"From: a@example.net\nSubject: inbox {i}\n\nbody {i}\n".encode())
    dove.run("expunge", "mailbox", "INBOX", "uid", "2")
    dove.run("mailbox", "create", "Work/Projects", "Привет")
    for i in range(1, 4):
        dove.save("Work/Projects", f"Subject: work {i}\n\nwork body {i}\n".encode())
    dove.save("Привет", b"Subject: privet\n\nx\n")
    dove.run("flags", "add", "\\Seen $Label1 custom", "mailbox", "INBOX", "uid", "3,5")
    dove.run("flags", "add", "\\Flagged \\Answered", "mailbox", "INBOX", "uid", "4")
    dove.run("flags", "add", "\\Deleted \\Draft project-x", "mailbox", "Work/Projects", "uid", "2")
    expected = {name: (dove.status(name), dove.messages(name)) for name in ("INBOX", "Work/Projects", "Привет")}
    return dove, expected


def imap_login(server):
    m = imaplib.IMAP4("127.0.0.1", server.ports["imap"], timeout=30)
    m.starttls(ssl_context=h.client_tls_context())
    m.login(USER, h.PASSWORD)
    return m


def imap_view(m, mailbox):
    """(uidvalidity, {uid: (sorted flags, subject)}) over IMAP."""
    typ, _ = m.select(imaplib_name(mailbox), readonly=True)
    assert typ == "OK"
    uidvalidity = int(m.untagged_responses["UIDVALIDITY"][0])
    typ, data = m.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK"
    result = {}
    for item in data:
        if not isinstance(item, tuple):
            continue
        meta, header = item
        uid = int(re.search(rb"UID (\d+)", meta).group(1))
        flags = re.search(rb"FLAGS \(([^)]*)\)", meta).group(1).decode().split()
        subject = header.decode().split(":", 1)[1].strip()
        result[uid] = (tuple(sorted(f for f in flags if f != "\\Recent")), subject)
    return uidvalidity, result


def imaplib_name(mailbox):
    from base64 import b64encode
    # Modified UTF-7 for the one non-ASCII name used here.
    if mailbox.isascii():
        return mailbox
    utf16 = mailbox.encode("utf-16-be")
    return '"&' + b64encode(utf16).decode().rstrip("=").replace("/", ",") + '-"'


def test_dovecot_maildir_imports_with_its_uids_while_the_server_runs(imap_server, dovecot_source):
    dove, expected = dovecot_source
    # A session that is logged in during the import sees the result afterwards.
    before = imap_login(imap_server)
    r = imap_server.cli("import", USER, str(dove.maildir))
    assert r.returncode == 0, r.stderr.decode() + r.stdout.decode()
    assert b"imported 8 messages" in r.stdout and b"in 3 folders" in r.stdout, r.stdout

    m = imap_login(imap_server)
    for mailbox, (status, messages) in expected.items():
        uidvalidity, seen = imap_view(m, mailbox)
        assert uidvalidity == status["uidvalidity"], mailbox
        assert seen == messages, mailbox
    typ, data = m.status("INBOX", "(UIDNEXT)")
    assert int(re.search(rb"UIDNEXT (\d+)", data[0]).group(1)) >= expected["INBOX"][0]["uidnext"]
    m.logout()
    assert before.noop()[0] == "OK"
    before.logout()

    # A second run finds everything there.
    again = imap_server.cli("import", USER, str(dove.maildir))
    assert again.returncode == 0, again.stdout
    assert b"imported 0 messages" in again.stdout and b"8 already there" in again.stdout, again.stdout


def test_export_is_read_by_dovecot_with_the_same_uids(imap_server, dovecot_source):
    dove, expected = dovecot_source
    imported = imap_server.cli("import", USER, str(dove.maildir))  # no-op when the test above ran
    assert imported.returncode == 0
    folder = dm.open_folder()
    out = folder / "export"
    r = imap_server.cli("export", USER, str(out))
    assert r.returncode == 0, r.stderr.decode() + r.stdout.decode()
    reader = dm.Doveadm(folder / "reader", out)
    reader.give_to_dovecot(out)
    names = reader.mailboxes()
    for mailbox in ("INBOX", "Work", "Work/Projects", "Привет", "Sent", "Trash"):
        assert mailbox in names, names
    for mailbox, (status, messages) in expected.items():
        assert reader.status(mailbox)["uidvalidity"] == status["uidvalidity"], mailbox
        assert reader.messages(mailbox) == messages, mailbox
    subscribed = reader.run("mailbox", "list", "-s").split()
    assert "Work/Projects" in subscribed and "Привет" in subscribed, subscribed


def make_maildir(root: Path, count: int, uidvalidity=1500000000):
    """A Maildir with a dovecot-uidlist, written here: UIDs 2, 4, 6..."""
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    lines = [f"3 V{uidvalidity} N{2 * count + 2}\n"]
    for i in range(1, count + 1):
        base = f"1500000000.M{i}P1.gen"
        (root / "cur" / f"{base}:2,S").write_bytes(f"Subject: m{i}\n\nbody {i}\n".encode())
        lines.append(f"{2 * i} :{base}\n")
    (root / "dovecot-uidlist").write_text("".join(lines))


def rows_in_index(server):
    try:
        with sqlite3.connect(f"file:{server.folder / 'data' / 'index.db'}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT count(*) FROM messages").fetchone()[0]
    except sqlite3.Error:
        return 0


def stored_count(server, mailbox="INBOX"):
    return server.mailboxes(USER).get(mailbox, (0,))[0]


@pytest.mark.parametrize("kind", ["maildir", "mbox"])
def test_an_import_killed_half_way_resumes_without_duplicates(make_server, tmp_path, kind):
    count = 20000
    server = make_server(listen=("smtp",))
    source = tmp_path / "source"
    if kind == "maildir":
        make_maildir(source, count)
    else:
        source.write_bytes(b"".join(
            b"From x@example.net Tue Dec  8 00:27:32 2026\nSubject: m%d\n\nbody %d\n\n" % (i, i)
            for i in range(1, count + 1)))
    args = [server.binary, "import", USER, str(source), "-c", str(server.config)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # The index itself is watched (a CLI call per look is slower than a
        # batch of an optimised build), so the kill lands after the first batch.
        deadline = time.monotonic() + 60
        while rows_in_index(server) == 0 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    half = stored_count(server)
    assert 0 < half < count, f"the import was not caught half way ({half} of {count})"

    r = server.cli("import", USER, str(source), timeout=300)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    rows = server.message_list(USER)
    assert len(rows) == count
    subjects = set()
    for uid, _size, _flags in rows[:: count // 20]:
        subjects.add(server.show(USER, "INBOX", uid))
    assert len(subjects) == len(rows[:: count // 20])
    if kind == "maildir":
        assert [uid for uid, _s, _f in rows] == list(range(2, 2 * count + 1, 2))


def test_a_large_mbox_imports_in_bounded_memory(make_server, tmp_path):
    count = 100_000
    server = make_server(listen=("smtp",))
    mbox = tmp_path / "big.mbox"
    with open(mbox, "wb") as f:
        for i in range(count):
            f.write(b"From x@example.net Tue Dec  8 00:27:32 2026\nSubject: n%d\nStatus: RO\n\n%s\n\n"
                    % (i, b"y" * 700))
    proc = subprocess.Popen([server.binary, "import", USER, str(mbox), "-c", str(server.config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, out + proc.stderr.read()
    assert b"imported 100000 messages" in out, out
    peak_mib = usage.ru_maxrss / 1024
    file_mib = mbox.stat().st_size / 2**20
    # The file is ~73 MiB; the importer holds two batches (8 MB each at most)
    # and a read buffer; the index pages it maps while it runs beside a server
    # count too (18 MiB peak seen alone, 35 MiB beside a running server in a
    # Debug build, 50 MiB in the optimised build): far below the file's size.
    if not h.sanitized(server.binary):  # ASan keeps freed memory in its quarantine
        assert peak_mib < 64, f"peak RSS {peak_mib:.0f} MiB for a {file_mib:.0f} MiB mbox"
    assert server.mailboxes(USER)["INBOX"][:2] == (count, 0)  # all \Seen from Status: RO


def test_symbolic_links_in_a_maildir_are_never_followed(imap_server, tmp_path):
    source = tmp_path / "Maildir"
    make_maildir(source, 2)
    secret = tmp_path / "secret"
    secret.write_bytes(b"Subject: secret\n\nroot's eyes only\n")
    (source / "cur" / "1600000000.M99P1.gen:2,S").symlink_to(secret)
    elsewhere = tmp_path / "elsewhere"
    make_maildir(elsewhere, 1)
    (source / ".Linked").symlink_to(elsewhere)
    r = imap_server.cli("import", h.BOB, str(source))
    assert r.returncode == 1, r.stdout
    assert b"imported 2 messages" in r.stdout and b"not a Maildir message file" in r.stdout, r.stdout
    assert "Linked" not in imap_server.mailboxes(h.BOB)
    assert not imap_server.find(h.BOB, "root's eyes only")
