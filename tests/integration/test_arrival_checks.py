"""Checks on arrival on the MX listener (README.md, "Checks on arrival",
"DMARC"): SPF, DKIM and DMARC against a test DNS zone, the
Authentication-Results field pochta stores, and what it refuses, files in
Junk or defers. python3-authheaders is the oracle for the DMARC result;
dkimpy signs the test mail."""

import base64
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from email import message_from_bytes
from types import SimpleNamespace

import dkim
import pytest
from authheaders import dmarc_per_from

import pochta_harness as h
from dns_zone import DnsZone

ALICE, BOB, PASSWORD = h.ALICE, h.BOB, h.PASSWORD
SPF_OK = "v=spf1 ip4:127.0.0.1 -all"
SPF_FAIL = "v=spf1 -all"
SELECTOR = "t1"


def rsa_key():
    private = subprocess.run(["openssl", "genrsa", "2048"], check=True, capture_output=True).stdout
    public = subprocess.run(["openssl", "rsa", "-pubout", "-outform", "DER"], input=private, check=True,
                            capture_output=True).stdout
    return private, base64.b64encode(public).decode()


@pytest.fixture(scope="module")
def zone():
    with DnsZone() as z:
        yield z


@pytest.fixture(scope="module")
def signing_key(zone):
    private, public = rsa_key()
    for domain in ("example.com", "mail.example.net", "example.net"):
        zone.add(f"{SELECTOR}._domainkey.{domain}", "TXT", f"v=DKIM1; k=rsa; p={public}")
    return private


@pytest.fixture(scope="module")
def srv(pochta_bin, tls_cert, default_users, tmp_path_factory, zone):
    from conftest import shared_server
    with shared_server(pochta_bin, tls_cert, default_users, tmp_path_factory.mktemp("arrival"),
                       dns_zone=zone) as server:
        yield server


def message(tok, from_addr, extra=b"", body=b"Hello.\r\n"):
    return (f"From: <{from_addr}>\r\nTo: <{ALICE}>\r\nSubject: {tok}\r\n"
            f"Message-ID: <{tok}@client.test>\r\n").encode() + extra + b"\r\n" + body


def send(server, mail_from, data, sign_domain=None, key=None, timeout=30):
    if sign_domain:
        data = dkim.sign(data, SELECTOR.encode(), sign_domain.encode(), key,
                         include_headers=[b"from", b"to", b"subject", b"message-id"]) + data
    with server.raw("smtp", timeout=timeout) as c:
        c.ehlo()
        return c.transaction(mail_from, [ALICE], data)


def stored(server, tok, mailbox="INBOX"):
    found = h.eventually(lambda: server.find(ALICE, tok, mailbox))
    assert len(found) == 1, (mailbox, found)
    return found[0]


def our_auth_results(raw):
    """The value of the Authentication-Results field right below Return-Path, unfolded."""
    msg = message_from_bytes(raw)
    fields = msg.get_all("Authentication-Results") or []
    ours = [f for f in fields if re.match(r"\s*mx\.example\.test\s*;", f)]
    assert len(ours) == 1, fields
    assert raw.split(b"\r\n")[1].startswith(b"Authentication-Results: mx.example.test;"), raw[:300]
    return " ".join(ours[0].split())


def method(ar, name):
    m = re.search(rf"\b{name}=(\w+)", ar)
    return m.group(1) if m else None


def oracle_dmarc(zone, from_domain, spf_pass_domain, dkim_pass_domain):
    """authheaders' verdict from the same zone: (result, policy)."""
    def dnsfunc(name, *_):
        records = [r for r in zone.lookup(name, "TXT") if r.startswith("v=DMARC1")]
        return records[0] if records else None
    spf = SimpleNamespace(result="pass", smtp_mailfrom=f"x@{spf_pass_domain}") if spf_pass_domain else None
    dkim_result = SimpleNamespace(result="pass", header_d=dkim_pass_domain) if dkim_pass_domain else None
    result, _comment, _from, policy = dmarc_per_from(from_domain, spf, dkim_result, dnsfunc=dnsfunc)
    return result, policy


# (case, From domain, MAIL FROM domain, DKIM d=, records) -> compared with authheaders.
ORACLE_CASES = [
    ("spf-aligned", "example.com", "bounce.example.com", None,
     {"_dmarc.example.com": "v=DMARC1; p=none", "bounce.example.com": SPF_OK}),
    ("dkim-aligned", "example.com", "other.org", "example.com",
     {"_dmarc.example.com": "v=DMARC1; p=none", "other.org": SPF_OK}),
    ("unaligned", "example.com", "other.org", None,
     {"_dmarc.example.com": "v=DMARC1; p=none", "other.org": SPF_OK}),
    ("subdomain-sp", "news.example.org", "other.org", None,
     {"_dmarc.example.org": "v=DMARC1; p=none; sp=quarantine", "other.org": SPF_OK}),
    ("subdomain-aligned", "news.example.org", "example.org", None,
     {"_dmarc.example.org": "v=DMARC1; p=none; sp=quarantine", "example.org": SPF_OK}),
    ("pct-0", "pct0.example", "other.org", None,
     {"_dmarc.pct0.example": "v=DMARC1; p=quarantine; pct=0", "other.org": SPF_OK}),
    ("pct-100", "pct100.example", "other.org", None,
     {"_dmarc.pct100.example": "v=DMARC1; p=quarantine; pct=100", "other.org": SPF_OK}),
    ("no-record", "norecord.example", "norecord.example", None, {"norecord.example": SPF_OK}),
    ("strict-spf", "example.net", "mail.example.net", None,
     {"_dmarc.example.net": "v=DMARC1; p=none; aspf=s; adkim=s", "mail.example.net": SPF_OK}),
    ("strict-dkim", "example.net", "other.org", "mail.example.net",
     {"_dmarc.example.net": "v=DMARC1; p=none; aspf=s; adkim=s", "other.org": SPF_OK}),
    ("strict-dkim-exact", "example.net", "other.org", "example.net",
     {"_dmarc.example.net": "v=DMARC1; p=none; aspf=s; adkim=s", "other.org": SPF_OK}),
]


@pytest.mark.parametrize("case,from_domain,mail_domain,dkim_domain,records", ORACLE_CASES,
                         ids=[c[0] for c in ORACLE_CASES])
def test_dmarc_agrees_with_authheaders(srv, zone, signing_key, case, from_domain, mail_domain, dkim_domain,
                                       records):
    for name, value in records.items():
        zone.set(name, "TXT", [value])
    tok = h.token(case)
    r = send(srv, f"bounce@{mail_domain}", message(tok, f"author@{from_domain}"), dkim_domain, signing_key)
    assert r.code == 250, r
    mailbox = "Junk" if case in ("subdomain-sp", "pct-100") else "INBOX"
    ar = our_auth_results(stored(srv, tok, mailbox))
    assert method(ar, "spf") == "pass", ar
    assert method(ar, "dkim") == ("pass" if dkim_domain else "none"), ar
    want_result, want_policy = oracle_dmarc(zone, from_domain, mail_domain, dkim_domain)
    assert method(ar, "dmarc") == want_result, ar
    if want_policy:
        assert f"policy.dmarc={want_policy}" in ar, ar
        assert f"header.from={from_domain}" in ar, ar
    else:
        assert "policy.dmarc" not in ar


def test_pct_zero_delivers_to_inbox_with_a_milder_disposition(srv, zone):
    zone.set("_dmarc.pct0.example", "TXT", ["v=DMARC1; p=quarantine; pct=0"])
    zone.set("other.org", "TXT", [SPF_OK])
    tok = h.token("pct0")
    assert send(srv, "bounce@other.org", message(tok, "author@pct0.example")).code == 250
    ar = our_auth_results(stored(srv, tok))
    assert "dmarc=fail (p=quarantine dis=none)" in ar, ar


def test_forged_local_from_is_refused(srv, zone):
    zone.set("evil.example", "TXT", [SPF_OK])
    tok = h.token("forged")
    r = send(srv, "x@evil.example", message(tok, "boss@example.test"))
    assert r.code == 550 and r.enhanced == "5.7.1", r
    assert "example.test" in r.text
    assert not srv.find(ALICE, tok) and not srv.find(ALICE, tok, "Junk")


def test_p_reject_is_refused_with_550_571(srv, zone):
    zone.set("_dmarc.strict.example", "TXT", ["v=DMARC1; p=reject"])
    zone.set("strict.example", "TXT", [SPF_FAIL])
    tok = h.token("reject")
    r = send(srv, "bounce@strict.example", message(tok, "ceo@strict.example"))
    assert r.code == 550 and r.enhanced == "5.7.1", r
    assert "DMARC" in r.text and "strict.example" in r.text
    assert not srv.find(ALICE, tok)


def test_p_quarantine_is_filed_in_junk(srv, zone):
    zone.set("_dmarc.quarantine.example", "TXT", ["v=DMARC1; p=quarantine"])
    zone.set("quarantine.example", "TXT", [SPF_FAIL])
    tok = h.token("quarantine")
    r = send(srv, "bounce@quarantine.example", message(tok, "news@quarantine.example"))
    assert r.code == 250, r
    ar = our_auth_results(stored(srv, tok, "Junk"))
    assert method(ar, "spf") == "fail" and method(ar, "dmarc") == "fail", ar
    assert not srv.find(ALICE, tok)


def test_several_from_fields_are_refused(srv):
    tok = h.token("twofrom")
    r = send(srv, "x@other.org", message(tok, "a@other.org", extra=b"From: <boss@example.test>\r\n"))
    assert r.code == 550 and r.enhanced == "5.7.1", r


def test_a_dns_timeout_never_loses_or_refuses_mail(srv, zone):
    """The DMARC lookup times out: accepted, with temperror recorded. An SPF
    lookup that times out for a p=reject domain: 451, never 5xx."""
    zone.set("slowdmarc.example", "TXT", [SPF_FAIL])
    zone.fail("_dmarc.slowdmarc.example", "TXT", "timeout")
    zone.set("_dmarc.slowspf.example", "TXT", ["v=DMARC1; p=reject"])
    zone.fail("slowspf.example", "TXT", "timeout")
    tok1, tok2 = h.token("slowdmarc"), h.token("slowspf")
    # The resolver gives up after its retries (about 35 s): both at once.
    with ThreadPoolExecutor(2) as pool:
        f1 = pool.submit(send, srv, "bounce@slowdmarc.example", message(tok1, "a@slowdmarc.example"), timeout=120)
        f2 = pool.submit(send, srv, "bounce@slowspf.example", message(tok2, "a@slowspf.example"), timeout=120)
        r1, r2 = f1.result(), f2.result()
    assert r1.code == 250, r1
    ar = our_auth_results(stored(srv, tok1))
    assert method(ar, "dmarc") == "temperror", ar
    assert r2.code == 451 and r2.enhanced == "4.4.3", r2
    assert not srv.find(ALICE, tok2)


def test_our_authserv_id_from_outside_is_renamed(srv, zone):
    zone.set("other.org", "TXT", [SPF_OK])
    forged = (b"Authentication-Results: mx.example.test; dmarc=pass header.from=example.test\r\n"
              b"Authentication-Results: mx.elsewhere.example; spf=pass smtp.mailfrom=a@other.org\r\n")
    for size in (100, 300_000):  # in memory, and spooled (README.md, "Spooling")
        tok = h.token(f"forged-ar-{size}")
        body = (b"x" * 76 + b"\r\n") * (size // 78)
        r = send(srv, "a@other.org", message(tok, "a@other.org", extra=forged, body=body))
        assert r.code == 250, r
        raw = stored(srv, tok)
        ar = our_auth_results(raw)
        assert method(ar, "spf") == "pass", ar
        assert b"X-Removed-Auth-Results: mx.example.test; dmarc=pass" in raw
        assert b"Authentication-Results: mx.elsewhere.example;" in raw
        assert raw.endswith(body)


def test_submission_is_not_checked(srv):
    tok = h.token("sub")
    msg = h.make_message(tok, sender=ALICE, to=BOB)
    with srv.smtp("submission") as s:
        s.starttls(context=h.client_tls_context())
        s.login(ALICE, PASSWORD)
        assert s.sendmail(ALICE, [BOB], msg) == {}
    raw = h.eventually(lambda: srv.find(BOB, tok))[0]
    assert b"Authentication-Results" not in raw
    assert h.body_of(raw).endswith(msg)  # after the fields submission hygiene adds


def test_helo_identity_is_checked_and_reported(srv, zone):
    # RFC 7208 2.3: the HELO name has its own check beside MAIL FROM's;
    # it is reported in the field and judged by nothing else.
    helo = "helo-check.client.test"
    zone.add(helo, "TXT", "v=spf1 ip4:192.0.2.1 -all")
    tok = h.token("helo")
    with srv.raw("smtp") as c:
        c.ehlo(helo)
        assert c.transaction("bounce@norecord.example", [ALICE], message(tok, "a@norecord.example")).code == 250
    ar = our_auth_results(stored(srv, tok))
    assert f"spf=fail smtp.helo={helo}" in ar, ar
    assert method(ar, "spf") == "pass" and "smtp.mailfrom=" in ar, ar  # MAIL FROM's entry comes first
