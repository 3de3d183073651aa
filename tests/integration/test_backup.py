"""`pochta backup` and `pochta restore` (README.md, "Backup and restore"): a
backup taken while SMTP clients deliver restores to a store holding every
message acknowledged before the backup began, which `pochta check` finds
whole; a second backup copies only the new blob files."""

import re
import threading

import pochta_harness as h

LARGE = b"L" * 100_000  # above the 64 KiB inline limit: a blob file


def ingest(server, total, acked, stop):
    with server.raw("smtp") as c:
        c.ehlo()
        for i in range(total):
            if stop.is_set():
                return
            tok = h.token("bk")
            body = LARGE + b"\r\n" if i % 3 == 0 else b"small\r\n"
            r = c.transaction(h.REMOTE_SENDER, [h.ALICE], h.make_message(tok, body=body))
            assert r.code == 250, r
            acked.append(tok)


def restored_config(server, data_dir):
    text = server.config.read_text()
    text = re.sub(r'(?m)^data_dir\s*=.*$', f'data_dir     = {h.toml_str(data_dir)}', text)
    path = server.folder / "restored.toml"
    path.write_text(text)
    return path


def test_backup_during_ingest_restores_every_acknowledged_message(make_server, tmp_path):
    server = make_server(listen=("smtp",))
    acked, stop = [], threading.Event()
    sender = threading.Thread(target=ingest, args=(server, 90, acked, stop))
    sender.start()
    try:
        assert h.eventually(lambda: len(acked) >= 20, timeout=60)
        before = list(acked)
        backup = tmp_path / "backup"
        first = server.cli("backup", str(backup), timeout=120)
        assert first.returncode == 0, first.stderr
    finally:
        sender.join(timeout=120)
        stop.set()
    assert len(acked) == 90

    second = server.cli("backup", str(backup), timeout=120)
    assert second.returncode == 0, second.stderr
    copied, kept = (int(x) for x in re.search(rb"(\d+) blob files copied .* (\d+) kept", second.stdout).groups())
    # 30 large messages, each its own blob file: the first backup had some.
    assert copied + kept == 30 and kept >= len(before) // 3, second.stdout

    data = tmp_path / "restored-data"
    config = restored_config(server, data)
    run = lambda *args: h.subprocess.run([server.binary, *args, "-c", str(config)],
                                         capture_output=True, timeout=120)
    # The first backup: the store as it was when the backup began (or later).
    r = run("restore", str(backup))
    assert r.returncode == 0, r.stderr
    assert run("check").returncode == 0
    export = tmp_path / "export"
    r = run("export", h.ALICE, str(export))
    assert r.returncode == 0, r.stderr + r.stdout
    stored = b"".join(p.read_bytes() for p in (export / "cur").iterdir())
    missing = [tok for tok in before if f"Subject: {tok}".encode() not in stored]
    assert not missing, f"{len(missing)} acknowledged messages not restored: {missing[:3]}"


def test_restore_refuses_a_running_store_and_a_damaged_backup(make_server, tmp_path):
    server = make_server(listen=("smtp",))
    h.deliver(server, h.ALICE, h.make_message(h.token("bk"), body=LARGE + b"\r\n"))
    backup = tmp_path / "backup"
    assert server.cli("backup", str(backup)).returncode == 0
    r = server.cli("restore", str(backup))
    assert r.returncode == 1 and b"in use" in r.stderr, r.stderr
    blob = next(p for p in (backup / "blobs").rglob("*") if p.is_file())
    blob.write_bytes(b"damaged")
    data = tmp_path / "restored-data"
    config = restored_config(server, data)
    r = h.subprocess.run([server.binary, "restore", str(backup), "-c", str(config)], capture_output=True)
    assert r.returncode == 1 and b"nothing restored" in r.stderr, r.stderr
    assert not (data / "index.db").exists()
