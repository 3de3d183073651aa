"""Full-text search (README, "Full-text search"): SEARCH answered from the
index gives exactly what the scan gives. One corpus (Cyrillic, German and
Greek in quoted-printable and base64 under several charsets, HTML parts,
attachments, encoded-word headers, a message over the indexing size cap)
goes to a server with the index and one without; every query must answer
the same on both, before the indexer caught up (the scan covers what it
has not reached), after, after expunges and after `pochta index rebuild`.
The index files themselves are read with Python's sqlite3 (Debian's
SQLite, FTS5) to see that the indexer ran, that expunged rows go, and (by
changing a row) that the answers really come from the index."""

import base64
import quopri
import sqlite3

import pytest

import pochta_harness as h
from test_imap_rev2 import Raw, tagged

USER = "fts@example.test"
CAP = 20_000  # [search] max_indexed_size of the indexed server
USERS = {USER: "{PLAIN}" + h.PASSWORD}


def b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def qp(data: bytes) -> bytes:
    return quopri.encodestring(data).replace(b"\n", b"\r\n")


def encoded_word(text: str, charset="utf-8") -> str:
    return f"=?{charset}?b?{base64.b64encode(text.encode(charset)).decode()}?="


def leaf(ctype, charset, encoding, text: str) -> bytes:
    data = text.encode(charset)
    body = {"base64": b64, "quoted-printable": qp, "8bit": lambda d: d.replace(b"\n", b"\r\n")}[encoding](data)
    return (f"Content-Type: {ctype}; charset={charset}\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n"
            .encode() + body)


def message(subject: str, sender: str, parts, to="Fts User <fts@example.test>", cc=None) -> bytes:
    head = f"From: {sender}\r\nTo: {to}\r\n"
    if cc:
        head += f"Cc: {cc}\r\n"
    head += f"Subject: {subject}\r\nMIME-Version: 1.0\r\n"
    if len(parts) == 1:
        return head.encode() + parts[0]
    boundary = "=_b0undary"
    out = head.encode() + f"Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n".encode()
    for part in parts:
        out += f"--{boundary}\r\n".encode() + part + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


RUSSIAN = "Съешь же ещё этих мягких французских булок, да выпей чаю. ПРИВЕТ Москва!"
GERMAN = "Falsches Üben von Xylophonmusik quält jeden größeren Zwerg. STRAßE Äpfel"
GREEK = "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. ΟΔΥΣΣΕΥΣ Καλημέρα κόσμε"
HTML = ("<html><body><p>Hello <b>wonderful</b> world</p><div class=\"zebra\">Привет"
        " &amp; Grüße</div></body></html>")
ATTACHMENT = (b"Content-Type: application/octet-stream; name=\"x.bin\"\r\n"
              b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(b"secretattachmentword " * 20))


def corpus():
    out = [
        message("Russian base64", "Ivan <ivan@remote.example>", [leaf("text/plain", "utf-8", "base64", RUSSIAN)]),
        message("Russian koi8-r", "ivan@remote.example", [leaf("text/plain", "koi8-r", "quoted-printable", RUSSIAN)]),
        message("Russian cp1251", "Пётр <petr@remote.example>",
                [leaf("text/plain", "windows-1251", "base64", RUSSIAN)]),
        message(encoded_word("Grüße aus München"), f"{encoded_word('Jürgen Groß')} <juergen@remote.example>",
                [leaf("text/plain", "iso-8859-1", "quoted-printable", GERMAN)], cc="Anna <anna@remote.example>"),
        message("German utf-8", "anna@remote.example", [leaf("text/plain", "utf-8", "quoted-printable", GERMAN)]),
        message(encoded_word("Καλημέρα", "iso-8859-7"), "Νίκος <nikos@remote.example>",
                [leaf("text/plain", "iso-8859-7", "base64", GREEK)]),
        message("Greek qp", "nikos@remote.example", [leaf("text/plain", "utf-8", "quoted-printable", GREEK)]),
        message("html only", "web@remote.example", [leaf("text/html", "utf-8", "quoted-printable", HTML)]),
        message("alternative", "web@remote.example",
                [leaf("text/plain", "utf-8", "8bit", "Hello wonderful world\nПривет & Grüße"),
                 leaf("text/html", "utf-8", "base64", HTML)]),
        message("with attachment", "files@remote.example",
                [leaf("text/plain", "utf-8", "8bit", "see the attached file, Zwerg"), ATTACHMENT]),
        message("plain ascii", "Doe, John <jd@remote.example>",
                [leaf("text/plain", "us-ascii", "8bit", "A plain note about zebras and xylophones.")],
                to="\"Doe, Jane\" <jane@remote.example>"),
        # Over the cap: never indexed, always scanned.
        message("big one", "big@remote.example",
                [leaf("text/plain", "utf-8", "base64", (GREEK + "\n") * 200 + "needle-in-the-big-one")]),
    ]
    return out


QUERIES = [
    "BODY \"булок\"", "BODY \"БУЛОК\"", "BODY \"ещё этих\"", "BODY \"москва\"", "TEXT \"москва\"",
    "BODY \"größeren\"", "BODY \"GRÖSSEREN\"", "BODY \"strasse\"", "BODY \"straße\"", "BODY \"äpfel\"",
    "BODY \"ΟΔΥΣΣΕΥΣ\"", "BODY \"οδυσσευς\"", "BODY \"ψυχοφθόρα\"", "BODY \"καλημέρα\"",
    "BODY \"wonderful\"", "BODY \"<b>\"", "BODY \"zebra\"", "BODY \"&amp;\"", "BODY \"привет & grüße\"",
    "BODY \"secretattachmentword\"", "TEXT \"attached file\"", "BODY \"needle-in-the-big\"",
    "TEXT \"subject: russian\"", "BODY \"subject: russian\"", "TEXT \"grüße aus\"", "BODY \"grüße aus\"",
    "SUBJECT \"grüße\"", "SUBJECT \"καλημέρα\"", "SUBJECT \"=?iso\"", "FROM \"jürgen\"", "FROM \"groß\"",
    "FROM \"ivan@remote\"", "FROM \"<ivan@\"", "FROM \"Doe, John <jd@\"", "TO \"Doe, Jane\"", "TO \"jane <\"",
    "CC \"anna\"", "BCC \"anna\"", "FROM \"пётр\"", "FROM \"ПЁТР\"",
    "BODY \"зо\"", "BODY \"ü\"", "TEXT \"a\"", "SUBJECT \"\"", "BODY \"\"",
    "NOT BODY \"булок\"", "OR BODY \"zebra\" BODY \"Zwerg\"", "BODY \"zwerg\" NOT FROM \"anna\"",
    "UNSEEN BODY \"world\"", "TEXT \"remote.example\"", "BODY \"nothing-like-this\"",
    "HEADER Content-Type \"multipart\"", "HEADER X-Missing \"abc\"",
    # Messages the index rules out are never read; the rest are evaluated.
    "BODY \"zwerg\" BODY \"xylophon\"", "OR BODY \"zebra\" SUBJECT \"russian\"", "OR BODY \"zebra\" SEEN",
    "NOT OR BODY \"булок\" BODY \"zwerg\"", "OR (BODY \"булок\" UNSEEN) FROM \"anna\"",
    "UID 2:8 TEXT \"remote\"", "BODY \"булок\" BODY \"zw\"", "FROM \"ivan\" BODY \"чаю\"",
]


def search(r, query):
    lines = r.cmd("S", f"UID SEARCH CHARSET UTF-8 {query}".encode())
    assert tagged(lines).startswith(b"S OK"), (query, lines)
    found = [line for line in lines if line.startswith(b"* SEARCH")]
    return found[0].split()[2:] if found else None


def answers(r):
    return {q: search(r, q) for q in QUERIES}


def fill(srv):
    r = Raw(srv, USER)
    for m in corpus():
        assert tagged(r.append("A", "INBOX", m)).startswith(b"A OK")
    assert tagged(r.cmd("X", "SELECT INBOX")).startswith(b"X OK")
    return r


def index_db(srv):
    return srv.folder / "data" / "fts" / "1.db"


def docs(srv):
    with sqlite3.connect(f"file:{index_db(srv)}?mode=ro", uri=True) as db:
        return dict(db.execute("SELECT message_id, indexed FROM docs").fetchall())


def fts_rows(srv):
    with sqlite3.connect(f"file:{index_db(srv)}?mode=ro", uri=True) as db:
        return {row[0] for row in db.execute("SELECT rowid FROM text")}


@pytest.fixture(scope="module")
def servers(make_server_module):
    indexed = make_server_module(users=USERS, listen=("smtp", "imaps"),
                                 extra_config=f"[search]\nmax_indexed_size = {CAP}\n")
    scanned = make_server_module(users=USERS, listen=("smtp", "imaps"), extra_config="[search]\nindex = false\n")
    return indexed, scanned


@pytest.fixture(scope="module")
def make_server_module(pochta_bin, tls_cert, default_users, tmp_path_factory):
    from conftest import ServerFactory
    factory = ServerFactory(pochta_bin, tls_cert, default_users, tmp_path_factory.mktemp("fts"))
    try:
        yield factory
    finally:
        problems = factory.finish()
        assert not problems, "\n".join(problems)


def test_index_answers_as_the_scan_does(servers):
    indexed_srv, scanned_srv = servers
    on, off = fill(indexed_srv), fill(scanned_srv)
    expected = answers(off)
    # Straight after APPEND the indexer may not have reached the messages.
    assert answers(on) == expected
    h.eventually(lambda: len(docs(indexed_srv)) == len(corpus()))
    kept = docs(indexed_srv)
    assert sorted(kept.values()) == [0] + [1] * (len(corpus()) - 1), "all but the big one indexed"
    assert answers(on) == expected
    # Sanity of the expectations themselves (the scan's semantics).
    assert expected["BODY \"булок\""] == [b"1", b"2", b"3"]
    assert expected["BODY \"secretattachmentword\""] is not None and not expected["BODY \"secretattachmentword\""]
    assert expected["BODY \"needle-in-the-big\""] == [b"12"]
    assert expected["FROM \"jürgen\""] == [b"4"]

    # Expunged messages leave the index; answers stay equal.
    for r in (on, off):
        assert tagged(r.cmd("F", "UID STORE 1,4,9 +FLAGS (\\Deleted)")).startswith(b"F OK")
        assert tagged(r.cmd("E", "EXPUNGE")).startswith(b"E OK")
    h.eventually(lambda: len(docs(indexed_srv)) == len(corpus()) - 3)
    assert len(fts_rows(indexed_srv)) == len(corpus()) - 3
    assert answers(on) == answers(off)

    # The answers do come from the index: a row changed behind its back shows.
    with sqlite3.connect(index_db(indexed_srv)) as db:
        db.execute("UPDATE text SET body = '' WHERE rowid = (SELECT min(rowid) FROM text)")
    assert search(on, "BODY \"булок\"") == [b"3"]
    assert search(off, "BODY \"булок\"") == [b"2", b"3"]

    # A rebuild beside the running server: the same messages, the same answers.
    out = indexed_srv.cli_ok("index", "rebuild", USER)
    assert out.decode().strip() == f"{USER}: {len(corpus()) - 4} messages indexed"
    assert len(docs(indexed_srv)) == len(corpus()) - 3
    assert answers(on) == answers(off)
    on.close()
    off.close()


def test_rebuild_usage_and_unknown_user(servers):
    indexed_srv, scanned_srv = servers
    assert indexed_srv.cli("index", "rebuild", "nobody@example.test").returncode == 1
    assert indexed_srv.cli("index", "frobnicate").returncode == 2
    assert scanned_srv.cli("index", "rebuild").returncode == 1  # the index is off
