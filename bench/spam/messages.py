#!/usr/bin/python3
"""Writes N varied test messages (plain and multipart, text and HTML, links)
into DIR as 0001.eml ...: the same set for pochta's filter and for rspamd.

    bench/spam/messages.py DIR N [SEED]
"""

import random
import sys
from pathlib import Path

WORDS = ("meeting report invoice budget project schedule offer free winner money account password "
         "update review quarter results team lunch holiday urgent click here unsubscribe discount "
         "prize claim bank transfer delivery parcel tracking attached document contract signature "
         "weekend family photos garden recipe football concert ticket flight hotel booking").split()


def text(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def message(rng, i):
    sender = f"user{rng.randrange(50)}@sender{rng.randrange(10)}.example"
    subject = text(rng, 5)
    body = "\r\n".join(text(rng, 12) for _ in range(rng.randrange(5, 40)))
    link = f"https://site{rng.randrange(20)}.example/{rng.randrange(10**6)}"
    head = (f"From: <{sender}>\r\nTo: <alice@example.test>\r\nSubject: {subject}\r\n"
            f"Date: Mon, 07 Dec 2026 12:{i % 60:02d}:00 +0000\r\nMessage-ID: <bench{i}@{sender.split('@')[1]}>\r\n"
            "MIME-Version: 1.0\r\n")
    if i % 2:
        return head + f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n{link}\r\n"
    return (head + 'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
            f"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n{link}\r\n"
            f"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>{body}</p>"
            f'<a href="{link}">{text(rng, 3)}</a></body></html>\r\n--b--\r\n')


def main():
    folder, count = Path(sys.argv[1]), int(sys.argv[2])
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
    for i in range(1, count + 1):
        (folder / f"{i:04d}.eml").write_bytes(message(rng, i).encode())


main()
