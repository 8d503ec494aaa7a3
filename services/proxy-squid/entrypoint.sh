#!/bin/sh
# Runs Squid in the foreground. Its route through the campus router is set from outside by the
# one-shot proxy-routes (docker-compose.yml): the proxy holds no NET_ADMIN. Squid (user proxy)
# cannot open the container's stdout, so tail copies its logs there: docker compose logs proxy shows TCP_HIT, TCP_MISS, TCP_REFRESH_UNMODIFIED ... per request.
set -eu
install -d -o proxy -g proxy /var/log/squid
for f in access.log cache.log; do : > /var/log/squid/$f; chown proxy:proxy /var/log/squid/$f; done
tail -n 0 -q -F /var/log/squid/access.log /var/log/squid/cache.log &
exec squid -N -f /etc/squid/squid.conf
