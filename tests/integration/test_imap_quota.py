"""QUOTA (RFC 9208): limits from [quota] and from the users file's
userdb_quota_rule, GETQUOTA/GETQUOTAROOT/SETQUOTA, STATUS DELETED-STORAGE,
APPEND and COPY refused with [OVERQUOTA] (MOVE allowed), SMTP refusing with
452 4.2.2 at RCPT (mailbox full) and at the end of DATA (this message would
not fit) with nothing stored, the mail arriving once space is freed, the
fill-level warning, and `pochta quota`."""

import re

import pytest

import pochta_harness as h
from conftest import shared_server
from test_imap_rev2 import Raw, tagged, untagged

DEFAULT = "plain@example.test"          # [quota] storage = "1M"
SMALL = "small@example.test"            # *:storage=20k
FEW = "few@example.test"                # *:messages=3
WARNED = "warned@example.test"          # *:storage=20k, for the warning
BOTH = "both@example.test"              # *:storage=20k, for DELETED-STORAGE and the CLI
PASSWORD = "{PLAIN}" + h.PASSWORD


def rule(text):
    return PASSWORD + "::::::" + text  # Dovecot's passwd-file: the 8th field holds extra fields


@pytest.fixture(scope="module")
def srv(pochta_bin, tls_cert, tmp_path_factory):
    users = {DEFAULT: PASSWORD, SMALL: rule("userdb_quota_rule=*:storage=20k"),
             FEW: rule("userdb_quota_rule=*:messages=3"), WARNED: rule("userdb_quota_rule=*:storage=20k"),
             BOTH: rule("userdb_quota_rule=*:storage=20k userdb_quota_rule2=*:messages=100")}
    config = '[quota]\nstorage = "1M"\nwarning_percent = 50'
    with shared_server(pochta_bin, tls_cert, users, tmp_path_factory.mktemp("quota"),
                       listen=("smtp", "imaps"), extra_config=config) as s:
        yield s


def mail(tag, size):
    body = ("x" * 76 + "\r\n") * (size // 78)
    return (f"From: <{h.REMOTE_SENDER}>\r\nTo: <someone@example.test>\r\nSubject: {tag}\r\n"
            f"Message-ID: <{tag}@remote.example>\r\n\r\n{body}").encode()


def smtp_send(server, rcpt, message):
    """(RCPT reply, DATA reply or None) of one transaction."""
    with server.raw() as c:
        c.ehlo()
        assert c.cmd(f"MAIL FROM:<{h.REMOTE_SENDER}>").code == 250
        r = c.cmd(f"RCPT TO:<{rcpt}>")
        if r.code != 250:
            return r, None
        assert c.cmd("DATA").code == 354
        c.send(h.dot_stuff(message) + b".\r\n")
        return r, c.reply()


def subjects(server, user, mailbox="INBOX"):
    return [re.search(rb"Subject: ([^\r\n]*)", m).group(1).decode() for m in server.messages(user, mailbox)]


def test_capabilities_and_commands(srv):
    r = Raw(srv, DEFAULT)
    caps = r.cmd("c", "CAPABILITY")[0].split()
    for cap in (b"QUOTA", b"QUOTA=RES-STORAGE", b"QUOTA=RES-MESSAGE"):
        assert cap in caps
    lines = r.cmd("q1", "GETQUOTAROOT INBOX")
    assert untagged(lines, b"* QUOTAROOT") == [b'* QUOTAROOT INBOX ""']
    assert untagged(lines, b"* QUOTA ") == [b'* QUOTA "" (STORAGE 0 1024)']
    assert tagged(r.cmd("q2", 'GETQUOTA ""')).startswith(b"q2 OK")
    assert tagged(r.cmd("q3", 'GETQUOTA "other"')).startswith(b"q3 NO [NONEXISTENT]")
    assert tagged(r.cmd("q4", 'SETQUOTA "" (STORAGE 99999)')).startswith(b"q4 NO [NOPERM]")
    assert tagged(r.cmd("q5", "GETQUOTAROOT Nowhere")).startswith(b"q5 NO [NONEXISTENT]")
    r.close()
    r = Raw(srv, BOTH)
    assert untagged(r.cmd("q6", "GETQUOTAROOT INBOX"), b"* QUOTA ") == [b'* QUOTA "" (STORAGE 0 20 MESSAGE 0 100)']
    r.close()


def test_smtp_refuses_at_data_then_accepts_after_expunge(srv):
    for i in range(3):
        rcpt, data = smtp_send(srv, SMALL, mail(f"s{i}", 6000))
        assert data.code == 250, data
    # 18 KB used of 20: this one would not fit; nothing of it is stored.
    rcpt, data = smtp_send(srv, SMALL, mail("s-big", 6000))
    assert rcpt.code == 250 and data.code == 452 and data.enhanced == "4.2.2", data
    assert "s-big" not in subjects(srv, SMALL)
    # Space freed: the sender's retry goes through.
    r = Raw(srv, SMALL)
    r.cmd("a", "SELECT INBOX")
    r.cmd("b", "STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert tagged(r.cmd("c", "EXPUNGE")).startswith(b"c OK")
    r.close()
    rcpt, data = smtp_send(srv, SMALL, mail("s-big", 6000))
    assert data.code == 250, data
    assert "s-big" in subjects(srv, SMALL)


def test_smtp_refuses_at_rcpt_when_full(srv):
    # Three messages fill it (the fill-level warning, never refused, may
    # be one of them); the next recipient is refused at RCPT.
    for i in range(3):
        rcpt, data = smtp_send(srv, FEW, mail(f"f{i}", 500))
        if rcpt.code == 452:
            break
        if data.code == 452 and data.enhanced == "4.2.2":
            break   # the warning, stored meanwhile, took the last place
        assert data.code == 250, data
    h.eventually(lambda: len(srv.message_list(FEW)) >= 3)
    stored = len(srv.message_list(FEW))
    rcpt, data = smtp_send(srv, FEW, mail("f-more", 500))
    assert rcpt.code == 452 and rcpt.enhanced == "4.2.2" and data is None, rcpt
    assert len(srv.message_list(FEW)) == stored and "f-more" not in subjects(srv, FEW)
    # Other recipients of the same transaction still get it.
    with srv.raw() as c:
        c.ehlo()
        c.cmd(f"MAIL FROM:<{h.REMOTE_SENDER}>")
        assert c.cmd(f"RCPT TO:<{FEW}>").code == 452
        assert c.cmd(f"RCPT TO:<{DEFAULT}>").code == 250
        assert c.cmd("DATA").code == 354
        c.send(h.dot_stuff(mail("f-other", 500)) + b".\r\n")
        assert c.reply().code == 250
    assert "f-other" in subjects(srv, DEFAULT)


def test_append_and_copy_over_quota(srv):
    r = Raw(srv, BOTH)
    assert tagged(r.append("a1", "INBOX", mail("b1", 12000), literal8=False)).startswith(b"a1 OK")
    assert tagged(r.append("a2", "INBOX", mail("b2", 12000), literal8=False)).startswith(b"a2 NO [OVERQUOTA]")
    r.cmd("s", "SELECT INBOX")
    assert tagged(r.cmd("c1", "COPY 1 Archive")).startswith(b"c1 NO [OVERQUOTA]")
    assert tagged(r.cmd("m1", "MOVE 1 Archive")).startswith(b"m1 OK")  # the usage stays the same
    assert tagged(r.cmd("s2", "SELECT Archive")).startswith(b"s2 OK")
    r.cmd("f", "STORE 1 +FLAGS.SILENT (\\Deleted)")
    status = untagged(r.cmd("st", "STATUS Archive (DELETED DELETED-STORAGE)"), b"* STATUS")[0]
    size = srv.message_list(BOTH, "Archive")[0][1]
    assert status.endswith(f"(DELETED 1 DELETED-STORAGE {(size + 1023) // 1024})".encode()), status
    r.close()
    out = srv.cli_ok("quota", BOTH)
    stored = sum(m[1] for m in srv.message_list(BOTH, "Archive"))
    assert out.decode().split() == ["storage", str(stored), "20480", "messages", "1", "100"], out


def test_warning_at_fill_level(srv):
    assert smtp_send(srv, WARNED, mail("w1", 6000))[1].code == 250
    assert not any("full" in s for s in subjects(srv, WARNED))
    assert smtp_send(srv, WARNED, mail("w2", 6000))[1].code == 250  # 12 KB of 20: past 50%
    h.eventually(lambda: any("50% full" in s for s in subjects(srv, WARNED)))
    assert smtp_send(srv, WARNED, mail("w3", 1000))[1].code == 250
    assert sum("full" in s for s in subjects(srv, WARNED)) == 1  # once per crossing
