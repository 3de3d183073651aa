"""A relay sink for the tests of mail pochta sends out: an aiosmtpd server
on a free loopback port that keeps every message with its envelope."""

import threading
from contextlib import contextmanager

from aiosmtpd.controller import Controller

import pochta_harness as h


class Keep:
    """Keeps every message; refuses recipients in `refuse` with 550."""

    def __init__(self):
        self.messages = []
        self.envelopes = []  # (MAIL FROM, [RCPT TO...], message), in arrival order
        self.refuse = set()
        self.lock = threading.Lock()
        self.port = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        with self.lock:
            self.messages.append(content)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), content))
        return "250 2.0.0 Ok"

    def find(self, token):
        with self.lock:
            return [m for m in self.messages if token.encode() in m]


@contextmanager
def running_sink():
    keep = Keep()
    keep.port = h.free_port()
    controller = Controller(keep, hostname="127.0.0.1", port=keep.port, enable_SMTPUTF8=True, decode_data=False)
    controller.start()
    try:
        yield keep
    finally:
        controller.stop()
