#!/bin/sh
# Runs named in the foreground (-g: everything, including the query log, goes to stderr, which is
# what `docker compose logs` shows) with the config of the role this container plays.
set -eu
conf="/etc/bind/l7lab/roles/${L7LAB_DNS_ROLE}.conf"
if [ ! -f "$conf" ]; then
  echo "unknown L7LAB_DNS_ROLE '${L7LAB_DNS_ROLE}'; valid roles: $(cd /etc/bind/l7lab/roles && ls | sed 's/\.conf$//' | tr '\n' ' ')" >&2
  exit 2
fi
if [ -n "${L7LAB_WAIT_FOR_PRIMARY:-}" ]; then
  set -- $L7LAB_WAIT_FOR_PRIMARY
  primary=$1 zone=$2
  for _ in $(seq 1 30); do
    dig @"$primary" +norec +time=1 +tries=1 "$zone" SOA 2>/dev/null | grep -q 'status: NOERROR' && break
    sleep 0.5
  done
  set --
fi
mkdir -p /run/named /var/cache/bind
chown bind:bind /run/named /var/cache/bind
exec named -g -u bind -c "$conf"
