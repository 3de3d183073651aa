"""A module's IMAP test server: numbered users with one password, handed
out one per test from srv.pool so tests keep apart, on the SMTP and imaps
listeners. Stopped (and checked for crashes) when the module ends."""

from contextlib import contextmanager

import pochta_harness as h
from conftest import shared_server


@contextmanager
def pool_server(pochta_bin, tls_cert, tmp_path_factory, prefix, count, **config):
    names = [f"{prefix}{i}@example.test" for i in range(count)]
    users = {name: "{PLAIN}" + h.PASSWORD for name in names}
    config.setdefault("listen", ("smtp", "imaps"))
    with shared_server(pochta_bin, tls_cert, users, tmp_path_factory.mktemp(prefix), pool=names, **config) as srv:
        yield srv
