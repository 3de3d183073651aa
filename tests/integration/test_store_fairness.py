"""Store scheduling (README.md, "Store scheduling"): one user's heavy
commands never delay another user's. Six sessions of alice run a SEARCH
that scans 40 MB many times over; bob's LOGIN, SELECT and FETCH are all
answered while every one of alice's searches is still running or queued."""

import imaplib
import select
import socket
import ssl

import pochta_harness as h
from pochta_harness import ALICE, BOB, PASSWORD

HEAVY_SESSIONS = 6
BIG = b"x" * 76 + b"\r\n"
BIG_BODY = BIG * (4_000_000 // len(BIG))  # 4 MB of text every BODY key reads in full
# 60 keys that match nothing, each negated, so that every one of them is tried.
HEAVY_SEARCH = "SEARCH " + " ".join(f"NOT BODY nothere{i}" for i in range(60))


class Session:
    """A raw IMAPS session, so that a command can be left running."""

    def __init__(self, srv, user):
        raw = socket.create_connection(("127.0.0.1", srv.ports["imaps"]), timeout=120)
        self.sock = h.client_tls_context().wrap_socket(raw, server_hostname="localhost")
        self.buf = b""
        self.line()  # greeting
        self.command("l", f"LOGIN {user} {PASSWORD}")
        self.command("s", "SELECT INBOX")

    def line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            assert data, "connection closed"
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def send(self, tag, text):
        self.sock.sendall(f"{tag} {text}\r\n".encode())

    def tagged(self, tag):
        while True:
            line = self.line()
            if line.startswith(tag.encode() + b" "):
                return line

    def command(self, tag, text):
        self.send(tag, text)
        reply = self.tagged(tag)
        assert reply.startswith(f"{tag} OK".encode()), reply
        return reply

    def answered(self):
        """True once anything beyond what was read is waiting (non-blocking)."""
        if self.buf or self.sock.pending():
            return True
        readable, _, _ = select.select([self.sock], [], [], 0)
        return bool(readable)

    def close(self):
        self.sock.close()


def test_a_users_heavy_searches_do_not_delay_another_user(make_server):
    srv = make_server(listen=("smtp", "imaps"), limits={"max_message_size": 8_000_000})
    for i in range(6):
        h.deliver(srv, ALICE, h.make_message(h.token(f"big{i}"), to=ALICE, body=BIG_BODY))
    h.deliver(srv, BOB, h.make_message(h.token("bob"), to=BOB))
    h.eventually(lambda: len(srv.message_list(ALICE)) == 6 and len(srv.message_list(BOB)) == 1)

    heavy = [Session(srv, ALICE) for _ in range(HEAVY_SESSIONS)]
    try:
        for s in heavy:
            s.send("h", HEAVY_SEARCH)
        b = imaplib.IMAP4_SSL("127.0.0.1", srv.ports["imaps"], ssl_context=h.client_tls_context(), timeout=120)
        assert b.login(BOB, PASSWORD)[0] == "OK"
        assert b.select("INBOX")[0] == "OK"
        typ, data = b.fetch("1", "(FLAGS BODY.PEEK[HEADER])")
        assert typ == "OK" and b"Subject:" in data[0][1]
        # bob is done; alice's searches are all still running or queued.
        still_running = [not s.answered() for s in heavy]
        b.logout()
        assert all(still_running), still_running
        for s in heavy:
            # Each search reads 1.4 GB, past the per-command budget (README,
            # "IMAP": SEARCH limits): it is answered, by OK or NO [LIMIT].
            reply = s.tagged("h")
            assert reply.startswith(b"h OK") or reply.startswith(b"h NO [LIMIT]"), reply
    finally:
        for s in heavy:
            s.close()
