"""DKIM against the independent implementation in Debian, dkimpy:
(a) pochta signs what leaves (rsa and ed25519) and dkimpy verifies it with
the record `pochta dkim keygen` printed; (b) dkimpy signs and `pochta dkim
verify` agrees with dkimpy's verdict, tampered messages included.

One documented difference (README "DKIM signing"): a signature whose l=
leaves part of the body unsigned is `policy` for pochta, a pass for dkimpy;
and rsa-sha1, which dkimpy still accepts, is a permerror (RFC 8301)."""

import base64
import re
import subprocess
import time

import dkim
import nacl.encoding
import nacl.signing
import pytest

import pochta_harness as h
from dns_zone import DnsZone
from smtp_sink import running_sink
from pochta_harness import ALICE, PASSWORD

DOMAIN = "example.test"


@pytest.fixture
def zone():
    with DnsZone() as z:
        yield z


@pytest.fixture
def sink():
    with running_sink() as keep:
        yield keep


def keygen(srv, zone, *args):
    """Runs `pochta dkim keygen`, publishes the printed record in the zone."""
    out = srv.cli_ok("dkim", "keygen", DOMAIN, *args).decode()
    m = re.search(r"^(\S+)\. IN TXT (.*)$", out, re.M)
    assert m, out
    strings = re.findall(r'"([^"]*)"', m.group(2))
    assert all(len(s) <= 255 for s in strings)
    zone.add(m.group(1), "TXT", strings)
    return m.group(1)


@pytest.fixture
def signing_server(make_server, zone, sink):
    srv = make_server(start=False, dns_zone=zone)
    text = srv.config.read_text()
    text = re.sub(r'relay = "127\.0\.0\.1:\d+"', f'relay = "127.0.0.1:{sink.port}"\nretry_schedule = "1s"', text)
    srv.config.write_text(text)
    keygen(srv, zone, "--selector", "rsa1")
    keygen(srv, zone, "--selector", "ed1", "--algorithm", "ed25519")
    srv.start()
    return srv


def send(srv, message, rcpt="someone@remote.example", options=()):
    with srv.smtp("submissions") as s:
        s.login(ALICE, PASSWORD)
        s.sendmail(ALICE, [rcpt], message, mail_options=list(options))


def relayed(sink, token):
    found = h.eventually(lambda: sink.find(token), timeout=15)
    assert found, f"{token} never reached the sink"
    return found[0]


def dkimpy_results(message, zone):
    """dkimpy's verdict for each DKIM-Signature, top first, by (a=, result)."""
    d = dkim.DKIM(message)
    sigs = [v for k, v in d.headers if k.lower() == b"dkim-signature"]
    results = []
    for i, sig in enumerate(sigs):
        algorithm = re.search(rb"a=([\w-]+)", sig).group(1).decode()
        results.append((algorithm, dkim.DKIM(message).verify(idx=i, dnsfunc=zone.dkim_dnsfunc)))
    return results


# --- (a) pochta signs, dkimpy verifies ----------------------------------------

MESSAGES = {
    "folded": (b"From: Alice <alice@example.test>\r\nTo: someone@remote.example\r\n"
               b"Subject: a long subject that is\r\n \tfolded   over\r\n  three lines  \r\n"
               b"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nX-Trailing: spaces   \r\n"
               b"\r\nBody line with trailing space   \r\n\tand a tab line\t\r\n\r\n\r\n", ()),
    "empty body": (b"From: alice@example.test\r\nTo: someone@remote.example\r\nSubject: nothing\r\n\r\n", ()),
    "8bit": (b"From: alice@example.test\r\nTo: someone@remote.example\r\nSubject: 8bit\r\n"
             b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
             b"Content-Transfer-Encoding: 8bit\r\n\r\nGr\xc3\xbc\xc3\x9fe, \xd0\xbc\xd0\xb8\xd1\x80!\r\n",
             ("BODY=8BITMIME",)),
    "smtputf8": ("From: Алиса <alice@example.test>\r\nTo: пользователь@remote.example\r\n"
                 "Subject: Привет, мир\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                 "\r\nТекст письма.\r\n".encode(), ("SMTPUTF8", "BODY=8BITMIME")),
}


@pytest.mark.parametrize("name", list(MESSAGES))
def test_pochta_signatures_verify_with_dkimpy(signing_server, sink, zone, name):
    message, options = MESSAGES[name]
    token = h.token("dk")
    message = message.replace(b"\r\n\r\n", f"\r\nMessage-ID: <{token}@example.test>\r\n\r\n".encode(), 1)
    rcpt = "пользователь@remote.example" if name == "smtputf8" else "someone@remote.example"
    send(signing_server, message, rcpt, options)
    got = relayed(sink, token)
    results = dkimpy_results(got, zone)
    assert sorted(a for a, _ in results) == ["ed25519-sha256", "rsa-sha256"], got[:600]
    assert all(ok for _, ok in results), (results, got[:1500])
    # From is signed once more than it occurs; unsigned fields stay out.
    rsa = re.search(rb"DKIM-Signature:.*?a=rsa-sha256.*?h=([^;]*);", got, re.S).group(1)
    names = re.sub(rb"\s", b"", rsa).split(b":")
    assert names.count(b"from") == 2
    assert b"x-trailing" not in names
    assert b"l=" not in got.split(b"\r\n\r\n")[0].replace(b"url=", b"")
    # pochta's own verifier agrees, through the same DNS.
    out = signing_server.cli("dkim", "verify", input=got).stdout.decode()
    assert out.count("pass d=example.test") == 2, out


def test_bounce_is_signed(make_server, zone, sink):
    """A DSN leaves with the null sender and From MAILER-DAEMON@HOSTNAME: it
    is signed for the hostname's closest parent domain with a key."""
    srv = make_server(start=False, dns_zone=zone, hostname="mx.example.test")
    text = srv.config.read_text()
    srv.config.write_text(re.sub(r'relay = "127\.0\.0\.1:\d+"', f'relay = "127.0.0.1:{sink.port}"', text))
    keygen(srv, zone, "--selector", "b1")
    srv.start()
    # team@example.test forwards to carol@remote.example, whom the relay refuses:
    # the bounce goes back to the outside sender through the relay.
    sink.refuse.add("carol@remote.example")
    token = h.token("bounce")
    with srv.raw("smtp") as c:
        c.ehlo()
        assert c.transaction("sender@remote.example", ["team@example.test"],
                             h.make_message(token, to="team@example.test")).code == 250
    dsn = h.eventually(lambda: [m for m in sink.find(token) if b"MAILER-DAEMON@mx.example.test" in m], timeout=20)
    assert dsn, "no bounce reached the relay"
    assert re.search(rb"d=example\.test;", dsn[0])
    results = dkimpy_results(dsn[0], zone)
    assert results and all(ok for _, ok in results), results


def test_rollover_without_restart(signing_server, sink, zone):
    keygen(signing_server, zone, "--selector", "rsa2")
    token = h.token("roll")
    send(signing_server, f"From: alice@example.test\r\nSubject: {token}\r\n\r\nbefore\r\n".encode())
    assert b"s=rsa1;" in relayed(sink, token)
    signing_server.cli_ok("dkim", "use", DOMAIN, "rsa2")
    # README "DKIM signing": the signer looks at the key folders at most once a second.
    time.sleep(1.1)
    token = h.token("roll")
    send(signing_server, f"From: alice@example.test\r\nSubject: {token}\r\n\r\nafter\r\n".encode())
    got = h.eventually(lambda: b"s=rsa2;" in relayed(sink, token) and relayed(sink, token), timeout=15)
    assert got, "the switched selector was not used"
    assert all(ok for _, ok in dkimpy_results(got, zone))


def test_domain_without_key_is_sent_unsigned(make_server, zone, sink):
    srv = make_server(start=False, dns_zone=zone)
    text = srv.config.read_text()
    srv.config.write_text(re.sub(r'relay = "127\.0\.0\.1:\d+"', f'relay = "127.0.0.1:{sink.port}"', text))
    srv.start()
    token = h.token("nokey")
    send(srv, f"From: alice@example.test\r\nSubject: {token}\r\n\r\nhi\r\n".encode())
    assert b"DKIM-Signature" not in relayed(sink, token)
    assert h.eventually(lambda: "sent without DKIM signature" in srv.log_text())


# --- (b) dkimpy signs, pochta verifies ----------------------------------------

@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rsa")
    private = subprocess.run(["openssl", "genrsa", "-traditional", "2048"], capture_output=True, check=True).stdout
    (folder / "k.pem").write_bytes(private)
    der = subprocess.run(["openssl", "rsa", "-in", str(folder / "k.pem"), "-pubout", "-outform", "DER"],
                         capture_output=True, check=True).stdout
    return private, f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}"


@pytest.fixture(scope="module")
def ed_key():
    key = nacl.signing.SigningKey.generate()
    public = key.verify_key.encode(encoder=nacl.encoding.Base64Encoder).decode()
    return key.encode(encoder=nacl.encoding.Base64Encoder), f"v=DKIM1; k=ed25519; p={public}"


@pytest.fixture
def verifier(make_server, zone):
    return make_server(start=False, dns_zone=zone)


ORIGINAL = (b"From: Bob <bob@signer.example>\r\nTo: alice@example.test\r\n"
            b"Subject: the  original\r\n  subject\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
            b"Message-ID: <x@signer.example>\r\n\r\nFirst line  \r\n\r\nSecond line\r\n")

TAMPER = {
    "none": lambda m: m,
    "header changed": lambda m: m.replace(b"the  original", b"the  forged"),
    "body changed": lambda m: m.replace(b"Second line", b"Second lime"),
    "appended": lambda m: m + b"Appended after signing\r\n",
    "whitespace": lambda m: m.replace(b"First line  ", b"First    line"),
    "from added": lambda m: m.replace(b"To:", b"From: eve@evil.example\r\nTo:", 1),
}


def pochta_verdict(srv, message):
    r = srv.cli("dkim", "verify", input=message)
    line = r.stdout.decode().splitlines()[0]
    assert (r.returncode == 0) == line.startswith("pass "), r
    return line


@pytest.mark.parametrize("canon", [(b"simple", b"simple"), (b"relaxed", b"relaxed"), (b"relaxed", b"simple")])
@pytest.mark.parametrize("algorithm", [b"rsa-sha256", b"ed25519-sha256"])
@pytest.mark.parametrize("length", [False, True])
def test_pochta_agrees_with_dkimpy(verifier, zone, rsa_key, ed_key, canon, algorithm, length):
    private, record = rsa_key if algorithm == b"rsa-sha256" else ed_key
    zone.set("sel._domainkey.signer.example", "TXT", [record])
    signature = dkim.sign(ORIGINAL, b"sel", b"signer.example", private, canonicalize=canon,
                          signature_algorithm=algorithm, length=length,
                          include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    for name, tamper in TAMPER.items():
        message = tamper(signature + ORIGINAL)
        oracle = dkim.verify(message, dnsfunc=zone.dkim_dnsfunc)
        ours = pochta_verdict(verifier, message)
        if length and name == "appended":
            # README "DKIM signing": content beyond l= is not vouched for.
            assert oracle and ours.startswith("policy "), (name, ours)
        else:
            assert ours.startswith("pass ") == oracle, (name, oracle, ours)
            if not oracle:
                assert ours.startswith("fail "), (name, ours)


def test_key_problems_against_dkimpy(verifier, zone, rsa_key, tmp_path):
    private, record = rsa_key
    signature = dkim.sign(ORIGINAL, b"sel", b"signer.example", private)
    message = signature + ORIGINAL
    name = "sel._domainkey.signer.example"

    zone.set(name, "TXT", [])                          # no key at all
    assert not dkim.verify(message, dnsfunc=zone.dkim_dnsfunc)
    assert pochta_verdict(verifier, message).startswith("permerror ")

    zone.set(name, "TXT", ["v=DKIM1; k=rsa; p="])      # revoked
    assert not dkim.verify(message, dnsfunc=zone.dkim_dnsfunc)
    assert pochta_verdict(verifier, message).startswith("permerror ")

    small = subprocess.run(["openssl", "genrsa", "-traditional", "768"], capture_output=True, check=True).stdout
    (tmp_path / "small.pem").write_bytes(small)
    der = subprocess.run(["openssl", "rsa", "-in", str(tmp_path / "small.pem"), "-pubout", "-outform", "DER"],
                         capture_output=True, check=True).stdout
    zone.set(name, "TXT", [f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}"])
    short = dkim.sign(ORIGINAL, b"sel", b"signer.example", small) + ORIGINAL
    assert not dkim.verify(short, dnsfunc=zone.dkim_dnsfunc)   # dkimpy's minkey is 1024 too
    assert "under 1024" in pochta_verdict(verifier, short)

    zone.set(name, "TXT", [record])
    sha1 = dkim.sign(ORIGINAL, b"sel", b"signer.example", private, signature_algorithm=b"rsa-sha1") + ORIGINAL
    assert "RFC 8301" in pochta_verdict(verifier, sha1)        # dkimpy would still accept it

    zone.fail(name, "TXT", "servfail")
    assert pochta_verdict(verifier, message).startswith("temperror ")
    zone.heal(name, "TXT")
    assert pochta_verdict(verifier, message).startswith("pass ")
