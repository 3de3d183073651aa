"""SORT (RFC 5256) with DISPLAYFROM/DISPLAYTO (RFC 5957) and ESORT
(RFC 5267), THREAD=REFERENCES and THREAD=ORDEREDSUBJECT, their UID forms
and SEARCHRES (RFC 5182). The oracle is Dovecot's own `imap` binary
(dovecot_imap.py): the same messages with the same INTERNALDATEs go to
both servers, and every SORT and THREAD must answer alike. A webmail-sized
folder is then sorted, threaded and paged by UID ranges as Roundcube does."""

import email.utils
import os
import random
import re
import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import dovecot_imap
import pochta_harness as h
from imap_pool import pool_server
from test_imap_rev2 import Raw, tagged, untagged

pytestmark = pytest.mark.skipif(not dovecot_imap.available(), reason="Dovecot's imap binary is needed")

# Both servers keep their mail on a tmpfs when there is one: the thousands
# of APPENDs here test ordering, not fsync.
FAST_DIR = "/dev/shm" if os.path.isdir("/dev/shm") else None


class FastDirs:
    def __init__(self):
        self.made = []

    def mktemp(self, name):
        self.made.append(Path(tempfile.mkdtemp(prefix=f"pochta-{name}-", dir=FAST_DIR)))
        return self.made[-1]


@pytest.fixture(scope="module")
def srv(pochta_bin, tls_cert):
    dirs = FastDirs()
    try:
        with pool_server(pochta_bin, tls_cert, dirs, "sort", 4) as server:
            yield server
    finally:
        for d in dirs.made:
            shutil.rmtree(d, ignore_errors=True)

# A webmail-sized folder (SORT_MESSAGES changes it).
LARGE = int(os.environ.get("SORT_MESSAGES", "10000"))

NAMES = ["Zoë Adams", "bob", None, "=?utf-8?q?=C3=89mile_Zola?=", "Ann Lee", '"Smith, John"', "", "ärger"]
LOCALS = ["alice", "Bob", "carol", "dave", "eve", "Zed", "mallory"]
ZONES = ["+0000", "-0500", "+0930", "+0100"]
PREFIXES = ["", "Re: ", "RE: ", "Fwd: ", "Re: Re: ", "[list] Re: ", "Re[2]: "]
BASE = datetime(2023, 1, 1, tzinfo=timezone.utc)


def address(rng):
    name = rng.choice(NAMES)
    mailbox = f"{rng.choice(LOCALS)}@{rng.choice(['example.test', 'remote.example'])}"
    return f"{name} <{mailbox}>" if name else mailbox


def corpus(n, seed):
    """n messages as (INTERNALDATE, bytes): threads by References and
    In-Reply-To (some parents missing), subjects with reply prefixes, dates
    in several zones, some messages without a Date or a Message-ID."""
    rng = random.Random(seed)
    out, ids, topics = [], [], []
    for i in range(n):
        headers = [f"From: {address(rng)}"]
        if rng.random() < 0.9:
            headers.append(f"To: {address(rng)}")
        if rng.random() < 0.3:
            headers.append(f"Cc: {address(rng)}")
        sent = BASE + timedelta(seconds=rng.randrange(0, 90 * 86400))
        zone = rng.choice(ZONES)
        sign = 1 if zone[0] == "+" else -1
        local = sent + sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[3:]))
        if rng.random() < 0.95:
            headers.append(f"Date: {local.strftime('%a, %d %b %Y %H:%M:%S')} {zone}")
        if ids and rng.random() < 0.6:
            parent = rng.randrange(len(ids))
            chain = [ids[k] for k in rng.sample(range(len(ids)), min(2, len(ids)))] + [ids[parent]]
            if rng.random() < 0.1:
                chain.append(f"<gone{i}@remote.example>")  # a parent not in the mailbox
            if rng.random() < 0.5:
                headers.append("References: " + " ".join(chain))
            else:
                headers.append(f"In-Reply-To: {chain[-1]}")
            subject = rng.choice(PREFIXES[1:]) + topics[parent]
        else:
            subject = rng.choice(PREFIXES) + f"Topic {rng.randrange(n // 3 + 1)}"
        topics.append(re.sub(r"^(\[list\] )?((Re|RE|Fwd|Re\[2\]): )*", "", subject))
        headers.append(f"Subject: {subject}")
        mid = f"<m{i}.{seed}@remote.example>"
        ids.append(mid)
        if rng.random() < 0.97:
            headers.append(f"Message-ID: {mid}")
        body = "x" * rng.randrange(10, 2000)
        data = ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode()
        arrival = BASE + timedelta(seconds=rng.randrange(0, 90 * 86400))
        out.append((arrival.strftime("%d-%b-%Y %H:%M:%S +0000"), data))
    return out


def pochta_append(server, user, mailbox, messages):
    r = Raw(server, user)
    for i, (date, data) in enumerate(messages):
        r.send(f'p{i} APPEND {mailbox} "{date}" {{{len(data)}+}}\r\n'.encode() + data + b"\r\n")
    for i in range(len(messages)):
        assert tagged(r.until(f"p{i}")).startswith(f"p{i} OK".encode())
    return r


def answer(lines, prefix):
    found = [l for l in lines if l.startswith(prefix)]
    assert len(found) == 1 and b" OK " in lines[-1], lines
    return found[0]


@pytest.fixture(scope="module")
def pair(srv):
    """A pochta session and a Dovecot one, each with the same 400-message
    INBOX selected, and the same half of it flagged \\Seen."""
    user = srv.pool.pop()
    messages = corpus(400, seed=5256)
    mine = pochta_append(srv, user, "INBOX", messages)
    oracle = dovecot_imap.DovecotImap(FAST_DIR)
    oracle.append_all("INBOX", messages)
    for session in (mine, oracle):
        cmd = session.cmd if session is oracle else (lambda text: mine.cmd("s", text))
        assert b" OK " in cmd("SELECT INBOX")[-1]
        assert b" OK " in cmd("STORE 1:200 +FLAGS.SILENT (\\Seen)")[-1]
    yield mine, oracle
    mine.close()
    oracle.close()


def both(pair, command):
    mine, oracle = pair
    return mine.cmd("c", command), oracle.cmd(command)


SORTS = [
    "SORT (DATE) UTF-8 ALL",
    "SORT (REVERSE DATE) UTF-8 ALL",
    "SORT (ARRIVAL) US-ASCII ALL",
    "SORT (SIZE) UTF-8 ALL",
    "SORT (SUBJECT) UTF-8 ALL",
    "SORT (FROM) UTF-8 ALL",
    "SORT (TO) UTF-8 ALL",
    "SORT (CC) UTF-8 ALL",
    "SORT (DISPLAYFROM) UTF-8 ALL",
    "SORT (DISPLAYTO) UTF-8 ALL",
    "SORT (SUBJECT REVERSE DATE) UTF-8 ALL",
    "SORT (REVERSE SUBJECT REVERSE ARRIVAL SIZE) UTF-8 UNSEEN",
    "UID SORT (FROM DATE) UTF-8 SEEN SUBJECT topic",
    "UID SORT (REVERSE DISPLAYFROM) UTF-8 OR FROM alice LARGER 1000",
    "SORT (DATE) UTF-8 SUBJECT no-such-thing",
]


@pytest.mark.parametrize("command", SORTS)
def test_sort_matches_dovecot(pair, command):
    mine, theirs = both(pair, command)
    assert answer(mine, b"* SORT") == answer(theirs, b"* SORT")


THREADS = [
    "THREAD REFERENCES UTF-8 ALL",
    "UID THREAD REFERENCES UTF-8 ALL",
    "THREAD ORDEREDSUBJECT UTF-8 ALL",
    "UID THREAD ORDEREDSUBJECT US-ASCII ALL",
    "THREAD REFERENCES UTF-8 UNSEEN",
    "THREAD ORDEREDSUBJECT UTF-8 SEEN FROM carol",
    "THREAD REFERENCES UTF-8 SUBJECT no-such-thing",
]


@pytest.mark.parametrize("command", THREADS)
def test_thread_matches_dovecot(pair, command):
    mine, theirs = both(pair, command)
    assert answer(mine, b"* THREAD").rstrip() == answer(theirs, b"* THREAD").rstrip()


@pytest.mark.parametrize("command", [
    "SORT RETURN (MIN MAX COUNT) (DATE) UTF-8 ALL",
    "UID SORT RETURN (ALL) (REVERSE ARRIVAL) UTF-8 UNSEEN",
    "SORT RETURN () (SUBJECT) UTF-8 1:50",
    "UID SORT RETURN (COUNT) (SIZE) UTF-8 SUBJECT no-such-thing",
])
def test_esort_matches_dovecot(pair, command):
    mine, theirs = both(pair, command)
    strip_tag = lambda line: re.sub(rb'\(TAG "[^"]*"\) ', b"", line)
    assert strip_tag(answer(mine, b"* ESEARCH")) == strip_tag(answer(theirs, b"* ESEARCH"))


def test_searchres_with_sort_and_thread(pair):
    mine, _ = pair
    # RETURN (SAVE) alone answers nothing (RFC 5182 2.1); "$" is then the set.
    lines = mine.cmd("r1", "UID SORT RETURN (SAVE) (DATE) UTF-8 UNSEEN FROM alice")
    assert untagged(lines, b"* ESEARCH") == [] and tagged(lines).startswith(b"r1 OK")
    expected = answer(mine.cmd("r2", "UID SEARCH UNSEEN FROM alice"), b"* SEARCH").split()[2:]
    saved = answer(mine.cmd("r3", "UID SEARCH $"), b"* SEARCH").split()[2:]
    assert saved == expected and saved
    # "$" in SORT and THREAD criteria.
    sorted_uids = answer(mine.cmd("r4", "UID SORT (ARRIVAL) UTF-8 $"), b"* SORT").split()[2:]
    assert sorted(sorted_uids, key=int) == sorted(expected, key=int)
    threads = answer(mine.cmd("r5", "UID THREAD REFERENCES UTF-8 $"), b"* THREAD")
    assert sorted(re.findall(rb"\d+", threads), key=int) == sorted(expected, key=int)
    # SAVE with MIN: the first message in sort order.
    lines = mine.cmd("r6", "UID SORT RETURN (SAVE MIN) (REVERSE DATE) UTF-8 UNSEEN FROM alice")
    first = re.search(rb"MIN (\d+)", answer(lines, b"* ESEARCH")).group(1)
    assert answer(mine.cmd("r7", "UID SEARCH $"), b"* SEARCH").split()[2:] == [first]
    assert first == sorted_by(mine, "(REVERSE DATE) UTF-8 UNSEEN FROM alice")[0]


def sorted_by(session, criteria):
    return answer(session.cmd("q", f"UID SORT {criteria}"), b"* SORT").split()[2:]


@pytest.mark.parametrize("command, code", [
    ("SORT (DATE) ISO-8859-1 ALL", b"NO [BADCHARSET"),
    ("SORT (DATE) UTF-8 BOGUS", b"BAD"),
    ("SORT (REVERSE) UTF-8 ALL", b"BAD"),
    ("SORT () UTF-8 ALL", b"BAD"),
    ("SORT DATE UTF-8 ALL", b"BAD"),
    ("SORT RETURN (BOGUS) (DATE) UTF-8 ALL", b"BAD"),
    ("THREAD BOGUS UTF-8 ALL", b"BAD"),
    ("THREAD REFERENCES KOI8-R ALL", b"NO [BADCHARSET"),
    ("THREAD REFERENCES UTF-8", b"BAD"),
])
def test_bad_arguments(pair, command, code):
    mine, _ = pair
    assert tagged(mine.cmd("e", command)).startswith(b"e " + code)


def test_sort_and_thread_need_a_selected_mailbox(srv):
    r = Raw(srv, srv.pool.pop())
    assert tagged(r.cmd("n1", "SORT (DATE) UTF-8 ALL")).startswith(b"n1 BAD")
    assert tagged(r.cmd("n2", "THREAD REFERENCES UTF-8 ALL")).startswith(b"n2 BAD")
    caps = r.cmd("n3", "CAPABILITY")[0].split()
    for cap in (b"SORT", b"SORT=DISPLAY", b"ESORT", b"THREAD=REFERENCES", b"THREAD=ORDEREDSUBJECT"):
        assert cap in caps
    r.close()


def test_webmail_folder_sorted_threaded_and_paged(srv):
    """Roundcube's way: UID SORT (or UID THREAD) of the whole folder, with a
    search for the filter, then UID FETCH of one page of UIDs at a time."""
    user = srv.pool.pop()
    messages = corpus(LARGE, seed=4978)
    mine = pochta_append(srv, user, "INBOX", messages)
    oracle = dovecot_imap.DovecotImap(FAST_DIR)
    oracle.append_all("INBOX", messages)
    mine.cmd("s", "SELECT INBOX")
    oracle.cmd("SELECT INBOX")
    for criteria, search in (("(REVERSE DATE)", "ALL"), ("(ARRIVAL)", "UNSEEN"), ("(SUBJECT)", "ALL"),
                             ("(FROM REVERSE SIZE)", "OR SUBJECT topic FROM carol")):
        command = f"UID SORT {criteria} UTF-8 {search}"
        assert answer(mine.cmd("w", command), b"* SORT") == answer(oracle.cmd(command), b"* SORT"), command
    command = "UID THREAD REFERENCES UTF-8 ALL"
    assert answer(mine.cmd("t", command), b"* THREAD").rstrip() == answer(oracle.cmd(command), b"* THREAD").rstrip()

    # Paging: page 3 of 50 by date, newest first, fetched by its UIDs.
    uids = sorted_by(mine, "(REVERSE DATE) UTF-8 ALL")
    page = uids[100:150]
    lines = mine.cmd("f", "UID FETCH " + b",".join(page).decode() + " (INTERNALDATE BODY.PEEK[HEADER.FIELDS (DATE)])")
    sent = {}
    for line in untagged(lines, b"* "):
        uid = re.search(rb"UID (\d+)", line).group(1)
        date = re.search(rb"Date: ([^\r\n]+)", line)
        internal = re.search(rb'INTERNALDATE "([^"]+)"', line).group(1).decode()
        sent[uid] = (email.utils.parsedate_to_datetime(date.group(1).decode()) if date
                     else datetime.strptime(internal, "%d-%b-%Y %H:%M:%S %z"))
    assert sorted(sent) == sorted(page)
    dates = [sent[u] for u in page]
    assert dates == sorted(dates, reverse=True)
    mine.close()
    oracle.close()
