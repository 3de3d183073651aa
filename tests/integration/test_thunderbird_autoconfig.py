"""The real Thunderbird (Debian's) finds its settings from pochta's
autoconfig (README "Autoconfig, MTA-STS and metrics"). Thunderbird runs
headless with Marionette; in its chrome context the test calls Thunderbird's
own account-setup modules: FetchConfig.fromISP, the lookup of
autoconfig.DOMAIN and DOMAIN/.well-known over https then http, which parses
the XML with Thunderbird's readFromXML, and ConfigVerifier, the login the
account setup does with what it found. Names resolve to 127.0.0.1
(network.dns.forceResolve) and ports 80 and 443 go to pochta's listeners
(network.socket.forcePort); the test CA is trusted in the profile only."""

import base64
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time

import pytest

import pochta_harness as h
from conftest import shared_server

LISTEN = ("submission", "submissions", "imap", "imaps", "pop3", "pop3s", "http", "https")
# The certificate names example.test's autoconfig hosts but none of
# catchall.test's: that domain's lookup falls back to http.
CERT_NAMES = f"DNS:{h.HOSTNAME},DNS:autoconfig.example.test,DNS:example.test"
STARTUP_SECONDS = 60  # a bound for a loaded machine; it takes 5-10 s
# Thunderbird tries a wrong password several ways; each answer waits
# (README "Logins under attack"), at most this long here.
EXTRA = '[auth]\nmax_delay = "1s"\n'


class Marionette:
    """Marionette's wire protocol (length-prefixed JSON over TCP), the part
    the test needs: commands and their answers."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=STARTUP_SECONDS)
        self.buffer = b""
        self.last_id = 0
        hello = self._read()
        assert hello["marionetteProtocol"] == 3, hello

    def _read(self):
        while b":" not in self.buffer:
            self._receive()
        length, _, rest = self.buffer.partition(b":")
        self.buffer = rest
        while len(self.buffer) < int(length):
            self._receive()
        packet, self.buffer = self.buffer[:int(length)], self.buffer[int(length):]
        return json.loads(packet)

    def _receive(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("Marionette closed the connection")
        self.buffer += data

    def call(self, command, params=None):
        self.last_id += 1
        packet = json.dumps([0, self.last_id, command, params or {}]).encode()
        self.sock.sendall(str(len(packet)).encode() + b":" + packet)
        while True:
            _, answer_id, error, result = self._read()
            if answer_id == self.last_id:
                if error:
                    raise RuntimeError(f"{command}: {error}")
                return result

    def run(self, script, *args):
        """Runs `script` (a function body; an async one is awaited) in the
        chrome context and returns its value. An arrow function sees the
        wrapper's `arguments`."""
        wrapped = "return (async () => {" + script + "})();"
        return self.call("WebDriver:ExecuteScript", {"script": wrapped, "args": list(args)})["value"]


# What the scripts return: each server Thunderbird parsed, with its enum
# values by name (nsMsgSocketType, nsMsgAuthMethod) so failures read well.
DESCRIBE = """
const enumName = (values, v) => Object.keys(values).find(k => values[k] === v) ?? String(v);
const describe = s => ({type: s.type, hostname: s.hostname, port: s.port, username: s.username,
                        socketType: enumName(Ci.nsMsgSocketType, s.socketType),
                        auth: enumName(Ci.nsMsgAuthMethod, s.auth)});
const summary = c => ({id: c.id, domains: c.domains, subSource: c.subSource,
                       incoming: [c.incoming, ...c.incomingAlternatives].map(describe),
                       outgoing: [c.outgoing, ...c.outgoingAlternatives].map(describe)});
const { FetchConfig } = ChromeUtils.importESModule("resource:///modules/accountcreation/FetchConfig.sys.mjs");
const { AccountConfig } = ChromeUtils.importESModule("resource:///modules/accountcreation/AccountConfig.sys.mjs");
"""

FIND_CONFIG = DESCRIBE + """
const [domain, address, sendAddress] = arguments;
Services.prefs.setBoolPref("mailnews.auto_config.fetchFromISP.sendEmailAddress", sendAddress);
try {
  return {found: summary(await FetchConfig.fromISP(domain, address, new AbortController().signal))};
} catch (e) {
  return {error: String(e), causes: (e.errors ?? []).map(String)};
}
"""

# Thunderbird's account setup logs in with the settings it found before it
# creates the account (ConfigVerifier: a real IMAP login over implicit TLS).
VERIFY_LOGIN = DESCRIBE + """
const { ConfigVerifier } = ChromeUtils.importESModule("resource:///modules/accountcreation/ConfigVerifier.sys.mjs");
const [domain, address, password] = arguments;
const config = await FetchConfig.fromISP(domain, address, new AbortController().signal);
AccountConfig.replaceVariables(config, "Test User", address, password);
try {
  const verified = await new ConfigVerifier(null, new AbortController().signal).verifyConfig(config, false);
  return {verified: describe(verified.incoming)};
} catch (e) {
  return {error: String(e)};
}
"""


def trust_ca(marionette, ca_path):
    der = ssl.PEM_cert_to_DER_cert(ca_path.read_text())
    marionette.run("""
        const certdb = Cc["@mozilla.org/security/x509certdb;1"].getService(Ci.nsIX509CertDB);
        certdb.addCertFromBase64(arguments[0], "C,,");""", base64.b64encode(der).decode())


def write_prefs(profile, srv):
    prefs = {
        "marionette.port": 0,  # any free port, written to MarionetteActivePort
        "network.dns.forceResolve": "127.0.0.1",
        "network.socket.forcePort": f"80={srv.ports['http']};443={srv.ports['https']}",
        "mailnews.auto_config_url": "",  # no ISP database at Mozilla
        "mail.shell.checkDefaultClient": False,
        "app.update.disabledForTesting": True,
        "datareporting.policy.dataSubmissionEnabled": False,
        "toolkit.telemetry.reportingpolicy.firstRun": False,
    }
    lines = [f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in prefs.items()]
    (profile / "user.js").write_text("".join(lines))


def wait_for_marionette_port(profile, proc, log_path):
    port_file = profile / "MarionetteActivePort"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if port_file.exists() and port_file.read_text().strip():
            return int(port_file.read_text())
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    log = log_path.read_text(errors="replace")[-3000:]
    pytest.fail(f"thunderbird's Marionette did not listen within {STARTUP_SECONDS} s "
                f"(exit status {proc.poll()}):\n{log}")


def stop_thunderbird(marionette, proc):
    """Asks Thunderbird to quit, and kills its process group (the content
    processes too) if it does not within 15 s."""
    try:
        if marionette:
            marionette.call("Marionette:Quit", {"flags": ["eForceQuit"]})
        proc.wait(timeout=15)
    except (OSError, RuntimeError, subprocess.TimeoutExpired):
        pass
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return h.make_ca_and_cert(tmp_path_factory.mktemp("tbtls"), CERT_NAMES)


@pytest.fixture(scope="module")
def srv(pochta_bin, tls, default_users, tmp_path_factory):
    _, cert, key = tls
    with shared_server(pochta_bin, (cert, key), default_users, tmp_path_factory.mktemp("tbsrv"),
                       listen=LISTEN, extra_config=EXTRA) as server:
        yield server


def private_environment(home):
    """Thunderbird writes beside its profile too (~/.thunderbird, caches,
    dconf): a HOME of its own keeps the user's untouched."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(HOME=str(home), MOZ_CRASHREPORTER_DISABLE="1")
    return env


@pytest.fixture(scope="module")
def thunderbird(srv, tls, tmp_path_factory):
    if not shutil.which("thunderbird"):
        pytest.skip("thunderbird not installed")
    home = tmp_path_factory.mktemp("tbhome")
    profile = home / "profile"
    profile.mkdir()
    write_prefs(profile, srv)
    log_path = tmp_path_factory.mktemp("tblog") / "thunderbird.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            ["thunderbird", "--headless", "--marionette", "--remote-allow-system-access", "--no-remote",
             "--profile", str(profile)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            env=private_environment(home))
    marionette = None
    try:
        marionette = Marionette(wait_for_marionette_port(profile, proc, log_path))
        marionette.call("WebDriver:NewSession", {"capabilities": {}})
        marionette.call("Marionette:SetContext", {"value": "chrome"})
        trust_ca(marionette, tls[0])
        yield marionette
    finally:
        stop_thunderbird(marionette, proc)
        shutil.rmtree(home, ignore_errors=True)


def expected_servers(srv, username="%EMAILADDRESS%"):
    """Every listener, implicit TLS first (README: Thunderbird takes the
    first server of each kind), as Thunderbird's readFromXML parses them."""
    def server(kind, listener, socket_type):
        return {"type": kind, "hostname": h.HOSTNAME, "port": srv.ports[listener], "username": username,
                "socketType": socket_type, "auth": "passwordCleartext"}
    incoming = [server("imap", "imaps", "SSL"), server("imap", "imap", "alwaysSTARTTLS"),
                server("pop3", "pop3s", "SSL"), server("pop3", "pop3", "alwaysSTARTTLS")]
    outgoing = [server("smtp", "submissions", "SSL"), server("smtp", "submission", "alwaysSTARTTLS")]
    return incoming, outgoing


def find_config(thunderbird, domain, address, send_address=True):
    result = thunderbird.run(FIND_CONFIG, domain, address, send_address)
    assert "found" in result, result
    return result["found"]


def test_thunderbird_finds_the_settings_over_https(srv, thunderbird):
    config = find_config(thunderbird, "example.test", h.ALICE)
    # autoconfig.example.test over https: the certificate names it and its
    # CA is trusted, so the first URL in Thunderbird's order wins.
    assert config["subSource"] == "xml-from-isp-https"
    assert (config["id"], config["domains"]) == ("example.test", ["example.test"])
    incoming, outgoing = expected_servers(srv)
    assert config["incoming"] == incoming
    assert config["outgoing"] == outgoing


def test_without_a_valid_certificate_thunderbird_falls_back_to_http(srv, thunderbird):
    address = "someone@catchall.test"
    config = find_config(thunderbird, "catchall.test", address)
    assert config["subSource"] == "xml-from-isp-http"
    assert (config["id"], config["domains"]) == ("catchall.test", ["catchall.test"])
    assert (config["incoming"], config["outgoing"]) == expected_servers(srv)


def test_without_the_address_pochta_answers_for_the_host_name(srv, thunderbird):
    # mailnews.auto_config.fetchFromISP.sendEmailAddress off: Thunderbird
    # asks autoconfig.catchall.test without ?emailaddress (like Thunderbird
    # for Android), and pochta takes the domain from the Host.
    config = find_config(thunderbird, "catchall.test", "someone@catchall.test", send_address=False)
    assert (config["id"], config["domains"]) == ("catchall.test", ["catchall.test"])


def test_a_domain_pochta_does_not_serve_finds_nothing(thunderbird):
    result = thunderbird.run(FIND_CONFIG, "elsewhere.example", "x@elsewhere.example", True)
    assert "found" not in result and result["causes"], result


def test_thunderbird_logs_in_with_what_it_found(srv, thunderbird):
    result = thunderbird.run(VERIFY_LOGIN, "example.test", h.BOB, h.PASSWORD)
    assert result == {"verified": expected_servers(srv, h.BOB)[0][0]}
    result = thunderbird.run(VERIFY_LOGIN, "example.test", h.ALICE, "wrong password")
    assert "verified" not in result, result
