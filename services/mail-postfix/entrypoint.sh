#!/bin/sh
# Assembles main.cf from the shared settings and the role's, waits for the lab CA's certificate,
# and runs Postfix in the foreground (logging to stdout). The rest of the set-up (no chroot, the
# submission service, the aliases) is in the image, and the image build ran `postfix check` for
# each role: the quick-start marker tells `postfix start-fg` not to run it again at every start.
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
# Both keep the image's modification times: Postfix reads a configuration file or a texthash map
# whose modification time is recent again after a pause (util/load_file.c, "load file with some
# prejudice"), so a file written just now cost postconf, and each daemon that reads it, 1 to 2 s.
# The mailbox server's address on the domain's private backend network (LMTP and SASL auth).
backend=${L7LAB_MAILBOX_BACKEND:?L7LAB_MAILBOX_BACKEND must give the address of the mailbox server on the mail backend network}
{ cat /etc/postfix/l7lab/main.cf "$role_dir/main.cf"; echo "l7lab_mailbox_backend = $backend"; } >/etc/postfix/main.cf
touch -r "$role_dir/main.cf" /etc/postfix/main.cf
cp -p "$role_dir"/*.map /etc/postfix/ 2>/dev/null || true
# lab-ca starts beside this container (not before it: docker-compose.yml) and issues the
# certificates on the lab's first start.
crt=$(postconf -h smtpd_tls_cert_file)
for _ in $(seq 120); do [ -s "$crt" ] && break; sleep 0.5; done
[ -s "$crt" ] || { echo "no certificate $crt from lab-ca after 60 s: is lab-ca running? (docker compose up -d lab-ca; docker compose logs lab-ca)" >&2; exit 1; }
touch /var/spool/postfix/quick-start
exec postfix start-fg
