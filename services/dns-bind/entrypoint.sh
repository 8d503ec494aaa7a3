#!/bin/sh
# Runs named in the foreground (-g: everything, including the query log, goes to stderr, which is
# what `docker compose logs` shows) with the config of the role this container plays.
set -eu
conf="/etc/bind/l7lab/roles/${L7LAB_DNS_ROLE}.conf"
if [ ! -f "$conf" ]; then
  echo "unknown L7LAB_DNS_ROLE '${L7LAB_DNS_ROLE}'; valid roles: $(cd /etc/bind/l7lab/roles && ls | sed 's/\.conf$//' | tr '\n' ' ')" >&2
  exit 2
fi
mkdir -p /run/named /var/cache/bind
chown bind:bind /run/named /var/cache/bind
# A secondary with no copy of its zone yet waits, about 10 s at most, for its primary to answer the
# zone's SOA, so that its first transfer at start succeeds. Without the wait, when it started a
# few hundred ms before the primary, its refresh failed (connection refused), the primary's NOTIFY
# came while BIND still counted that refresh as in progress ("refresh check queued"), and nothing
# more happened until BIND's retry a minute later: the lab took 60 s to come up, one start in
# several. With a copy (a restart of the same container) it starts at once and serves it.
if grep -q "type secondary;" "$conf"; then
  zone=$(sed -n 's/^zone "\([^"]*\)".*/\1/p' "$conf" | head -n 1)
  primary=$(sed -n 's/.*primaries *{ *\([0-9.]*\);.*/\1/p' "$conf" | head -n 1)
  copy=$(sed -n 's/.*file "\([^"]*\)".*/\1/p' "$conf" | head -n 1)
  if [ ! -s "$copy" ]; then
    # dns-health.sh (from services/common) asks every 0.1 s, without starting a process each time.
    why=$(dns-health.sh -w 10 -r -t SOA "$zone" "$primary") ||
      echo "the primary $primary does not answer for $zone yet ($why); starting anyway (BIND retries)" >&2
  fi
fi
exec named -g -u bind -c "$conf"
