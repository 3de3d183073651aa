"""CONDSTORE and QRESYNC (RFC 7162) over imaps, with a raw client for the
extension syntax and imaplib where its plain commands do."""

import re

import pytest

import pochta_harness as h
from conftest import shared_server
from test_imap import Raw, deliver, mail

USERS = [f"cs{i}@example.test" for i in range(20)]


@pytest.fixture(scope="module")
def server(pochta_bin, tls_cert, tmp_path_factory):
    users = {u: "{PLAIN}" + h.PASSWORD for u in USERS}
    with shared_server(pochta_bin, tls_cert, users, tmp_path_factory.mktemp("condstore"), pool=USERS,
                       listen=("smtp", "imaps")) as srv:
        yield srv


@pytest.fixture
def user(server):
    return server.pool.pop()


def login(server, user):
    c = Raw(server)
    assert c.cmd("L", f"LOGIN {user} {h.PASSWORD}")[-1].startswith(b"L OK")
    return c


def tagged(lines):
    return lines[-1]


def one(lines, pattern):
    found = [m for m in (re.search(pattern, line) for line in lines) if m]
    assert len(found) == 1, (pattern, lines)
    return found[0]


def highestmodseq(lines):
    return int(one(lines, rb"\[HIGHESTMODSEQ (\d+)\]").group(1))


def modseqs(lines):
    """{uid: modseq} from FETCH responses that carry both."""
    out = {}
    for line in lines:
        m = re.search(rb"FETCH \(.*UID (\d+).*MODSEQ \((\d+)\)", line) or \
            re.search(rb"FETCH \(.*MODSEQ \((\d+)\).*UID (\d+)", line)
        if m and b"MODSEQ (" in line:
            a, b = int(m.group(1)), int(m.group(2))
            uid, modseq = (a, b) if line.index(b"UID") < line.index(b"MODSEQ") else (b, a)
            out[uid] = modseq
    return out


def setup_messages(server, user, n=3):
    for i in range(n):
        deliver(server, user, mail(f"cs-{user}-{i}"))


def test_capability_and_enable(server, user):
    c = login(server, user)
    caps = c.cmd("C", "CAPABILITY")[0]
    assert b" CONDSTORE" in caps and b" QRESYNC" in caps
    lines = c.cmd("E", "ENABLE CONDSTORE")
    assert lines[0] == b"* ENABLED CONDSTORE"
    # Again: nothing newly enabled.
    assert c.cmd("E2", "ENABLE CONDSTORE X-UNKNOWN")[0] == b"* ENABLED"
    assert c.cmd("E3", "ENABLE QRESYNC")[0] == b"* ENABLED QRESYNC"
    c.close()


def test_select_reports_highestmodseq_and_status(server, user):
    c = login(server, user)
    empty = c.cmd("S0", "SELECT Archive")
    assert highestmodseq(empty) >= 1  # never 0, even for a mailbox never changed
    setup_messages(server, user, 2)
    lines = c.cmd("S", "SELECT INBOX (CONDSTORE)")
    assert tagged(lines).startswith(b"S OK [READ-WRITE]")
    hms = highestmodseq(lines)
    status = c.cmd("T", "STATUS INBOX (HIGHESTMODSEQ MESSAGES)")
    assert re.search(rb"\* STATUS INBOX \(HIGHESTMODSEQ %d MESSAGES 2\)" % hms, status[0]), status
    # CONDSTORE enabled by the SELECT parameter: STORE answers carry MODSEQ.
    lines = c.cmd("F", "STORE 1 +FLAGS (\\Flagged)")
    m = re.match(rb"\* 1 FETCH \(UID (\d+) FLAGS \(\\Flagged[^)]*\) MODSEQ \((\d+)\)\)", lines[0])
    assert m, lines
    assert int(m.group(2)) > hms
    c.close()


def test_fetch_modseq_and_changedsince(server, user):
    setup_messages(server, user, 3)
    c = login(server, user)
    c.cmd("S", "SELECT INBOX")
    lines = c.cmd("F1", "FETCH 1:* (MODSEQ)")
    assert tagged(lines).startswith(b"F1 OK")
    before = modseqs(lines)
    assert len(before) == 3
    base = max(before.values())
    c.cmd("F2", "STORE 2 +FLAGS.SILENT (\\Seen)")
    lines = c.cmd("F3", "FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % base)
    changed = modseqs(lines)
    assert list(changed) == [sorted(before)[1]] and changed[sorted(before)[1]] > base
    assert re.search(rb"\* 2 FETCH \(UID \d+ FLAGS \(\\Seen[^)]*\) MODSEQ", lines[0]), lines
    # iOS Mail's CHANGEDSINCE 0: everything.
    lines = c.cmd("F4", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 0)")
    assert len(modseqs(lines)) == 3
    # VANISHED needs QRESYNC enabled; a bad modifier is a BAD.
    assert tagged(c.cmd("F5", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)")).startswith(b"F5 BAD")
    assert tagged(c.cmd("F6", "FETCH 1:* (FLAGS) (CHANGEDSINCE x)")).startswith(b"F6 BAD")
    c.close()


def test_store_unchangedsince_reports_modified(server, user):
    setup_messages(server, user, 2)
    c = login(server, user)
    c.cmd("S", "SELECT INBOX")
    ms = modseqs(c.cmd("F", "FETCH 1:2 (MODSEQ)"))
    uid1, uid2 = sorted(ms)
    # Message 1 changes after the client read its MODSEQ.
    c.cmd("T", "STORE 1 +FLAGS.SILENT ($Label1)")
    lines = c.cmd("U", "STORE 1:2 (UNCHANGEDSINCE %d) +FLAGS (\\Flagged)" % max(ms.values()))
    assert tagged(lines).startswith(b"U OK [MODIFIED 1]"), lines
    assert any(re.match(rb"\* 2 FETCH \(UID %d FLAGS \(\\Flagged[^)]*\) MODSEQ" % uid2, x) for x in lines), lines
    assert not any(line.startswith(b"* 1 FETCH") for line in lines[:-1])
    # UID form reports UIDs; .SILENT still reports the new MODSEQ.
    now = modseqs(c.cmd("F2", "FETCH 2 (MODSEQ)"))[uid2]
    c.cmd("T2", "STORE 1 +FLAGS.SILENT ($Label2)")
    lines = c.cmd("V", "UID STORE %d,%d (UNCHANGEDSINCE %d) -FLAGS.SILENT (\\Flagged)" % (uid1, uid2, now))
    assert tagged(lines).startswith(b"V OK [MODIFIED %d]" % uid1), lines
    assert re.match(rb"\* 2 FETCH \(UID %d MODSEQ \((\d+)\)\)" % uid2, lines[0]), lines
    # UNCHANGEDSINCE 0 fails for every message.
    assert tagged(c.cmd("W", "STORE 1:2 (UNCHANGEDSINCE 0) +FLAGS (\\Seen)")).startswith(b"W OK [MODIFIED 1:2]")
    assert tagged(c.cmd("X", "STORE 1 (UNCHANGEDSINCE) +FLAGS (\\Seen)")).startswith(b"X BAD")
    c.close()


def test_search_modseq(server, user):
    setup_messages(server, user, 3)
    c = login(server, user)
    c.cmd("S", "SELECT INBOX")
    ms = modseqs(c.cmd("F", "FETCH 1:* (MODSEQ)"))
    c.cmd("T", "STORE 3 +FLAGS (\\Answered)")
    top = modseqs(c.cmd("F2", "FETCH 3 (MODSEQ)"))[sorted(ms)[2]]
    lines = c.cmd("Q", "SEARCH MODSEQ %d" % (max(ms.values()) + 1))
    assert lines[0] == b"* SEARCH 3 (MODSEQ %d)" % top, lines
    lines = c.cmd("R", "UID SEARCH RETURN (COUNT) MODSEQ \"/flags/\\\\answered\" all 1")
    assert re.match(rb'\* ESEARCH \(TAG "R"\) UID COUNT 3 MODSEQ %d' % top, lines[0]), lines
    assert c.cmd("N", "SEARCH MODSEQ %d" % (top + 1))[0] == b"* SEARCH"
    c.close()


def test_other_sessions_flag_changes_carry_modseq(server, user):
    setup_messages(server, user, 1)
    a, b = login(server, user), login(server, user)
    a.cmd("E", "ENABLE CONDSTORE")
    a.cmd("S", "SELECT INBOX")
    b.cmd("S", "SELECT INBOX")
    b.cmd("T", "STORE 1 +FLAGS (\\Flagged)")
    lines = a.cmd("N", "NOOP")
    assert re.match(rb"\* 1 FETCH \(UID \d+ FLAGS \(\\Flagged[^)]*\) MODSEQ \(\d+\)\)", lines[0]), lines
    a.close()
    b.close()


# --- QRESYNC ---------------------------------------------------------------

def test_qresync_select_reports_vanished_and_changes(server, user):
    setup_messages(server, user, 5)
    c = login(server, user)
    lines = c.cmd("S", "SELECT INBOX")
    uidvalidity = int(one(lines, rb"\[UIDVALIDITY (\d+)\]").group(1))
    known = highestmodseq(lines)
    uids = sorted(modseqs(c.cmd("F", "FETCH 1:* (MODSEQ)")))
    # Changes while the client is away: one flag change, two expunges.
    c.cmd("T", "UID STORE %d +FLAGS (\\Deleted)" % uids[1])
    c.cmd("T2", "UID STORE %d +FLAGS (\\Deleted)" % uids[3])
    c.cmd("X", "EXPUNGE")
    c.cmd("T3", "UID STORE %d +FLAGS (\\Answered)" % uids[4])
    c.cmd("U", "UNSELECT")

    assert tagged(c.cmd("B", "SELECT INBOX (QRESYNC (%d %d))" % (uidvalidity, known))).startswith(b"B BAD")
    assert c.cmd("E", "ENABLE QRESYNC")[0] == b"* ENABLED QRESYNC"
    lines = c.cmd("Q", "SELECT INBOX (QRESYNC (%d %d 1:* (1:5 %s)))" % (uidvalidity, known, ",".join(map(str, uids))))
    assert tagged(lines).startswith(b"Q OK [READ-WRITE]")
    vanished = one(lines, rb"^\* VANISHED \(EARLIER\) (\S+)$").group(1)
    assert vanished == b"%d,%d" % (uids[1], uids[3])
    changed = modseqs(lines)
    assert set(changed) == {uids[4]}
    assert lines.index(next(x for x in lines if x.startswith(b"* VANISHED"))) < \
        lines.index(next(x for x in lines if b"FETCH" in x))
    # Known UIDs limit what is reported.
    lines = c.cmd("Q2", "EXAMINE INBOX (QRESYNC (%d %d %d))" % (uidvalidity, known, uids[1]))
    assert lines[0] == b"* OK [CLOSED] Previous mailbox closed"
    assert one(lines, rb"^\* VANISHED \(EARLIER\) (\S+)$").group(1) == b"%d" % uids[1]
    assert not modseqs(lines)
    # A wrong UIDVALIDITY: a plain SELECT.
    lines = c.cmd("Q3", "SELECT INBOX (QRESYNC (%d %d))" % (uidvalidity + 1, known))
    assert not any(b"VANISHED" in x or b"FETCH" in x for x in lines)
    assert tagged(c.cmd("Q4", "SELECT INBOX (QRESYNC (0 1))")).startswith(b"Q4 BAD")
    c.close()


def test_qresync_expunges_are_vanished(server, user):
    setup_messages(server, user, 4)
    a, b = login(server, user), login(server, user)
    a.cmd("E", "ENABLE QRESYNC")
    a.cmd("S", "SELECT INBOX")
    uids = sorted(modseqs(a.cmd("F", "FETCH 1:* (MODSEQ)")))
    # Our own expunge.
    a.cmd("T", "STORE 1 +FLAGS.SILENT (\\Deleted)")
    lines = a.cmd("X", "EXPUNGE")
    assert lines[0] == b"* VANISHED %d" % uids[0], lines
    # The tagged OK carries the new HIGHESTMODSEQ, which STATUS agrees with.
    after = int(re.match(rb"X OK \[HIGHESTMODSEQ (\d+)\]", lines[-1]).group(1))
    status = a.cmd("T2", "STATUS INBOX (HIGHESTMODSEQ)")[0]
    assert status == b"* STATUS INBOX (HIGHESTMODSEQ %d)" % after, status
    # Another session's expunge.
    b.cmd("S", "SELECT INBOX")
    b.cmd("T", "UID STORE %d,%d +FLAGS.SILENT (\\Deleted)" % (uids[1], uids[2]))
    b.cmd("X", "EXPUNGE")
    lines = a.cmd("N", "NOOP")
    assert b"* VANISHED %d:%d" % (uids[1], uids[2]) in lines, lines
    assert not any(b"EXPUNGE" in x for x in lines[:-1])
    # MOVE.
    lines = a.cmd("M", "UID MOVE %d Archive" % uids[3])
    assert lines[0].startswith(b"* OK [COPYUID ")
    assert lines[1] == b"* VANISHED %d" % uids[3], lines
    # UID FETCH (CHANGEDSINCE n VANISHED) lists every expunge since n.
    lines = a.cmd("V", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)")
    assert lines[0] == b"* VANISHED (EARLIER) %d:%d" % (uids[0], uids[3]), lines
    a.close()
    b.close()


def test_enable_while_selected_reports_highestmodseq(server, user):
    setup_messages(server, user, 1)
    c = login(server, user)
    lines = c.cmd("S", "SELECT INBOX")
    hms = highestmodseq(lines)
    lines = c.cmd("E", "ENABLE CONDSTORE")
    assert lines[0] == b"* OK [HIGHESTMODSEQ %d] Highest" % hms, lines
    assert lines[1] == b"* ENABLED CONDSTORE"
    c.close()


def test_idle_with_qresync_hears_vanished(server, user):
    setup_messages(server, user, 2)
    a, b = login(server, user), login(server, user)
    a.cmd("E", "ENABLE QRESYNC")
    a.cmd("S", "SELECT INBOX")
    b.cmd("S", "SELECT INBOX")
    a.send(b"I IDLE\r\n")
    assert a.line().startswith(b"+ ")
    b.cmd("T", "STORE 1 +FLAGS.SILENT (\\Deleted)")
    b.cmd("X", "EXPUNGE")
    seen = []  # maybe the \Deleted flag first, then the expunge
    while b"* VANISHED 1" not in seen:
        seen.append(a.line())
    assert not any(b"EXPUNGE" in x for x in seen)
    a.send(b"DONE\r\n")
    assert a.until("I")[-1].startswith(b"I OK")
    a.close()
    b.close()
