"""run_as: started as root, pochta binds its ports, hands data_dir to the
configured user and runs as that user; mail still flows."""
import os
import pwd
import shutil
import tempfile
from pathlib import Path

import pytest

import pochta_harness as h

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch users")


def process_ids(pid):
    ids = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("Uid", "Gid"):
            ids[key] = [int(v) for v in value.split()]
    return ids


@pytest.fixture
def world_readable_folder():
    # The unprivileged user must be able to reach data_dir and re-read the
    # users file, so this folder is not one of pytest's private 0700 ones.
    folder = Path(tempfile.mkdtemp(prefix="pochta-run-as-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_server_drops_to_run_as_user_and_delivers(pochta_bin, tls_cert, default_users, world_readable_folder):
    nobody = pwd.getpwnam("nobody")
    server = h.Server(pochta_bin, world_readable_folder, *tls_cert, users=default_users, listen=("smtp",))
    config = server.config.read_text()
    server.config.write_text(f'run_as = "nobody"\n{config}')
    server.start()
    try:
        ids = process_ids(server.proc.pid)
        assert ids["Uid"] == [nobody.pw_uid] * 4, ids
        assert ids["Gid"][0] == nobody.pw_gid, ids
        data_dir = world_readable_folder / "data"
        assert data_dir.stat().st_uid == nobody.pw_uid
        tok = h.token("runas")
        with server.raw("smtp") as c:
            c.ehlo()
            reply = c.transaction("sender@remote.example", [h.ALICE], h.make_message(tok))
            assert reply.code == 250, reply
        assert h.eventually(lambda: server.find(h.ALICE, tok))
        # Every file the server wrote belongs to the unprivileged user.
        owners = {p.stat().st_uid for p in data_dir.rglob("*")}
        assert owners == {nobody.pw_uid}, owners
    finally:
        rc, _ = server.stop()
    assert rc == 0, server.log_text()
