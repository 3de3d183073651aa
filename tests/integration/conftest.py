"""Fixtures shared by the integration tests: the binary, a self-signed
certificate, the default test server and a factory for servers with their
own configuration. Every server started here is stopped (or killed) when
its fixture ends, whatever the test did."""

import os
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import pochta_harness as h  # noqa: E402

DEFAULT_ALIASES = (
    "# test aliases\n"
    f"postmaster@example.test: {h.ALICE}\n"
    f"team@example.test: {h.ALICE}, {h.BOB}, carol@remote.example\n"
    f"@catchall.test: {h.BOB}\n"
)


@pytest.fixture(scope="session")
def pochta_bin():
    path = os.environ.get("POCHTA_BIN") or str(Path(__file__).resolve().parents[2] / "build" / "pochta")
    if not os.access(path, os.X_OK):
        pytest.fail(f"pochta binary not found at {path} (set POCHTA_BIN)")
    return path


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory):
    return h.make_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def default_users():
    # One crypt(3) hash and one {PLAIN} entry: both schemes get exercised.
    return {
        h.ALICE: "{SHA512-CRYPT}" + h.sha512_crypt(h.PASSWORD),
        h.BOB: "{PLAIN}" + h.PASSWORD,
    }


class ServerFactory:
    def __init__(self, pochta_bin, tls_cert, users, base):
        self.pochta_bin, self.tls_cert, self.users, self.base = pochta_bin, tls_cert, users, base
        self.servers = []

    def __call__(self, *, start=True, users=None, aliases=DEFAULT_ALIASES, limits=None, **kw):
        all_limits = {"max_message_size": h.MAX_MESSAGE_SIZE, "max_recipients": h.MAX_RECIPIENTS}
        all_limits.update(limits or {})
        folder = self.base / f"server{len(self.servers)}"
        server = h.Server(self.pochta_bin, folder, *self.tls_cert, users=users or self.users,
                          aliases=aliases, limits=all_limits, **kw)
        self.servers.append(server)
        if start:
            server.start()
        return server

    def finish(self):
        """Stops every server; returns problems found (crash, unclean exit, sanitizer)."""
        problems = []
        for server in self.servers:
            if server.proc is not None:
                if not server.alive():
                    problems.append(f"{server.folder}: server died with {server.proc.returncode}")
                    server.kill()
                else:
                    rc, secs = server.stop()
                    if rc != 0:
                        problems.append(f"{server.folder}: SIGTERM -> exit {rc} after {secs:.1f}s")
            problems += [f"{server.folder}: {line}" for line in server.sanitizer_reports()]
        return problems


@contextmanager
def shared_server(pochta_bin, tls_cert, users, folder, pool=(), **config):
    """One server for the tests of a module. `pool` lists users handed out
    one per test (srv.pool.pop()), so tests that delete mail keep apart. On
    exit the server is stopped and a crash, an unclean exit or a sanitizer
    report fails the module."""
    factory = ServerFactory(pochta_bin, tls_cert, users, folder)
    srv = factory(**config)
    srv.pool = list(pool)
    try:
        yield srv
    finally:
        problems = factory.finish()
    assert not problems, "\n".join(problems) + "\n" + srv.log_text()[-4000:]


@pytest.fixture(scope="module")
def server(pochta_bin, tls_cert, default_users, tmp_path_factory):
    """The default server, shared by the tests of one module; tests keep
    apart by unique Subject/Message-ID tokens."""
    with shared_server(pochta_bin, tls_cert, default_users, tmp_path_factory.mktemp("srv")) as srv:
        yield srv


@pytest.fixture
def make_server(pochta_bin, tls_cert, default_users, tmp_path):
    """Starts servers with their own configuration for one test."""
    factory = ServerFactory(pochta_bin, tls_cert, default_users, tmp_path)
    try:
        yield factory
    finally:
        problems = factory.finish()
    assert not problems, "\n".join(problems)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the tail of every running server's log."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for server in list(h._live):
            report.sections.append((f"pochta log {server.log_path}", server.log_text()[-3000:]))
