"""List fan-out and RFC 8058 one-click unsubscribe end to end (README
"Mailing lists": "Fan-out", "One-click unsubscribe"). A post's copies for
remote members are caught by a relay sink; dkimpy (independent code)
verifies that the DKIM signature covers each member's List-Unsubscribe and
List-Unsubscribe-Post; the one-click URL is used over HTTPS with
http.client. A 25 MB post to 10,000 remote recipients is fanned out in
bounded memory: the server's peak RSS is read from /proc once every copy
is queued (a tarpit relay holds the queue runner's first connections)."""

import email
import http.client
import re
import socket
import sqlite3
import urllib.parse

import dkim
import pytest

import pochta_harness as h
from dns_zone import DnsZone
from pochta_harness import ALICE
from test_lists import sink  # noqa: F401 (the relay sink, a fixture per module)

DOMAIN = "example.test"
CAROL = "carol@remote.example"
DAVE = "dave@remote.example"


@pytest.fixture(scope="module")
def zone():
    with DnsZone() as z:
        yield z


def configured(factory, zone, relay_port, https_port=None, **kw):
    listen = h.SMTP_LISTENERS + (("https",) if https_port else ())
    server = factory(start=False, dns_zone=zone, listen=listen, **kw)
    text = re.sub(r'relay = "127\.0\.0\.1:\d+"', f'relay = "127.0.0.1:{relay_port}"', server.config.read_text())
    if https_port:  # a fixed port: the one-click URL names it
        text = text.replace('https = "127.0.0.1:0"', f'https = "127.0.0.1:{https_port}"')
    server.config.write_text(text)
    return server


@pytest.fixture(scope="module")
def factory(pochta_bin, tls_cert, default_users, tmp_path_factory):
    from conftest import ServerFactory
    f = ServerFactory(pochta_bin, tls_cert, default_users, tmp_path_factory.mktemp("fanout"))
    yield f
    problems = f.finish()
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def srv(factory, zone, sink):
    server = configured(factory, zone, sink.port, https_port=h.free_port())
    out = server.cli_ok("dkim", "keygen", DOMAIN, "--selector", "f1").decode()
    m = re.search(r"^(\S+)\. IN TXT (.*)$", out, re.M)
    zone.add(m.group(1), "TXT", re.findall(r'"([^"]*)"', m.group(2)))
    server.start()
    return server


def post(srv, sender, rcpt, message):
    with srv.raw("smtp", timeout=120) as c:
        c.ehlo()
        r = c.transaction(sender, [rcpt], message)
        assert r.code == 250, r


def message(tok, author, to, body="body"):
    return (f"From: Someone <{author}>\r\nTo: {to}\r\nSubject: {tok}\r\n"
            f"Message-ID: <{tok}@client.test>\r\n\r\n{body} {tok}\r\n").encode()


def https(srv, method, url, body=None):
    """(status, body text) of one request to the URL's path and query, on
    the server's https listener."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPSConnection("127.0.0.1", srv.ports["https"], timeout=10,
                                       context=h.client_tls_context())
    try:
        headers = {"Host": parts.netloc}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, f"{parts.path}?{parts.query}", body=body, headers=headers)
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


def members(srv, address):
    return [line.split()[0] for line in srv.cli_ok("list", "members", address).decode().splitlines() if line]


def test_one_click_unsubscribe_over_https(srv, sink, zone):
    address = f"news@{DOMAIN}"
    srv.cli_ok("list", "create", address)
    for person in (CAROL, DAVE, ALICE):
        srv.cli_ok("list", "add", address, person)
    tok = h.token("oneclick")
    post(srv, CAROL, address, message(tok, CAROL, address))

    (_from, _rcpt, got), = sink.wait(tok, CAROL)
    msg = email.message_from_bytes(got)
    assert msg.get_all("List-Unsubscribe-Post") == ["List-Unsubscribe=One-Click"]
    fields = msg.get_all("List-Unsubscribe")
    assert len(fields) == 1, fields
    url, mailto = re.findall(r"<([^>]*)>", fields[0])
    assert mailto == f"mailto:news-unsubscribe@{DOMAIN}"
    assert url.startswith(f"https://{h.HOSTNAME}:{srv.ports['https']}/lists/unsubscribe?t=")
    # RFC 8058 section 4: the signature covers both fields.
    assert dkim.DKIM(got).verify(dnsfunc=zone.dkim_dnsfunc)
    signed = re.search(rb"\bh=([^;]*)", msg["DKIM-Signature"].encode()).group(1).decode()
    signed = [name.strip().lower() for name in signed.split(":")]
    assert "list-unsubscribe" in signed and "list-unsubscribe-post" in signed
    # Dave's copy has his own link; the local member's copy the mailto form.
    (_f, _r, dave_copy), = sink.wait(tok, DAVE)
    assert url not in dave_copy.decode()
    local = h.eventually(lambda: srv.find(ALICE, tok), timeout=15)[0]
    assert f"List-Unsubscribe: <mailto:news-unsubscribe@{DOMAIN}>".encode() in local

    # A GET (a link scanner) shows a form and changes nothing.
    status, page = https(srv, "GET", url)
    assert status == 200 and 'method="post"' in page and CAROL in page
    assert CAROL in members(srv, address)
    # The one-click POST (RFC 8058 3.2) unsubscribes; again, it says so.
    status, page = https(srv, "POST", url, body="List-Unsubscribe=One-Click")
    assert status == 200 and "unsubscribed" in page
    assert CAROL not in members(srv, address) and DAVE in members(srv, address)
    status, page = https(srv, "POST", url, body="List-Unsubscribe=One-Click")
    assert status == 200 and "not subscribed" in page

    # A forged or altered token does nothing.
    forged = url[:-1] + ("0" if url[-1] != "0" else "1")
    assert https(srv, "POST", forged, body="List-Unsubscribe=One-Click")[0] == 400
    assert https(srv, "POST", url.split("?")[0] + "?t=" + "a" * 5000)[0] == 400
    assert DAVE in members(srv, address)


def rss_peak_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1))


def test_large_post_to_ten_thousand_recipients_in_bounded_memory(factory, zone):
    # 100 members, each an alias of 100 remote addresses: 10,000 copies.
    groups = [f"group{i}@{DOMAIN}" for i in range(100)]
    aliases = "".join(f"{g}: " + ", ".join(f"m{i}-{j}@sink.example" for j in range(100)) + "\n"
                      for i, g in enumerate(groups))
    tarpit = socket.socket()
    tarpit.bind(("127.0.0.1", 0))
    tarpit.listen(64)  # never accepts, never greets: the queue runner waits
    try:
        big = configured(factory, zone, tarpit.getsockname()[1], aliases=aliases,
                         limits={"max_message_size": 30_000_000})
        big.start()
        address = f"big@{DOMAIN}"
        big.cli_ok("list", "create", address)
        big.cli_ok("list", "set", address, "policy", "open")
        for g in groups:
            big.cli_ok("list", "add", address, g)
        body = ("x" * 76 + "\r\n") * (25 * 1024 * 1024 // 78)
        tok = h.token("big")
        post(big, DAVE, address, message(tok, DAVE, address, body=body))

        db = sqlite3.connect(f"file:{big.folder / 'data' / 'index.db'}?mode=ro", uri=True, timeout=30)
        try:
            queued = lambda: db.execute("SELECT count(*) FROM queue").fetchone()[0] >= 10_000
            assert h.eventually(queued, timeout=120), "the copies were not all queued"
            assert db.execute("SELECT count(DISTINCT blob_id) FROM queue").fetchone()[0] == 1
            assert db.execute("SELECT count(DISTINCT envelope_from) FROM queue").fetchone()[0] == 10_000
        finally:
            db.close()
        # One 25 MB copy per recipient would be 250 GB; the message is held
        # a few times over (arrival, the list's copies, the queue runner's
        # fetch): about 150 MiB seen.
        peak = rss_peak_kib(big.proc.pid)
        assert peak < 512 * 1024, f"peak RSS {peak} KiB"
    finally:
        tarpit.close()


def test_held_post_approved_and_rejected_by_link(srv, sink):
    address = f"modlinks@{DOMAIN}"
    srv.cli_ok("list", "create", address)
    srv.cli_ok("list", "add", address, CAROL)
    srv.cli_ok("list", "add", address, ALICE, "moderator")
    links = []
    for word in ("approve", "reject"):
        tok = h.token(word)
        post(srv, DAVE, address, message(tok, DAVE, address))   # not a member: held
        notice = h.eventually(lambda: srv.find(ALICE, tok), timeout=15)[0].decode()
        m = re.search(r"(https://\S+/lists/moderate\?t=\S+)", notice)
        assert m, notice
        links.append((tok, m.group(1)))
    (ok_tok, ok_url), (no_tok, no_url) = links
    assert ok_url.startswith(f"https://{h.HOSTNAME}:{srv.ports['https']}/lists/moderate?t=")

    # A GET (a link scanner) shows the choice and decides nothing.
    status, page = https(srv, "GET", ok_url)
    assert status == 200 and "waits for approval" in page and 'method="post"' in page and DAVE in page
    # A forged token, an overlong one, and a POST without a decision do nothing.
    forged = ok_url[:-1] + ("0" if ok_url[-1] != "0" else "1")
    assert https(srv, "POST", forged, body="decision=approve")[0] == 400
    assert https(srv, "POST", ok_url.split("?")[0] + "?t=" + "1" * 100, body="decision=approve")[0] == 400
    assert "waits for approval" in https(srv, "POST", ok_url, body="decision=maybe")[1]
    assert not sink.find(ok_tok, CAROL)

    status, page = https(srv, "POST", ok_url, body="decision=approve")
    assert status == 200 and "is approved" in page
    (_f, _r, got), = sink.wait(ok_tok, CAROL)
    assert email.message_from_bytes(got)["List-Id"] == f"<modlinks.{DOMAIN}>"
    assert "Already decided" in https(srv, "POST", ok_url, body="decision=reject")[1]

    status, page = https(srv, "POST", no_url, body="decision=reject")
    assert status == 200 and "is rejected" in page
    sink.wait(f"Your post to {address} was rejected", DAVE)
    assert not sink.find(no_tok, CAROL)
