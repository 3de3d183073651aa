"""Submission hygiene (README.md, "Submission hygiene"): the submission
listeners add Message-ID, Date and From when a client left them out, as
Postfix does; the MX listener never changes a header."""

import email.utils
import re

import pochta_harness as h
from pochta_harness import ALICE, BOB, PASSWORD
from test_outbound import Sink, outbound_server

SPOOL_THRESHOLD = 128 * 1024


def submit(srv, message, rcpts=(BOB,)):
    with srv.smtp("submissions") as s:
        s.login(ALICE, PASSWORD)
        s.sendmail(ALICE, list(rcpts), message)


def header_of(stored):
    """The client's header plus what pochta added, after Return-Path and Received."""
    rest = h.split_trace(stored)[2]
    return rest.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")


def fields(header, name):
    return re.findall(rf"^{name}:[ \t]*(.*?)\r?$", header, re.MULTILINE | re.IGNORECASE)


def test_missing_fields_are_added(server):
    tok = h.token("bare")
    submit(server, f"Subject: {tok}\r\nTo: <{BOB}>\r\n\r\nHello.\r\n".encode())
    header = header_of(server.find_one(BOB, tok))
    (message_id,) = fields(header, "Message-ID")
    assert re.fullmatch(rf"<[0-9a-f]+@{re.escape(h.HOSTNAME)}>", message_id.strip()), message_id
    (date,) = fields(header, "Date")
    assert email.utils.parsedate_to_datetime(date) is not None
    assert fields(header, "From") == [f"<{ALICE}>"]
    assert fields(header, "Subject") == [tok]


def test_present_fields_are_kept(server):
    tok = h.token("full")
    message = (f"From: Alice <{ALICE}>\r\nDate: Mon, 05 Jan 2026 10:00:00 +0100\r\n"
               f"Message-ID: <{tok}@client.test>\r\nSubject: {tok}\r\n\r\nHello.\r\n").encode()
    submit(server, message)
    stored = server.find_one(BOB, tok)
    assert h.split_trace(stored)[2] == message


def test_only_missing_ones_are_added(server):
    tok = h.token("part")
    submit(server, f"from: <{ALICE}>\r\nSubject: {tok}\r\n\r\nHello.\r\n".encode())
    header = header_of(server.find_one(BOB, tok))
    assert fields(header, "From") == [f"<{ALICE}>"]
    assert len(fields(header, "Date")) == 1 and len(fields(header, "Message-ID")) == 1


def test_mx_listener_adds_nothing(server):
    tok = h.token("mx")
    message = f"Subject: {tok}\r\n\r\nHello.\r\n".encode()
    h.deliver(server, BOB, message)
    assert h.split_trace(server.find_one(BOB, tok))[2] == message


def test_spooled_message_gets_the_fields(server):
    tok = h.token("spooled")
    body = (b"x" * 998 + b"\r\n") * (SPOOL_THRESHOLD // 1000 + 20)
    submit(server, f"Subject: {tok}\r\n\r\n".encode() + body)
    stored = server.find_one(BOB, tok)
    header = header_of(stored)
    assert fields(header, "From") == [f"<{ALICE}>"] and len(fields(header, "Message-ID")) == 1
    assert stored.endswith(body)


def test_header_beyond_the_spool_threshold_is_left_alone(server):
    tok = h.token("hugeheader")
    long_field = "".join(f"X-Filler-{i}: {'y' * 900}\r\n" for i in range(SPOOL_THRESHOLD // 900 + 10))
    message = f"Subject: {tok}\r\n{long_field}\r\nHello.\r\n".encode()
    submit(server, message)
    assert h.split_trace(server.find_one(BOB, tok))[2] == message


def test_relayed_copy_carries_the_fields_and_ehlo_is_the_hostname(make_server):
    sink = Sink()
    helo_names = []
    take = sink.handler.handle_DATA

    async def handle_data(server, session, envelope):
        helo_names.append(session.host_name)
        return await take(server, session, envelope)

    sink.handler.handle_DATA = handle_data
    try:
        srv = outbound_server(make_server, f'relay = "127.0.0.1:{sink.port}"')
        tok = h.token("relayed")
        submit(srv, f"Subject: {tok}\r\n\r\nHello.\r\n".encode(), rcpts=["someone@remote.example"])
        got = h.eventually(lambda: sink.handler.received(tok))
        assert len(got) == 1
        header = got[0][2].split(b"\r\n\r\n", 1)[0].decode()
        assert fields(header, "From") == [f"<{ALICE}>"] and len(fields(header, "Date")) == 1
        assert helo_names == [h.HOSTNAME]
    finally:
        sink.stop()
