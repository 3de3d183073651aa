"""A module's IMAP test server: numbered users with one password, handed
out one per test from srv.pool so tests keep apart, on the SMTP and imaps
listeners. Stopped (and checked for crashes) when the module ends."""

from contextlib import contextmanager

import pytest

import pochta_harness as h
from conftest import shared_server


@contextmanager
def pool_server(pochta_bin, tls_cert, tmp_path_factory, prefix, count, **config):
    names = [f"{prefix}{i}@example.test" for i in range(count)]
    users = {name: "{PLAIN}" + h.PASSWORD for name in names}
    config.setdefault("listen", ("smtp", "imaps"))
    with shared_server(pochta_bin, tls_cert, users, tmp_path_factory.mktemp(prefix), pool=names, **config) as srv:
        yield srv


def pool_fixture(prefix, count, **config):
    """The module-scoped `srv` fixture of pool_server: `srv = pool_fixture("x", 4)`."""

    @pytest.fixture(scope="module")
    def srv(pochta_bin, tls_cert, tmp_path_factory):
        with pool_server(pochta_bin, tls_cert, tmp_path_factory, prefix, count, **config) as server:
            yield server

    return srv
