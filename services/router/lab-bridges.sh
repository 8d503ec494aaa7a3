#!/bin/sh
# Lets the campus router route between the lab's networks. Docker isolates an internal network
# with host firewall rules that drop any packet on its bridge whose source or destination lies
# outside the bridge's own subnet, even when the packet only goes from a host to the router on
# the same bridge. This inserts, in the host's DOCKER-USER chain (which Docker evaluates first),
# an ACCEPT for traffic that enters and leaves the same lab bridge. Traffic between a lab bridge
# and anything else (the host's uplink included) is still dropped: the lab stays hermetic.
#
# The bridges in L7LAB_SEALED_BRIDGES (the management network, which is not internal so that Docker
# can publish the API on the host's loopback, and the private mail backends) get the opposite: a
# DROP for anything that enters them and would be forwarded elsewhere, so that no container has a
# way out through them either; and a DROP for anything addressed to (or coming from) their subnet
# on any other bridge. Without the latter a root shell on a workstation could send a frame to the
# mailbox server's address on the shared lab bridge with the mailbox's backend address as its
# destination (the kernel accepts a packet for any of its addresses on any interface), and the
# same-bridge ACCEPT below would let it through to LMTP.
#
# And the host itself is out of the lab's reach: in the host's INPUT chain, a DROP for whatever
# arrives on any lab bridge (the management one included) unless it belongs to a connection the
# host opened (the answers to Docker's own proxy of the published API port, say). A server on the
# host bound to 0.0.0.0 is then not reachable from a workstation at the bridge's gateway address.
#
# It runs in the host's network namespace (network_mode: host), removes its rules when stopped,
# and with --check tells whether they are in place (the health check).
set -eu
: "${L7LAB_BRIDGES:?L7LAB_BRIDGES must list the lab bridges}"
L7LAB_SEALED_BRIDGES=${L7LAB_SEALED_BRIDGES:-}

# Use the iptables backend (nft or legacy) that holds Docker's own chains.
IPT=""
for candidate in iptables-nft iptables-legacy; do
  if command -v "$candidate" >/dev/null && "$candidate" -S DOCKER-USER >/dev/null 2>&1; then IPT=$candidate; break; fi
done

if [ -z "$IPT" ]; then
  # Without Docker's DOCKER-USER chain (a Docker that does not manage iptables) the campus cannot
  # route and the management network is not sealed: say so, and stay unhealthy.
  echo "lab-bridges: no DOCKER-USER chain in the host's iptables (nft or legacy); the lab's routing and the management network's seal cannot be set up" >&2
  [ "${1:-}" = "--check" ] && exit 1
  exec sleep infinity
fi

# Every rule, one per line: its chain, then its match and target.
rules() {
  for br in $L7LAB_BRIDGES; do echo "DOCKER-USER -i $br -o $br -j ACCEPT"; done
  for br in $L7LAB_SEALED_BRIDGES; do
    echo "DOCKER-USER -i $br ! -o $br -j DROP"
    # The bridge's own address names its subnet (iptables takes 10.253.1.1/28 as 10.253.1.0/28).
    ip -o -4 addr show dev "$br" 2>/dev/null | while read -r _ _ _ net _; do
      echo "DOCKER-USER -d $net ! -o $br -j DROP"
      echo "DOCKER-USER -s $net ! -i $br -j DROP"
    done
  done
  for br in $L7LAB_BRIDGES $L7LAB_SEALED_BRIDGES; do echo "INPUT -i $br -m conntrack ! --ctstate ESTABLISHED,RELATED -j DROP"; done
}

if [ "${1:-}" = "--check" ]; then
  missing=$(rules | while read -r chain r; do $IPT -C "$chain" $r 2>/dev/null || echo "$chain $r"; done)
  [ -z "$missing" ] || { echo "missing: $missing"; exit 1; }
  exit 0
fi

remove() {
  rules | while read -r chain r; do
    while $IPT -C "$chain" $r 2>/dev/null; do $IPT -D "$chain" $r; done
  done
  echo "lab-bridges: rules removed"
  exit 0
}
trap remove TERM INT

rules | while read -r chain r; do
  $IPT -C "$chain" $r 2>/dev/null || $IPT -I "$chain" $r
  echo "lab-bridges: $IPT $chain $r"
done
sleep infinity &
wait
