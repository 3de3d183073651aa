"""The HTTP listeners (README "Autoconfig, MTA-STS and metrics"): the client
setup documents read with independent parsers (xml.etree with the
namespaces of Mozilla's and Microsoft's schemas, plistlib for the Apple
profile), the MTA-STS policy, /healthz, keep-alive and pipelining, the
parser's bounds as a hostile client meets them, and /metrics read by
python3-prometheus-client's parser, its counters moving as mail flows."""

import http.client
import imaplib
import json
import plistlib
import re
import socket
import ssl
import time
import xml.etree.ElementTree as ET

import pytest
from prometheus_client.parser import text_string_to_metric_families

import pochta_harness as h
from conftest import shared_server

LISTEN = ("smtp", "submission", "submissions", "imap", "imaps", "pop3", "pop3s", "http", "https", "metrics")
# Short enough for the timeout tests; every request here takes milliseconds.
PREAUTH_IDLE = 3
EXTRA = '[mta_sts]\nmode = "enforce"\nmax_age = "1d"\n\n[http]\nmetrics_networks = ["10.0.0.0/8"]\n'

AD_REQUEST_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
AD_NS = {"a": "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006",
         "o": "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"}


@pytest.fixture(scope="module")
def srv(pochta_bin, tls_cert, default_users, tmp_path_factory):
    with shared_server(pochta_bin, tls_cert, default_users, tmp_path_factory.mktemp("http"), listen=LISTEN,
                       limits={"preauth_idle_timeout": f'"{PREAUTH_IDLE}s"'}, extra_config=EXTRA) as server:
        yield server


def connect(srv, listener):
    port = srv.ports[listener]
    if listener == "https":
        return http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=h.client_tls_context())
    return http.client.HTTPConnection("127.0.0.1", port, timeout=10)


def request(srv, path, listener="http", method="GET", body=None, headers=None):
    """(status, headers, body bytes) of one request on a fresh connection."""
    conn = connect(srv, listener)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r, r.read()
    finally:
        conn.close()


# --- Thunderbird autoconfig ----------------------------------------------

def check_autoconfig(srv, body, domain):
    root = ET.fromstring(body)
    assert root.tag == "clientConfig" and root.get("version") == "1.1"
    provider = root.find("emailProvider")
    assert provider.get("id") == domain and provider.findtext("domain") == domain
    servers = {}
    for element in provider.findall("incomingServer") + provider.findall("outgoingServer"):
        assert element.findtext("hostname") == h.HOSTNAME
        assert element.findtext("username") == "%EMAILADDRESS%"
        assert element.findtext("authentication") == "password-cleartext"
        servers[(element.get("type"), element.findtext("socketType"))] = int(element.findtext("port"))
    assert servers == {
        ("imap", "SSL"): srv.ports["imaps"], ("imap", "STARTTLS"): srv.ports["imap"],
        ("pop3", "SSL"): srv.ports["pop3s"], ("pop3", "STARTTLS"): srv.ports["pop3"],
        ("smtp", "SSL"): srv.ports["submissions"], ("smtp", "STARTTLS"): srv.ports["submission"],
    }
    # Implicit TLS first: Thunderbird takes the first server of each kind.
    assert provider.find("incomingServer").findtext("socketType") == "SSL"
    assert provider.find("outgoingServer").findtext("socketType") == "SSL"


@pytest.mark.parametrize("path", ["/mail/config-v1.1.xml", "/.well-known/autoconfig/mail/config-v1.1.xml"])
def test_autoconfig_with_emailaddress(srv, path):
    status, r, body = request(srv, f"{path}?emailaddress=alice%40example.test")
    assert status == 200 and r.getheader("Content-Type").startswith("application/xml")
    check_autoconfig(srv, body, "example.test")
    status, _, body = request(srv, f"{path}?emailaddress=someone%40CatchAll.test", listener="https")
    assert status == 200
    check_autoconfig(srv, body, "catchall.test")


def test_autoconfig_without_emailaddress_takes_the_host(srv):
    # Thunderbird for Android and Geary ask without the address.
    status, _, body = request(srv, "/mail/config-v1.1.xml", headers={"Host": "autoconfig.catchall.test"})
    assert status == 200
    check_autoconfig(srv, body, "catchall.test")
    status, _, body = request(srv, "/.well-known/autoconfig/mail/config-v1.1.xml", headers={"Host": "127.0.0.1"})
    assert status == 200
    check_autoconfig(srv, body, "example.test")


def test_autoconfig_for_another_domain_is_not_found(srv):
    status, _, _ = request(srv, "/mail/config-v1.1.xml?emailaddress=x%40elsewhere.example")
    assert status == 404


# --- Outlook autodiscover -------------------------------------------------

def autodiscover_body(address):
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<Autodiscover xmlns="{AD_REQUEST_NS}"><Request>'
            f"<EMailAddress>{address}</EMailAddress><AcceptableResponseSchema>{AD_NS['o']}"
            "</AcceptableResponseSchema></Request></Autodiscover>").encode()


@pytest.mark.parametrize("path,listener", [("/autodiscover/autodiscover.xml", "http"),
                                           ("/AutoDiscover/AutoDiscover.xml", "https"),
                                           ("/AUTODISCOVER/AUTODISCOVER.XML", "https")])
def test_autodiscover_pox(srv, path, listener):
    status, _, body = request(srv, path, listener=listener, method="POST", body=autodiscover_body(h.BOB),
                              headers={"Content-Type": "text/xml"})
    assert status == 200
    account = ET.fromstring(body).find("o:Response/o:Account", AD_NS)
    assert account.findtext("o:AccountType", namespaces=AD_NS) == "email"
    assert account.findtext("o:Action", namespaces=AD_NS) == "settings"
    protocols = {}
    for p in account.findall("o:Protocol", AD_NS):
        assert p.findtext("o:Server", namespaces=AD_NS) == h.HOSTNAME
        assert p.findtext("o:LoginName", namespaces=AD_NS) == h.BOB
        assert p.findtext("o:SPA", namespaces=AD_NS) == "off"
        assert p.findtext("o:AuthRequired", namespaces=AD_NS) == "on"
        protocols[(p.findtext("o:Type", namespaces=AD_NS), p.findtext("o:Encryption", namespaces=AD_NS))] = \
            int(p.findtext("o:Port", namespaces=AD_NS))
    assert protocols[("IMAP", "SSL")] == srv.ports["imaps"]
    assert protocols[("IMAP", "TLS")] == srv.ports["imap"]
    assert protocols[("SMTP", "SSL")] == srv.ports["submissions"]
    assert protocols[("SMTP", "TLS")] == srv.ports["submission"]


@pytest.mark.parametrize("body", [b"", b"<Autodiscover/>", autodiscover_body("x@elsewhere.example")])
def test_autodiscover_without_a_local_address_is_an_error_not_a_404(srv, body):
    status, _, answer = request(srv, "/autodiscover/autodiscover.xml", method="POST", body=body)
    assert status == 200
    error = ET.fromstring(answer).find("o:Response/o:Error", AD_NS)
    assert error.findtext("o:ErrorCode", namespaces=AD_NS) == "600"


@pytest.mark.parametrize("path", ["/autodiscover/autodiscover.json?Email=bob%40example.test&Protocol=AutodiscoverV1",
                                  "/autodiscover/autodiscover.json/v1.0/bob@example.test?Protocol=autodiscoverv1"])
def test_autodiscover_json(srv, path):
    status, r, body = request(srv, path, listener="https")
    assert status == 200 and r.getheader("Content-Type").startswith("application/json")
    assert json.loads(body) == {"Protocol": "AutodiscoverV1",
                                "Url": f"https://{h.HOSTNAME}/autodiscover/autodiscover.xml"}
    status, _, body = request(srv, "/autodiscover/autodiscover.json?Email=b%40example.test&Protocol=ActiveSync")
    assert status == 400 and json.loads(body)["ErrorCode"] == "ProtocolNotSupported"


# --- Apple profile, MTA-STS, health, ACME -------------------------------------

def test_apple_mobileconfig(srv):
    path = "/mail.mobileconfig?emailaddress=alice%40example.test"
    status, r, body = request(srv, path, listener="https")
    assert status == 200 and r.getheader("Content-Type") == "application/x-apple-aspen-config"
    profile = plistlib.loads(body)
    assert profile["PayloadType"] == "Configuration" and profile["PayloadVersion"] == 1
    (mail,) = profile["PayloadContent"]
    assert mail["PayloadType"] == "com.apple.mail.managed"
    assert mail["EmailAddress"] == h.ALICE and mail["EmailAccountType"] == "EmailTypeIMAP"
    assert (mail["IncomingMailServerHostName"], mail["IncomingMailServerPortNumber"]) == \
        (h.HOSTNAME, srv.ports["imaps"])
    assert (mail["OutgoingMailServerHostName"], mail["OutgoingMailServerPortNumber"]) == \
        (h.HOSTNAME, srv.ports["submissions"])
    assert mail["IncomingMailServerUseSSL"] is True and mail["OutgoingMailServerUseSSL"] is True
    assert mail["IncomingMailServerUsername"] == h.ALICE
    # The same address gets the same identity: installing again replaces.
    assert plistlib.loads(request(srv, path)[2])["PayloadUUID"] == profile["PayloadUUID"]
    assert request(srv, "/mail.mobileconfig")[0] == 400
    assert request(srv, "/mail.mobileconfig?emailaddress=a%40elsewhere.example")[0] == 404


def test_mta_sts_policy_over_https_only(srv):
    status, r, body = request(srv, "/.well-known/mta-sts.txt", listener="https",
                              headers={"Host": "mta-sts.example.test"})
    assert status == 200 and r.getheader("Content-Type").startswith("text/plain")
    assert body.decode().split("\r\n") == ["version: STSv1", "mode: enforce", f"mx: {h.HOSTNAME}",
                                           "max_age: 86400", ""]
    assert request(srv, "/.well-known/mta-sts.txt")[0] == 404


@pytest.mark.parametrize("listener", ["http", "https", "metrics"])
def test_healthz(srv, listener):
    status, _, body = request(srv, "/healthz", listener=listener)
    assert (status, body) == (200, b"ok\n")


def test_metrics_listener_serves_nothing_else(srv):
    assert request(srv, "/mail/config-v1.1.xml", listener="metrics")[0] == 404


def test_unknown_acme_challenge_and_paths(srv):
    assert request(srv, "/.well-known/acme-challenge/abc")[0] == 404
    assert request(srv, "/nothing-here")[0] == 404
    status, r, _ = request(srv, "/healthz", method="DELETE")
    assert status == 405 and r.getheader("Allow") == "GET"


# --- connections ----------------------------------------------------------

def test_keep_alive_serves_several_requests_on_one_connection(srv):
    conn = connect(srv, "https")
    try:
        conn.request("GET", "/healthz")
        r = conn.getresponse()
        assert r.read() == b"ok\n" and r.getheader("Connection") == "keep-alive"
        sock = conn.sock
        for _ in range(3):
            conn.request("HEAD", "/healthz")
            r = conn.getresponse()
            assert r.status == 200 and r.read() == b"" and r.getheader("Content-Length") == "3"
        assert conn.sock is sock
    finally:
        conn.close()


def raw_exchange(srv, data, listener="http"):
    """Sends bytes, returns everything the server sends until it closes."""
    with socket.create_connection(("127.0.0.1", srv.ports[listener]), timeout=10) as s:
        s.sendall(data)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_pipelined_requests_are_answered_in_order(srv):
    answer = raw_exchange(srv, b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
                               b"GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n"
                               b"GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)
    assert statuses == [b"200", b"404", b"200"]
    assert answer.rstrip().endswith(b"ok")


@pytest.mark.parametrize("data,status", [
    (b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 9000 + b"\r\n\r\n", b"431"),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n", b"414"),
    (b"GET / HTTP/1.1\r\nHost: a\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(70)) + b"\r\n", b"431"),
    (b"POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: a\r\nContent-Length: 100000000\r\n\r\n", b"413"),
    (b"POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", b"501"),
    (b"GET / HTTP/1.1\r\n\r\n", b"400"),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n", b"400"),  # TLS on the plain port
])
def test_bad_requests_get_a_status_and_a_close(srv, data, status):
    answer = raw_exchange(srv, data)
    assert answer.startswith(b"HTTP/1.1 " + status), answer[:100]
    assert b"\r\nConnection: close\r\n" in answer


def test_a_trickled_request_is_cut_at_the_deadline(srv):
    """A header line now and then (each one progress for the idle timer)
    does not keep the connection: the whole request has its deadline."""
    with socket.create_connection(("127.0.0.1", srv.ports["http"]), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n")
        start = time.monotonic()
        answer = b""
        for i in range(20):
            try:
                s.sendall(b"X-%d: v\r\n" % i)
            except OSError:
                break
            s.settimeout(1.0)
            try:
                chunk = s.recv(4096)
            except socket.timeout:
                continue
            answer += chunk
            if not chunk or answer.startswith(b"HTTP/1.1 408"):
                break
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert time.monotonic() - start < PREAUTH_IDLE + 2


def test_an_idle_kept_connection_is_closed(srv):
    with socket.create_connection(("127.0.0.1", srv.ports["http"]), timeout=PREAUTH_IDLE + 5) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        start = time.monotonic()
        data = b""
        while chunk := s.recv(4096):
            data += chunk
        assert data.startswith(b"HTTP/1.1 200")
        assert PREAUTH_IDLE - 1 < time.monotonic() - start < PREAUTH_IDLE + 3


def test_connections_per_ip_are_capped(make_server):
    """HTTP clients never log in: every open connection counts against
    max_connections_per_ip, and one more gets a 503 and a close."""
    srv = make_server(listen=("smtp", "http"), limits={"max_connections_per_ip": 3})
    held = [socket.create_connection(("127.0.0.1", srv.ports["http"]), timeout=10) for _ in range(3)]
    try:
        for s in held:  # each is being served
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
            assert s.recv(4096).startswith(b"HTTP/1.1 200")
        answer = raw_exchange(srv, b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 503"), answer
    finally:
        for s in held:
            s.close()


# --- metrics ----------------------------------------------------------------

def scrape(srv):
    """{(sample name, labels as a sorted tuple): value}, parsed by prometheus_client."""
    status, r, body = request(srv, "/metrics", listener="metrics")
    assert status == 200 and r.getheader("Content-Type").startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_families_and_types(srv):
    status, _, body = request(srv, "/metrics", listener="metrics")
    types = {f.name: f.type for f in text_string_to_metric_families(body.decode())}
    for name, kind in [("pochta_connections", "counter"), ("pochta_connections_open", "gauge"),
                       ("pochta_logins", "counter"), ("pochta_auth_failures", "counter"),
                       ("pochta_messages_received", "counter"), ("pochta_messages_delivered", "counter"),
                       ("pochta_messages_deferred", "counter"), ("pochta_messages_bounced", "counter"),
                       ("pochta_queue_messages", "gauge"), ("pochta_queue_oldest_seconds", "gauge"),
                       ("pochta_spam_verdicts", "counter"),
                       ("pochta_store_commit_seconds", "histogram"), ("pochta_store_commit_batch_size", "histogram")]:
        if name in types:
            assert types[name] == kind, name
    # Registered at start: the listeners' series and the histograms exist before any traffic.
    for name in ("pochta_connections", "pochta_connections_open", "pochta_queue_messages"):
        assert name in types, sorted(types)
    samples = scrape(srv)
    assert value(samples, "pochta_connections_open", listener="metrics") >= 1  # this scrape


def test_metrics_elsewhere_only_for_the_given_networks(srv):
    assert request(srv, "/metrics")[0] == 404  # 127.0.0.1 is not in 10.0.0.0/8


def test_counters_move_when_mail_flows(srv):
    before = scrape(srv)
    tok = h.token("metrics")
    h.deliver(srv, h.ALICE, h.make_message(tok))
    with srv.smtp("submission") as c:
        c.starttls(context=h.client_tls_context())
        c.login(h.BOB, h.PASSWORD)
        c.sendmail(h.BOB, ["someone@remote.example"], h.make_message(tok + "-out", sender=h.BOB, to="someone@remote.example"))
    m = imaplib.IMAP4_SSL("127.0.0.1", srv.ports["imaps"], ssl_context=h.client_tls_context(), timeout=30)
    with pytest.raises(imaplib.IMAP4.error):
        m.login(h.ALICE, "wrong password")
    m.logout()

    state = {}

    def moved():
        after = state["after"] = scrape(srv)
        def grew(name, by=1, **labels):
            return value(after, name, **labels) >= value(before, name, **labels) + by

        verdicts = [("pochta_spam_verdicts_total", {"verdict": v}) for v in ("inbox", "junk", "reject")]
        checks = {
            "received smtp": grew("pochta_messages_received_total", listener="smtp"),
            "received submission": grew("pochta_messages_received_total", listener="submission"),
            "delivered local": grew("pochta_messages_delivered_total", destination="local"),
            # The relay's port is closed: the outbound copy is deferred and stays queued.
            "deferred": grew("pochta_messages_deferred_total"),
            "queued": value(after, "pochta_queue_messages") >= 1,
            "spam verdict": sum(value(after, n, **l) for n, l in verdicts) >= sum(value(before, n, **l) for n, l in verdicts) + 1,
            "login": grew("pochta_logins_total", protocol="smtp"),
            "auth failure": grew("pochta_auth_failures_total", protocol="imap"),
            "commits": grew("pochta_store_commit_seconds_count", by=2),
            "batch sizes": value(after, "pochta_store_commit_batch_size_count")
            == value(after, "pochta_store_commit_seconds_count"),
            "connections": grew("pochta_connections_total", listener="smtp"),
        }
        state["failing"] = [name for name, ok in checks.items() if not ok]
        return not state["failing"]

    h.eventually(moved, timeout=15)
    assert not state["failing"], state["failing"]
    after = state["after"]
    assert value(after, "pochta_queue_oldest_seconds") >= 0
    assert value(after, 'pochta_store_commit_seconds_bucket', le="+Inf") == value(after, "pochta_store_commit_seconds_count")


# --- pochta dns / doctor ------------------------------------------------------

def test_dns_prints_the_http_names_and_doctor_checks_them(make_server, tmp_path):
    from dns_zone import DnsZone
    from test_dns_doctor import host_cert, make_dkim_key, records_of, serve_zone, use_cert
    with DnsZone() as zone:
        srv = make_server(start=False, listen=("smtp", "submissions", "imaps", "http", "https"), dns_zone=zone)
        use_cert(srv, *host_cert(tmp_path, 90))
        make_dkim_key(srv.folder / "data" / "dkim")
        srv.config.write_text(srv.config.read_text().replace(
            "hostname     =", 'public_addresses = ["192.0.2.10"]\nhostname     =', 1))
        text = srv.cli_ok("dns", "example.test").decode()
        got = {(n, t): r for n, t, r in records_of(text)}
        for name in ("autoconfig", "autodiscover", "mta-sts"):
            assert got[(f"{name}.example.test.", "CNAME")].to_text() == f"{h.HOSTNAME}."
        sts = b"".join(got[("_mta-sts.example.test.", "TXT")].strings).decode()
        assert re.fullmatch(r"v=STSv1; id=[0-9a-f]{20}", sts), sts
        assert b"".join(got[("_smtp._tls.example.test.", "TXT")].strings) == \
            b"v=TLSRPTv1; rua=mailto:postmaster@example.test"
        serve_zone(zone, text)
        r = srv.cli("doctor", "example.test")
        assert r.returncode == 0, r.stdout.decode()
        assert "autoconfig.example.test. CNAME: reaches 192.0.2.10" in r.stdout.decode()
        # A new policy gets a new id, and doctor says the published one is old.
        srv.config.write_text(srv.config.read_text() + '\n[mta_sts]\nmode = "enforce"\n')
        new = {(n, t): r for n, t, r in records_of(srv.cli_ok("dns", "example.test").decode())}
        assert b"".join(new[("_mta-sts.example.test.", "TXT")].strings).decode() != sts
        r = srv.cli("doctor", "example.test")
        assert r.returncode == 1 and "_mta-sts.example.test." in r.stdout.decode()
