#!/bin/sh
# Route through the campus router (L7LAB_GATEWAY), as every campus host does, then run Squid in
# the foreground. Squid (user proxy) cannot open the container's stdout, so tail copies its logs
# there: docker compose logs proxy shows TCP_HIT, TCP_MISS, TCP_REFRESH_UNMODIFIED ... per request.
set -eu
if [ -n "${L7LAB_GATEWAY:-}" ]; then ip route replace default via "$L7LAB_GATEWAY"; fi
install -d -o proxy -g proxy /var/log/squid
for f in access.log cache.log; do : > /var/log/squid/$f; chown proxy:proxy /var/log/squid/$f; done
tail -n 0 -q -F /var/log/squid/access.log /var/log/squid/cache.log &
exec squid -N -f /etc/squid/squid.conf
