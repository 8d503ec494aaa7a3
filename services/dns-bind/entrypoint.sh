#!/bin/sh
# Runs named in the foreground (-g: everything, including the query log, goes to stderr, which is
# what `docker compose logs` shows) with the config of the role this container plays.
set -eu
conf="/etc/bind/l7lab/roles/${L7LAB_DNS_ROLE}.conf"
if [ ! -f "$conf" ]; then
  echo "unknown L7LAB_DNS_ROLE '${L7LAB_DNS_ROLE}'; valid roles: $(cd /etc/bind/l7lab/roles && ls | sed 's/\.conf$//' | tr '\n' ' ')" >&2
  exit 2
fi
# A secondary waits, up to 15 s, until its primary answers for the zone ("ADDRESS ZONE"), so that
# its first transfer does not fail and wait out the SOA retry interval.
if [ -n "${L7LAB_WAIT_FOR_PRIMARY:-}" ]; then
  primary=${L7LAB_WAIT_FOR_PRIMARY%% *} zone=${L7LAB_WAIT_FOR_PRIMARY#* }
  deadline=$(( $(date +%s) + 15 ))
  until dig @"$primary" +norec +time=1 +tries=1 "$zone" SOA 2>/dev/null | grep -q 'status: NOERROR'; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "primary $primary does not answer for $zone; starting with what is cached" >&2; break; }
    sleep 0.5
  done
fi
mkdir -p /run/named /var/cache/bind
chown bind:bind /run/named /var/cache/bind
exec named -g -u bind -c "$conf"
