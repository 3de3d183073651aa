#!/usr/bin/python3
"""Sends every message of DIR to PORT: over SMTP (one connection, RCPT
alice@example.test) or as HTTP POSTs to rspamd's /checkv2 (one keep-alive
connection, with the envelope headers pochta sends).

    bench/spam/send.py smtp|rspamd PORT DIR
"""

import http.client
import smtplib
import sys
from pathlib import Path

kind, port, folder = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
files = sorted(folder.glob("*.eml"))
if kind == "smtp":
    with smtplib.SMTP("127.0.0.1", port, local_hostname="bench.example.test") as smtp:
        for f in files:
            smtp.sendmail("bounce@sender.example", ["alice@example.test"], f.read_bytes())
else:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for f in files:
        conn.request("POST", "/checkv2", body=f.read_bytes(),
                     headers={"From": "bounce@sender.example", "Rcpt": "alice@example.test", "Ip": "127.0.0.1",
                              "Helo": "bench.example.test", "Queue-Id": f.stem})
        answer = conn.getresponse()
        answer.read()
        if answer.status != 200:
            sys.exit(f"rspamd answered {answer.status}")
print(len(files))
