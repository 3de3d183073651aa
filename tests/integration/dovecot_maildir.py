"""Debian's Dovecot (`doveadm`) as the independent reader and writer of
Maildirs for the import/export tests: a throwaway configuration whose one
user's mail lives in a given Maildir, with no dovecot process running
(doveadm opens the Maildir itself, as `USER` with `HOME`)."""

import atexit
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

DOVEADM = "/usr/bin/doveadm"


def available():
    return os.access(DOVEADM, os.X_OK)


def open_folder():
    """A folder Dovecot's unprivileged user can reach (pytest's are 0700
    below a root-owned 0700 folder); removed when the tests end."""
    folder = Path(tempfile.mkdtemp(prefix="pochta-dovecot-"))
    folder.chmod(0o755)
    atexit.register(shutil.rmtree, folder, True)
    return folder


class Doveadm:
    """doveadm for one user whose Maildir is `maildir`."""

    def __init__(self, folder: Path, maildir: Path, user="alice"):
        self.folder = Path(folder)
        self.maildir = Path(maildir)
        self.user = user
        self.home = self.folder / "home"
        for sub in ("run", "state", "home"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        # Dovecot refuses mail access as root: run it as nobody then.
        self.owner = pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
        self.config = self.folder / "dovecot.conf"
        self.config.write_text(f"""
base_dir = {self.folder}/run
state_dir = {self.folder}/state
log_path = {self.folder}/dovecot.log
ssl = no
mail_location = maildir:{self.maildir}
mail_uid = {self.owner.pw_uid}
mail_gid = {self.owner.pw_gid}
first_valid_uid = {min(self.owner.pw_uid, 500)}
first_valid_gid = 0
userdb {{
  driver = static
  args = home={self.home}
}}
passdb {{
  driver = static
  args = password=unused
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
""")
        self.give_to_dovecot(self.folder)

    def give_to_dovecot(self, path: Path):
        """Dovecot must own what it writes to and reads (it runs as `owner`)."""
        if os.geteuid() != 0:
            return
        for root, dirs, files in os.walk(path):
            for name in [root] + [os.path.join(root, n) for n in dirs + files]:
                os.chown(name, self.owner.pw_uid, self.owner.pw_gid)

    def run(self, *args, input=None):
        env = dict(os.environ, USER=self.user, HOME=str(self.home))
        r = subprocess.run([DOVEADM, "-c", str(self.config), *args], input=input, env=env,
                           capture_output=True, timeout=120)
        assert r.returncode == 0, f"doveadm {' '.join(args)}: {r.stderr.decode(errors='replace')}"
        return r.stdout.decode(errors="replace")

    def save(self, mailbox, message: bytes):
        self.run("save", "-m", mailbox, input=message)

    def status(self, mailbox):
        """{'uidvalidity': .., 'uidnext': .., 'messages': ..}"""
        out = self.run("-f", "flow", "mailbox", "status", "uidvalidity uidnext messages", mailbox)
        return {k: int(v) for k, v in (f.split("=") for f in out.split() if "=" in f)}

    def mailboxes(self):
        return sorted(self.run("mailbox", "list").split())

    def messages(self, mailbox):
        """{uid: (sorted flags without \\Recent, subject)}"""
        out = self.run("-f", "flow", "fetch", "uid flags hdr.subject", "mailbox", mailbox, "all")
        result = {}
        for line in out.splitlines():
            if not line.strip():
                continue
            fields = dict(part.split("=", 1) for part in _flow_fields(line))
            flags = tuple(sorted(f for f in fields.get("flags", "").split() if f != "\\Recent"))
            result[int(fields["uid"])] = (flags, fields.get("hdr.subject", "").strip())
        return result


def _flow_fields(line):
    """doveadm's flow format: key=value pairs; values may hold spaces but
    every key is one of the fetched names."""
    keys = ("uid=", "flags=", "hdr.subject=")
    starts = sorted(i for k in keys for i in [line.find(k)] if i >= 0)
    return [line[a:b].strip() for a, b in zip(starts, starts[1:] + [len(line)])]
