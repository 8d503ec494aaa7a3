#!/bin/sh
# Assembles main.cf from the shared settings and the role's, adds the submission service, builds
# the aliases, waits for the lab CA's certificate, and runs Postfix in the foreground (logging to
# stdout). `postfix start-fg` checks the installation itself (check-fatal, check-warn).
set -eu
role_dir="/etc/postfix/l7lab/roles/${L7LAB_MAIL_ROLE}"
if [ ! -d "$role_dir" ]; then
  echo "unknown L7LAB_MAIL_ROLE '${L7LAB_MAIL_ROLE}'; valid roles: $(ls /etc/postfix/l7lab/roles | tr '\n' ' ')" >&2
  exit 2
fi
# Resolve through the lab resolver itself, not Docker's embedded DNS, which would answer reverse
# lookups with container names (and they would show in the Received headers).
if [ -n "${L7LAB_RESOLVER:-}" ]; then
  printf 'nameserver %s\n' "$L7LAB_RESOLVER" >/etc/resolv.conf
fi
cat /etc/postfix/l7lab/main.cf "$role_dir/main.cf" >/etc/postfix/main.cf
cp "$role_dir"/*.map /etc/postfix/ 2>/dev/null || true
# Daemons outside a chroot: nothing to copy into /var/spool/postfix (resolv.conf, certificates).
postconf -F '*/*/chroot = n'
if ! grep -q '^submission ' /etc/postfix/master.cf; then
  cat /etc/postfix/l7lab/master-submission.cf >>/etc/postfix/master.cf
fi
newaliases
# lab-ca starts beside this container and issues the certificates on the lab's first start.
crt=$(postconf -h smtpd_tls_cert_file)
for _ in $(seq 120); do [ -s "$crt" ] && break; sleep 0.5; done
[ -s "$crt" ] || { echo "no certificate $crt from lab-ca after 60 s (docker compose logs lab-ca)" >&2; exit 1; }
exec postfix start-fg
