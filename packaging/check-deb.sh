#!/usr/bin/env bash
# Installs a pochta .deb into a fresh Debian 12 root and checks what the
# package promises (README.md, "Installing"): the pochta user and data
# folder, an empty users file, the unit, `pochta check-config` passing once
# the sample configuration is filled in, the server starting as the unit
# starts it and taking a message, and an edited configuration kept when the
# package is installed again.
#   usage: packaging/check-deb.sh PATH/pochta_VERSION_ARCH.deb
# Needs root, debootstrap and Debian's archive (a few minutes).
set -euo pipefail
deb=$(realpath "$1")
mirror=${MIRROR:-http://deb.debian.org/debian}
root=$(mktemp -d /tmp/pochta-deb-check.XXXXXX)
chmod 0755 "$root"   # the root of the new system: mktemp makes it 0700
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    # Never remove a root with something still mounted in it.
    if ! mountpoint -q "$root/proc" || umount "$root/proc"; then rm -rf "$root"; fi
}
trap cleanup EXIT
step() { echo "== $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
in_root() { chroot "$root" "$@"; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

step "debootstrap bookworm (minbase) into $root"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 || { tail "$root.log"; fail "debootstrap"; }
rm -f "$root.log"
mount -t proc proc "$root/proc"
cp /etc/resolv.conf "$root/etc/resolv.conf"

step "apt-get install ./$(basename "$deb")"
cp "$deb" "$root/tmp/pochta.deb"
in_root apt-get install -y -qq /tmp/pochta.deb >/dev/null || fail "the package does not install"

step "what the package set up"
in_root getent passwd pochta >/dev/null || fail "no pochta user"
[ "$(in_root stat -c '%a %U' /var/lib/pochta)" = "700 pochta" ] || fail "/var/lib/pochta is not 0700 pochta"
[ -f "$root/etc/pochta/users" ] || fail "no /etc/pochta/users"
[ -f "$root/lib/systemd/system/pochta.service" ] || fail "no unit"
[ -f "$root/usr/share/doc/pochta/README.md" ] || fail "no README"
grep -qx "/etc/pochta/pochta.toml" "$root/var/lib/dpkg/info/pochta.conffiles" || fail "pochta.toml is not a conffile"

step "the configuration filled in; check-config"
smtp=$(free_port); imap=$(free_port)
mkdir -p "$root/etc/pochta/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mail.check.test" \
    -keyout "$root/etc/pochta/tls/privkey.pem" -out "$root/etc/pochta/tls/fullchain.pem" 2>/dev/null
conf="$root/etc/pochta/pochta.toml"
sed -i -e 's/^hostname = .*/hostname = "mail.check.test"/' -e 's/^domains = .*/domains = ["check.test"]/' \
       -e "s/^smtp        = .*/smtp        = \"127.0.0.1:$smtp\"/" -e "s/^imap        = .*/imap        = \"127.0.0.1:$imap\"/" \
       -e '/^submission  = /d' -e '/^submissions = /d' -e '/^imaps       = /d' -e '/^pop3        = /d' \
       -e '/^pop3s       = /d' -e '/^sieve       = /d' "$conf"
in_root pochta check-config -c /etc/pochta/pochta.toml || fail "check-config"
echo secret | in_root pochta user add alice@check.test -c /etc/pochta/pochta.toml >/dev/null

step "the server, started as the unit starts it"
exec_start=$(sed -n 's/^ExecStart=//p' "$root/lib/systemd/system/pochta.service")
chroot "$root" $exec_start 2>"$root/tmp/serve.log" &
server=$!
/usr/bin/python3 - "$smtp" "$imap" <<'PY' || { cat "$root/tmp/serve.log"; fail "the server does not take mail"; }
import imaplib, smtplib, sys, time
smtp_port, imap_port = int(sys.argv[1]), int(sys.argv[2])
deadline = time.monotonic() + 30
while True:
    try:
        s = smtplib.SMTP("127.0.0.1", smtp_port, timeout=10)
        break
    except OSError:
        if time.monotonic() > deadline: raise
        time.sleep(0.3)
s.sendmail("someone@elsewhere.example", ["alice@check.test"],
           b"From: someone@elsewhere.example\r\nSubject: package check\r\n\r\nhello\r\n")
s.quit()
i = imaplib.IMAP4("127.0.0.1", imap_port)
i.starttls(__import__("ssl")._create_unverified_context())
i.login("alice@check.test", "secret")
typ, data = i.select("INBOX")
assert data[0] == b"1", data
i.logout()
PY
[ "$(in_root stat -c %U /proc/$server)" = pochta ] || fail "not running as pochta"
kill -TERM "$server"; wait "$server" || fail "no clean exit on SIGTERM"; server=""

step "installed again: the edited configuration stays"
in_root dpkg -i --force-confold /tmp/pochta.deb >/dev/null
grep -q 'hostname = "mail.check.test"' "$conf" || fail "the edited configuration was replaced"
in_root pochta check-config -c /etc/pochta/pochta.toml >/dev/null || fail "check-config after reinstall"
echo "ok: package installs, sets up, starts, keeps its configuration"
