"""Debian's Dovecot `imap` binary as an independent IMAP server for
comparisons: run pre-authenticated on a pipe over a Maildir of its own
(no daemon, no login), the way `ssh host imap` is used. As root the
process drops to nobody (Dovecot refuses mail access as root)."""

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

IMAP_BIN = "/usr/lib/dovecot/imap"
NOBODY = 65534


def available():
    return os.access(IMAP_BIN, os.X_OK) and (os.geteuid() != 0 or shutil.which("setpriv"))


class DovecotImap:
    def __init__(self, parent=None):
        # A folder of its own (nobody must reach it, and pytest's are 0700);
        # `parent` may put it on a tmpfs.
        folder = self.folder = Path(tempfile.mkdtemp(prefix="dovecot-oracle-", dir=parent))
        home = folder / "home"
        home.mkdir(exist_ok=True)
        conf = folder / "dovecot.conf"
        conf.write_text(f"mail_location = maildir:{home}/Maildir\nssl = no\nmail_fsync = never\nlog_path = {folder}/log\n"
                        f"base_dir = {folder}/run\nstate_dir = {folder}/state\n")
        command = ["env", "-i", f"HOME={home}", "USER=oracle", "PATH=/usr/bin:/bin", IMAP_BIN, "-c", str(conf)]
        if os.geteuid() == 0:
            for path in [folder, *folder.rglob("*")]:
                os.chown(path, NOBODY, NOBODY)
            command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"] + command
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        greeting = self.proc.stdout.readline()
        assert greeting.startswith(b"* PREAUTH"), greeting
        self.count = 0

    def send(self, data: bytes):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def until(self, tag):
        lines = []
        while True:
            line = self.proc.stdout.readline()
            assert line, lines
            m = re.search(rb"\{(\d+)\}\r\n$", line)
            if m:
                line = line + self.proc.stdout.read(int(m.group(1))) + self.proc.stdout.readline()
            lines.append(line.rstrip(b"\r\n"))
            if line.startswith(tag.encode() + b" "):
                return lines

    def cmd(self, text):
        self.count += 1
        tag = f"d{self.count}"
        self.send(f"{tag} {text}\r\n".encode())
        return self.until(tag)

    def append_all(self, mailbox, messages, batch=500):
        """APPENDs (date, bytes) pairs in order, `batch` to a MULTIAPPEND
        (RFC 3502: one transaction each, where single APPENDs to a large
        Maildir take Dovecot time per message that grows with the folder)."""
        for start in range(0, len(messages), batch):
            self.count += 1
            tag = f"d{self.count}"
            command = f"{tag} APPEND {mailbox}".encode()
            for date, data in messages[start:start + batch]:
                command += f' "{date}" {{{len(data)}+}}\r\n'.encode() + data
            self.send(command + b"\r\n")
            assert self.until(tag)[-1].startswith(f"{tag} OK".encode())

    def close(self):
        try:
            self.cmd("LOGOUT")
        finally:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
            shutil.rmtree(self.folder, ignore_errors=True)
