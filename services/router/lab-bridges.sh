#!/bin/sh
# Lets the campus router route between the lab's networks. Docker isolates an internal network
# with host firewall rules that drop any packet on its bridge whose source or destination lies
# outside the bridge's own subnet, even when the packet only goes from a host to the router on
# the same bridge. This inserts, in the host's DOCKER-USER chain (which Docker evaluates first),
# an ACCEPT for traffic that enters and leaves the same lab bridge. Traffic between a lab bridge
# and anything else (the host's uplink included) is still dropped: the lab stays hermetic.
#
# It runs in the host's network namespace (network_mode: host), removes its rules when stopped,
# and with --check tells whether they are in place (the health check).
set -eu
: "${L7LAB_BRIDGES:?L7LAB_BRIDGES must list the lab bridges}"

# Use the iptables backend (nft or legacy) that holds Docker's own chains.
IPT=""
for candidate in iptables-nft iptables-legacy; do
  if command -v "$candidate" >/dev/null && "$candidate" -S DOCKER-USER >/dev/null 2>&1; then IPT=$candidate; break; fi
done

if [ -z "$IPT" ]; then
  [ "${1:-}" = "--check" ] && exit 0
  echo "lab-bridges: no DOCKER-USER chain on this host (Docker without iptables?): nothing to do"
  exec sleep infinity
fi

rule() { echo "-i $1 -o $1 -j ACCEPT"; }

if [ "${1:-}" = "--check" ]; then
  for br in $L7LAB_BRIDGES; do $IPT -C DOCKER-USER $(rule "$br") || exit 1; done
  exit 0
fi

remove() {
  for br in $L7LAB_BRIDGES; do
    while $IPT -C DOCKER-USER $(rule "$br") 2>/dev/null; do $IPT -D DOCKER-USER $(rule "$br"); done
  done
  echo "lab-bridges: rules removed"
  exit 0
}
trap remove TERM INT

for br in $L7LAB_BRIDGES; do
  $IPT -C DOCKER-USER $(rule "$br") 2>/dev/null || $IPT -I DOCKER-USER $(rule "$br")
  echo "lab-bridges: $IPT DOCKER-USER $(rule "$br")"
done
sleep infinity &
wait
