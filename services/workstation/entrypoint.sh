#!/bin/sh
# A workstation holds no NET_ADMIN: where it routes through a gateway (bob, through the campus
# router), a one-shot container sets that route from outside (docker-compose.yml, bob-routes).
set -eu
# Ask the lab resolver directly (not through Docker's embedded DNS at 127.0.0.11), so that `dig`
# shows the lab resolver as its SERVER, as it would on a real campus host.
if [ -n "${L7LAB_RESOLVER:-}" ]; then
  { echo "# written by the l7lab workstation entrypoint"
    [ -n "${L7LAB_SEARCH:-}" ] && echo "search ${L7LAB_SEARCH}"
    echo "nameserver ${L7LAB_RESOLVER}"; } >/etc/resolv.conf
fi
# Trust the lab's CA (lab-ca writes it to the lab-ca-cert volume on the lab's first start), and
# only it: the lab has no other Internet. curl reads the bundle file, swaks and openssl s_client the
# hashed name in /etc/ssl/certs. (update-ca-certificates would rebuild Debian's whole store, seconds
# of CPU at every start.)
ca=/lab/ca/ca.crt
for _ in $(seq 120); do [ -s "$ca" ] && break; sleep 0.5; done
if [ -s "$ca" ]; then
  mkdir -p /etc/ssl/certs
  cp "$ca" /etc/ssl/certs/ca-certificates.crt
  ln -sf ca-certificates.crt "/etc/ssl/certs/$(openssl x509 -hash -noout -in "$ca").0"
else
  echo "no lab CA at $ca after 60 s (is lab-ca running? docker compose up -d lab-ca; docker compose logs lab-ca); TLS to the lab's servers will not verify" >&2
fi
exec "$@"
