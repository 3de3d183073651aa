"""Forwarding with SRS (README.md, "Forwarding with SRS"): an alias that
sends mail on to another domain rewrites the envelope sender, and a bounce
to that address comes back to the original sender. The outside world is an
aiosmtpd sink as relay; the SRS addresses are checked by Mail::SRS
(Debian's libmail-srs-perl), an independent implementation, with the
secret pochta created."""

import subprocess
import time

import pytest

import pochta_harness as h
from pochta_harness import ALICE, BOB
from test_outbound import Sink, outbound_server

SENDER = "sender@remote.example"
FORWARD_TO = "someone@outside.example"
ALIASES = (
    f"fwd@example.test: {FORWARD_TO}\n"
    f"mix@example.test: {BOB}, {FORWARD_TO}\n"
)


def mail_srs(secret, method, address, days_ago=0):
    """Mail::SRS forward (address = the sender) or reverse (the SRS address);
    forward at a time `days_ago` days back."""
    script = r"""
use Mail::SRS;
my ($secret, $method, $address, $days_ago) = @ARGV;
no warnings 'redefine';
my $orig = \&Mail::SRS::timestamp_create;
*Mail::SRS::timestamp_create = sub { $orig->($_[0], time() - $days_ago * 86400) };
my $srs = Mail::SRS->new(Secret => [$secret], MaxAge => 21, AlwaysRewrite => 1);
my $out = $method eq 'forward' ? $srs->forward($address, 'x@example.test') : eval { $srs->reverse($address) };
print defined $out ? $out : "ERROR $@";
"""
    out = subprocess.run(["perl", "-e", script, secret, method, address, str(days_ago)],
                         capture_output=True, text=True, timeout=30, check=True)
    return out.stdout.strip()


@pytest.fixture
def sink():
    s = Sink()
    yield s
    s.stop()


@pytest.fixture
def srv(make_server, sink):
    return outbound_server(make_server, f'relay = "127.0.0.1:{sink.port}"', aliases=ALIASES)


def secret_of(srv):
    path = srv.folder / "data" / "srs_secret"
    assert path.stat().st_mode & 0o777 == 0o600
    return path.read_text().splitlines()[0]


def send_mx(srv, sender, rcpts, tok):
    with srv.raw("smtp") as c:
        c.ehlo()
        r = c.transaction(sender, rcpts, h.make_message(tok, sender=sender or "mailer-daemon@remote.example"))
        assert r.code == 250, r


def rcpt_reply(srv, rcpt, sender=""):
    with srv.raw("smtp") as c:
        c.ehlo()
        assert c.cmd(f"MAIL FROM:<{sender}>").code == 250
        return c.cmd(f"RCPT TO:<{rcpt}>")


def relayed(sink, tok):
    """(sender, rcpts, content) of the one copy the sink got; "" for <>."""
    got = h.eventually(lambda: sink.handler.received(tok))
    assert len(got) == 1, got
    mail_from, rcpts, content = got[0]
    return ("" if mail_from == "<>" else mail_from), rcpts, content


def test_alias_forward_rewrites_sender_and_bounce_returns(srv, sink):
    tok = h.token("srs")
    send_mx(srv, SENDER, ["fwd@example.test"], tok)
    mail_from, rcpts, _ = relayed(sink, tok)
    assert rcpts == [FORWARD_TO]
    assert mail_from.startswith("SRS0=") and mail_from.endswith("@example.test"), mail_from
    # The independent implementation reverses it with pochta's secret.
    assert mail_srs(secret_of(srv), "reverse", mail_from) == SENDER
    assert f'srs_from="{mail_from}"' in srv.log_text()

    # The bounce, sent to the SRS address on the MX listener, goes back.
    bounce = h.token("bounce")
    send_mx(srv, "", [mail_from], bounce)
    back_from, back_rcpts, _ = relayed(sink, bounce)
    assert back_from == "" and back_rcpts == [SENDER]


def test_address_made_by_mail_srs_is_reversed(srv, sink):
    address = mail_srs(secret_of(srv), "forward", "x.y+z@far.example")
    assert address.startswith("SRS0=")
    tok = h.token("oracle")
    send_mx(srv, "", [address], tok)
    assert relayed(sink, tok)[1] == ["x.y+z@far.example"]


def test_local_copy_keeps_the_original_sender(srv, sink):
    tok = h.token("mix")
    send_mx(srv, SENDER, ["mix@example.test"], tok)
    assert relayed(sink, tok)[0].startswith("SRS0=")
    stored = h.eventually(lambda: srv.find(BOB, tok))
    assert h.split_trace(stored[0])[0] == f"<{SENDER}>"


def test_null_sender_is_not_rewritten(srv, sink):
    tok = h.token("keep")
    send_mx(srv, "", ["fwd@example.test"], tok)
    assert relayed(sink, tok)[0] == ""


def test_local_sender_is_not_rewritten(srv, sink):
    # A local sender's mail comes in over submission (on the MX listener a
    # From of ours without authentication is refused: Checks on arrival).
    tok = h.token("keep")
    with srv.smtp("submissions") as s:
        s.login(ALICE, h.PASSWORD)
        s.sendmail(ALICE, ["fwd@example.test"], h.make_message(tok, sender=ALICE, to="fwd@example.test"))
    assert relayed(sink, tok)[0] == ALICE


def test_srs0_of_another_forwarder_becomes_srs1(srv, sink):
    hop = "SRS0=abcd=AB=orig.example=bob@hop1.example"
    tok = h.token("srs1")
    send_mx(srv, hop, ["fwd@example.test"], tok)
    mail_from = relayed(sink, tok)[0]
    assert mail_from.startswith("SRS1=") and "=hop1.example==abcd=AB=orig.example=bob@" in mail_from
    assert mail_srs(secret_of(srv), "reverse", mail_from) == hop
    bounce = h.token("srs1-bounce")
    send_mx(srv, "", [mail_from], bounce)
    assert relayed(sink, bounce)[1] == [hop]


def test_forged_srs_address_is_refused(srv, sink):
    r = rcpt_reply(srv, "SRS0=AAAA=7G=remote.example=victim@example.test")
    assert r.code == 550 and r.text.startswith("5.7.1"), r
    # A valid address of another user with its hash moved over fails too.
    real = mail_srs(secret_of(srv), "forward", SENDER)
    forged = real.replace("=sender@", "=victim@")
    r = rcpt_reply(srv, forged)
    assert r.code == 550 and r.text.startswith("5.7.1"), r


def test_expired_srs_address_is_refused(srv, sink):
    old = mail_srs(secret_of(srv), "forward", SENDER, days_ago=30)
    r = rcpt_reply(srv, old)
    assert r.code == 550 and r.text.startswith("5.1.1") and "expired" in r.text, r
    recent = mail_srs(secret_of(srv), "forward", SENDER, days_ago=20)
    assert rcpt_reply(srv, recent).code == 250


def test_malformed_srs_address_is_refused(srv, sink):
    for rcpt in ["SRS0=abc@example.test", "SRS0=abcd=7G==x@example.test", "SRS1=abcd=hop.example@example.test"]:
        r = rcpt_reply(srv, rcpt)
        assert r.code == 550 and r.text.startswith("5.1.1") and "malformed" in r.text, (rcpt, r)


def test_secret_file_is_kept_and_older_secrets_verify(srv, sink):
    old_secret = secret_of(srv)
    old_address = mail_srs(old_secret, "forward", SENDER)
    srv.stop()
    (srv.folder / "data" / "srs_secret").write_text("a-brand-new-secret-0123\n" + old_secret + "\n")
    srv.start()
    assert rcpt_reply(srv, old_address).code == 250
    tok = h.token("rotated")
    send_mx(srv, SENDER, ["fwd@example.test"], tok)
    assert mail_srs("a-brand-new-secret-0123", "reverse", relayed(sink, tok)[0]) == SENDER


def test_srs_off_keeps_the_sender(make_server, sink):
    srv = outbound_server(make_server, f'relay = "127.0.0.1:{sink.port}"', aliases=ALIASES,
                          extra_config="[srs]\nenabled = false")
    tok = h.token("off")
    send_mx(srv, SENDER, ["fwd@example.test"], tok)
    assert relayed(sink, tok)[0] == SENDER
    assert not (srv.folder / "data" / "srs_secret").exists()
    assert rcpt_reply(srv, "SRS0=AAAA=7G=remote.example=victim@example.test").code == 550


def test_srs_domain_of_its_own(make_server, sink):
    """[srs] domain need not be a local domain: its bounces are still taken."""
    srv = outbound_server(make_server, f'relay = "127.0.0.1:{sink.port}"', aliases=ALIASES,
                          extra_config='[srs]\ndomain = "srs.example.net"')
    tok = h.token("own")
    send_mx(srv, SENDER, ["fwd@example.test"], tok)
    mail_from = relayed(sink, tok)[0]
    assert mail_from.startswith("SRS0=") and mail_from.endswith("@srs.example.net"), mail_from
    bounce = h.token("own-bounce")
    send_mx(srv, "", [mail_from], bounce)
    assert relayed(sink, bounce)[1] == [SENDER]
    # Other addresses there are not ours to take.
    assert rcpt_reply(srv, "someone@srs.example.net").code == 554


def test_failed_forward_bounces_to_the_original_sender(make_server):
    """The destination refuses the forwarded copy: pochta's own bounce to
    the SRS sender goes on to the original sender."""
    sink = Sink(reject=[FORWARD_TO])
    try:
        srv = outbound_server(make_server, f'relay = "127.0.0.1:{sink.port}"', aliases=ALIASES)
        tok = h.token("refused")
        send_mx(srv, SENDER, ["fwd@example.test"], tok)
        mail_from, rcpts, content = relayed(sink, tok)
        assert mail_from == "" and rcpts == [SENDER], (mail_from, rcpts)
        assert b"multipart/report" in content and FORWARD_TO.encode() in content
    finally:
        sink.stop()
