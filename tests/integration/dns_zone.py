"""A small authoritative DNS server for the tests, on 127.0.0.1 (UDP and TCP).

pochta is pointed at it with `[delivery] dns_servers`; the Python oracles
(dkimpy, pyspf, authheaders) read the same records through lookup() or the
ready-made hooks, so both sides see one zone. Names without any record get
NXDOMAIN, names with records of other types NOERROR without data; both carry
a SOA whose negative TTL is the zone's ttl. fail() makes a question answer
SERVFAIL, or not at all ("timeout").

    with DnsZone() as zone:
        zone.add("example.org", "TXT", "v=spf1 -all")
        zone.add("sel._domainkey.example.org", "TXT", ["v=DKIM1; k=rsa; p=MIIB...", "...rest"])
        zone.server   # "127.0.0.1:PORT"
"""

import socket
import socketserver
import struct
import threading
from collections import defaultdict

from dnslib import AAAA, CNAME, MX, PTR, QTYPE, RCODE, RR, SOA, SRV, TXT, A, DNSRecord

_RDATA = {
    "A": lambda v: A(v),
    "AAAA": lambda v: AAAA(v),
    "MX": lambda v: MX(v.split()[1], int(v.split()[0])),
    "PTR": lambda v: PTR(v),
    # "priority weight port target", as in a zone file
    "SRV": lambda v: SRV(*(int(f) for f in v.split()[:3]), v.split()[3]),
    "CNAME": lambda v: CNAME(v),
    "TXT": lambda v: TXT([s.encode() if isinstance(s, str) else s for s in v]),
}


def _norm(name):
    return name.rstrip(".").lower()


def _txt_strings(value):
    """A TXT value as its character-strings: a str is cut into 255-byte pieces."""
    if isinstance(value, (list, tuple)):
        return list(value)
    data = value.encode() if isinstance(value, str) else value
    return [data[i:i + 255] for i in range(0, len(data), 255)] or [b""]


class DnsZone:
    def __init__(self, ttl=60):
        self.ttl = ttl
        self.records = defaultdict(list)     # (name, TYPE) -> [(value, ttl)]
        self.failures = {}                   # (name, TYPE) -> "servfail" | "timeout"
        self.counts = defaultdict(int)
        self.lock = threading.Lock()
        zone = self

        class Udp(socketserver.BaseRequestHandler):
            def handle(self):
                data, sock = self.request
                reply = zone._answer(data)
                if reply is not None:
                    sock.sendto(reply, self.client_address)

        class Tcp(socketserver.BaseRequestHandler):
            def handle(self):
                head = self.request.recv(2, socket.MSG_WAITALL)
                if len(head) < 2:
                    return
                data = self.request.recv(struct.unpack("!H", head)[0], socket.MSG_WAITALL)
                reply = zone._answer(data)
                if reply is not None:
                    self.request.sendall(struct.pack("!H", len(reply)) + reply)

        # UDP gets a free port from the kernel; TCP needs the same number,
        # which a test running beside this one may hold: then try another.
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        for attempt in range(50):
            self._udp = socketserver.ThreadingUDPServer(("127.0.0.1", 0), Udp)
            port = self._udp.server_address[1]
            try:
                self._tcp = socketserver.ThreadingTCPServer(("127.0.0.1", port), Tcp)
                break
            except OSError:
                self._udp.server_close()
                if attempt == 49:
                    raise
        for srv in (self._udp, self._tcp):
            srv.daemon_threads = True
            threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.port = port

    # --- the zone --------------------------------------------------------

    @property
    def server(self):
        return f"127.0.0.1:{self.port}"

    def add(self, name, rtype, value, ttl=None):
        with self.lock:
            self.records[(_norm(name), rtype.upper())].append((value, self.ttl if ttl is None else ttl))

    def set(self, name, rtype, values):
        """Replaces every record of (name, type); [] removes them."""
        with self.lock:
            self.records[(_norm(name), rtype.upper())] = [(v, self.ttl) for v in values]

    def fail(self, name, rtype, how="servfail"):
        with self.lock:
            self.failures[(_norm(name), rtype.upper())] = how

    def heal(self, name, rtype):
        with self.lock:
            self.failures.pop((_norm(name), rtype.upper()), None)

    def queries(self, name, rtype):
        return self.counts[(_norm(name), rtype.upper())]

    def lookup(self, name, rtype):
        """The values of (name, type); TXT values joined into one str each."""
        with self.lock:
            values = [v for v, _ in self.records.get((_norm(name), rtype.upper()), [])]
        if rtype.upper() == "TXT":
            return [b"".join(s.encode() if isinstance(s, str) else s for s in _txt_strings(v)).decode("latin-1")
                    for v in values]
        return values

    def exists(self, name):
        with self.lock:
            return any(key[0] == _norm(name) and values for key, values in self.records.items())

    def dkim_dnsfunc(self, name, timeout=5):
        """dkimpy's dnsfunc: the TXT record of `name` as bytes, or None."""
        name = name.decode() if isinstance(name, bytes) else name
        found = self.lookup(name, "TXT")
        return found[0].encode("latin-1") if found else None

    # --- the wire --------------------------------------------------------

    def _answer(self, data):
        try:
            request = DNSRecord.parse(data)
        except Exception:
            return None
        q = request.q
        name, rtype = _norm(str(q.qname)), QTYPE.get(q.qtype)
        with self.lock:
            self.counts[(name, rtype)] += 1
            failure = self.failures.get((name, rtype))
            records = list(self.records.get((name, rtype), []))
            cname = list(self.records.get((name, "CNAME"), [])) if rtype != "CNAME" else []
        if failure == "timeout":
            return None
        reply = request.reply()
        if failure == "servfail":
            reply.header.rcode = RCODE.SERVFAIL
            return reply.pack()
        if not records and cname:
            target = cname[0][0]
            reply.add_answer(RR(q.qname, QTYPE.CNAME, rdata=CNAME(target), ttl=cname[0][1]))
            for value, ttl in self.records.get((_norm(target), rtype), []):
                reply.add_answer(RR(target, q.qtype, rdata=self._rdata(rtype, value), ttl=ttl))
            return reply.pack()
        for value, ttl in records:
            reply.add_answer(RR(q.qname, q.qtype, rdata=self._rdata(rtype, value), ttl=ttl))
        if not records:
            if not self.exists(name):
                reply.header.rcode = RCODE.NXDOMAIN
            soa = SOA("ns.zone.test", "admin.zone.test", (1, 3600, 600, 86400, self.ttl))
            reply.add_auth(RR(q.qname, QTYPE.SOA, rdata=soa, ttl=self.ttl))
        return reply.pack()

    @staticmethod
    def _rdata(rtype, value):
        if rtype == "TXT":
            return TXT(_txt_strings(value))
        return _RDATA[rtype](value)

    # --- lifetime --------------------------------------------------------

    def close(self):
        for srv in (self._udp, self._tcp):
            srv.shutdown()
            srv.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
