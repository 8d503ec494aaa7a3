#!/bin/sh
# A reversible network fault in the network namespace this runs in. The orchestrator starts it in
# a helper container that shares the target's namespace (docker run --network container:<target>
# --cap-add NET_ADMIN), as Pumba does, so the target's image is not touched.
#
#   net-fault.sh loss PERCENT DIRECTION   DIRECTION: both, ingress or egress
#   net-fault.sh rate KBIT                KBIT: a whole number of kbit/s (1000 bit/s), 8 to 10000000
#       Applies the fault, prints "l7lab-fault: applied ...", and holds it until SIGTERM or SIGINT,
#       then removes it, checks that nothing is left, prints "l7lab-fault: removed" and exits 0.
#       Exits 2 for bad arguments, and 3 when this namespace already has an l7lab fault of either
#       kind (one at a time): then it touches nothing.
#   net-fault.sh stats                    The fault's counters, one "name value" per line: the loss
#                                         counters (ingress_*, egress_*) and the rate counters
#                                         (rate_*), 0 for a kind that is not in place.
#   net-fault.sh clear                    Removes any l7lab fault of either kind from this namespace
#                                         (idempotent); exits non-zero, naming it, when anything is left.
#
# Random loss uses iptables' statistic match (this kernel has no netem):
#   ingress  filter INPUT drops a random share of the packets that arrive (not on loopback);
#   egress   mangle OUTPUT marks a random share of the packets the host sends, and a routing rule
#            sends marked packets to a veth whose peer is down, where the kernel discards them.
#            A DROP in OUTPUT would instead fail the sender's send() with EPERM, which real
#            daemons (tftpd-hpa among them) treat as fatal; a packet lost on the wire gives no
#            error, and this is lost the same way.
#
# Rate shaping (an access link) puts a token bucket filter, tbf with handle 77:, as the root qdisc
# on the egress of every non-loopback interface that is up: the namespace sends at most KBIT
# kbit/s on each. Only egress is shaped (arriving traffic would need an ifb device and a
# redirect), so on a service with one interface it slows what the service sends (a server's
# downloads, a client's uploads). On the campus router, which forwards between its campus and its
# internet interface, egress on both shapes both directions of the campus's access link:
# downstream leaves by the campus interface, upstream by the internet one (each direction gets
# KBIT). The tbf parameters:
#   burst    max(3000 bytes, 2 MTU, 10 ms of the rate). tbf needs a bucket of at least rate/HZ
#            (10 ms at HZ=100, the coarsest timer) and at least one full packet, or it stalls;
#            10 ms of the rate keeps bursts as short as a real link's at any rate.
#   latency  100 ms: the longest a packet may wait in the queue, which sets its limit to
#            rate x 100 ms + burst, a small access-link buffer (about 12 full packets at 1.5
#            Mbit/s); what arrives when it is full is dropped, as a real link does.
set -eu

IN=L7LAB-FAULT-IN
OUT=L7LAB-FAULT-OUT
MARK=0x10000/0x10000
TABLE=7701
DROPDEV=l7lab-drop
HANDLE=77:
LATENCY=100ms
# Interfaces this run put a tbf on, so that a failure removes only its own.
SHAPED=""
# What the apply functions did, for the "applied" line.
APPLIED=""

log() { echo "l7lab-fault: $*"; }

clear_loss() {
  while iptables -C INPUT ! -i lo -j $IN 2>/dev/null; do iptables -D INPUT ! -i lo -j $IN; done
  iptables -F $IN 2>/dev/null && iptables -X $IN 2>/dev/null || true
  while iptables -t mangle -C OUTPUT ! -o lo -j $OUT 2>/dev/null; do iptables -t mangle -D OUTPUT ! -o lo -j $OUT; done
  iptables -t mangle -F $OUT 2>/dev/null && iptables -t mangle -X $OUT 2>/dev/null || true
  while ip rule del fwmark $MARK table $TABLE 2>/dev/null; do :; done
  ip route flush table $TABLE 2>/dev/null || true
  ip link del $DROPDEV 2>/dev/null || true
  check_removed "$(loss_left)"
}

# Removes the tbf of the interfaces named (all that have one when none are): a qdisc delete with
# the handle leaves any other root qdisc alone. An interface that is gone took its qdisc with it.
clear_rate() {
  for dev in ${1:-$(rate_devices)}; do tc qdisc del dev "$dev" root handle $HANDLE 2>/dev/null || true; done
  check_removed "$(rate_left "${1:-}")"
}

clear_fault() {
  clear_loss || true
  clear_rate || true
  leftovers
}

# What is left of each kind of fault (nothing when it is gone).
loss_left() {
  { iptables -S 2>&1; iptables -t mangle -S 2>&1; } | grep -e "$IN" -e "$OUT" || true
  ip rule 2>&1 | grep "lookup $TABLE" || true
  ip link show $DROPDEV 2>/dev/null | head -1 || true
}
# rate_left [DEVICES]: the l7lab tbf qdiscs, on the devices named (a space-separated list) or on any.
rate_left() {
  tc qdisc show | awk -v h="$HANDLE" -v devs=" ${1:-} " '$1 == "qdisc" && $2 == "tbf" && $3 == h && (devs == "  " || index(devs, " " $5 " ")) { print }'
}
rate_devices() { tc qdisc show | awk -v h="$HANDLE" '$1 == "qdisc" && $2 == "tbf" && $3 == h { print $5 }'; }

check_removed() {
  [ -z "$1" ] || { echo "l7lab-fault: NOT removed, still in place: $1" >&2; return 1; }
}

# Fails, naming them, when any part of a fault of either kind is still in this namespace.
leftovers() { check_removed "$(loss_left)$(rate_left)"; }

has_loss() { iptables -L $IN -n >/dev/null 2>&1 || iptables -t mangle -L $OUT -n >/dev/null 2>&1; }
has_rate() { [ -n "$(rate_left)" ]; }

# count TABLE CHAIN TARGET: the packets matched by the rules of CHAIN whose target is TARGET
# (0 when there are none). The jump rule's count is what entered the fault's chain. Counters are
# printed with %.0f: mawk prints numbers past 2^31 as 5e+09 with print, and clamps them with %d.
count() {
  iptables -t "$1" -L "$2" -v -x -n 2>/dev/null | awk -v t="$3" '$3 == t { n += $1 } END { printf "%.0f\n", n }'
}

# The rate counters summed over the interfaces with the l7lab tbf, from lines like
#   qdisc tbf 77: dev eth0 root refcnt 2 rate 1500Kbit burst 3000b lat 100ms
#    Sent 123456 bytes 321 pkt (dropped 4, overlimits 56 requeues 0)
# (all 0 when there is none).
rate_stats() {
  tc -s qdisc show | awk -v h="$HANDLE" '
    /^qdisc / { ours = ($2 == "tbf" && $3 == h); next }
    ours && $1 == "Sent" {
      bytes += $2; packets += $4
      for (i = 5; i < NF; i++) {
        if ($i == "(dropped") { v = $(i + 1); sub(/,/, "", v); dropped += v }
        if ($i == "overlimits") overlimits += $(i + 1)
      }
      ours = 0
    }
    END {
      printf "rate_sent_bytes %.0f\nrate_sent_packets %.0f\nrate_dropped %.0f\nrate_overlimits %.0f\n", bytes, packets, dropped, overlimits
    }'
}

stats() {
  echo "ingress_seen $(count filter INPUT $IN)"
  echo "ingress_dropped $(count filter $IN DROP)"
  echo "egress_seen $(count mangle OUTPUT $OUT)"
  echo "egress_dropped $(count mangle $OUT MARK)"
  rate_stats
}

# hold MESSAGE: says the fault is applied, and holds it until a signal, whose trap stops the
# sleeper so that nothing outlives the script. The sleeper starts first: whoever waits for
# "applied" before sending SIGTERM (the orchestrator does) finds it known to the trap.
SLEEPER=""
hold() {
  sleep infinity &
  SLEEPER=$!
  log "$1"
  wait
}
stop_sleeper() { [ -z "$SLEEPER" ] || kill "$SLEEPER" 2>/dev/null || true; }

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
  APPLIED="applied loss $percent% $direction (probability $probability)"
}

# The interfaces to shape, one "name=mtu" per line: every interface that is up, but loopback and
# the loss fault's drop device (the kernel's tunnel fallback devices, tunl0 and the like, are down).
shape_targets() {
  ip -o link show | awk '{
    name = $2; sub(/:$/, "", name); sub(/@.*/, "", name)
    if ($3 ~ /LOOPBACK/ || $3 !~ /[<,]UP[,>]/ || name ~ /^l7lab-drop/) next
    mtu = 1500
    for (i = 4; i < NF; i++) if ($i == "mtu") mtu = $(i + 1)
    print name "=" mtu
  }'
}

apply_rate() {
  kbit=$1
  # A whole number, no leading zero (the shell would read 010 as octal), at most 8 digits.
  case "$kbit" in ''|0*|*[!0-9]*|?????????*) bad=1 ;; *) bad=$([ "$kbit" -ge 8 ] && [ "$kbit" -le 10000000 ] && echo 0 || echo 1) ;; esac
  [ "$bad" = 0 ] || { echo "net-fault.sh: rate KBIT must be a whole number of kbit/s from 8 to 10000000, got '$kbit'" >&2; exit 2; }
  targets=$(shape_targets)
  [ -n "$targets" ] || { echo "net-fault.sh: no interface to shape: this namespace has none up but loopback" >&2; exit 1; }
  # 10 ms of the rate in bytes: kbit x 1000 / 8 x 0.010 = kbit x 1.25.
  ten_ms=$(( (kbit * 5 + 3) / 4 ))
  done_list=""
  for target in $targets; do
    dev=${target%%=*} mtu=${target#*=}
    burst=3000
    [ $((2 * mtu)) -le $burst ] || burst=$((2 * mtu))
    [ "$ten_ms" -le $burst ] || burst=$ten_ms
    # The add is the lock for this interface: it fails when a root qdisc is already there.
    if ! err=$(tc qdisc add dev "$dev" root handle $HANDLE tbf rate "${kbit}kbit" burst "$burst" latency $LATENCY 2>&1); then
      if tc qdisc show dev "$dev" | grep -q "^qdisc tbf $HANDLE "; then busy; fi
      root=$(tc qdisc show dev "$dev" | grep " root " | grep -v -e "^qdisc noqueue " -e "^qdisc pfifo_fast " -e "^qdisc mq " | head -1 || true)
      if [ -n "$root" ]; then
        echo "net-fault.sh: could not put a tbf on $dev, which has another root qdisc (not an l7lab fault's): $root" >&2
      else
        echo "net-fault.sh: tc refused a tbf on $dev: $err" >&2
      fi
      exit 1
    fi
    SHAPED="$SHAPED $dev"
    done_list="$done_list $dev (burst $burst)"
  done
  APPLIED="applied rate $kbit kbit/s on egress of$done_list, latency $LATENCY"
}

USAGE="usage: net-fault.sh loss PERCENT both|ingress|egress | rate KBIT | stats | clear"

case "${1:-}" in
  loss)
    [ $# -eq 3 ] || { echo "usage: net-fault.sh loss PERCENT both|ingress|egress" >&2; exit 2; }
    if has_loss || has_rate; then busy; fi
    # A failure half-way (set -e) exits through the EXIT trap, which removes what was applied,
    # except when this run found another fault in place (exit 3) and made nothing.
    trap 'rc=$?; [ $rc -eq 0 ] || [ $rc -eq 3 ] || clear_loss' EXIT
    trap 'stop_sleeper; if clear_loss; then log removed; exit 0; else exit 1; fi' TERM INT
    apply_loss "$2" "$3"
    hold "$APPLIED"
    ;;
  rate)
    [ $# -eq 2 ] || { echo "usage: net-fault.sh rate KBIT" >&2; exit 2; }
    if has_loss || has_rate; then busy; fi
    # A failure half-way, or another rate fault found on an interface (exit 3), exits through the
    # EXIT trap, which removes the tbf this run put on (SHAPED) and nothing else.
    trap 'rc=$?; [ $rc -eq 0 ] || [ -z "$SHAPED" ] || clear_rate "$SHAPED" || true' EXIT
    trap 'stop_sleeper; if clear_rate "$SHAPED"; then log removed; exit 0; else exit 1; fi' TERM INT
    apply_rate "$2"
    hold "$APPLIED"
    ;;
  stats) stats ;;
  clear) clear_fault && log cleared ;;
  *) echo "$USAGE" >&2; exit 2 ;;
esac
