#!/usr/bin/env bash
# Creates a demo configuration under DIR (default ./var) for `make run`:
# pochta.toml on unprivileged ports, a self-signed certificate and one user,
# demo@example.test with the password "demo". Re-runnable; keeps what exists.
set -euo pipefail
dir=${1:-var}
bin=${POCHTA_BIN:-build/pochta}
mkdir -p "$dir/tls"
if [ ! -f "$dir/tls/fullchain.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/tls/privkey.pem" -out "$dir/tls/fullchain.pem" 2>/dev/null
  chmod 600 "$dir/tls/privkey.pem"
fi
if [ ! -f "$dir/pochta.toml" ]; then
  cat > "$dir/pochta.toml" <<TOML
# Demo configuration written by etc/demo-setup.sh (see etc/pochta.toml for every key).
hostname     = "localhost"
data_dir     = "data"
domains      = ["example.test"]
users_file   = "users"
aliases_file = "aliases"

[tls]
cert = "tls/fullchain.pem"
key  = "tls/privkey.pem"

[listen]
smtp        = "127.0.0.1:2525"
submission  = "127.0.0.1:2587"
submissions = "127.0.0.1:2465"
imap        = "127.0.0.1:2143"
imaps       = "127.0.0.1:2993"
pop3        = "127.0.0.1:2110"
pop3s       = "127.0.0.1:2995"
TOML
fi
touch "$dir/users"
[ -f "$dir/aliases" ] || echo "postmaster@example.test: demo@example.test" > "$dir/aliases"
if ! "$bin" user list -c "$dir/pochta.toml" | grep -qx 'demo@example.test'; then
  echo demo | "$bin" user add demo@example.test -c "$dir/pochta.toml"
fi
echo "demo ready: user demo@example.test, password demo; SMTP 127.0.0.1:2525, submission :2587, IMAP :2143, POP3 :2110"
