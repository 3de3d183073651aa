"""Hostile clients against the connection layer (issue 9 points 1, 5, 11 and
the TLS item of 12; issue 10 item 7): clients that never read their replies,
slowloris lines, connection floods from one address, a NAT office, weak TLS
suites and file modes under umask 022. Each test asserts a bound or a reply,
never a timing of the machine."""

import base64
import os
import resource
import socket
import ssl
import stat
import subprocess
import threading
import time

import pytest

import pochta_harness as h

ALL_LISTENERS = ("smtp", "submission", "submissions", "imap", "imaps", "pop3", "pop3s")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def line_client(port, tls=False, timeout=15.0):
    """A client for the line protocols (IMAP, POP3): greeting read."""
    c = h.RawClient("127.0.0.1", port, implicit_tls=tls, timeout=timeout, read_greeting=False)
    c.greeting = c.line()
    return c


def greeted_client(port):
    """A line client that got the greeting, not a refusal: retried while the
    server has not yet seen earlier connections of this address close."""
    for _ in range(100):
        c = line_client(port)
        if not c.greeting.startswith("* BYE"):
            return c
        c.close()
        time.sleep(0.05)
    raise AssertionError("every connection refused")


def imap_login(port, user, tag="a1"):
    c = line_client(port, tls=True)
    c.send(f'{tag} LOGIN {user} "{h.PASSWORD}"\r\n')
    while True:
        line = c.line()
        if line.startswith(tag + " "):
            return c, line


def flood(sock, command, seconds):
    """Sends `command` in a loop for `seconds` without ever reading; returns
    the bytes the kernel took."""
    sock.setblocking(False)
    batch = command * 512
    sent, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            sent += sock.send(batch)
        except (BlockingIOError, ssl.SSLWantWriteError):
            time.sleep(0.01)
        except OSError:
            break
    return sent


# ---- 1. back-pressure -----------------------------------------------------

def test_clients_that_never_read_do_not_grow_the_server(make_server):
    srv = make_server(listen=ALL_LISTENERS)
    pid = srv.proc.pid
    before = rss_kib(pid)
    attacks = [("smtp", b"VRFY a\r\n"), ("imap", b"a CAPABILITY\r\n"), ("pop3", b"CAPA\r\n")] * 2
    attackers = [(socket.create_connection(("127.0.0.1", srv.ports[name])), cmd) for name, cmd in attacks]
    try:
        peak = [before]
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                peak[0] = max(peak[0], rss_kib(pid))
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        senders = [threading.Thread(target=flood, args=(s, cmd, 5.0)) for s, cmd in attackers]
        for t in senders:
            t.start()
        time.sleep(1.0)
        # Other clients are served while the attack runs.
        with h.RawClient("127.0.0.1", srv.ports["smtp"]) as other:
            assert other.greeting.code == 220
            other.ehlo()
        other_imap = line_client(srv.ports["imap"])
        assert other_imap.greeting.startswith("* OK")
        other_imap.send("b CAPABILITY\r\n")
        assert other_imap.line().startswith("* CAPABILITY")
        other_imap.close()
        for t in senders:
            t.join()
        stop.set()
        watcher.join()
        assert srv.alive()
        grown_mb = (peak[0] - before) / 1024
        assert grown_mb < 64, f"server grew by {grown_mb:.0f} MB while clients did not read"
    finally:
        for s, _ in attackers:
            s.close()


# ---- 2. deadlines that count progress -------------------------------------

@pytest.mark.parametrize("listener", ["smtp", "imap", "pop3"])
def test_slowloris_is_closed_within_the_pre_login_limit(make_server, listener):
    srv = make_server(listen=("smtp", "imap", "pop3"), limits={"preauth_idle_timeout": 2})
    sock = socket.create_connection(("127.0.0.1", srv.ports[listener]), timeout=15)
    sock.recv(4096)  # greeting
    sock.settimeout(0.5)
    start = time.monotonic()
    closed = False
    # A line that never ends, one byte every 0.5 s: bytes are not progress.
    while time.monotonic() - start < 20:
        try:
            sock.send(b"x")
            data = sock.recv(4096)
            if data == b"" or b"\n" in data:
                closed = True  # the timeout reply, then the close
                break
        except (socket.timeout, TimeoutError):
            continue
        except OSError:
            closed = True
            break
    sock.close()
    assert closed, "a never-ending line kept the connection open for 20 s (limit 2 s)"


def test_authenticated_idle_client_outlives_the_pre_login_limit(make_server):
    srv = make_server(listen=("smtp", "imaps"), limits={"preauth_idle_timeout": 1})
    c, reply = imap_login(srv.ports["imaps"], h.ALICE)
    assert reply.startswith("a1 OK"), reply
    c.send("a2 SELECT INBOX\r\n")
    while not c.line().startswith("a2 "):
        pass
    c.send("a3 IDLE\r\n")
    assert c.line().startswith("+")
    time.sleep(3.5)  # more than three pre-login limits
    c.send("DONE\r\n")
    assert c.line().startswith("a3 OK")
    c.close()


# ---- 3. connection caps ---------------------------------------------------

def read_all(sock, timeout=10.0):
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return data
            data += chunk
    except OSError:
        return data


def test_over_the_per_ip_cap_each_protocol_reads_its_refusal(make_server):
    srv = make_server(listen=("smtp", "imap", "pop3"), limits={"max_connections_per_ip": 3})
    held = [socket.create_connection(("127.0.0.1", srv.ports["smtp"])) for _ in range(3)]
    try:
        for s in held:
            s.recv(4096)  # greeted: accepted and counted
        expected = {
            "smtp": f"421 4.7.0 {h.HOSTNAME} Too many connections\r\n".encode(),
            "imap": b"* BYE Too many connections\r\n",
            "pop3": b"-ERR [SYS/TEMP] Too many connections\r\n",
        }
        for name, line in expected.items():
            with socket.create_connection(("127.0.0.1", srv.ports[name])) as s:
                assert read_all(s) == line
        assert "refusing 127.0.0.1" in srv.log_text()
    finally:
        for s in held:
            s.close()


def test_total_cap_refuses_with_the_protocol_line(make_server):
    srv = make_server(listen=("smtp", "imap"), limits={"max_connections": 2})
    held = [socket.create_connection(("127.0.0.1", srv.ports["smtp"])) for _ in range(2)]
    try:
        for s in held:
            s.recv(4096)
        with socket.create_connection(("127.0.0.1", srv.ports["imap"])) as s:
            assert read_all(s) == b"* BYE Too many connections\r\n"
    finally:
        for s in held:
            s.close()


def test_nat_office_logged_in_connections_do_not_count_per_ip(make_server):
    """Issue 10 item 7: many people behind one address, each with several
    IMAP connections, beyond max_connections_per_ip."""
    users = {f"u{i}@example.test": "{PLAIN}" + h.PASSWORD for i in range(4)}
    srv = make_server(listen=("smtp", "imap", "imaps"), users=users,
                      limits={"max_connections_per_ip": 3, "max_connections_per_user_ip": 5})
    sessions = []
    try:
        for round_ in range(5):
            for user in users:
                c, reply = imap_login(srv.ports["imaps"], user, tag=f"r{round_}")
                assert " OK" in reply, reply
                sessions.append(c)
        assert len(sessions) == 20  # far beyond the per-IP cap of 3
        for c in sessions[:3]:  # they are all served
            c.send("n NOOP\r\n")
            assert c.line().startswith("n OK")
        # A sixth connection of one user from this address is refused at login.
        c, reply = imap_login(srv.ports["imaps"], "u0@example.test", tag="x")
        assert reply.startswith("x NO [LIMIT]"), reply
        c.close()
        # Unauthenticated connections still meet the per-IP cap (once the
        # server has seen the refused one above go: until then it counts).
        waiting = [greeted_client(srv.ports["imap"]) for _ in range(3)]
        with socket.create_connection(("127.0.0.1", srv.ports["imap"])) as s:
            assert read_all(s) == b"* BYE Too many connections\r\n"
        for c in waiting:
            c.close()
    finally:
        for c in sessions:
            c.close()


def test_per_user_ip_limit_applies_to_pop3_and_submission(make_server):
    srv = make_server(listen=("smtp", "submissions", "imaps", "pop3s"),
                      limits={"max_connections_per_user_ip": 1})
    c, reply = imap_login(srv.ports["imaps"], h.BOB)
    assert reply.startswith("a1 OK")
    try:
        p = line_client(srv.ports["pop3s"], tls=True)
        p.send(f"USER {h.BOB}\r\n")
        assert p.line().startswith("+OK")
        p.send(f"PASS {h.PASSWORD}\r\n")
        assert p.line().startswith("-ERR [SYS/TEMP]")
        p.close()
        s = h.RawClient("127.0.0.1", srv.ports["submissions"], implicit_tls=True)
        s.ehlo()
        plain = base64.b64encode(f"\0{h.BOB}\0{h.PASSWORD}".encode()).decode()
        r = s.cmd(f"AUTH PLAIN {plain}")
        assert r.code == 454 and r.enhanced == "4.7.0", r
        s.close()
    finally:
        c.close()


def test_descriptor_limit_is_raised_and_a_too_small_one_is_reported(make_server):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > 10_000_000:
        pytest.skip("no finite hard descriptor limit")
    srv = make_server(start=False, limits={"max_connections": hard + 1})
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 256), hard))
    try:
        srv.start()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    with open(f"/proc/{srv.proc.pid}/limits") as f:
        row = next(line for line in f if line.startswith("Max open files"))
    assert row.split()[3] == row.split()[4] == str(hard)
    assert "open file limit" in srv.log_text() and f"max_connections {hard + 1}" in srv.log_text()


# ---- 5. file modes --------------------------------------------------------

def test_data_dir_and_files_are_private_whatever_the_umask(make_server):
    srv = make_server(start=False)
    data = srv.folder / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    (data / "notes").write_text("left here by an admin")
    os.chmod(data / "notes", 0o644)
    os.chmod(srv.users_file, 0o644)
    old = os.umask(0o022)
    try:
        srv.start()
        h.deliver(srv, h.ALICE, h.make_message(h.token()))
        check = subprocess.run([srv.binary, "check-config", "-c", str(srv.config)],
                               capture_output=True, text=True, timeout=30)
    finally:
        os.umask(old)
    assert check.returncode == 0, check.stderr
    assert "users file" in check.stderr and "readable by" in check.stderr
    log = srv.log_text()
    assert "now mode 0700" in log and "users file" in log
    assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
    for root, dirs, files in os.walk(data):
        for d in dirs:
            assert stat.S_IMODE(os.stat(os.path.join(root, d)).st_mode) & 0o077 == 0, d
        for f in files:
            mode = stat.S_IMODE(os.stat(os.path.join(root, f)).st_mode)
            assert mode & 0o077 == 0, f"{f} has mode {mode:o}"


# ---- 6. TLS ---------------------------------------------------------------

def tls12_handshake(port, ciphers):
    ctx = h.client_tls_context()
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(ciphers)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw) as tls:
            return tls.cipher()[0]


def test_tls12_offers_only_ecdhe_with_aead(server):
    port = server.ports["submissions"]
    for weak in ("AES128-SHA", "AES256-GCM-SHA384", "ECDHE-RSA-AES128-SHA"):
        with pytest.raises(ssl.SSLError):
            tls12_handshake(port, weak)
    assert tls12_handshake(port, "ECDHE-RSA-AES128-GCM-SHA256") == "ECDHE-RSA-AES128-GCM-SHA256"
    assert tls12_handshake(port, "ECDHE-RSA-CHACHA20-POLY1305") == "ECDHE-RSA-CHACHA20-POLY1305"


def test_tls_keys_set_the_minimum_version_and_the_list(make_server):
    srv = make_server(start=False)
    srv.config.write_text(srv.config.read_text().replace(
        "[listen]", 'min_version = "1.3"\n\n[listen]', 1))
    srv.start()
    with pytest.raises(ssl.SSLError):
        tls12_handshake(srv.ports["submissions"], "ECDHE-RSA-AES128-GCM-SHA256")
    with h.RawClient("127.0.0.1", srv.ports["submissions"], implicit_tls=True) as c:
        assert c.sock.version() == "TLSv1.3"
    srv.stop()
    srv.config.write_text(srv.config.read_text().replace(
        'min_version = "1.3"', 'ciphers = "ECDHE-RSA-AES256-GCM-SHA384"'))
    srv.start()
    assert tls12_handshake(srv.ports["submissions"], "ECDHE+AESGCM") == "ECDHE-RSA-AES256-GCM-SHA384"


def test_a_cipher_list_openssl_does_not_know_is_refused(make_server):
    srv = make_server(start=False)
    srv.config.write_text(srv.config.read_text().replace("[listen]", 'ciphers = "NO-SUCH-CIPHER"\n\n[listen]', 1))
    check = subprocess.run([srv.binary, "check-config", "-c", str(srv.config)],
                           capture_output=True, text=True, timeout=30)
    assert check.returncode == 1 and "tls.ciphers" in check.stderr


# ---- 8. shutdown ----------------------------------------------------------

def slow_hash(password):
    """A SHA512-CRYPT hash with many rounds: each check keeps a worker busy."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt
    return crypt.crypt(password, "$6$rounds=1000000$hostilenet$")


def test_sigterm_ends_the_server_within_10s_while_password_checks_are_queued(make_server):
    users = {"slow@example.test": "{SHA512-CRYPT}" + slow_hash(h.PASSWORD)}
    srv = make_server(listen=("smtp", "imaps"), users=users, limits={"max_connections_per_ip": 200})
    clients = []
    try:
        for i in range(100):  # a minute of hashing queued on the 4 workers
            c = line_client(srv.ports["imaps"], tls=True)
            c.send(f'a{i} LOGIN slow@example.test "wrong{i}"\r\n')
            clients.append(c)
        time.sleep(1.0)  # the checks are queued behind each other
        rc, seconds = srv.stop(timeout=15.0)
        assert rc == 0, f"exit {rc}"
        assert seconds < 10.0, f"SIGTERM took {seconds:.1f}s (README: within 10 s)"
    finally:
        for c in clients:
            c.close()
