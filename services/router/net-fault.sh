#!/bin/sh
# A reversible network fault in the network namespace this runs in. The orchestrator starts it in
# a helper container that shares the target's namespace (docker run --network container:<target>
# --cap-add NET_ADMIN), as Pumba does, so the target's image is not touched.
#
#   net-fault.sh loss PERCENT DIRECTION   DIRECTION: both, ingress or egress
#       Applies the fault, prints "l7lab-fault: applied ...", and holds it until SIGTERM or SIGINT,
#       then removes it, prints "l7lab-fault: removed" and exits 0.
#   net-fault.sh stats                    The fault's counters, one "name value" per line.
#   net-fault.sh clear                    Removes any l7lab fault from this namespace (idempotent);
#                                         exits non-zero, naming it, when anything is left.
#
# Random loss uses iptables' statistic match (this kernel has no netem):
#   ingress  filter INPUT drops a random share of the packets that arrive (not on loopback);
#   egress   mangle OUTPUT marks a random share of the packets the host sends, and a routing rule
#            sends marked packets to a veth whose peer is down, where the kernel discards them.
#            A DROP in OUTPUT would instead fail the sender's send() with EPERM, which real
#            daemons (tftpd-hpa among them) treat as fatal; a packet lost on the wire gives no
#            error, and this is lost the same way.
set -eu

IN=L7LAB-FAULT-IN
OUT=L7LAB-FAULT-OUT
MARK=0x10000/0x10000
TABLE=7701
DROPDEV=l7lab-drop

log() { echo "l7lab-fault: $*"; }

clear_fault() {
  while iptables -C INPUT ! -i lo -j $IN 2>/dev/null; do iptables -D INPUT ! -i lo -j $IN; done
  iptables -F $IN 2>/dev/null && iptables -X $IN 2>/dev/null || true
  while iptables -t mangle -C OUTPUT ! -o lo -j $OUT 2>/dev/null; do iptables -t mangle -D OUTPUT ! -o lo -j $OUT; done
  iptables -t mangle -F $OUT 2>/dev/null && iptables -t mangle -X $OUT 2>/dev/null || true
  while ip rule del fwmark $MARK table $TABLE 2>/dev/null; do :; done
  ip route flush table $TABLE 2>/dev/null || true
  ip link del $DROPDEV 2>/dev/null || true
  leftovers
}

# Fails, naming them, when any part of a fault is still in this namespace.
leftovers() {
  left=$( { iptables -S 2>&1; iptables -t mangle -S 2>&1; } | grep -e "$IN" -e "$OUT" || true)
  left="$left$(ip rule 2>&1 | grep "lookup $TABLE" || true)$(ip link show $DROPDEV 2>/dev/null | head -1 || true)"
  [ -z "$left" ] || { echo "l7lab-fault: NOT removed, still in place: $left" >&2; return 1; }
}

# count TABLE CHAIN TARGET: the packets matched by the rules of CHAIN whose target is TARGET
# (0 when there are none). The jump rule's count is what entered the fault's chain.
count() {
  iptables -t "$1" -L "$2" -v -x -n 2>/dev/null | awk -v t="$3" '$3 == t { n += $1 } END { print n + 0 }'
}

stats() {
  echo "ingress_seen $(count filter INPUT $IN)"
  echo "ingress_dropped $(count filter $IN DROP)"
  echo "egress_seen $(count mangle OUTPUT $OUT)"
  echo "egress_dropped $(count mangle $OUT MARK)"
}

busy() { echo "net-fault.sh: this network namespace already has an l7lab fault; remove it first" >&2; exit 3; }

apply_loss() {
  percent=$1 direction=$2
  case "$percent" in ''|*[!0-9.]*) echo "net-fault.sh: loss PERCENT must be a number, got '$percent'" >&2; exit 2 ;; esac
  probability=$(awk -v p="$percent" 'BEGIN { if (p <= 0 || p > 100) exit 1; printf "%.6f", p / 100 }') \
    || { echo "net-fault.sh: loss PERCENT must be more than 0 and at most 100, got $percent" >&2; exit 2; }
  case "$direction" in both|ingress|egress) ;; *) echo "net-fault.sh: DIRECTION must be both, ingress or egress, got '$direction'" >&2; exit 2 ;; esac
  # The chains are the fault's lock: when one exists another fault holds this namespace, and this
  # run leaves without touching anything (exit 3, which the EXIT trap does not clean up after).
  if [ "$direction" != egress ]; then iptables -N $IN 2>/dev/null || busy; fi
  if [ "$direction" != ingress ]; then
    iptables -t mangle -N $OUT 2>/dev/null || { [ "$direction" = egress ] || iptables -X $IN; busy; }
  fi
  if [ "$direction" != egress ]; then
    iptables -A $IN -m statistic --mode random --probability "$probability" -j DROP
    iptables -I INPUT 1 ! -i lo -j $IN
  fi
  if [ "$direction" != ingress ]; then
    ip link add $DROPDEV type veth peer name $DROPDEV-peer
    ip link set $DROPDEV arp off up
    ip route add default dev $DROPDEV table $TABLE
    ip rule add fwmark $MARK table $TABLE priority $TABLE
    iptables -t mangle -A $OUT -m statistic --mode random --probability "$probability" -j MARK --set-xmark $MARK
    iptables -t mangle -I OUTPUT 1 ! -o lo -j $OUT
  fi
  log "applied loss $percent% $direction (probability $probability)"
}

case "${1:-}" in
  loss)
    [ $# -eq 3 ] || { echo "usage: net-fault.sh loss PERCENT both|ingress|egress" >&2; exit 2; }
    if iptables -L $IN -n >/dev/null 2>&1 || iptables -t mangle -L $OUT -n >/dev/null 2>&1; then busy; fi
    # A failure half-way (set -e) exits through the EXIT trap, which removes what was applied,
    # except when this run found another fault in place (exit 3) and made nothing.
    trap 'rc=$?; [ $rc -eq 0 ] || [ $rc -eq 3 ] || clear_fault' EXIT
    trap 'if clear_fault; then log removed; exit 0; else exit 1; fi' TERM INT
    apply_loss "$2" "$3"
    sleep infinity &
    wait
    ;;
  stats) stats ;;
  clear) clear_fault && log cleared ;;
  *) echo "usage: net-fault.sh loss PERCENT both|ingress|egress | stats | clear" >&2; exit 2 ;;
esac
