#!/bin/sh
set -eu
domain=${L7LAB_MAIL_DOMAIN:?L7LAB_MAIL_DOMAIN must be set}
backend=${L7LAB_BACKEND_ADDRESS:?L7LAB_BACKEND_ADDRESS must give the address of this server on the mail backend network}
if [ ! -f "/etc/dovecot/l7lab-users/$domain" ]; then
  echo "no users for L7LAB_MAIL_DOMAIN '$domain'; valid domains: $(ls /etc/dovecot/l7lab-users | tr '\n' ' ')" >&2
  exit 2
fi
cat >/etc/dovecot/l7lab-domain.conf <<CONF
# Written by the entrypoint from L7LAB_MAIL_DOMAIN.
auth_default_realm = $domain
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u /etc/dovecot/l7lab-users/$domain
}
ssl_cert = </lab/tls/mailbox.$domain.crt
ssl_key = </lab/tls/mailbox.$domain.key
# For the domain's MTA only, on the private mail backend network.
service lmtp {
  inet_listener lmtp {
    address = $backend
    port = 24
  }
}
service auth {
  inet_listener {
    address = $backend
    port = 12345
  }
}
CONF
mkdir -p "/var/mail/vhosts/$domain" && chown -R vmail:vmail /var/mail/vhosts
# lab-ca starts beside this container (not before it: docker-compose.yml) and issues the
# certificates on the lab's first start.
crt=/lab/tls/mailbox.$domain.crt
for _ in $(seq 120); do [ -s "$crt" ] && break; sleep 0.5; done
[ -s "$crt" ] || { echo "no certificate $crt from lab-ca after 60 s: is lab-ca running? (docker compose up -d lab-ca; docker compose logs lab-ca)" >&2; exit 1; }
doveconf -n >/dev/null
exec dovecot -F
