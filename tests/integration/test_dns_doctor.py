"""`pochta dns` and `pochta doctor` (README.md, "What to publish"). The
printed zone is read back by dnspython's zone parser (an independent
reader of the zone file format); doctor checks a DnsZone serving exactly
those records (exit 0), then zones with one record wrong or missing (exit
1, naming the record)."""

import base64
import re
import subprocess
from pathlib import Path

import dns.rdatatype
import dns.reversename
import dns.zone
import pytest

import pochta_harness as h
from dns_zone import DnsZone

DOMAIN = "example.test"
HOST = h.HOSTNAME
IPV4, IPV6 = "192.0.2.10", "2001:db8::10"
PORTS = {"smtp": 25, "submission": 587, "submissions": 465, "imaps": 993}


def make_dkim_key(keys_dir: Path, selector="s1"):
    """A key in the layout of mailauth/dkim_keys.hpp, made by openssl."""
    folder = keys_dir / DOMAIN
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = folder / f"{selector}.rsa.key"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", str(key)], check=True, capture_output=True, timeout=60)
    key.chmod(0o600)
    (folder / "rsa.active").write_text(selector + "\n")
    der = subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-outform", "DER"],
                         check=True, capture_output=True, timeout=30).stdout
    return base64.b64encode(der).decode()


@pytest.fixture
def zone():
    with DnsZone() as z:
        yield z


def host_cert(folder: Path, days):
    """A certificate for HOST, valid for `days` days."""
    cert, key = folder / f"host-{days}.pem", folder / f"host-{days}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", str(days), "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    return cert, key


def use_cert(srv, cert, key):
    text = re.sub(r'(?m)^cert = .*$', f"cert = {h.toml_str(cert)}", srv.config.read_text())
    srv.config.write_text(re.sub(r'(?m)^key  = .*$', f"key  = {h.toml_str(key)}", text))


@pytest.fixture
def srv(make_server, zone, tmp_path):
    srv = make_server(start=False, listen=("smtp", "submission", "submissions", "imaps"), dns_zone=zone)
    use_cert(srv, *host_cert(tmp_path, 90))
    text = srv.config.read_text()
    for name, port in PORTS.items():
        text = text.replace(f'{name} = "127.0.0.1:0"', f'{name} = "127.0.0.1:{port}"')
    text = text.replace("hostname     =", f'public_addresses = ["{IPV4}", "{IPV6}"]\nhostname     =', 1)
    srv.config.write_text(text)
    srv.public_key = make_dkim_key(srv.folder / "data" / "dkim")
    return srv


def dns_text(srv):
    return srv.cli_ok("dns", DOMAIN).decode()


def parsed(text):
    return dns.zone.from_text(text, origin=".", relativize=False, check_origin=False)


def records_of(text):
    """[(name, TYPE, zone-form value)] of the printed zone, via dnspython."""
    out = []
    for name, rdataset in parsed(text).iterate_rdatasets():
        for rdata in rdataset:
            out.append((name.to_text(), dns.rdatatype.to_text(rdataset.rdtype), rdata))
    return out


def serve_zone(zone, text, skip=()):
    """Puts every record of the printed zone into the DnsZone, but those
    whose (name, TYPE) is in skip."""
    for name, rtype, rdata in records_of(text):
        if (name, rtype) in skip:
            continue
        if rtype == "TXT":
            zone.add(name, "TXT", [s for s in rdata.strings])
        elif rtype == "SRV":
            zone.add(name, "SRV", f"{rdata.priority} {rdata.weight} {rdata.port} {rdata.target}")
        elif rtype == "MX":
            zone.add(name, "MX", f"{rdata.preference} {rdata.exchange}")
        else:
            zone.add(name, rtype, rdata.to_text())


def test_dns_prints_a_zone_dnspython_reads(srv):
    text = dns_text(srv)
    for line in text.splitlines():
        assert line.startswith(";") or re.match(r"^\S+\.\s+3600\s+IN\s+[A-Z]+\s+\S", line), line
    got = {(n, t): r for n, t, r in records_of(text)}
    assert got[(f"{DOMAIN}.", "MX")].exchange.to_text() == f"{HOST}."
    assert b"".join(got[(f"{DOMAIN}.", "TXT")].strings) == b"v=spf1 mx -all"
    dmarc = b"".join(got[(f"_dmarc.{DOMAIN}.", "TXT")].strings).decode()
    assert dmarc.startswith("v=DMARC1; p=quarantine")
    assert re.search(r"^; .*p=reject", text, re.M)
    dkim = got[(f"s1._domainkey.{DOMAIN}.", "TXT")]
    assert all(len(s) <= 255 for s in dkim.strings) and len(dkim.strings) > 1
    assert b"".join(dkim.strings).decode() == f"v=DKIM1; k=rsa; p={srv.public_key}"
    srv_records = {n.split(".")[0]: (r.port, r.target.to_text()) for n, t, r in records_of(text) if t == "SRV"}
    assert srv_records == {
        "_submission": (587, f"{HOST}."), "_submissions": (465, f"{HOST}."), "_imaps": (993, f"{HOST}."),
        "_imap": (0, "."), "_pop3": (0, "."), "_pop3s": (0, "."),
    }
    assert got[(f"{HOST}.", "A")].to_text() == IPV4
    assert got[(f"{HOST}.", "AAAA")].to_text() == IPV6
    assert got[("10.2.0.192.in-addr.arpa.", "PTR")].to_text() == f"{HOST}."
    ptr6 = dns.reversename.from_address(IPV6).to_text()
    assert got[(ptr6, "PTR")].to_text() == f"{HOST}."


def test_dns_refuses_other_domains(srv):
    r = srv.cli("dns", "elsewhere.example")
    assert r.returncode == 1 and b"not one of the local domains" in r.stderr


def test_doctor_is_happy_with_the_published_zone(srv, zone):
    serve_zone(zone, dns_text(srv))
    r = srv.cli("doctor", DOMAIN)
    out = r.stdout.decode()
    assert r.returncode == 0, out
    assert "all right" in out
    assert re.search(rf"^ok\s+forward-confirmed reverse DNS of {re.escape(IPV4)}", out, re.M), out
    assert re.search(rf"^ok\s+TLS certificate .* valid for", out, re.M), out


@pytest.mark.parametrize("name, rtype, kind", [
    (f"_dmarc.{DOMAIN}.", "TXT", "missing"),
    (f"s1._domainkey.{DOMAIN}.", "TXT", "missing"),
    (f"{DOMAIN}.", "MX", "missing"),
    (f"_submissions._tcp.{DOMAIN}.", "SRV", "missing"),
    (f"{HOST}.", "AAAA", "missing"),
])
def test_doctor_names_a_missing_record(srv, zone, name, rtype, kind):
    serve_zone(zone, dns_text(srv), skip={(name, rtype)})
    r = srv.cli("doctor")
    out = r.stdout.decode()
    assert r.returncode == 1, out
    assert re.search(rf"^{kind}\s+{re.escape(name)} {rtype}", out, re.M), out


def test_doctor_names_a_wrong_record(srv, zone):
    text = dns_text(srv)
    serve_zone(zone, text, skip={(f"{DOMAIN}.", "MX"), (f"_dmarc.{DOMAIN}.", "TXT"),
                                 ("10.2.0.192.in-addr.arpa.", "PTR")})
    zone.add(DOMAIN, "MX", "10 mx.elsewhere.example.")
    zone.add(f"_dmarc.{DOMAIN}", "TXT", "v=DMARC1; p=none")
    zone.add("10.2.0.192.in-addr.arpa", "PTR", "host.provider.example.")
    r = srv.cli("doctor", DOMAIN)
    out = r.stdout.decode()
    assert r.returncode == 1, out
    assert re.search(rf"^different\s+{DOMAIN}\. MX: found \"10 mx.elsewhere.example.\"; publish", out, re.M), out
    assert f"{DOMAIN}. 3600 IN MX 10 {HOST}." in out
    assert re.search(rf"^different\s+_dmarc\.{DOMAIN}\. TXT", out, re.M), out
    assert re.search(rf"^different\s+PTR of {IPV4}: .*set it to {HOST}\.", out, re.M), out
    assert re.search(rf"^fix\s+forward-confirmed reverse DNS of {IPV4}", out, re.M), out


def test_doctor_accepts_a_stricter_dmarc_and_an_spf_with_addresses(srv, zone):
    serve_zone(zone, dns_text(srv), skip={(f"{DOMAIN}.", "TXT"), (f"_dmarc.{DOMAIN}.", "TXT")})
    zone.add(DOMAIN, "TXT", f"v=spf1 ip4:{IPV4} ip6:{IPV6} -all")
    zone.add(DOMAIN, "TXT", "google-site-verification=abc")
    zone.add(f"_dmarc.{DOMAIN}", "TXT", f"v=DMARC1; p=reject; rua=mailto:dmarc@{DOMAIN}")
    r = srv.cli("doctor", DOMAIN)
    assert r.returncode == 0, r.stdout.decode()


def test_doctor_reports_a_dns_failure(srv, zone):
    serve_zone(zone, dns_text(srv))
    zone.fail(DOMAIN, "MX", "servfail")
    r = srv.cli("doctor", DOMAIN)
    out = r.stdout.decode()
    assert r.returncode == 1 and re.search(rf"^failed\s+{DOMAIN}\. MX: lookup failed", out, re.M), out


def test_doctor_checks_the_certificate_names_and_expiry(srv, zone, tls_cert, tmp_path):
    serve_zone(zone, dns_text(srv))
    use_cert(srv, *host_cert(tmp_path, 10))
    r = srv.cli("doctor", DOMAIN)
    out = r.stdout.decode()
    assert r.returncode == 1 and re.search(r"^warning\s+TLS certificate .* expires in (9|10) days: renew it", out, re.M), out
    use_cert(srv, *tls_cert)  # made for "localhost"
    out = srv.cli("doctor", DOMAIN).stdout.decode()
    assert re.search(rf"^fix\s+TLS certificate .* does not cover {re.escape(HOST)}", out, re.M), out
