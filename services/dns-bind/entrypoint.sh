#!/bin/sh
# Runs named in the foreground (-g: everything, including the query log, goes to stderr, which is
# what `docker compose logs` shows) with the config of the role this container plays.
set -eu
conf="/etc/bind/l7lab/roles/${L7LAB_DNS_ROLE}.conf"
if [ ! -f "$conf" ]; then
  echo "unknown L7LAB_DNS_ROLE '${L7LAB_DNS_ROLE}'; valid roles: $(cd /etc/bind/l7lab/roles && ls | sed 's/\.conf$//' | tr '\n' ' ')" >&2
  exit 2
fi
# A secondary needs no wait for its primary: if its first transfer fails because the primary is
# not up yet, the primary's NOTIFY when it loads the zone (also-notify) starts the transfer at once.
mkdir -p /run/named /var/cache/bind
chown bind:bind /run/named /var/cache/bind
exec named -g -u bind -c "$conf"
