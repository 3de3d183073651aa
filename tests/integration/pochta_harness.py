"""Drives a real `pochta` binary for the integration tests.

A Server owns one temporary directory (config, users, aliases, data), starts
`pochta serve` in the foreground, learns the ephemeral ports from the
`listening NAME HOST:PORT` log lines and reads the store back through the
CLI (`mailbox list`, `message list`, `message show`, `queue list`). The
RawClient speaks SMTP over a plain socket so tests control every byte that
goes on the wire; smtplib covers the well-behaved-client paths.
"""

import atexit
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

from dns_zone import DnsZone

HOSTNAME = "mx.example.test"
PASSWORD = "secret"
ALICE = "alice@example.test"
BOB = "bob@example.test"
CLIENT_NAME = "client.test"
REMOTE_SENDER = "sender@remote.example"

# Limits of the default server; tests derive their sizes from these.
MAX_MESSAGE_SIZE = 1_000_000
MAX_RECIPIENTS = 5

SMTP_LISTENERS = ("smtp", "submission", "submissions")
LISTEN_RE = re.compile(
    r"listening (smtp|submissions|submission|imaps|imap|pop3s|pop3|sieve|https|http|metrics) (\[[^\]]*\]|[^\s:]+):(\d+)")

_default_zone = None


def default_dns_zone():
    """An empty zone: every name is NXDOMAIN, answered at once."""
    global _default_zone
    if _default_zone is None:
        _default_zone = DnsZone()
    return _default_zone


# Every process started here, so an interrupted run still kills them.
_live = set()


@atexit.register
def _kill_leftovers():
    for server in list(_live):
        server.kill()


def client_tls_context():
    """The clients never verify the self-signed test certificate."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def make_cert(folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60)
    return cert, key


def make_ca_and_cert(folder: Path, names: str):
    """A CA and a certificate it signed for `names` (a subjectAltName value,
    e.g. "DNS:a.test,IP:127.0.0.1"), for clients that verify: the CA goes
    into their trust store. Returns (ca, cert, key) paths."""
    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = folder / "ca.key", folder / "ca.pem"
    key, csr, cert = folder / "server.key", folder / "server.csr", folder / "server.pem"
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=pochta test CA", "-keyout", str(ca_key), "-out", str(ca_cert))
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-subj", "/CN=" + names.split(",")[0].split(":", 1)[1], "-keyout", str(key), "-out", str(csr))
    ext = folder / "ext.cnf"
    ext.write_text(f"subjectAltName={names}\n")
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key), "-CAcreateserial",
            "-days", "2", "-extfile", str(ext), "-out", str(cert))
    return ca_cert, cert, key


def sha512_crypt(password: str) -> str:
    out = subprocess.run(["openssl", "passwd", "-6", password],
                         check=True, capture_output=True, text=True, timeout=30)
    return out.stdout.strip()


def toml_str(value) -> str:
    # JSON string escapes are valid in TOML basic strings.
    return json.dumps(str(value), ensure_ascii=False)


def free_port() -> int:
    """A port nothing listens on (bound, then released): a relay that refuses."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One pochta instance in its own folder; start/stop may be repeated."""

    def __init__(self, binary, folder: Path, cert, key, *, users, aliases=None,
                 domains=("example.test", "catchall.test"), limits=None,
                 listen=SMTP_LISTENERS, hostname=HOSTNAME, extra_config="", dns_zone=None):
        self.binary = str(binary)
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.config = self.folder / "pochta.toml"
        self.users_file = self.folder / "users"
        self.aliases_file = self.folder / "aliases"
        self.hostname = hostname
        self.proc = None
        self.ports = {}
        self.starts = 0
        self.log_path = None
        self._cache = {}
        self.users_file.write_text("".join(f"{a}:{h}\n" for a, h in users.items()), encoding="utf-8")
        if aliases is not None:
            self.aliases_file.write_text(aliases, encoding="utf-8")
        limits = dict(limits or {})
        lines = [
            f"hostname     = {toml_str(hostname)}",
            f"data_dir     = {toml_str(self.folder / 'data')}",
            "domains      = [" + ", ".join(toml_str(d) for d in domains) + "]",
            f"users_file   = {toml_str(self.users_file)}",
        ]
        if aliases is not None:
            lines.append(f"aliases_file = {toml_str(self.aliases_file)}")
        lines += ["", "[tls]", f"cert = {toml_str(cert)}", f"key  = {toml_str(key)}", "", "[listen]"]
        lines += [f"{name} = \"127.0.0.1:0\"" for name in listen]
        self.listeners = tuple(listen)
        if limits:
            lines += ["", "[limits]"] + [f"{k} = {v}" for k, v in limits.items()]
        # Outbound mail goes to a closed local port: it stays queued
        # (temporary failure) and no test ever touches real DNS.
        lines += ["", "[delivery]", f"relay = \"127.0.0.1:{free_port()}\""]
        # Every DNS question (the checks on arrival, doctor) goes to a test
        # zone: the given one, or an empty one shared by the run.
        self.dns_zone = dns_zone or default_dns_zone()
        lines.append(f"dns_servers = [\"{self.dns_zone.server}\"]")
        if extra_config:
            lines += ["", extra_config]
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    # --- process ---------------------------------------------------------

    def start(self, timeout=20.0, probe=True):
        assert self.proc is None, "server already running"
        self.starts += 1
        self._cache = {}  # a restart must prove the store, not this cache
        self.log_path = self.folder / f"serve-{self.starts}.log"
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([self.binary, "serve", "-c", str(self.config)],
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        _live.add(self)
        self.ports = {}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, _host, port in LISTEN_RE.findall(self.log_text()):
                self.ports[name] = int(port)
            if all(n in self.ports for n in self.listeners):
                if probe:
                    self._await_greeting(deadline)
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"pochta serve exited with {self.proc.returncode}:\n{self.log_text()}")
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"pochta serve did not log all listeners in {timeout}s:\n{self.log_text()}")

    def _await_greeting(self, deadline):
        """The listeners are logged before the event loop (and its signal
        handlers) runs; a greeting proves the loop is serving, so a signal
        sent by a test from now on meets the server's own handler."""
        name = next(n for n in ("smtp", "submission", "submissions") if n in self.ports)
        while True:
            try:
                with RawClient("127.0.0.1", self.ports[name], implicit_tls=(name == "submissions"),
                               timeout=max(1.0, deadline - time.monotonic())) as c:
                    assert c.greeting.code == 220, c.greeting
                    assert c.cmd("QUIT").code == 221
                    try:  # wait for the server's close, so this probe counts against no cap
                        while c.sock.recv(4096):
                            pass
                    except OSError:
                        pass
                return
            except (OSError, ConnectionClosed):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=10.0):
        """SIGTERM; returns (exit status, seconds taken), or (None, timeout) if it hung."""
        if self.proc is None:
            return None, 0.0
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None, timeout
        self._forget()
        return rc, time.monotonic() - started

    def kill(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self._forget()

    def _forget(self):
        self.proc = None
        _live.discard(self)

    def log_text(self):
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_bytes().decode("utf-8", "replace")

    def sanitizer_reports(self):
        text = "".join(p.read_bytes().decode("utf-8", "replace")
                       for p in sorted(self.folder.glob("serve-*.log")))
        return [line for line in text.splitlines()
                if "AddressSanitizer" in line or "runtime error:" in line
                or "LeakSanitizer" in line]

    # --- CLI ---------------------------------------------------------------

    def cli(self, *args, input=None, timeout=30):
        if isinstance(input, str):
            input = input.encode()
        return subprocess.run([self.binary, *args, "-c", str(self.config)], input=input,
                              capture_output=True, timeout=timeout)

    def cli_ok(self, *args, input=None):
        r = self.cli(*args, input=input)
        assert r.returncode == 0, f"pochta {' '.join(args)} -> {r.returncode}: {r.stderr.decode(errors='replace')}"
        return r.stdout

    def mailboxes(self, user):
        """{name: (messages, unseen, uidvalidity, uidnext)} from `mailbox list`."""
        result = {}
        for line in self.cli_ok("mailbox", "list", user).decode().splitlines():
            fields = line.split()
            if fields:
                result[fields[0]] = tuple(int(f) for f in fields[1:5])
        return result

    def message_list(self, user, mailbox="INBOX"):
        """[(uid, size, flags)] from `message list`; an absent mailbox is empty."""
        r = self.cli("message", "list", user, mailbox)
        if r.returncode != 0:
            return []
        rows = []
        for line in r.stdout.decode().splitlines():
            fields = line.split(None, 2)
            if fields:
                rows.append((int(fields[0]), int(fields[1]), fields[2] if len(fields) > 2 else ""))
        return rows

    def show(self, user, mailbox, uid):
        key = (user, mailbox, uid)
        if key not in self._cache:  # stored messages never change
            self._cache[key] = self.cli_ok("message", "show", user, mailbox, str(uid))
        return self._cache[key]

    def messages(self, user, mailbox="INBOX"):
        return [self.show(user, mailbox, uid) for uid, _s, _f in self.message_list(user, mailbox)]

    def find(self, user, token, mailbox="INBOX"):
        """Every stored message of the user's mailbox containing token."""
        token = token.encode() if isinstance(token, str) else token
        return [m for m in self.messages(user, mailbox) if token in m]

    def find_one(self, user, token, mailbox="INBOX"):
        found = self.find(user, token, mailbox)
        assert len(found) == 1, f"{len(found)} messages with {token!r} for {user}/{mailbox}"
        return found[0]

    def queue(self):
        return self.cli_ok("queue", "list").decode().splitlines()

    # --- clients -----------------------------------------------------------

    def raw(self, listener="smtp", **kw):
        return RawClient("127.0.0.1", self.ports[listener], implicit_tls=(listener == "submissions"), **kw)

    # Client timeouts stay above [auth] max_delay (15 s): every login answer,
    # a success too, waits out the delay its address has earned.
    def smtp(self, listener="smtp", timeout=30):
        import smtplib
        if listener == "submissions":
            return smtplib.SMTP_SSL("127.0.0.1", self.ports[listener], local_hostname=CLIENT_NAME,
                                    context=client_tls_context(), timeout=timeout)
        return smtplib.SMTP("127.0.0.1", self.ports[listener], local_hostname=CLIENT_NAME,
                            timeout=timeout)


class Reply:
    def __init__(self, code, lines):
        self.code = code
        self.lines = lines  # text after "NNN-" / "NNN "

    @property
    def text(self):
        return "\n".join(self.lines)

    @property
    def enhanced(self):
        """The RFC 2034 status code of the last line, or ''."""
        m = re.match(r"([245]\.\d{1,3}\.\d{1,3})(\s|$)", self.lines[-1] if self.lines else "")
        return m.group(1) if m else ""

    def __repr__(self):
        return f"<Reply {self.code} {self.lines!r}>"


class ConnectionClosed(Exception):
    pass


class RawClient:
    """SMTP over a bare socket: exact bytes out, replies parsed one by one."""

    def __init__(self, host, port, implicit_tls=False, timeout=30.0, read_greeting=True):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.tls = False
        if implicit_tls:
            self._wrap()
        self.greeting = self.reply() if read_greeting else None

    def _wrap(self):
        assert not self.buf, f"unread bytes before TLS: {self.buf!r}"
        self.sock = client_tls_context().wrap_socket(self.sock)
        self.tls = True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionClosed(f"server closed the connection (unread: {self.buf!r})")
        self.buf += chunk

    def line(self):
        while b"\r\n" not in self.buf:
            if len(self.buf) > 100_000:
                raise AssertionError("reply line without CRLF")
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def reply(self):
        lines, code = [], None
        while True:
            line = self.line()
            m = re.match(r"(\d{3})([ -])(.*)$", line)
            assert m, f"malformed reply line {line!r}"
            assert code is None or int(m.group(1)) == code, f"code changed inside a reply: {line!r}"
            code = int(m.group(1))
            lines.append(m.group(3))
            if m.group(2) == " ":
                return Reply(code, lines)

    def cmd(self, line):
        self.send(line + "\r\n" if isinstance(line, str) else line + b"\r\n")
        return self.reply()

    def ehlo(self, name=CLIENT_NAME):
        r = self.cmd(f"EHLO {name}")
        assert r.code == 250, r
        return r

    def keywords(self, ehlo_reply):
        """{KEYWORD: 'params'} of an EHLO reply (first line is the greeting)."""
        out = {}
        for line in ehlo_reply.lines[1:]:
            word, _, params = line.partition(" ")
            out[word.upper()] = params
        return out

    def starttls(self):
        r = self.cmd("STARTTLS")
        assert r.code == 220, r
        self._wrap()
        return r

    def expect_silence(self, seconds=0.5):
        """Asserts the server sends nothing more (and keeps the connection)."""
        if self.buf:
            raise AssertionError(f"unexpected bytes from server: {self.buf!r}")
        self.sock.settimeout(seconds)
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            return
        except ssl.SSLWantReadError:
            return
        finally:
            self.sock.settimeout(15.0)
        raise AssertionError(f"unexpected bytes from server: {data!r}")

    def closed_or_421(self, seconds=5.0):
        """True when the server closes at once or sends 421 (and nothing else)."""
        self.sock.settimeout(seconds)
        try:
            data = self.buf + self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return True
        except (socket.timeout, TimeoutError):
            return False
        except ssl.SSLError:
            return True
        return data == b"" or data.startswith(b"421")

    def transaction(self, sender, rcpts, message: bytes, mail_params=""):
        """MAIL, RCPTs, DATA with dot-stuffing; returns the final reply."""
        r = self.cmd(f"MAIL FROM:<{sender}>{mail_params}")
        assert r.code == 250, r
        for rcpt in rcpts:
            r = self.cmd(f"RCPT TO:<{rcpt}>")
            assert r.code == 250, (rcpt, r)
        r = self.cmd("DATA")
        assert r.code == 354, r
        self.send(dot_stuff(message) + b".\r\n")
        return self.reply()


def deliver(server, user, message: bytes):
    """Puts one message into user's INBOX over the MX listener."""
    with server.raw("smtp") as c:
        c.ehlo()
        r = c.transaction(REMOTE_SENDER, [user], message)
        assert r.code == 250, r


def dot_stuff(message: bytes) -> bytes:
    """Wire form of a message: leading dots doubled, ending in CRLF."""
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    lines = message.split(b"\r\n")
    return b"\r\n".join(b"." + l if l.startswith(b".") else l for l in lines)


def split_trace(stored: bytes):
    """(return_path, received_unfolded, rest) of a locally delivered message.

    Asserts the layout the store promises: exactly a Return-Path line, the
    Authentication-Results field of the checks on arrival and the
    X-Spam-Status field of the spam verdict (MX listener), then one Received field (folded lines start with whitespace), then the
    bytes as received.
    """
    assert stored.startswith(b"Return-Path: "), stored[:200]
    first, rest = stored.split(b"\r\n", 1)
    return_path = first[len(b"Return-Path: "):].decode("utf-8", "replace")
    for field in (b"Authentication-Results: ", b"X-Spam-Status: "):
        if rest.startswith(field):
            _line, rest = rest.split(b"\r\n", 1)
            while rest[:1] in (b" ", b"\t"):
                _line, rest = rest.split(b"\r\n", 1)
    assert rest.startswith(b"Received: "), rest[:200]
    received_lines = []
    line, rest = rest.split(b"\r\n", 1)
    received_lines.append(line)
    while rest[:1] in (b" ", b"\t"):
        line, rest = rest.split(b"\r\n", 1)
        received_lines.append(line)
    received = b" ".join(l.strip() for l in received_lines).decode("utf-8", "replace")
    return return_path, received, rest


def body_of(stored: bytes) -> bytes:
    return split_trace(stored)[2]


_counter = [0]


def token(prefix="t"):
    """A unique marker for one test message (Subject / Message-ID)."""
    _counter[0] += 1
    return f"{prefix}-{os.getpid()}-{_counter[0]}-{time.monotonic_ns() % 10**9}"


def make_message(tok, sender="sender@remote.example", to=ALICE, body=b"Hello.\r\n", headers=b""):
    return (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {tok}\r\n"
            f"Message-ID: <{tok}@client.test>\r\n").encode() + headers + b"\r\n" + body


def eventually(fn, timeout=8.0, interval=0.1):
    """Calls fn until it returns truthy or the time is up; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def sanitized(binary):
    """Whether the binary is an ASan build, whose memory figures (shadow
    memory, the quarantine of freed blocks) bounds of RSS do not fit."""
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()
