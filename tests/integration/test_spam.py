"""Keeping spam out on the MX listener (README.md, "Spam"): DNS blocklists
from a test zone (a listing junked or refused per config, 127.255.255.x
never a listing), GTUBE refused, a sender the user wrote to trusted, and
the classifier trained by moving mail into and out of Junk over IMAP."""

import imaplib
import random
import smtplib
import time

import pytest

import pochta_harness as h
from dns_zone import DnsZone

ALICE, BOB, PASSWORD = h.ALICE, h.BOB, h.PASSWORD
LISTEN = ("smtp", "submission", "imaps")
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
CLIENT_QUERY = "1.0.0.127"   # the client is 127.0.0.1


@pytest.fixture(scope="module")
def zone():
    with DnsZone() as z:
        z.add("remote.example", "TXT", "v=spf1 ip4:127.0.0.1 -all")
        z.add(f"{CLIENT_QUERY}.junk-bl.test", "A", "127.0.0.2")
        z.add(f"{CLIENT_QUERY}.refuse-bl.test", "A", "127.0.0.2")
        z.add(f"{CLIENT_QUERY}.broken-bl.test", "A", "127.255.255.254")
        yield z


def spam_config(*zones):
    entries = ", ".join(f'{{ zone = "{name}", weight = {weight} }}' for name, weight in zones)
    return f"[spam]\ndnsbl = [{entries}]\n"


def send(server, sender, rcpt, tok, body=b"Hello.\r\n"):
    with server.raw("smtp") as c:
        c.ehlo()
        return c.transaction(sender, [rcpt], h.make_message(tok, sender=sender, to=rcpt, body=body))


def where(server, user, tok):
    """The mailbox holding the message with this token, "" if none."""
    for box in ("INBOX", "Junk"):
        if server.find(user, tok, box):
            return box
    return ""


def imaps(server, user):
    m = imaplib.IMAP4_SSL("127.0.0.1", server.ports["imaps"], ssl_context=h.client_tls_context(), timeout=30)
    m.login(user, PASSWORD)
    return m


def test_listed_ip_is_junked_with_the_reason_in_the_stored_field(make_server, zone):
    server = make_server(listen=LISTEN, dns_zone=zone, extra_config=spam_config(("junk-bl.test", 6)))
    tok = h.token("listed")
    assert send(server, "someone@elsewhere.example", ALICE, tok).code == 250
    assert where(server, ALICE, tok) == "Junk"
    stored = server.find_one(ALICE, tok, "Junk")
    assert b"X-Spam-Status: Yes, score=6.0" in stored
    assert b"BLOCKLIST(junk-bl.test:127.0.0.1:127.0.0.2)=6.00" in stored
    assert "action=junk" in server.log_text()


def test_listed_ip_is_refused_when_the_weight_says_so(make_server, zone):
    server = make_server(listen=LISTEN, dns_zone=zone, extra_config=spam_config(("refuse-bl.test", 20)))
    tok = h.token("refused")
    r = send(server, "someone@elsewhere.example", ALICE, tok)
    assert r.code == 550 and r.enhanced == "5.7.1", r
    assert where(server, ALICE, tok) == ""


def test_an_error_answer_of_the_list_is_not_a_listing(make_server, zone):
    server = make_server(listen=LISTEN, dns_zone=zone, extra_config=spam_config(("broken-bl.test", 20)))
    tok = h.token("broken")
    assert send(server, "someone@elsewhere.example", ALICE, tok).code == 250
    assert where(server, ALICE, tok) == "INBOX"
    assert b"X-Spam-Status: No, score=0.0" in server.find_one(ALICE, tok)
    assert "blocklist not counted: broken-bl.test: error answer 127.255.255.254" in server.log_text()


def test_gtube_is_refused(make_server, zone):
    server = make_server(listen=LISTEN, dns_zone=zone)
    tok = h.token("gtube")
    r = send(server, "someone@elsewhere.example", ALICE, tok, body=f"{GTUBE}\r\n".encode())
    assert r.code == 550 and r.enhanced == "5.7.1", r
    assert "refused: spam" in server.log_text()


def test_a_sender_the_user_wrote_to_is_trusted(make_server, zone):
    server = make_server(listen=LISTEN, dns_zone=zone, extra_config=spam_config(("junk-bl.test", 6)))
    friend, stranger = "friend@remote.example", "stranger@remote.example"
    with server.smtp("submission") as s:
        s.starttls(context=h.client_tls_context())
        s.login(ALICE, PASSWORD)
        s.sendmail(ALICE, [friend], h.make_message(h.token("out"), sender=ALICE, to=friend))
    # The listing alone would junk both; the history saves the friend (SPF-verified).
    # The history is written beside the submission's reply: wait for it.
    def friend_in_inbox():
        tok = h.token("friend")
        assert send(server, friend, ALICE, tok).code == 250
        return tok if where(server, ALICE, tok) == "INBOX" else None
    tok_friend = h.eventually(friend_in_inbox)
    assert tok_friend
    assert b"SENDER_ADDRESS_WRITTEN_TO(friend@remote.example)" in server.find_one(ALICE, tok_friend)
    tok_stranger = h.token("stranger")
    assert send(server, stranger, ALICE, tok_stranger).code == 250
    assert where(server, ALICE, tok_stranger) == "Junk"


SPAM_TEXT = ("Congratulations winner claim your exclusive casino bonus now limited offer cheap replica watches "
             "guaranteed lottery prize transfer fee unclaimed funds act immediately click unsubscribe")


def spammy(tok, rng):
    words = SPAM_TEXT.split()
    rng.shuffle(words)
    return (" ".join(words) + f"\r\nreference {tok}\r\n").encode()


def test_training_by_moving_into_and_out_of_junk(make_server, zone):
    server = make_server(listen=LISTEN, dns_zone=zone)
    rng = random.Random(7)
    for i in range(20):
        tok = h.token("train")
        assert send(server, f"promo{i}@bulk{i}.example", BOB, tok, body=spammy(tok, rng)).code == 250
    m = imaps(server, BOB)
    try:
        m.select("INBOX")
        typ, _ = m.uid("MOVE", "1:*", "Junk")
        assert typ == "OK"
        assert "learnt 20 message(s) as spam" in server.log_text()

        similar = h.token("similar")
        assert send(server, "new@bulk99.example", BOB, similar, body=spammy(similar, rng)).code == 250
        assert where(server, BOB, similar) == "Junk"
        assert b"BAYES(" in server.find_one(BOB, similar, "Junk")

        # Not spam after all: moved back out, and the next one stays in INBOX.
        m.select("Junk")
        typ, data = m.uid("SEARCH", None, "SUBJECT", similar)
        assert typ == "OK" and data[0], data
        typ, _ = m.uid("MOVE", data[0].decode(), "INBOX")
        assert typ == "OK"
        assert "learnt 1 message(s) as ham" in server.log_text()
        after = h.token("after")
        assert send(server, "new@bulk100.example", BOB, after, body=spammy(after, rng)).code == 250
        assert where(server, BOB, after) == "INBOX"
    finally:
        m.logout()


def test_outbound_limits_per_user(make_server, zone):
    server = make_server(listen=LISTEN, dns_zone=zone,
                         extra_config="[spam]\noutbound_messages_per_hour = 2\n")

    def submit(user):
        with server.smtp("submission") as s:
            s.starttls(context=h.client_tls_context())
            s.login(user, PASSWORD)
            try:
                s.sendmail(user, ["someone@remote.example"], h.make_message(h.token("out"), sender=user))
                return 250, ""
            except smtplib.SMTPDataError as e:
                return e.smtp_code, e.smtp_error.decode()

    assert submit(ALICE)[0] == 250
    assert submit(ALICE)[0] == 250
    code, text = submit(ALICE)
    assert code == 451 and text.startswith("4.7.1 Sending limit reached: at most 2 messages per hour"), text
    assert submit(BOB)[0] == 250   # another user is not affected
    assert f"smtp outbound limit user={ALICE}" in server.log_text()


def test_spam_train_command(make_server, zone):
    server = make_server(listen=LISTEN, dns_zone=zone)
    for i in range(3):
        assert send(server, f"list{i}@news.example", BOB, h.token("news")).code == 250
    out = server.cli_ok("spam", "train", BOB, "--spam", "INBOX").decode()
    assert out.strip() == "learnt 3 of 3 messages as spam"
    out = server.cli_ok("spam", "train", BOB, "--spam", "INBOX").decode()   # counted once
    assert out.strip() == "learnt 0 of 3 messages as spam"
    out = server.cli_ok("spam", "train", BOB, "--ham", "INBOX").decode()    # moved over to ham
    assert out.strip() == "learnt 3 of 3 messages as ham"
    assert server.cli("spam", "train", BOB, "--maybe", "INBOX").returncode == 2
    assert server.cli("spam", "train", BOB, "--spam", "Nowhere").returncode == 1


def test_greylisting_delays_a_new_triplet_once(make_server, zone):
    server = make_server(listen=LISTEN, dns_zone=zone, extra_config="[spam]\ngreylist = true\ngreylist_delay = 1\n")
    tok = h.token("grey")
    r = send(server, "new@elsewhere.example", ALICE, tok)
    assert r.code == 451 and r.enhanced == "4.7.1", r
    time.sleep(1.2)
    assert send(server, "new@elsewhere.example", ALICE, tok).code == 250
    assert send(server, "new@elsewhere.example", ALICE, h.token("grey")).code == 250   # passed for good
    assert send(server, "other@elsewhere.example", ALICE, h.token("grey")).code == 451


def test_recipients_with_other_thresholds_are_judged_apart(make_server, zone):
    # A listing worth 3 points: below the server's junk_score, above alice's own.
    server = make_server(listen=LISTEN, dns_zone=zone,
                         extra_config=spam_config(("junk-bl.test", 3)) + f'[spam.users."{ALICE}"]\njunk_score = 2\n')
    tok = h.token("both")
    with server.raw("smtp") as c:
        c.ehlo()
        r = c.transaction("someone@elsewhere.example", [ALICE, BOB], h.make_message(tok, to=BOB))
        assert r.code == 250, r
    assert where(server, ALICE, tok) == "Junk"
    assert b"X-Spam-Status: Yes, score=3.0 junk=2.0" in server.find_one(ALICE, tok, "Junk")
    assert where(server, BOB, tok) == "INBOX"
    assert b"X-Spam-Status: No, score=3.0 junk=5.0" in server.find_one(BOB, tok)


def test_the_verdict_without_the_checks_on_arrival(make_server, zone):
    server = make_server(listen=LISTEN, dns_zone=zone,
                         extra_config="[checks]\nenabled = false\n" + spam_config(("junk-bl.test", 6)))
    tok = h.token("nochecks")
    assert send(server, "someone@elsewhere.example", ALICE, tok).code == 250
    stored = server.find_one(ALICE, tok, "Junk")
    assert b"Authentication-Results" not in stored
    assert b"X-Spam-Status: Yes, score=6.0" in stored
    assert "spam queue_id= " not in server.log_text()


def test_a_spooled_message_gets_one_copy_per_verdict(make_server, zone):
    server = make_server(listen=LISTEN, dns_zone=zone,
                         extra_config=spam_config(("junk-bl.test", 3)) + f'[spam.users."{ALICE}"]\njunk_score = 2\n')
    tok = h.token("spooled")
    body = b"".join(b"line %06d of a long message\r\n" % i for i in range(12000))   # ~350 KB: spooled
    with server.raw("smtp") as c:
        c.ehlo()
        r = c.transaction("someone@elsewhere.example", [ALICE, BOB], h.make_message(tok, to=BOB, body=body))
        assert r.code == 250, r
    junked = server.find_one(ALICE, tok, "Junk")
    kept = server.find_one(BOB, tok)
    assert b"X-Spam-Status: Yes" in junked and b"X-Spam-Status: No" in kept
    assert junked.endswith(body) and kept.endswith(body)
