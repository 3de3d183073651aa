"""Outbound mail through the queue runner, all on loopback: a sink SMTP
server (aiosmtpd) takes the mail, a small DNS responder answers MX, A,
null MX, NXDOMAIN and SERVFAIL, and pochta is pointed at them through
[delivery] dns_servers / smtp_port, or at the sink as its relay."""

import asyncio
import re
import socket
import socketserver
import ssl
import struct
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

import pochta_harness as h
from pochta_harness import ALICE, PASSWORD

TYPE_A, TYPE_MX, TYPE_AAAA = 1, 15, 28


# --- a DNS responder --------------------------------------------------------

def encode_name(name):
    out = b""
    for label in name.strip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


class DnsZone:
    """name -> {"rcode": n} or {"MX": [(pref, host)], "A": [ip], "AAAA": [ip]}.
    Unknown names are NXDOMAIN; a known name without the asked type is NODATA."""

    def __init__(self, records):
        self.records = {k.lower(): v for k, v in records.items()}
        self.queries = []

    def answer(self, packet):
        if len(packet) < 12:
            return None
        qid, flags = struct.unpack("!HH", packet[:4])
        pos, labels = 12, []
        while pos < len(packet) and packet[pos] != 0:
            n = packet[pos]
            labels.append(packet[pos + 1:pos + 1 + n].decode("ascii", "replace"))
            pos += 1 + n
        question = packet[12:pos + 5]
        qtype = struct.unpack("!H", packet[pos + 1:pos + 3])[0]
        name = ".".join(labels).lower()
        self.queries.append((name, qtype))
        entry = self.records.get(name)
        rcode, answers = 0, []
        if entry is None:
            rcode = 3
        elif "rcode" in entry:
            rcode = entry["rcode"]
        elif qtype == TYPE_MX:
            for pref, host in entry.get("MX", []):
                answers.append((TYPE_MX, struct.pack("!H", pref) + encode_name(host)))
        elif qtype == TYPE_A:
            answers += [(TYPE_A, socket.inet_pton(socket.AF_INET, ip)) for ip in entry.get("A", [])]
        elif qtype == TYPE_AAAA:
            answers += [(TYPE_AAAA, socket.inet_pton(socket.AF_INET6, ip)) for ip in entry.get("AAAA", [])]
        out = struct.pack("!HHHHHH", qid, 0x8180 | (flags & 0x0100) | rcode, 1, len(answers), 0, 0) + question
        for rtype, rdata in answers:
            out += struct.pack("!HHHIH", 0xC00C, rtype, 1, 60, len(rdata)) + rdata
        return out


class DnsServer:
    def __init__(self, records):
        self.zone = DnsZone(records)
        zone = self.zone

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                data, sock = self.request
                reply = zone.answer(data)
                if reply:
                    sock.sendto(reply, self.client_address)

        self.server = socketserver.ThreadingUDPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# --- sink SMTP servers ------------------------------------------------------

class SinkHandler:
    """Keeps what it accepts. `data_replies` are answered to DATA in turn
    ("drop" closes the connection instead) before it accepts; recipients in
    `reject` get 550 at RCPT."""

    def __init__(self, data_replies=(), reject=()):
        self.data_replies = list(data_replies)
        self.reject = set(reject)
        self.messages = []   # (mail_from, [rcpts], content bytes)
        self.auth = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            reply = self.data_replies.pop(0) if self.data_replies else None
        if reply == "drop":
            server.transport.close()
            return "421 gone"
        if reply:
            return reply
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 Ok: queued"

    def received(self, token):
        token = token.encode()
        with self.lock:
            return [m for m in self.messages if token in m[2]]


class Sink:
    def __init__(self, port=None, tls_cert=None, auth=False, **kw):
        self.handler = SinkHandler(**kw)
        self.port = port or h.free_port()
        extra = {}
        if tls_cert:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(str(tls_cert[0]), str(tls_cert[1]))
            extra.update(tls_context=ctx, require_starttls=True)
        if auth:
            def authenticator(server, session, envelope, mechanism, auth_data):
                ok = auth_data.login == b"relayuser" and auth_data.password == b"relay-secret"
                self.handler.auth.append((mechanism, auth_data.login, ok))
                return AuthResult(success=ok)
            extra.update(authenticator=authenticator, auth_require_tls=True)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     server_hostname="sink.test", **extra)
        self.controller.start()

    def stop(self):
        self.controller.stop()


class SilentServer:
    """Accepts connections and never says a word."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self):
        self.running = False
        self.sock.close()
        for c in self.conns:
            c.close()


# --- pochta with its own [delivery] section -------------------------------

def outbound_server(make_server, delivery, start=True, **kw):
    """A server whose [delivery] section is `delivery` (TOML lines); retries
    come quickly and no wait is longer than two seconds."""
    srv = make_server(start=False, **kw)
    text = srv.config.read_text()
    section = ("[delivery]\n" + delivery.strip() + "\n"
               "retry_schedule = \"1s\"\nsmtp_timeout = \"2s\"\n")
    if "dns_servers" not in delivery:
        section += f'dns_servers = ["{srv.dns_zone.server}"]\n'
    text, n = re.subn(r"\[delivery\]\nrelay = \"127\.0\.0\.1:\d+\"\ndns_servers = \[[^\]]*\]\n", section, text)
    assert n == 1, text
    srv.config.write_text(text)
    if start:
        srv.start()
    return srv


def dns_delivery(dns, sink_port, extra=""):
    return f'dns_servers = ["127.0.0.1:{dns.port}"]\nsmtp_port = {sink_port}\n{extra}'


def submit(srv, rcpts, tok, sender=ALICE, body=b"Hello.\r\n", headers=b""):
    with srv.smtp("submissions") as s:
        s.login(ALICE, PASSWORD)
        s.sendmail(sender, rcpts, h.make_message(tok, sender=sender, to=rcpts[0], body=body, headers=headers))


def attempt_lines(srv, rcpt):
    return [line for line in srv.log_text().splitlines() if "smtp-out" in line and f"to=<{rcpt}>" in line]


@pytest.fixture
def sink():
    s = Sink()
    yield s
    s.stop()


ZONE = {
    "remote.example": {"MX": [(10, "mx.remote.example")]},
    "mx.remote.example": {"A": ["127.0.0.1"]},
    "other.example": {"MX": [(20, "mx1.other.example"), (10, "mx0.other.example")]},
    "mx0.other.example": {"A": ["127.0.0.1"]},
    "mx1.other.example": {"A": ["127.0.0.1"]},
    "nomx.example": {"A": ["127.0.0.1"]},
    "nullmx.example": {"MX": [(0, ".")]},
    "servfail.example": {"rcode": 2},
}


@pytest.fixture
def dns():
    d = DnsServer(ZONE)
    yield d
    d.close()


# --- delivery ---------------------------------------------------------------

def test_direct_mx_delivery(make_server, sink, dns):
    srv = outbound_server(make_server, dns_delivery(dns, sink.port))
    tok = h.token("mx")
    submit(srv, ["someone@remote.example"], tok)
    got = h.eventually(lambda: sink.handler.received(tok))
    assert len(got) == 1, srv.log_text()[-2000:]
    mail_from, rcpts, content = got[0]
    assert mail_from == ALICE and rcpts == ["someone@remote.example"]
    # Relayed mail carries our Received field and no Return-Path.
    assert b"Return-Path" not in content and b"Received: from" in content
    assert h.eventually(lambda: srv.queue() == [])
    assert ("mx.remote.example", TYPE_MX) not in dns.zone.queries
    assert ("remote.example", TYPE_MX) in dns.zone.queries
    line = h.eventually(lambda: attempt_lines(srv, "someone@remote.example"))
    assert "status=sent" in line[0] and f"mx.remote.example[127.0.0.1]:{sink.port}" in line[0], line
    assert "queue_id=" in line[0] and "delay=" in line[0] and 'reply="250' in line[0]


def test_a_record_fallback_and_multi_domain(make_server, sink, dns):
    srv = outbound_server(make_server, dns_delivery(dns, sink.port))
    tok = h.token("multi")
    rcpts = ["a@remote.example", "b@remote.example", "c@other.example", "d@nomx.example"]
    submit(srv, rcpts, tok)
    assert h.eventually(lambda: len(sink.handler.received(tok)) == 3), sink.handler.received(tok)
    by_domain = sorted(sorted(m[1]) for m in sink.handler.received(tok))
    assert by_domain == [["a@remote.example", "b@remote.example"], ["c@other.example"], ["d@nomx.example"]]
    assert h.eventually(lambda: srv.queue() == [])
    # The lower preference is tried first.
    line = attempt_lines(srv, "c@other.example")[0]
    assert "mx0.other.example[127.0.0.1]" in line, line


def test_relay_with_auth_over_starttls(make_server, tls_cert):
    sink = Sink(tls_cert=tls_cert, auth=True)
    try:
        srv = make_server(start=False)
        (srv.folder / "relay-pass").write_text("relay-secret\n")
        srv = outbound_server(make_server, f'relay = "127.0.0.1:{sink.port}"\nrelay_user = "relayuser"\n'
                                           f'relay_password_file = "{srv.folder / "relay-pass"}"')
        tok = h.token("relay")
        submit(srv, ["x@anywhere.example", "y@elsewhere.example"], tok)
        got = h.eventually(lambda: sink.handler.received(tok))
        assert len(got) == 1, srv.log_text()[-2000:]
        # One transaction for both domains: the relay takes everything.
        assert sorted(got[0][1]) == ["x@anywhere.example", "y@elsewhere.example"]
        assert sink.handler.auth and sink.handler.auth[0][2] is True
        line = attempt_lines(srv, "x@anywhere.example")[0]
        assert "tls=\"TLS" in line, line
    finally:
        sink.stop()


def test_relay_auth_refused_without_tls(make_server):
    sink = Sink()  # no STARTTLS: the password must not go out in the clear
    try:
        srv = make_server(start=False)
        (srv.folder / "relay-pass").write_text("relay-secret\n")
        srv = outbound_server(make_server, f'relay = "127.0.0.1:{sink.port}"\nrelay_user = "relayuser"\n'
                                           f'relay_password_file = "{srv.folder / "relay-pass"}"')
        tok = h.token("noauth")
        submit(srv, ["x@anywhere.example"], tok)
        assert h.eventually(lambda: any(" 1 " in q or " 2 " in q for q in srv.queue()), timeout=10), srv.queue()
        assert sink.handler.received(tok) == []
        assert "x@anywhere.example" in srv.queue()[0]
    finally:
        sink.stop()


# --- failures and retries -----------------------------------------------------

def test_451_then_250_is_delivered_after_retry(make_server, dns):
    sink = Sink(data_replies=["451 4.3.0 Try again later"])
    try:
        srv = outbound_server(make_server, dns_delivery(dns, sink.port))
        tok = h.token("retry")
        submit(srv, ["r@remote.example"], tok)
        assert h.eventually(lambda: sink.handler.received(tok), timeout=15), srv.log_text()[-2000:]
        assert h.eventually(lambda: srv.queue() == [])
        lines = attempt_lines(srv, "r@remote.example")
        assert "status=deferred" in lines[0] and "451 4.3.0" in lines[0], lines
        assert "status=sent" in lines[-1]
        assert len(sink.handler.received(tok)) == 1
    finally:
        sink.stop()


def test_550_bounces_to_the_local_sender(make_server, dns):
    sink = Sink(reject={"nobody@remote.example"})
    try:
        srv = outbound_server(make_server, dns_delivery(dns, sink.port))
        tok = h.token("bounce")
        submit(srv, ["nobody@remote.example", "fine@remote.example"], tok)
        assert h.eventually(lambda: sink.handler.received(tok))
        assert sink.handler.received(tok)[0][1] == ["fine@remote.example"]
        bounces = h.eventually(lambda: srv.find(ALICE, tok), timeout=10)
        assert len(bounces) == 1, srv.log_text()[-2000:]
        dsn = bounces[0]
        assert b"Return-Path: <>" in dsn
        assert b"multipart/report" in dsn and b"message/delivery-status" in dsn
        assert b"Final-Recipient: rfc822; nobody@remote.example" in dsn
        assert b"5.1.1" in dsn and b"fine@remote.example\r\nAction" not in dsn
        assert h.eventually(lambda: srv.queue() == [])
        # Exactly one bounce, and none for the bounce itself.
        time.sleep(1.5)
        assert len(srv.find(ALICE, tok)) == 1
    finally:
        sink.stop()


def test_dns_failures(make_server, sink, dns):
    srv = outbound_server(make_server, dns_delivery(dns, sink.port))
    tok = h.token("dns")
    submit(srv, ["n@nullmx.example", "x@nxdomain.example", "s@servfail.example"], tok)
    dsn = h.eventually(lambda: srv.find(ALICE, tok), timeout=10)
    assert len(dsn) == 1, srv.log_text()[-2000:]
    assert b"n@nullmx.example" in dsn[0] and b"x@nxdomain.example" in dsn[0]
    assert b"Final-Recipient: rfc822; s@servfail.example" not in dsn[0]
    # SERVFAIL is temporary: that recipient waits in the queue.
    queue = srv.queue()
    assert len(queue) == 1 and "s@servfail.example" in queue[0] and "n@nullmx" not in queue[0], queue
    assert "4.4.3" in queue[0]


def test_dropped_connection_mid_data_is_retried(make_server, dns):
    sink = Sink(data_replies=["drop"])
    try:
        srv = outbound_server(make_server, dns_delivery(dns, sink.port))
        tok = h.token("drop")
        submit(srv, ["d@remote.example"], tok)
        assert h.eventually(lambda: sink.handler.received(tok), timeout=15), srv.log_text()[-2000:]
        assert h.eventually(lambda: srv.queue() == [])
        assert "status=deferred" in attempt_lines(srv, "d@remote.example")[0]
        assert len(sink.handler.received(tok)) == 1
    finally:
        sink.stop()


def test_silent_server_times_out(make_server, dns):
    silent = SilentServer()
    try:
        srv = outbound_server(make_server, dns_delivery(dns, silent.port))
        tok = h.token("silent")
        submit(srv, ["t@remote.example"], tok)
        line = h.eventually(lambda: attempt_lines(srv, "t@remote.example"), timeout=10)
        assert line and "status=deferred" in line[0], srv.log_text()[-2000:]
        queue = srv.queue()
        assert len(queue) == 1 and "t@remote.example" in queue[0] and "greeting" in queue[0], queue
    finally:
        silent.close()


def test_gives_up_after_max_queue_time(make_server, dns):
    sink = Sink(data_replies=["451 4.3.0 later"] * 100)
    try:
        srv = outbound_server(make_server, dns_delivery(dns, sink.port, 'max_queue_time = "3s"'))
        tok = h.token("expire")
        submit(srv, ["late@remote.example"], tok)
        dsn = h.eventually(lambda: srv.find(ALICE, tok), timeout=15)
        assert len(dsn) == 1, srv.log_text()[-2000:]
        assert b"late@remote.example" in dsn[0] and b"Status: 5." in dsn[0]
        assert h.eventually(lambda: srv.queue() == [])
    finally:
        sink.stop()


def test_mail_loop_bounces(make_server, sink, dns):
    # 50 hops pass the inbound check; with our own Received field the
    # runner counts 51 and bounces instead of sending it on.
    srv = outbound_server(make_server, dns_delivery(dns, sink.port))
    tok = h.token("loop")
    hops = b"".join(b"Received: from hop%d.example by x.example; Mon, 1 Jan 2024 00:00:00 +0000\r\n" % i
                    for i in range(50))
    submit(srv, ["l@remote.example"], tok, headers=hops)
    dsn = h.eventually(lambda: srv.find(ALICE, tok), timeout=10)
    assert len(dsn) == 1 and b"5.4.6" in dsn[0]
    assert sink.handler.received(tok) == []


# --- restarts and admin ---------------------------------------------------------

@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
def test_queue_survives_restart_and_delivers_once(make_server, dns, how):
    port = h.free_port()  # nothing listens yet: the mail is deferred
    srv = outbound_server(make_server, dns_delivery(dns, port))
    tok = h.token("restart")
    submit(srv, ["once@remote.example", "twice@other.example"], tok)
    assert h.eventually(lambda: any(" 1 " in q for q in srv.queue())), srv.queue()
    if how == "sigkill":
        srv.kill()
    else:
        assert srv.stop()[0] == 0
    sink = Sink(port=port)
    try:
        srv.start()
        assert h.eventually(lambda: len(sink.handler.received(tok)) == 2, timeout=15), srv.log_text()[-2000:]
        assert h.eventually(lambda: srv.queue() == [])
        time.sleep(2.5)  # a few more runner ticks: nothing is sent again
        assert sorted(r for m in sink.handler.received(tok) for r in m[1]) == \
            ["once@remote.example", "twice@other.example"]
    finally:
        sink.stop()


def test_queue_cli_on_a_running_server(make_server, dns):
    port = h.free_port()
    srv = outbound_server(make_server, dns_delivery(dns, port), start=False)
    srv.config.write_text(srv.config.read_text().replace('retry_schedule = "1s"', 'retry_schedule = "1h"'))
    srv.start()
    keep, drop = h.token("keep"), h.token("drop")
    submit(srv, ["k@remote.example"], keep)
    submit(srv, ["d@remote.example"], drop)
    assert h.eventually(lambda: sum(" 1 " in q for q in srv.queue()) == 2), srv.queue()
    lines = srv.queue()
    fields = {line.split()[2]: line.split() for line in lines}
    assert set(fields) == {"k@remote.example", "d@remote.example"}
    assert fields["k@remote.example"][1] == ALICE
    assert all(line.rstrip().endswith('"') and "4.4.1" in line for line in lines), lines
    assert srv.cli("queue", "delete", fields["d@remote.example"][0]).returncode == 0
    assert [line.split()[2] for line in srv.queue()] == ["k@remote.example"]
    sink = Sink(port=port)
    try:
        # Next try is an hour away; flush makes it now.
        time.sleep(1)
        assert sink.handler.received(keep) == []
        srv.cli_ok("queue", "flush")
        assert h.eventually(lambda: sink.handler.received(keep), timeout=10), srv.log_text()[-2000:]
        assert h.eventually(lambda: srv.queue() == [])
        assert sink.handler.received(drop) == []
    finally:
        sink.stop()
