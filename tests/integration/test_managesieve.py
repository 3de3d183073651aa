"""ManageSieve (RFC 5804) on the sieve listener, driven by Debian's
python3-sievelib (`from sievelib.managesieve import Client`) and
sieve-connect, and by a raw socket for the exact bytes: upload, check (an
error with its line), list, activate, rename, delete, the quotas, and
logging in only after STARTTLS."""

import base64
import os
import shutil
import socket
import ssl
import subprocess

import pytest
from sievelib.managesieve import Client

import pochta_harness as h
from conftest import shared_server

LISTEN = ("smtp", "sieve")
USERS = [f"sieve{i}@example.test" for i in range(20)]
MAX_SCRIPTS = 3
MAX_SIZE = 2000

GOOD = 'require "fileinto";\nif header :contains "subject" "[list]" {\n  fileinto "Lists";\n}\n'
BAD = 'require "fileinto";\nif header :contains "subject" "x" {\n  fileinto "A"\n}\n'  # missing ';'


@pytest.fixture(scope="module")
def sieve_server(pochta_bin, tls_cert, tmp_path_factory):
    users = {u: "{PLAIN}" + h.PASSWORD for u in USERS}
    extra = f"[sieve]\nmax_scripts = {MAX_SCRIPTS}\nmax_script_size = {MAX_SIZE}\n"
    with shared_server(pochta_bin, tls_cert, users, tmp_path_factory.mktemp("sieve"), pool=list(USERS),
                       listen=LISTEN, extra_config=extra) as srv:
        yield srv


@pytest.fixture
def user(sieve_server):
    return sieve_server.pool.pop()


def client(srv, user, **kw):
    c = Client("127.0.0.1", srv.ports["sieve"])
    assert c.connect(user, h.PASSWORD, starttls=True, **kw), c.errmsg
    return c


class Raw:
    """A line-level ManageSieve client: exact bytes out, responses in."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode()

    def response(self):
        """Lines up to and including the OK/NO/BYE line."""
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            if line.split(" ", 1)[0] in ("OK", "NO", "BYE"):
                return lines

    def starttls(self):
        self.send("STARTTLS\r\n")
        assert self.response()[-1].startswith("OK")
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock)
        return self.response()

    def login(self, user):
        token = base64.b64encode(f"\0{user}\0{h.PASSWORD}".encode()).decode()
        self.send(f'AUTHENTICATE "PLAIN" "{token}"\r\n')
        return self.response()[-1]

    def close(self):
        self.sock.close()


def logged_in_raw(srv, user):
    r = Raw(srv.ports["sieve"])
    r.response()
    r.starttls()
    assert r.login(user).startswith("OK")
    return r


def test_sievelib_upload_list_activate_rename_delete(sieve_server, user):
    c = client(sieve_server, user)
    assert "fileinto" in c.get_sieve_capabilities()
    assert c.get_implementation() == "pochta"
    assert c.listscripts() == (None, [])
    assert c.putscript("main", GOOD)
    assert c.putscript("other", "keep;\n")
    assert c.listscripts() == (None, ["main", "other"])
    assert c.setactive("main")
    assert c.listscripts() == ("main", ["other"])
    assert c.getscript("main").strip() == GOOD.strip()
    assert c.renamescript("main", "filters")
    assert c.listscripts() == ("filters", ["other"])
    assert not c.renamescript("other", "filters")
    assert c.errcode == b"ALREADYEXISTS"
    assert not c.deletescript("filters")
    assert c.errcode == b"ACTIVE"
    assert c.setactive("")
    assert c.deletescript("filters")
    assert not c.deletescript("filters")
    assert c.errcode == b"NONEXISTENT"
    assert not c.setactive("nothing")
    assert c.errcode == b"NONEXISTENT"
    assert c.listscripts() == (None, ["other"])
    c.logout()


def test_sievelib_check_reports_the_line(sieve_server, user):
    c = client(sieve_server, user, authmech="LOGIN")
    assert c.checkscript(GOOD)
    assert not c.checkscript(BAD)
    assert b"line 4" in c.errmsg, c.errmsg
    assert not c.putscript("broken", BAD)
    assert b"line 4" in c.errmsg
    assert c.listscripts() == (None, [])
    c.logout()


def test_sievelib_quotas(sieve_server, user):
    c = client(sieve_server, user)
    assert c.havespace("a", MAX_SIZE)
    assert not c.havespace("a", MAX_SIZE + 1)
    assert c.errcode == b"QUOTA/MAXSIZE"
    for name in ("a", "b", "c"):
        assert c.putscript(name, "keep;\n")
    assert not c.putscript("d", "keep;\n")
    assert c.errcode == b"QUOTA/MAXSCRIPTS"
    assert not c.havespace("d", 10)
    assert c.errcode == b"QUOTA/MAXSCRIPTS"
    assert c.havespace("a", 10)
    assert c.putscript("a", "# replaced\nkeep;\n")  # replacing takes no new slot
    assert not c.putscript("a", "#" * (MAX_SIZE + 1))
    assert c.errcode == b"QUOTA/MAXSIZE"
    assert c.getscript("a").strip() == "# replaced\nkeep;"
    c.logout()


def test_login_only_after_starttls(sieve_server, user):
    r = Raw(sieve_server.ports["sieve"])
    greeting = r.response()
    assert '"STARTTLS"' in greeting
    assert '"SASL" ""' in greeting
    assert greeting[-1].startswith("OK")
    assert r.login(user) == 'NO (ENCRYPT-NEEDED) "use STARTTLS before logging in"'
    r.send("LISTSCRIPTS\r\n")
    assert r.response()[-1].startswith("NO")
    caps = r.starttls()
    assert '"SASL" "PLAIN LOGIN"' in caps and '"STARTTLS"' not in caps
    assert any(line.startswith('"VERSION" "1.0"') for line in caps)
    assert r.login(user).startswith("OK")
    r.send('NOOP "t1"\r\n')
    assert r.response() == ['OK (TAG "t1") "done"']
    r.close()
    # sievelib without STARTTLS finds no mechanism to log in with.
    c = Client("127.0.0.1", sieve_server.ports["sieve"])
    assert not c.connect(user, h.PASSWORD, starttls=False)


def test_wrong_password_is_refused(sieve_server, user):
    c = Client("127.0.0.1", sieve_server.ports["sieve"])
    assert not c.connect(user, "wrong", starttls=True)
    assert "auth failed protocol=managesieve" in sieve_server.log_text()


def test_literals_synchronizing_and_not_and_too_large(sieve_server, user):
    r = logged_in_raw(sieve_server, user)
    r.send(b'PUTSCRIPT "lit" {6}\r\nkeep;\n\r\n')
    assert r.response()[-1].startswith("OK")
    r.send(b'GETSCRIPT "lit"\r\n')
    assert r.response() == ["{6}", "keep;\n", 'OK "getscript completed"']
    big = b"#" * (MAX_SIZE + 10)
    r.send(b'PUTSCRIPT "big" {%d+}\r\n%s\r\n' % (len(big), big))
    assert r.response()[-1].startswith("NO (QUOTA/MAXSIZE)")
    r.send('PUTSCRIPT "q\\"uote" "keep;"\r\n')
    assert r.response()[-1].startswith("OK")
    r.send("LISTSCRIPTS\r\n")
    assert r.response() == ['"lit"', '"q\\"uote"', 'OK "listscripts completed"']
    r.send('PUTSCRIPT "bad\\x" "keep;"\r\n')
    assert r.response()[-1].startswith("NO")
    r.send("FROB\r\n")
    assert r.response() == ['NO "unknown command FROB"']
    r.send("LOGOUT\r\n")
    assert r.response()[-1].startswith("OK")
    r.close()


def test_overlong_line_ends_the_session(sieve_server):
    r = Raw(sieve_server.ports["sieve"])
    r.response()
    r.send("NOOP " + "x" * 70000 + "\r\n")
    assert r.response() == ['BYE "line too long"']
    r.close()


def test_unauthenticate_returns_to_the_start(sieve_server, user):
    r = logged_in_raw(sieve_server, user)
    r.send("UNAUTHENTICATE\r\n")
    assert r.response()[-1].startswith("OK")
    r.send("LISTSCRIPTS\r\n")
    assert r.response()[-1] == 'NO "authenticate first"'
    assert r.login(user).startswith("OK")
    r.close()


def sieve_connect(srv, user, *args, commands=None, tmp_path=None):
    """Runs Debian's sieve-connect (STARTTLS, PLAIN) with the password on a pipe."""
    read, write = os.pipe()
    os.write(write, h.PASSWORD.encode())
    os.close(write)
    argv = ["sieve-connect", "--server", "127.0.0.1", "--port", str(srv.ports["sieve"]), "--user", user,
            "--passwordfd", str(read), "--notlsverify", *args]
    try:
        return subprocess.run(argv, pass_fds=(read,), capture_output=True, text=True, timeout=60)
    finally:
        os.close(read)


@pytest.mark.skipif(shutil.which("sieve-connect") is None, reason="sieve-connect is not installed")
def test_sieve_connect_upload_check_list_activate_delete(sieve_server, user, tmp_path):
    good, bad = tmp_path / "good.sieve", tmp_path / "bad.sieve"
    good.write_text(GOOD)
    bad.write_text(BAD)
    r = sieve_connect(sieve_server, user, "--upload", "--localsieve", str(good), "--remotesieve", "main")
    assert r.returncode == 0, r.stderr
    r = sieve_connect(sieve_server, user, "--checkscript", "--localsieve", str(bad))
    assert r.returncode != 0 and "line 4" in r.stdout + r.stderr, r.stdout + r.stderr
    r = sieve_connect(sieve_server, user, "--upload", "--localsieve", str(bad), "--remotesieve", "bad")
    assert r.returncode != 0 and "line 4" in r.stdout + r.stderr
    r = sieve_connect(sieve_server, user, "--activate", "--remotesieve", "main")
    assert r.returncode == 0, r.stderr
    assert sieve_connect(sieve_server, user, "--list").stdout.split("\n")[0] == '"main" ACTIVE'
    out = tmp_path / "out.sieve"
    r = sieve_connect(sieve_server, user, "--download", "--remotesieve", "main", "--localsieve", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_text() == GOOD
    script = tmp_path / "cmds"
    script.write_text("deactivate\ndelete main\nlist\n")
    r = sieve_connect(sieve_server, user, "-e", str(script))
    assert r.returncode == 0, r.stdout + r.stderr
    assert sieve_server.cli_ok("sieve", "list", user) == b""


def test_cli_set_get_list_activate_delete(sieve_server, user, tmp_path):
    good, bad = tmp_path / "good.sieve", tmp_path / "bad.sieve"
    good.write_text(GOOD)
    bad.write_text(BAD)
    sieve_server.cli_ok("sieve", "set", user, "main", str(good), "--activate")
    sieve_server.cli_ok("sieve", "set", user, "spare", str(good))
    r = sieve_server.cli("sieve", "set", user, "broken", str(bad))
    assert r.returncode == 1 and f"{bad}:4:1:" in r.stderr.decode()
    assert sieve_server.cli_ok("sieve", "list", user) == b"main active\nspare\n"
    assert sieve_server.cli_ok("sieve", "get", user, "main") == GOOD.encode()
    c = client(sieve_server, user)  # what the CLI stored is what ManageSieve sees
    assert c.listscripts() == ("main", ["spare"])
    c.logout()
    r = sieve_server.cli("sieve", "delete", user, "main")
    assert r.returncode == 1 and b"active" in r.stderr
    sieve_server.cli_ok("sieve", "activate", user, "spare")
    sieve_server.cli_ok("sieve", "delete", user, "main")
    sieve_server.cli_ok("sieve", "activate", user, "--none")
    assert sieve_server.cli_ok("sieve", "list", user) == b"spare\n"
    r = sieve_server.cli("sieve", "get", user, "main")
    assert r.returncode == 1 and b"no script" in r.stderr
    assert sieve_server.cli("sieve", "list", "nobody@example.test").returncode == 1
