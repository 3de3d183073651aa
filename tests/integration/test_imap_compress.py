"""COMPRESS=DEFLATE (RFC 4978) with Python's imaplib and zlib on the
client side: FETCH over implicit TLS and over STARTTLS with deflate inside
the TLS stream, IDLE pushes arriving compressed, the command's errors, and
hostile compressed input (corrupt data, a compressed flood with no line
end) ending only that session."""

import imaplib
import socket
import zlib

import pytest

import pochta_harness as h
from imap_pool import pool_fixture

srv = pool_fixture("zip", 6, listen=("smtp", "imap", "imaps"))
imaplib.Commands.setdefault("COMPRESS", ("AUTH", "SELECTED"))


class Deflated:
    """imaplib with COMPRESS DEFLATE: raw deflate both ways once the
    server's OK is in, sync-flushed after every command the client sends.
    Counts the octets on the wire and after inflating."""

    def start_compress(self):
        typ, data = self._simple_command("COMPRESS", "DEFLATE")
        assert typ == "OK", data
        self._deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
        self._inflater = zlib.decompressobj(-15)
        self._plain = b""
        self.wire_in = self.plain_in = 0

    def _compressing(self):
        return getattr(self, "_inflater", None) is not None

    def send(self, data):
        if not self._compressing():
            return super().send(data)
        self.sock.sendall(self._deflater.compress(data) + self._deflater.flush(zlib.Z_SYNC_FLUSH))

    def _fill(self):
        chunk = self.file.read1(65536)
        if not chunk:
            raise imaplib.IMAP4.abort("connection closed")
        self.wire_in += len(chunk)
        plain = self._inflater.decompress(chunk)
        self.plain_in += len(plain)
        self._plain += plain

    def read(self, size):
        if not self._compressing():
            return super().read(size)
        while len(self._plain) < size:
            self._fill()
        out, self._plain = self._plain[:size], self._plain[size:]
        return out

    def readline(self):
        if not self._compressing():
            return super().readline()
        while b"\n" not in self._plain:
            self._fill()
        line, self._plain = self._plain.split(b"\n", 1)
        return line + b"\n"


class DeflatedSSL(Deflated, imaplib.IMAP4_SSL):
    pass


class DeflatedPlain(Deflated, imaplib.IMAP4):
    pass


def message(i):
    body = "".join(f"Line {n} of message {i}: the quick brown fox jumps over the lazy dog.\r\n" for n in range(200))
    return (f"From: Sender <{h.REMOTE_SENDER}>\r\nTo: someone@example.test\r\nSubject: zip {i}\r\n"
            f"Message-ID: <zip{i}@remote.example>\r\n\r\n{body}").encode()


def imaps(server):
    return DeflatedSSL("127.0.0.1", server.ports["imaps"], ssl_context=h.client_tls_context())


def fill(server, user, count):
    for i in range(count):
        h.deliver(server, user, message(i))
    h.eventually(lambda: len(server.message_list(user)) == count)


def test_fetch_over_tls_compressed(srv):
    user = srv.pool.pop()
    fill(srv, user, 5)
    plain = imaps(srv)
    plain.login(user, h.PASSWORD)
    plain.select("INBOX")
    expected = plain.fetch("1:5", "(UID BODY.PEEK[])")[1]
    plain.logout()

    c = imaps(srv)
    c.login(user, h.PASSWORD)
    assert "COMPRESS=DEFLATE" in c.capability()[1][0].decode().split()
    c.start_compress()
    c.select("INBOX")
    assert c.fetch("1:5", "(UID BODY.PEEK[])")[1] == expected
    # The repetitive bodies shrink many times over on the wire.
    assert c.wire_in * 5 < c.plain_in, (c.wire_in, c.plain_in)
    # A second COMPRESS is refused, compressed, and the session goes on.
    typ, data = c._simple_command("COMPRESS", "DEFLATE")
    assert typ == "NO" and data[0].startswith(b"[COMPRESSIONACTIVE]"), (typ, data)
    assert c.noop()[0] == "OK"
    c.logout()


def test_starttls_then_compress(srv):
    user = srv.pool.pop()
    fill(srv, user, 2)
    c = DeflatedPlain("127.0.0.1", srv.ports["imap"])
    c.starttls(ssl_context=h.client_tls_context())
    c.login(user, h.PASSWORD)
    c.start_compress()
    c.select("INBOX")
    typ, data = c.fetch("2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK" and b"Subject: zip 1" in data[0][1]
    # A command that reads every body, answered compressed.
    typ, data = c.uid("SEARCH", "BODY", '"lazy dog"')
    assert typ == "OK" and len(data[0].split()) == 2
    c.logout()


def test_idle_pushes_arrive_compressed(srv):
    user = srv.pool.pop()
    fill(srv, user, 1)
    c = imaps(srv)
    c.login(user, h.PASSWORD)
    c.start_compress()
    c.select("INBOX")
    tag = c._new_tag()
    c.send(tag + b" IDLE\r\n")
    assert c.readline().startswith(b"+")
    wire_before = c.wire_in
    h.deliver(srv, user, message(99))
    c.sock.settimeout(10)
    assert c.readline() == b"* 2 EXISTS\r\n"
    assert c.wire_in > wire_before
    c.send(b"DONE\r\n")
    while not (line := c.readline()).startswith(tag):
        pass
    assert b"OK" in line
    assert c.fetch("2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")[1][0][1].strip() == b"Subject: zip 99"
    c.logout()


def test_compress_command_errors(srv):
    user = srv.pool.pop()
    c = imaps(srv)
    with pytest.raises(imaplib.IMAP4.error):
        c._simple_command("COMPRESS", "DEFLATE")  # before login: BAD
    c.login(user, h.PASSWORD)
    with pytest.raises(imaplib.IMAP4.error):
        c._simple_command("COMPRESS", "GZIP")
    with pytest.raises(imaplib.IMAP4.error):
        c._simple_command("COMPRESS")
    assert c.noop()[0] == "OK"  # still uncompressed
    c.logout()


def raw_compressed_session(server, user):
    """A TLS socket past LOGIN and COMPRESS, and the deflater for it."""
    s = h.client_tls_context().wrap_socket(socket.create_connection(("127.0.0.1", server.ports["imaps"]), timeout=10))
    f = s.makefile("rb")
    f.readline()
    s.sendall(f"a LOGIN {user} {h.PASSWORD}\r\nb COMPRESS DEFLATE\r\n".encode())
    assert f.readline().startswith(b"a OK")
    assert f.readline().startswith(b"b OK")
    return s, zlib.compressobj(6, zlib.DEFLATED, -15)


def closed(sock, timeout=10):
    sock.settimeout(timeout)
    try:
        while sock.recv(65536):
            pass
    except (ConnectionError, OSError):
        pass
    return True


def test_corrupt_stream_ends_the_session(srv):
    s, _ = raw_compressed_session(srv, srv.pool.pop())
    s.sendall(b"\xff\xff\xff\xff not deflate at all")
    assert closed(s)
    assert srv.alive()


def test_compressed_flood_is_bounded(srv):
    """A few KiB of deflate that inflate to 16 MiB without a line end: the
    server inflates only as far as its input limit at a time, refuses the
    overlong line and goes on with the next command."""
    s, deflater = raw_compressed_session(srv, srv.pool.pop())
    inflater = zlib.decompressobj(-15)
    bomb = deflater.compress(b"a" * (16 << 20) + b"\r\nc NOOP\r\n") + deflater.flush(zlib.Z_SYNC_FLUSH)
    assert len(bomb) < 100_000
    s.sendall(bomb)
    s.settimeout(60)
    answer = b""
    while b"c OK" not in answer:
        chunk = s.recv(65536)
        assert chunk, answer
        answer += inflater.decompress(chunk)
    assert b" BAD " in answer
    s.close()
    assert srv.alive()
