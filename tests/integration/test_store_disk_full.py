"""A full disk (README.md, "Store errors"): SMTP answers 452 4.3.1, not
451 4.3.0, IMAP APPEND NO [UNAVAILABLE], and every message acknowledged
before is kept. The data folder
is a small tmpfs, which needs root (mount); elsewhere the test is skipped."""

import imaplib
import os
import subprocess

import pytest

import pochta_harness as h
from pochta_harness import ALICE, REMOTE_SENDER


@pytest.fixture
def full_disk_server(make_server):
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    # Without the checks on arrival and the spam verdict: their copy of a
    # spooled message (to add Authentication-Results or X-Spam-Status)
    # needs room for it twice, so the disk would not be full to the byte
    # when SMTP says 452 (README.md, "Checks on arrival").
    srv = make_server(start=False, listen=("smtp", "imap"), limits={"max_message_size": 8_000_000},
                      extra_config="[checks]\nenabled = false\n\n[spam]\nenabled = false")
    data = srv.folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(data)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        srv.start()
        yield srv
    finally:
        if srv.proc is not None:
            srv.stop()
        subprocess.run(["umount", "-l", str(data)])


def test_a_full_disk_is_452_and_loses_nothing(full_disk_server):
    srv = full_disk_server
    body = b"a line that fills the disk of the test server, quickly enough...\r\n" * 4000  # 260 KB
    accepted, refused = [], None
    for i in range(40):
        tok = h.token(f"full{i}")
        with srv.raw("smtp", timeout=60) as c:
            c.ehlo()
            r = c.transaction(REMOTE_SENDER, [ALICE], h.make_message(tok, to=ALICE, body=body))
        if r.code != 250:
            refused = r
            break
        accepted.append(tok)
    assert refused is not None, "the 3 MB disk never filled"
    assert refused.code == 452 and "4.3.1" in refused.text, refused
    assert accepted, "nothing fitted at all"
    stored = srv.messages(ALICE)
    for tok in accepted:
        assert sum(tok.encode() in m for m in stored) == 1, tok

    m = imaplib.IMAP4("127.0.0.1", srv.ports["imap"], timeout=30)
    m.starttls(ssl_context=h.client_tls_context())
    m.login(ALICE, h.PASSWORD)
    typ, data = m.append("INBOX", None, None, h.make_message(h.token("append"), to=ALICE, body=body))
    assert typ == "NO" and b"[UNAVAILABLE]" in data[0], (typ, data)
    m.logout()
