#!/bin/sh
# If L7LAB_GATEWAY is set, the workstation routes everything beyond its own network through that
# router (for bob: the campus router), instead of Docker's bridge, which leads nowhere.
set -eu
if [ -n "${L7LAB_GATEWAY:-}" ]; then
  ip route replace default via "$L7LAB_GATEWAY"
fi
# Ask the lab resolver directly (not through Docker's embedded DNS at 127.0.0.11), so that `dig`
# shows the lab resolver as its SERVER, as it would on a real campus host.
if [ -n "${L7LAB_RESOLVER:-}" ]; then
  { echo "# written by the l7lab workstation entrypoint"
    [ -n "${L7LAB_SEARCH:-}" ] && echo "search ${L7LAB_SEARCH}"
    echo "nameserver ${L7LAB_RESOLVER}"; } >/etc/resolv.conf
fi
# Trust the lab's CA (the lab-ca volume), so that curl, swaks and openssl s_client accept the lab's
# servers' certificates.
if [ -s /lab/ca/ca.crt ]; then
  cp /lab/ca/ca.crt /usr/local/share/ca-certificates/l7lab-ca.crt
  update-ca-certificates >/dev/null 2>&1 || echo "could not add the lab CA to the trust store" >&2
fi
exec "$@"
