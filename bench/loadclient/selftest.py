#!/usr/bin/python3
"""Self-test of the load clients: runs pop3_load and imap_load against a
scripted fake server (loopback, STARTTLS with a throw-away certificate) that
answers correctly or breaks the protocol in one chosen way, and checks that
the client accepts the good server and exits 1 with the expected complaint
on every broken one.

    bench/loadclient/selftest.py [BIN_DIR]

BIN_DIR holds pop3_load and imap_load (compiled from this folder; default:
compile them, with -fsanitize=address,undefined, into a temporary folder).
Exit status 0 when every case behaves."""
import os, shutil, socket, socketserver, ssl, subprocess, sys, tempfile, threading

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS, MSGS, BYTES, WINDOW = 3, 40, 4096, 7


class Handler(socketserver.StreamRequestHandler):
    """One fake session; server.mode picks the fault."""

    def send(self, data):
        self.wfile.write(data)
        self.wfile.flush()

    def handle(self):
        try:
            self.server.session(self)
        except (OSError, ssl.SSLError, ValueError):
            pass  # the client gave up: that is what the bad cases expect

    def finish(self):
        try:
            super().finish()
        except (OSError, ssl.SSLError):
            pass

    def open_tls(self, greeting, command, reply):
        """Greets, waits for the STARTTLS command and switches to TLS after
        its reply; False when the client sent anything else."""
        self.send(greeting)
        if self.rfile.readline() != command:
            return False
        self.send(reply)
        tls = self.server.tls.wrap_socket(self.request, server_side=True)
        self.request = tls
        self.rfile = tls.makefile("rb")
        self.wfile = tls.makefile("wb")
        return True


def pop3_message(n, size):
    line = b"pop3 selftest line of text, padded to a common width 0123456789\r\n"
    head = b"Subject: message %d\r\n\r\n" % n
    body = (line * (size // len(line) + 1))[: size - len(head) - 2]
    return head + body + b"\r\n"  # a message ends in CRLF before the dot line


def pop3_session(mode):
    def session(h):
        if not h.open_tls(b"+OK fake POP3\r\n", b"STLS\r\n", b"+OK begin TLS\r\n"):
            return
        for line in h.rfile:
            cmd = line.rstrip(b"\r\n").split(b" ")
            if cmd[0] in (b"USER", b"PASS"):
                h.send(b"+OK\r\n")
            elif cmd[0] == b"QUIT":
                h.send(b"+OK bye\r\n")
                return
            elif cmd[0] == b"RETR":
                n = int(cmd[1])
                msg = pop3_message(n, BYTES)
                if mode == "dot-stuffed" and n == 5:
                    # "." and ".x" lines of the message, stuffed: not its end
                    cut = msg.index(b"\r\n", 40) + 2
                    msg = msg[:cut] + b"..\r\n..a stuffed line\r\n" + msg[cut:]
                if mode == "err" and n == 7:
                    h.send(b"-ERR no such message\r\n")
                    continue
                if mode == "short" and n == 9:
                    msg = msg[:98] + b"\r\n"
                if mode == "no-dot" and n == MSGS:
                    h.send(b"+OK\r\n" + msg)
                    return
                reply = b"+OK %d octets\r\n" % len(msg) + msg + b".\r\n"
                if mode == "extra" and n == 3:
                    reply += reply
                h.send(reply)
    return session


def envelope(n):
    # A literal whose bytes look like responses: counting them would fail.
    trap = b'x\r\n* 999 FETCH (FLAGS ())\r\np1 OK fake\r\n{5}'
    return (b'ENVELOPE ("Mon, 1 Jan 2026 00:00:00 +0000" {%d}\r\n%s NIL NIL NIL '
            b'(("Pat" NIL "pat" "example.test")) NIL NIL NIL "<m%d@x>")' % (len(trap), trap, n))


BODYSTRUCTURE = b'BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 4000 50 NIL NIL NIL NIL)'


def imap_session(mode):
    def session(h):
        if not h.open_tls(b"* OK fake IMAP\r\n", b"s1 STARTTLS\r\n", b"s1 OK begin TLS\r\n"):
            return
        for line in h.rfile:
            tag, _, rest = line.rstrip(b"\r\n").partition(b" ")
            if rest.startswith(b"LOGIN"):
                h.send(tag + b" OK logged in\r\n")
            elif rest == b"LOGOUT":
                h.send(b"* BYE\r\n" + tag + b" OK bye\r\n")
                return
            elif rest == b"SELECT INBOX":
                exists = MSGS - 1 if mode == "exists" else MSGS
                h.send(b"* FLAGS (\\Seen)\r\n* %d EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n%s OK [READ-WRITE] done\r\n"
                       % (exists, tag))
            elif rest == b"FETCH 1:* (FLAGS ENVELOPE BODYSTRUCTURE)":
                out = []
                for n in range(1, MSGS + 1):
                    if mode == "missing" and n == 4:
                        continue
                    seq = 3 if mode == "duplicate" and n == 4 else n
                    parts = [b"FLAGS (\\Seen)", envelope(n), BODYSTRUCTURE]
                    if mode == "no-bodystructure" and n == 6:
                        parts.pop()
                    out.append(b"* %d FETCH (%s)\r\n" % (seq, b" ".join(parts)))
                h.send(b"".join(out) + tag + b" OK done\r\n")
            elif rest == b"FETCH 1:* BODY.PEEK[]":
                out = []
                for n in range(1, MSGS + 1):
                    body = pop3_message(n, BYTES)
                    if mode == "tiny-body" and n == 8:
                        body = body[:10]
                    declared = len(body) - 2 if mode == "bad-literal" and n == 2 else len(body)
                    out.append(b"* %d FETCH (BODY[] {%d}\r\n%s)\r\n" % (n, declared, body))
                status = b" NO fetch failed\r\n" if mode == "tagged-no" else b" OK done\r\n"
                h.send(b"".join(out) + tag + status)
    return session


class FakeServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, session, tls):
        super().__init__(("127.0.0.1", 0), Handler)
        self.session, self.tls = session, tls


def run_case(tls, binary, args_of, session, expect_ok, expect_text):
    server = FakeServer(session, tls)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        p = subprocess.run([binary] + args_of(server.server_address[1]), capture_output=True, text=True, timeout=60)
    finally:
        server.shutdown()
        server.server_close()
    ok = (p.returncode == 0) if expect_ok else (p.returncode == 1 and expect_text in p.stderr)
    return ok, f"rc={p.returncode} out={p.stdout.strip()!r} err={p.stderr.strip()[:200]!r}"


def main():
    tmp = tempfile.mkdtemp(prefix="loadclient-selftest.")
    bindir = sys.argv[1] if len(sys.argv) > 1 else None
    if bindir is None:
        bindir = tmp
        for name in ("pop3_load", "imap_load"):
            subprocess.run(["cc", "-O1", "-g", "-std=c11", "-Wall", "-Wextra", "-Werror", "-pthread",
                            "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-o", f"{tmp}/{name}",
                            f"{HERE}/{name}.c", f"{HERE}/conn.c", "-lssl", "-lcrypto"], check=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=selftest",
                    "-keyout", f"{tmp}/key.pem", "-out", f"{tmp}/cert.pem"], check=True, capture_output=True)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(f"{tmp}/cert.pem", f"{tmp}/key.pem")

    pop3 = lambda port: [str(port), "pop@example.test", "secret", str(CLIENTS), str(MSGS), str(WINDOW), str(BYTES)]
    imap = lambda port: [str(port), "alice@example.test", "secret", str(CLIENTS), str(MSGS), str(BYTES), str(os.getpid())]
    clients = {"pop3": ("pop3_load", pop3, pop3_session), "imap": ("imap_load", imap, imap_session)}
    # (name, fake server mode, the complaint expected on stderr; None: the client must succeed)
    cases = [
        ("pop3 good", "good", None),
        ("pop3 dot-stuffed line", "dot-stuffed", None),
        ("pop3 -ERR", "err", "RETR 7: unexpected reply '-ERR"),
        ("pop3 short message", "short", "RETR 9: a message of"),
        ("pop3 no end line", "no-dot", "closed the connection"),
        ("pop3 extra reply", "extra", "data after the last reply"),
        ("imap good", "good", None),
        ("imap wrong EXISTS", "exists", f"did not report {MSGS} EXISTS"),
        ("imap missing FETCH", "missing", f"{MSGS - 1} FETCH responses"),
        ("imap duplicate FETCH", "duplicate", "'* 3 FETCH' twice"),
        ("imap no BODYSTRUCTURE", "no-bodystructure", "FETCH 6 lacks"),
        ("imap tiny BODY[]", "tiny-body", "FETCH 8: BODY[] of 10 bytes"),
        ("imap literal count off", "bad-literal", "imap_load"),
        ("imap tagged NO", "tagged-no", "failed: 'p2 NO"),
    ]
    failures = 0
    for name, mode, text in cases:
        binary, args_of, session_of = clients[name.split()[0]]
        ok, detail = run_case(tls, f"{bindir}/{binary}", args_of, session_of(mode), text is None, text or "")
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(cases) - failures} of {len(cases)} cases behave")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
