"""Mailing lists end to end (README "Mailing lists"): lists made with
`pochta list`, posts over real SMTP to the MX listener, the copies caught
by a relay sink (remote members) and in local users' mailboxes. The
DMARC-safe From rewrite is judged by independent code at a "receiver":
dkimpy verifies pochta's signature and authheaders computes DMARC."""

import email
import re
import threading
import time

import authheaders
import dkim
import pytest
from aiosmtpd.controller import Controller

import pochta_harness as h
from dns_zone import DnsZone
from pochta_harness import ALICE, BOB, PASSWORD

DOMAIN = "example.test"
STRICT = "strict.test"      # an author domain that publishes p=reject, like Yahoo
CAROL = "carol@remote.example"
DAVE = "dave@remote.example"


class Sink:
    """Keeps (mail_from, rcpt, message) of everything relayed to it."""

    def __init__(self):
        self.mail = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.mail.append((envelope.mail_from, rcpt, envelope.original_content or envelope.content))
        return "250 2.0.0 Ok"

    def find(self, token, rcpt=None):
        with self.lock:
            return [m for m in self.mail if token.encode() in m[2] and (rcpt is None or m[1] == rcpt)]

    def wait(self, token, rcpt=None, count=1, timeout=20):
        found = h.eventually(lambda: len(self.find(token, rcpt)) >= count and self.find(token, rcpt), timeout=timeout)
        assert found, f"{token} never reached the sink for {rcpt}"
        return found


@pytest.fixture(scope="module")
def zone():
    with DnsZone() as z:
        # The strict author's mail passes SPF at our MX, and asks receivers
        # to refuse mail from its domain that fails DMARC.
        z.add(STRICT, "TXT", ["v=spf1 ip4:127.0.0.1 -all"])
        z.add(f"_dmarc.{STRICT}", "TXT", ["v=DMARC1; p=reject"])
        z.add(f"_dmarc.{DOMAIN}", "TXT", ["v=DMARC1; p=reject"])
        yield z


@pytest.fixture(scope="module")
def sink():
    keep = Sink()
    port = h.free_port()
    controller = Controller(keep, hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()
    keep.port = port
    yield keep
    controller.stop()


@pytest.fixture(scope="module")
def srv(pochta_bin, tls_cert, default_users, tmp_path_factory, zone, sink):
    from conftest import ServerFactory
    factory = ServerFactory(pochta_bin, tls_cert, default_users, tmp_path_factory.mktemp("lists"))
    server = factory(start=False, dns_zone=zone)
    text = server.config.read_text()
    server.config.write_text(re.sub(r'relay = "127\.0\.0\.1:\d+"',
                                    f'relay = "127.0.0.1:{sink.port}"\nretry_schedule = "1s"', text))
    out = server.cli_ok("dkim", "keygen", DOMAIN, "--selector", "l1").decode()
    m = re.search(r"^(\S+)\. IN TXT (.*)$", out, re.M)
    zone.add(m.group(1), "TXT", re.findall(r'"([^"]*)"', m.group(2)))
    server.start()
    yield server
    problems = factory.finish()
    assert not problems, "\n".join(problems)


def make_list(srv, name, *people, **settings):
    address = f"{name}@{DOMAIN}"
    srv.cli_ok("list", "create", address)
    for person in people:
        address_and_roles = person.split()
        srv.cli_ok("list", "add", address, *address_and_roles)
    for key, value in settings.items():
        srv.cli_ok("list", "set", address, key, value)
    return address


def post(srv, sender, rcpt, message):
    with srv.raw("smtp") as c:
        c.ehlo()
        r = c.transaction(sender, [rcpt], message)
        assert r.code == 250, r


def submit(srv, rcpt, message):
    with srv.smtp("submissions") as s:
        s.login(ALICE, PASSWORD)
        s.sendmail(ALICE, [rcpt], message)


def message(tok, author, to, subject=None, extra=""):
    return (f"From: Someone <{author}>\r\nTo: {to}\r\nSubject: {subject or tok}\r\n"
            f"Message-ID: <{tok}@client.test>\r\n{extra}\r\nbody {tok}\r\n").encode()


def receiver_dns(zone):
    """authheaders asks one function for DKIM keys (bytes, as dkimpy wants)
    and DMARC records (text)."""
    def lookup(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        found = zone.dkim_dnsfunc(name, timeout)
        return found.decode("latin-1") if found and name.startswith("_dmarc.") else found
    return lookup


def header(raw, name):
    return email.message_from_bytes(raw).get(name)


def in_inbox(srv, user, tok, timeout=15):
    found = h.eventually(lambda: srv.find(user, tok), timeout=timeout)
    assert found, f"{tok} not in {user}'s INBOX"
    return found


# --- management ---------------------------------------------------------------

def test_cli_manages_lists_and_logs_every_change(srv):
    address = make_list(srv, "cli", f"{CAROL}", f"{BOB} moderator owner", policy="announce")
    srv.cli_ok("list", "add", address, DAVE, "--delivery", "off")
    members = srv.cli_ok("list", "members", address).decode().splitlines()
    assert members == [f"{BOB} moderator,owner on", f"{CAROL} member on", f"{DAVE} member off"]
    srv.cli_ok("list", "remove", address, DAVE)
    srv.cli_ok("list", "remove", address, BOB, "owner")
    shown = srv.cli_ok("list", "show", address).decode()
    assert "policy = announce" in shown and "members 1 moderators 1 owners 0" in shown
    log = [l for l in shown.splitlines() if l.startswith("log ")]
    assert [l.split(" ", 3)[3] for l in log] == [
        "create", f"set {CAROL} member delivery=on", f"set {BOB} moderator,owner delivery=on",
        "setting policy=announce", f"set {DAVE} member delivery=off", f"remove {DAVE}",
        f"set {BOB} moderator delivery=on"]
    assert all(l.split()[2] == "cli" for l in log)
    # Refusals: a bad value, an unknown setting, a user's address, a list twice.
    assert srv.cli("list", "set", address, "policy", "everyone").returncode == 1
    assert srv.cli("list", "set", address, "colour", "red").returncode == 1
    assert srv.cli("list", "set", address, "subject_prefix", "a\nb").returncode == 1
    assert srv.cli("list", "create", ALICE).returncode == 1
    assert srv.cli("list", "create", address).returncode == 1
    assert srv.cli("list", "create", "x@remote.example").returncode == 1
    srv.cli_ok("list", "delete", address)
    assert srv.cli("list", "show", address).returncode == 1


# --- posting ----------------------------------------------------------------

def test_member_post_reaches_members_with_list_headers(srv, sink):
    address = make_list(srv, "staff", CAROL, ALICE, subject_prefix="[staff]", description="Staff")
    tok = h.token("post")
    post(srv, CAROL, address, message(tok, CAROL, address))
    (mail_from, _rcpt, got), = sink.wait(tok, CAROL)
    assert mail_from == f"staff+bounce-carol=remote.example@{DOMAIN}"     # VERP
    msg = email.message_from_bytes(got)
    assert msg["List-Id"] == f'"Staff" <staff.{DOMAIN}>'
    assert msg["List-Post"] == f"<mailto:{address}>"
    assert msg["List-Unsubscribe"] == f"<mailto:staff-unsubscribe@{DOMAIN}>"
    assert msg["List-Subscribe"] == f"<mailto:staff-subscribe@{DOMAIN}>"
    assert msg["List-Owner"] == f"<mailto:staff-owner@{DOMAIN}>"
    assert msg["List-Help"] == f"<mailto:staff-owner@{DOMAIN}?subject=help>"
    assert msg["Subject"] == f"[staff] {tok}"
    assert msg["From"] == f"Someone <{CAROL}>"            # remote.example has no DMARC policy
    assert "DKIM-Signature" in msg
    local = in_inbox(srv, ALICE, tok)[0]
    assert f"List-Id: \"Staff\" <staff.{DOMAIN}>".encode() in local
    # A reply keeps one prefix.
    tok2 = h.token("re")
    post(srv, CAROL, address, message(tok2, CAROL, address, subject=f"Re: [staff] {tok2}"))
    assert header(sink.wait(tok2, CAROL)[0][2], "Subject") == f"Re: [staff] {tok2}"


def test_stranger_post_is_held_then_approved_by_reply(srv, sink):
    address = make_list(srv, "held", CAROL, f"{ALICE} moderator")
    tok = h.token("held")
    post(srv, DAVE, address, message(tok, DAVE, address))
    # The author is told; the moderator gets the post with the approve address.
    notice = sink.wait(f"Your post to {address} is held", DAVE)
    assert notice[0][0] in ("", "<>")                       # notices go with the null sender
    held = in_inbox(srv, ALICE, tok)[0]
    approve = re.search(rb"(held\+approve-[0-9]+\.[0-9a-f]+@example\.test)", held).group(1).decode()
    reject = approve.replace("+approve-", "+reject-")
    assert header(held, "Reply-To") == approve
    assert not sink.find(tok, CAROL)
    # A forged token and a stranger's approval do nothing (but are answered).
    forged = approve[:-len(DOMAIN) - 2] + ("0" if approve[-len(DOMAIN) - 2] != "0" else "1") + "@" + DOMAIN
    submit(srv, forged, message(h.token("forge"), ALICE, forged))
    post(srv, DAVE, approve, message(h.token("self"), DAVE, approve))
    sink.wait("not accepted", DAVE, count=1)
    time.sleep(1)
    assert not sink.find(tok, CAROL)
    # The moderator approves by replying.
    submit(srv, approve, message(h.token("ok"), ALICE, approve))
    (mail_from, _r, got), = sink.wait(tok, CAROL)
    assert header(got, "List-Id") == f"<held.{DOMAIN}>"
    # Once approved it is gone: a reject now is answered "already".
    submit(srv, reject, message(h.token("late"), ALICE, reject))
    assert h.eventually(lambda: srv.find(ALICE, "approved, rejected or expired already"), timeout=15)


def test_policies_announce_and_moderated(srv, sink):
    announce = make_list(srv, "news", CAROL, f"{ALICE} moderator", policy="announce", non_member="reject")
    tok = h.token("ann")
    post(srv, CAROL, announce, message(tok, CAROL, announce))      # a member, not a moderator
    refused = sink.wait(f"Your mail to {announce} was not accepted", CAROL)
    assert tok.encode() in refused[0][2]                              # the post attached, not dropped
    tok = h.token("ann-ok")
    submit(srv, announce, message(tok, ALICE, announce))              # the moderator posts
    sink.wait(tok, CAROL)

    moderated = make_list(srv, "mod", CAROL, f"{BOB} moderator", policy="moderated")
    tok = h.token("mod")
    post(srv, CAROL, moderated, message(tok, CAROL, moderated))
    assert in_inbox(srv, BOB, tok)                                    # held for bob
    sink.wait(f"Your post to {moderated} is held", CAROL)


def test_unknown_list_address_is_refused(srv):
    with srv.raw("smtp") as c:
        c.ehlo()
        assert c.cmd(f"MAIL FROM:<{CAROL}>").code == 250
        assert c.cmd(f"RCPT TO:<nolist-subscribe@{DOMAIN}>").code == 550
        assert c.cmd(f"RCPT TO:<staff+approve-1.00@{DOMAIN}>").code in (250, 550)


# --- subscription -------------------------------------------------------------

def confirm_address(sink, list_local, who, what):
    got = sink.wait(f"Confirm: {what} {list_local}@{DOMAIN}", who)[-1][2]
    return header(got, "Reply-To")


def test_subscribe_and_unsubscribe_with_confirmation(srv, sink):
    address = make_list(srv, "club", CAROL, f"{ALICE} owner", notify_owners="yes")
    post(srv, DAVE, f"club-subscribe@{DOMAIN}", message(h.token("sub"), DAVE, f"club-subscribe@{DOMAIN}"))
    confirm = confirm_address(sink, "club", DAVE, "subscribe")
    assert re.fullmatch(r"club\+confirm-\d+\.[0-9a-f]{20}@example\.test", confirm)
    assert DAVE not in srv.cli_ok("list", "members", address).decode()
    post(srv, DAVE, confirm, message(h.token("yes"), DAVE, confirm))
    sink.wait(f"You are now subscribed to {address}", DAVE)
    assert f"{DAVE} member on" in srv.cli_ok("list", "members", address).decode()
    assert in_inbox(srv, ALICE, f"subscribed {DAVE}")                  # the owner is told
    assert f"mail:{DAVE} set {DAVE} member" in srv.cli_ok("list", "show", address).decode()
    # The token is used up.
    post(srv, DAVE, confirm, message(h.token("again"), DAVE, confirm))
    sink.wait("expired or was used", DAVE)
    # Leaving, with '+' this time.
    post(srv, DAVE, f"club+unsubscribe@{DOMAIN}", message(h.token("unsub"), DAVE, f"club+unsubscribe@{DOMAIN}"))
    confirm = confirm_address(sink, "club", DAVE, "unsubscribe")
    post(srv, DAVE, confirm, message(h.token("bye"), DAVE, confirm))
    sink.wait(f"You are now unsubscribed to {address}", DAVE)
    assert DAVE not in srv.cli_ok("list", "members", address).decode()


def test_owner_address_reaches_owners(srv):
    make_list(srv, "owned", CAROL, f"{BOB} owner")
    tok = h.token("own")
    post(srv, DAVE, f"owned-owner@{DOMAIN}", message(tok, DAVE, f"owned-owner@{DOMAIN}"))
    assert in_inbox(srv, BOB, tok)


# --- DMARC-safe distribution --------------------------------------------------

def test_strict_dmarc_author_is_rewritten_and_passes_dmarc_at_receiver(srv, sink, zone):
    address = make_list(srv, "open", CAROL, policy="open", description="Open list")
    author = f"yahoo-user@{STRICT}"
    tok = h.token("dmarc")
    post(srv, author, address, message(tok, author, address))
    (_from, _r, got), = sink.wait(tok, CAROL)
    msg = email.message_from_bytes(got)
    assert msg["From"] == f'"Someone via Open list" <{address}>'
    assert msg["Reply-To"] == f"Someone <{author}>"
    assert dkim.DKIM(got).verify(dnsfunc=zone.dkim_dnsfunc)
    verdict = authheaders.authenticate_message(got, "receiver.test", spf=False, dkim=True, dmarc=True,
                                               dnsfunc=receiver_dns(zone))
    assert "dmarc=pass" in verdict and f"header.from={DOMAIN}" in verdict, verdict
    # Unrewritten, the same post would fail DMARC at the receiver.
    original = message(tok, author, address)
    verdict = authheaders.authenticate_message(original, "receiver.test", spf=False, dkim=True, dmarc=True,
                                               dnsfunc=receiver_dns(zone))
    assert "dmarc=fail" in verdict, verdict


# --- loops --------------------------------------------------------------------

def test_lists_that_contain_themselves_never_loop(srv, sink):
    selfish = make_list(srv, "selfish", CAROL, policy="open")
    srv.cli_ok("list", "add", selfish, selfish)
    a = make_list(srv, "ring-a", CAROL, policy="open")
    b = make_list(srv, "ring-b", DAVE, a, policy="open")
    srv.cli_ok("list", "add", a, b)
    tok = h.token("self")
    post(srv, CAROL, selfish, message(tok, CAROL, selfish))
    tok2 = h.token("ring")
    post(srv, CAROL, a, message(tok2, CAROL, a))
    sink.wait(tok, CAROL)
    sink.wait(tok2, DAVE)
    time.sleep(2)
    assert len(sink.find(tok, CAROL)) == 1
    assert len(sink.find(tok2, CAROL)) == 1 and len(sink.find(tok2, DAVE)) == 1
    assert h.eventually(lambda: "came back to the list" in srv.log_text())


# --- expiry (last: it restarts the server) -------------------------------------

def test_held_post_expires_with_a_notice_to_its_author(srv, sink):
    import sqlite3
    address = make_list(srv, "slow", CAROL, f"{BOB} moderator")
    tok = h.token("expire")
    post(srv, DAVE, address, message(tok, DAVE, address))
    assert in_inbox(srv, BOB, tok)
    # Seven days pass: the held post's expiry is moved into the past, and the
    # sweep at the next start finds it.
    srv.stop()
    with sqlite3.connect(srv.folder / "data" / "index.db") as db:
        assert db.execute("UPDATE list_pending SET expires = 1 WHERE kind = 1").rowcount >= 1
    srv.start()
    (_f, _r, notice), = sink.wait(f"Your post to {address} expired", DAVE)
    assert tok.encode() in notice                                     # the post attached
    assert not sink.find(tok, CAROL)
    assert "expired" in srv.log_text()
