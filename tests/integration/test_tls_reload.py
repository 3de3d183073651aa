"""Certificates that change without a restart (README "TLS"): certificate
files replaced on disk are served to the next connection on IMAPS, SMTPS
and SMTP STARTTLS, on SIGHUP or when the files change; running sessions
keep theirs; files that do not load leave the old certificate in use."""

import hashlib
import os
import shutil
import signal
import socket
import ssl

import pytest

import pochta_harness as h
from conftest import shared_server

LISTENERS = ("smtp", "submissions", "imaps")


def served_fingerprint(srv, listener):
    """SHA-256 of the certificate the next connection to `listener` gets."""
    port = srv.ports[listener]
    if listener == "smtp":
        with h.RawClient("127.0.0.1", port) as client:
            client.ehlo()
            client.starttls()
            der = client.sock.getpeercert(binary_form=True)
    else:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with h.client_tls_context().wrap_socket(raw) as tls:
                der = tls.getpeercert(binary_form=True)
    return hashlib.sha256(der).hexdigest()


def file_fingerprint(cert_path):
    pem = cert_path.read_text()
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem[:pem.index("-----END CERTIFICATE-----") + 25])).hexdigest()


def install(source_dir, live_dir):
    """Puts a certificate in place the way certbot does: new files renamed over the old."""
    for name in ("fullchain.pem", "privkey.pem"):
        shutil.copy(source_dir / name, live_dir / (name + ".new"))
        os.replace(live_dir / (name + ".new"), live_dir / name)


def all_serve(srv, fingerprint):
    return all(served_fingerprint(srv, name) == fingerprint for name in LISTENERS)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    base = tmp_path_factory.mktemp("certs")
    live = base / "live"
    live.mkdir()
    sources = [base / name for name in ("a", "b", "c")]
    for folder in sources:
        h.make_cert(folder)
    install(sources[0], live)
    return live, sources


@pytest.fixture(scope="module")
def srv(pochta_bin, default_users, tmp_path_factory, certs):
    live, _ = certs
    with shared_server(pochta_bin, (live / "fullchain.pem", live / "privkey.pem"), default_users,
                       tmp_path_factory.mktemp("srv"), listen=LISTENERS) as server:
        yield server


def test_replaced_files_reach_the_next_connection_and_running_sessions_keep_theirs(srv, certs):
    live, (a, b, _) = certs
    install(a, live)
    assert h.eventually(lambda: all_serve(srv, file_fingerprint(a / "fullchain.pem")))
    with socket.create_connection(("127.0.0.1", srv.ports["imaps"]), timeout=10) as raw:
        with h.client_tls_context().wrap_socket(raw) as running:
            assert running.recv(4096).startswith(b"* OK")
            before = hashlib.sha256(running.getpeercert(binary_form=True)).hexdigest()

            install(b, live)  # no signal: the server notices the files changed
            new = file_fingerprint(b / "fullchain.pem")
            assert h.eventually(lambda: all_serve(srv, new)), srv.log_text()[-2000:]

            running.sendall(b"a1 NOOP\r\n")
            assert b"a1 OK" in running.recv(4096)
            assert hashlib.sha256(running.getpeercert(binary_form=True)).hexdigest() == before != new
    assert "loaded again for new connections" in srv.log_text()


def overwrite_keeping_stamp(source_dir, live_dir):
    """Rewrites the files in place with the same size, inode and mtime, so
    only a SIGHUP can tell the server (PEM readers skip text outside the
    BEGIN/END lines, so padding keeps the sizes equal)."""
    for name in ("fullchain.pem", "privkey.pem"):
        target = live_dir / name
        old = os.stat(target)
        data = (source_dir / name).read_bytes()
        size = max(old.st_size, len(data))
        with open(target, "r+b") as f:
            f.write(data + b"\n" * (size - len(data)))
            f.truncate(size)
        if size != old.st_size:
            pytest.skip("the new certificate is larger than the old one")
        os.utime(target, ns=(old.st_atime_ns, old.st_mtime_ns))


def test_sighup_loads_files_whatever_their_stamps(srv, certs):
    live, (a, b, c) = certs
    install(a, live)
    assert h.eventually(lambda: all_serve(srv, file_fingerprint(a / "fullchain.pem")))
    overwrite_keeping_stamp(c, live)
    new = file_fingerprint(c / "fullchain.pem")
    srv.signal(signal.SIGHUP)
    assert h.eventually(lambda: all_serve(srv, new)), srv.log_text()[-2000:]


def test_broken_files_leave_the_old_certificate_in_use(srv, certs):
    live, (a, b, _) = certs
    install(a, live)
    good = file_fingerprint(a / "fullchain.pem")
    assert h.eventually(lambda: all_serve(srv, good))
    # The certificate of b with the key of a: a certbot-style half update.
    shutil.copy(b / "fullchain.pem", live / "fullchain.pem.new")
    os.replace(live / "fullchain.pem.new", live / "fullchain.pem")
    srv.signal(signal.SIGHUP)
    assert h.eventually(lambda: "key does not match certificate" in srv.log_text())
    assert all_serve(srv, good)
    # The matching key arrives: the pair loads.
    shutil.copy(b / "privkey.pem", live / "privkey.pem.new")
    os.replace(live / "privkey.pem.new", live / "privkey.pem")
    assert h.eventually(lambda: all_serve(srv, file_fingerprint(b / "fullchain.pem")))
