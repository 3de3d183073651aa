"""Mailing-list bounces, footers and digests end to end (README "Mailing
lists": "Bounces", "Footer", "Digests"). Bounces are RFC 3464 reports
built with python's email package and sent over SMTP to the members' VERP
addresses; the members' copies are caught by the relay sink and read back
with python's email parser, which is the oracle for the MIME structure of
the footer part and of the multipart/digest."""

import email
import sqlite3
from email.message import EmailMessage

import dkim
import pytest
from aiosmtpd.controller import Controller

import pochta_harness as h
from pochta_harness import ALICE
from test_lists import (CAROL, DAVE, DOMAIN, Sink, in_inbox, make_list, message, post,  # noqa: F401 (fixtures)
                        srv, zone)

GONE = "gone@remote.example"     # the sink refuses it: pochta's own queue bounces the copy


class RefusingSink(Sink):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == GONE:
            return f"550 5.1.1 <{GONE}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture(scope="module")
def sink():
    keep = RefusingSink()
    keep.port = h.free_port()
    controller = Controller(keep, hostname="127.0.0.1", port=keep.port, decode_data=False)
    controller.start()
    yield keep
    controller.stop()


def dsn(member, status, diagnostic, action="failed", text="Delivery to the following recipient failed."):
    """A delivery status notification (RFC 3464, RFC 6522) as a receiving MTA writes it."""
    return (f"From: MAILER-DAEMON@mx.remote.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\r\n"
            f"\r\n--R\r\nContent-Type: text/plain\r\n\r\n{text}\r\n"
            f"--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.remote.example\r\n\r\n"
            f"Final-Recipient: rfc822; {member}\r\nAction: {action}\r\nStatus: {status}\r\n"
            f"Diagnostic-Code: smtp; {diagnostic}\r\n\r\n"
            f"--R\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: someone@{DOMAIN}\r\n--R--\r\n").encode()


def bounce(srv, list_local, member, *args, **kw):
    verp = f"{list_local}+bounce-{member.replace('@', '=')}@{DOMAIN}"
    post(srv, "", verp, dsn(member, *args, **kw))


def members(srv, address):
    return srv.cli_ok("list", "members", address).decode().splitlines()


def test_hard_bounces_stop_delivery_dmarc_and_soft_ones_never_count(srv, sink):
    address = make_list(srv, "bouncy", CAROL, DAVE, f"{ALICE} owner", policy="open", bounce_threshold="1")
    # A refusal for the author's DMARC policy and a delay do not count.
    bounce(srv, "bouncy", DAVE, "5.7.1", "550 5.7.1 Email rejected per DMARC policy for strict.test")
    bounce(srv, "bouncy", DAVE, "4.2.2", "452 4.2.2 mailbox full", action="delayed")
    assert h.eventually(lambda: srv.log_text().count(f"bounce for member {DAVE}") >= 2, timeout=15)
    assert f"{DAVE} member on" in members(srv, address)
    log = srv.log_text()
    assert ": dmarc 5.7.1" in log and ": soft 4.2.2" in log
    # A permanent failure reaches the threshold (1): delivery stops, the
    # member and the owner are told.
    bounce(srv, "bouncy", DAVE, "5.1.1", "550 5.1.1 no such user")
    assert h.eventually(lambda: f"{DAVE} member on stopped-by-bounces" in members(srv, address), timeout=15)
    notice = sink.wait(f"Your delivery from {address} is stopped", DAVE)[0][2]
    assert f"bouncy-subscribe@{DOMAIN}".encode() in notice
    assert in_inbox(srv, ALICE, f"delivery to {DAVE} stopped by bounces")
    tok = h.token("after-bounce")
    post(srv, CAROL, address, message(tok, CAROL, address))
    sink.wait(tok, CAROL)
    assert not sink.find(tok, DAVE)
    # The command restarts it.
    srv.cli_ok("list", "enable", address, DAVE)
    assert f"{DAVE} member on" in members(srv, address)
    tok = h.token("enabled")
    post(srv, CAROL, address, message(tok, CAROL, address))
    sink.wait(tok, DAVE)
    # Stopped again, the member restarts it by subscribing by mail.
    bounce(srv, "bouncy", DAVE, "5.2.1", "550 5.2.1 mailbox disabled")
    assert h.eventually(lambda: f"{DAVE} member on stopped-by-bounces" in members(srv, address), timeout=15)
    post(srv, DAVE, f"bouncy-subscribe@{DOMAIN}", message(h.token("sub"), DAVE, f"bouncy-subscribe@{DOMAIN}"))
    confirm = email.message_from_bytes(sink.wait(f"Confirm: subscribe {address}", DAVE)[-1][2])["Reply-To"]
    post(srv, DAVE, confirm, message(h.token("yes"), DAVE, confirm))
    assert h.eventually(lambda: f"{DAVE} member on" in members(srv, address), timeout=15)
    shown = srv.cli_ok("list", "show", address).decode()
    assert f"bounces disable {DAVE} after bounces on 1 days" in shown and f"mail:{DAVE} enable {DAVE}" in shown


def test_a_member_the_queue_cannot_deliver_to_is_stopped_by_its_own_bounce(srv, sink):
    address = make_list(srv, "refused", CAROL, GONE, policy="open", bounce_threshold="1")
    tok = h.token("gone")
    post(srv, CAROL, address, message(tok, CAROL, address))
    sink.wait(tok, CAROL)
    assert h.eventually(lambda: f"{GONE} member on stopped-by-bounces" in members(srv, address), timeout=20)
    assert f"bounce for member {GONE} (from \"\"): hard 5.1.1" in srv.log_text()


def test_footer_is_appended_or_its_own_part(srv, sink, zone):
    address = make_list(srv, "footed", CAROL, policy="open", footer="--\nfooted list: write to footed-owner")
    tok = h.token("plain")
    post(srv, CAROL, address, message(tok, CAROL, address))
    (_f, _r, got), = sink.wait(tok, CAROL)
    msg = email.message_from_bytes(got)
    assert not msg.is_multipart()
    assert msg.get_payload().endswith(f"body {tok}\r\n--\r\nfooted list: write to footed-owner\r\n")
    assert dkim.DKIM(got).verify(dnsfunc=zone.dkim_dnsfunc)      # signed with the footer in
    assert "footer = --\\nfooted list: write to footed-owner\n" in srv.cli_ok("list", "show", address).decode()
    # A multipart/alternative post is wrapped: it stays whole, the footer follows.
    tok = h.token("alt")
    alt = EmailMessage()
    alt["From"], alt["To"], alt["Subject"] = CAROL, address, tok
    alt.set_content(f"text {tok}")
    alt.add_alternative(f"<p>html {tok}</p>", subtype="html")
    post(srv, CAROL, address, alt.as_bytes().replace(b"\n", b"\r\n"))
    (_f, _r, got), = sink.wait(tok, CAROL)
    msg = email.message_from_bytes(got)
    assert msg.get_content_type() == "multipart/mixed"
    first, footer = msg.get_payload()
    assert first.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in first.get_payload()] == ["text/plain", "text/html"]
    assert footer.get_content_type() == "text/plain"
    assert footer.get_payload(decode=True) == b"--\r\nfooted list: write to footed-owner\r\n"
    assert msg["Subject"] == tok and msg["List-Id"] == f"<footed.{DOMAIN}>"


def test_digest_members_get_one_multipart_digest_every_n_posts(srv, sink):
    address = make_list(srv, "digesty", DAVE, policy="open", digest_max_posts="2", description="Digesty")
    srv.cli_ok("list", "add", address, CAROL, "--delivery", "digest")
    toks = [h.token("dig1"), h.token("dig2")]
    for tok in toks:
        post(srv, DAVE, address, message(tok, DAVE, address))
        sink.wait(tok, DAVE)                                # each post at once to the others
    (mail_from, _r, got), = sink.wait("Digesty digest: 2 posts", CAROL)
    assert mail_from == f"digesty+bounce-carol=remote.example@{DOMAIN}"
    assert all(len(sink.find(tok, CAROL)) == 1 for tok in toks)      # the digest only, no post alone
    msg = email.message_from_bytes(got)
    assert msg.get_content_type() == "multipart/digest"
    assert msg["List-Id"] == f'"Digesty" <digesty.{DOMAIN}>'
    contents, *posts = msg.get_payload()
    assert contents.get_content_type() == "text/plain"
    text = contents.get_payload(decode=True).decode()
    assert f"1. {toks[0]} ({DAVE})" in text and f"2. {toks[1]} ({DAVE})" in text
    assert [p.get_content_type() for p in posts] == ["message/rfc822", "message/rfc822"]
    assert [p.get_payload()[0]["Subject"] for p in posts] == toks


def test_digest_goes_out_when_its_first_post_is_old_enough(srv, sink):
    """Last: it restarts the server."""
    address = make_list(srv, "daily", DAVE, policy="open")
    srv.cli_ok("list", "add", address, CAROL, "--delivery", "digest")
    tok = h.token("daily")
    post(srv, DAVE, address, message(tok, DAVE, address))
    sink.wait(tok, DAVE)
    assert h.eventually(lambda: "daily" in str(_waiting(srv)), timeout=15)
    assert not sink.find("daily@example.test digest", CAROL)
    # A day passes: the post is made older, and the sweep at the next start sends it.
    srv.stop()
    with sqlite3.connect(srv.folder / "data" / "index.db") as db:
        assert db.execute("UPDATE list_digest SET created = created - 86400").rowcount == 1
    srv.start()
    (_f, _r, got), = sink.wait("daily@example.test digest: 1 post", CAROL)
    posts = email.message_from_bytes(got).get_payload()[1:]
    assert len(posts) == 1 and posts[0].get_payload()[0]["Subject"] == tok
    assert h.eventually(lambda: not _waiting(srv), timeout=15)


def _waiting(srv):
    with sqlite3.connect(f"file:{srv.folder / 'data' / 'index.db'}?mode=ro", uri=True) as db:
        return db.execute("SELECT l.address FROM list_digest d JOIN lists l ON l.id = d.list_id").fetchall()
