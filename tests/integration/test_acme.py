"""ACME certificates (README "ACME certificates") end to end against
Debian's pebble, the ACME test server: issue with TLS-ALPN-01 answered on
the IMAPS listener, revoke-and-reissue, renewal at two thirds of the
lifetime, and a failed challenge with its backoff. Pebble resolves the
names through a test DNS zone and validates against pochta's listener."""

import hashlib
import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.request

import pytest

import pochta_harness as h
from conftest import ServerFactory
from dns_zone import DnsZone

# Pebble's certificates live this long; renewal comes after two thirds.
VALIDITY_SECONDS = 24


class Pebble:
    def __init__(self, folder, tls_port, dns_server):
        # A CA and a certificate for 127.0.0.1 that pebble serves its API with.
        self.ca, cert, key = h.make_ca_and_cert(folder, "IP:127.0.0.1,DNS:localhost")
        self.port, self.management_port, self.http_port = h.free_port(), h.free_port(), h.free_port()
        config = folder / "pebble.json"
        config.write_text(json.dumps({"pebble": {
            "listenAddress": f"127.0.0.1:{self.port}",
            "managementListenAddress": f"127.0.0.1:{self.management_port}",
            "certificate": str(cert), "privateKey": str(key),
            "httpPort": self.http_port, "tlsPort": tls_port,
            "ocspResponderURL": "", "externalAccountBindingRequired": False,
            "certificateValidityPeriod": VALIDITY_SECONDS,
        }}))
        # No artificial validation delays; authorizations never reused, so
        # every order is validated again. Pebble's default of refusing 5%
        # of nonces stays on: the client must retry badNonce.
        env = dict(os.environ, PEBBLE_VA_NOSLEEP="1", PEBBLE_AUTHZREUSE="0")
        self.log = open(folder / "pebble.log", "wb")
        self.proc = subprocess.Popen(["pebble", "-config", str(config), "-dnsserver", dns_server],
                                     stdout=self.log, stderr=self.log, env=env)
        self.directory = f"https://127.0.0.1:{self.port}/dir"
        # A minute: once, under a sanitizer build beside other tests, pebble
        # did not answer within 20 s (and answered at once when run again).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                self.get(self.directory)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"pebble did not start: {(folder / 'pebble.log').read_text(errors='replace')[-2000:]}")

    def get(self, url):
        ctx = ssl.create_default_context(cafile=str(self.ca))
        with urllib.request.urlopen(url, context=ctx, timeout=10) as reply:
            return reply.read()

    def management(self, path):
        # The management API has pebble's own certificate: not checked here.
        with urllib.request.urlopen(f"https://127.0.0.1:{self.management_port}{path}",
                                    context=h.client_tls_context(), timeout=10) as reply:
            return reply.read()

    def root_pem(self):
        return self.management("/roots/0").decode()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="module")
def zone():
    zone = DnsZone()
    for name in ("mx.example.test", "autoconfig.example.test", "mta-sts.example.test", "autoconfig.catchall.test",
                 "mta-sts.catchall.test", "wrong.example.test"):
        zone.add(name, "A", "127.0.0.1")
    return zone


@pytest.fixture(scope="module")
def imaps_port():
    return h.free_port()


@pytest.fixture(scope="module")
def pebble(tmp_path_factory, zone, imaps_port):
    p = Pebble(tmp_path_factory.mktemp("pebble"), imaps_port, zone.server)
    yield p
    p.stop()


def acme_config(pebble, names=None):
    lines = ["[acme]", f"directory = {h.toml_str(pebble.directory)}", f"ca_file = {h.toml_str(pebble.ca)}",
             'contact = ["mailto:postmaster@example.test"]']
    if names:
        lines.append("names = [" + ", ".join(h.toml_str(n) for n in names) + "]")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def srv(pochta_bin, default_users, tmp_path_factory, pebble, zone, imaps_port):
    """One server whose IMAPS listener is where pebble validates TLS-ALPN-01."""
    folder = tmp_path_factory.mktemp("acme")
    factory = ServerFactory(pochta_bin, (None, None), default_users, folder)
    server = factory(start=False, listen=("smtp", "imaps"), dns_zone=zone, extra_config=acme_config(pebble))
    # [acme] manages the certificate: the harness's [tls] table goes, and
    # IMAPS listens where pebble's tlsPort points.
    text = server.config.read_text()
    text = text.replace('[tls]\ncert = "None"\nkey  = "None"\n', "")
    text = text.replace('imaps = "127.0.0.1:0"', f'imaps = "127.0.0.1:{imaps_port}"')
    server.config.write_text(text)
    server.start()
    yield server
    problems = factory.finish()
    assert not problems, "\n".join(problems)


def served_chain(port, name="mx.example.test"):
    """The certificate IMAPS serves to a client asking for `name`."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with h.client_tls_context().wrap_socket(raw, server_hostname=name) as tls:
            return tls.getpeercert(binary_form=True)


def verified_by(root_pem, port, name):
    """Whether the served certificate verifies to pebble's root for `name`
    (Python's ssl, not pochta, decides)."""
    ctx = ssl.create_default_context(cadata=root_pem)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=name):
                return True
    except ssl.SSLCertVerificationError:
        return False


def serial_of(der):
    pem = ssl.DER_cert_to_PEM_cert(der)
    out = subprocess.run(["openssl", "x509", "-noout", "-serial"], input=pem.encode(), capture_output=True,
                         check=True).stdout.decode()
    return out.strip().split("=", 1)[1].lower().lstrip("0")


def wait_for_issued(srv, pebble, previous_serial=None, timeout=40):
    port = srv.ports["imaps"]
    root = pebble.root_pem()

    def issued():
        der = served_chain(port)
        return verified_by(root, port, "mx.example.test") and serial_of(der) != previous_serial and der

    der = h.eventually(issued, timeout=timeout, interval=0.3)
    assert der, srv.log_text()[-3000:]
    return serial_of(der)


def test_issue_with_tls_alpn_01(srv, pebble):
    serial = wait_for_issued(srv, pebble)
    port = srv.ports["imaps"]
    root = pebble.root_pem()
    # Every default name: the hostname, autoconfig. and mta-sts. of the domain.
    for name in ("mx.example.test", "autoconfig.example.test", "mta-sts.example.test"):
        assert verified_by(root, port, name)
    log = srv.log_text()
    assert "ACME account created" in log
    assert "answering tls-alpn-01 for autoconfig.example.test" in log
    # The files the listeners use are pochta's own, private.
    acme_dir = srv.folder / "data" / "acme"
    for name in ("account.key", "privkey.pem", "fullchain.pem"):
        assert os.stat(acme_dir / name).st_mode & 0o077 == 0
    assert serial


def test_revoke_and_reissue(srv, pebble):
    old = wait_for_issued(srv, pebble)
    out = srv.cli_ok("acme", "revoke").decode()
    assert f"revoked certificate {old}" in out
    status = json.loads(pebble.management(f"/cert-status-by-serial/{old}"))
    assert status["Status"] == "Revoked"
    srv.signal(signal.SIGHUP)
    new = wait_for_issued(srv, pebble, previous_serial=old)
    assert new != old
    assert "(no certificate yet)" in srv.log_text()


def test_renewal_at_two_thirds_of_the_lifetime(srv, pebble):
    first = wait_for_issued(srv, pebble)
    start = time.monotonic()
    renewed = wait_for_issued(srv, pebble, previous_serial=first, timeout=VALIDITY_SECONDS + 10)
    assert renewed != first
    # Not before two thirds of the lifetime (less the time it took to see the first).
    assert time.monotonic() - start > VALIDITY_SECONDS * 2 / 3 - 8
    assert "two thirds of its lifetime have passed" in srv.log_text()


def starttls_certificate_text(server):
    """Subject and issuer of the certificate SMTP STARTTLS serves, as openssl prints them."""
    with h.RawClient("127.0.0.1", server.ports["smtp"]) as client:
        client.ehlo()
        client.starttls()
        der = client.sock.getpeercert(binary_form=True)
    pem = ssl.DER_cert_to_PEM_cert(der)
    return subprocess.run(["openssl", "x509", "-noout", "-subject", "-issuer"], input=pem.encode(),
                          capture_output=True, check=True).stdout.decode()


def has_http_listener(pochta_bin, tmp_path):
    """Whether this build has the HTTP listener ([listen] http) that serves HTTP-01."""
    (tmp_path / "users").write_text("")
    (tmp_path / "probe.toml").write_text(
        'hostname = "mx.example.test"\ndata_dir = "d"\ndomains = ["example.test"]\nusers_file = "users"\n'
        '[listen]\nhttp = "127.0.0.1:0"\n')
    out = subprocess.run([pochta_bin, "check-config", "-c", str(tmp_path / "probe.toml")], capture_output=True)
    return b"unknown key 'listen.http'" not in out.stderr


def test_issue_with_http_01(pochta_bin, default_users, tmp_path, pebble, zone):
    """HTTP-01 answered by the HTTP listener where pebble's httpPort points."""
    if not has_http_listener(pochta_bin, tmp_path):
        pytest.skip("this build has no HTTP listener yet")
    factory = ServerFactory(pochta_bin, (None, None), default_users, tmp_path)
    server = factory(start=False, listen=("smtp",), dns_zone=zone,
                     extra_config=acme_config(pebble, names=["mx.example.test"]) + '\nchallenge = "http-01"')
    text = server.config.read_text().replace('[tls]\ncert = "None"\nkey  = "None"\n', "")
    text = text.replace("[listen]\n", f'[listen]\nhttp = "127.0.0.1:{pebble.http_port}"\n')
    server.config.write_text(text)
    try:
        server.start()
        assert h.eventually(lambda: "ACME: new certificate" in server.log_text(), timeout=40), server.log_text()
        assert "answering http-01 for mx.example.test" in server.log_text()
        assert "CN = mx.example.test" not in starttls_certificate_text(server).split("issuer")[1]
    finally:
        problems = factory.finish()
    assert not problems, "\n".join(problems)


def test_failed_challenge_keeps_the_placeholder_and_backs_off(pochta_bin, default_users, tmp_path, pebble, zone):
    """wrong.example.test resolves to the IMAPS listener of the other
    server, which has no validation certificate for it: the validation
    fails, the order is retried later, twice as late after a second failure."""
    factory = ServerFactory(pochta_bin, (None, None), default_users, tmp_path)
    server = factory(start=False, listen=("smtp",), dns_zone=zone,
                     extra_config=acme_config(pebble, names=["wrong.example.test"]))
    text = server.config.read_text().replace('[tls]\ncert = "None"\nkey  = "None"\n', "")
    server.config.write_text(text)
    try:
        server.start()
        assert h.eventually(lambda: "next attempt in 60 s" in server.log_text(), timeout=30), server.log_text()
        log = server.log_text()
        assert "validation of wrong.example.test failed" in log
        server.signal(signal.SIGHUP)  # try again now, inside the backoff
        assert h.eventually(lambda: "next attempt in 120 s" in server.log_text(), timeout=30), server.log_text()
        # STARTTLS still works, with the self-signed placeholder.
        text = starttls_certificate_text(server)
        assert text.count("CN = mx.example.test") == 2, text
    finally:
        problems = factory.finish()
    assert not problems, "\n".join(problems)


def test_untrusted_acme_server_is_not_spoken_to(pochta_bin, default_users, tmp_path, pebble, zone, tls_cert):
    """ca_file names a CA that did not sign pebble's certificate: the
    handshake fails, nothing is sent, and the order waits for its retry."""
    factory = ServerFactory(pochta_bin, (None, None), default_users, tmp_path)
    config = acme_config(pebble).replace(h.toml_str(pebble.ca), h.toml_str(tls_cert[0]))
    server = factory(start=False, listen=("smtp",), dns_zone=zone, extra_config=config)
    server.config.write_text(server.config.read_text().replace('[tls]\ncert = "None"\nkey  = "None"\n', ""))
    try:
        server.start()
        assert h.eventually(lambda: "next attempt in 60 s" in server.log_text(), timeout=30), server.log_text()
        assert "TLS handshake failed" in server.log_text()
        assert "ACME account created" not in server.log_text()
    finally:
        problems = factory.finish()
    assert not problems, "\n".join(problems)
