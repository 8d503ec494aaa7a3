#!/bin/sh
# A reversible network fault in the network namespace this runs in. The orchestrator starts it in
# a helper container that shares the target's namespace (docker run --network container:<target>
# --cap-add NET_ADMIN), as Pumba does, so the target's image is not touched.
#
#   net-fault.sh profile [--loss PERCENT [--direction both|ingress|egress]] [--rate KBIT]
#                        [--delay-us US [--jitter-us US [--distribution uniform|normal]]]
#                        [--duplicate PERCENT] [--reorder PERCENT [--gap-us US]]
#                        [--window SEGMENTS] [--backend nfqueue|netem] [--peer CIDR]...
#       A link profile: any of the kinds together, one profile per namespace. With --peer, only
#       traffic to (and for ingress loss, from) those addresses suffers it; a rate is then an htb
#       class of its own (see peer_classes).
#   net-fault.sh loss PERCENT DIRECTION   The same as profile --loss PERCENT --direction DIRECTION.
#   net-fault.sh rate KBIT                The same as profile --rate KBIT.
#   net-fault.sh cut [--one-way] [--peer CIDR]... [--net ADDRESS]...
#       A partition: nothing passes to or from each peer (with --one-way, only to it), and nothing
#       on the interface that holds each ADDRESS (a service cut from a whole network).
#   net-fault.sh linkdown ADDRESS         Takes the interface that holds ADDRESS down; brings it
#                                         up again, with the routes it had, when removed.
#       Each applies the fault, prints "l7lab-fault: applied ...", and holds it until SIGTERM or
#       SIGINT, then removes it, checks that nothing is left, prints "l7lab-fault: removed" and
#       exits 0. Exits 2 for bad arguments (touching nothing), and 3 when this namespace already
#       has an l7lab fault of that family (a profile, a cut, a link down): then it touches nothing.
#   net-fault.sh stats                    The fault's counters, one "name value" per line, 0 for a
#                                         kind that is not in place.
#   net-fault.sh clear                    Removes any l7lab fault from this namespace (idempotent);
#                                         exits non-zero, naming it, when anything is left.
#   net-fault.sh capabilities             What this kernel offers: "netem yes|no", "nfqueue yes|no",
#                                         "statistic yes|no", "tbf yes|no" (run it anywhere).
#
# Random loss uses iptables' statistic match:
#   ingress  filter INPUT drops a random share of the packets that arrive (not on loopback);
#   egress   mangle OUTPUT marks a random share of the packets the host sends, and a routing rule
#            sends marked packets to a veth whose peer is down, where the kernel discards them.
#            A DROP in OUTPUT would instead fail the sender's send() with EPERM, which real
#            daemons (tftpd-hpa among them) treat as fatal; a packet lost on the wire gives no
#            error, and this is lost the same way. A cut drops what the service sends the same way.
#
# Delay, jitter, duplication and reordering (what netem does) go through a userspace delay line
# (delay-line.c) on this kernel, which has no sch_netem: mangle POSTROUTING queues what the
# namespace sends (and, on the router, forwards) to NFQUEUE queue 7701 with --queue-bypass (if the
# delay line is gone, packets pass undelayed rather than vanish). The delay line holds a copy of
# each packet the namespace sends, the original dropped at once, and sends the copy through a raw
# socket when its time has come (a forwarded packet it holds, and accepts then). What it sends
# carries a mark that skips the queue and the loss chain.
# With --backend netem (a kernel with sch_netem; the orchestrator chooses, from capabilities),
# a netem qdisc, handle 77:, on each interface does it instead, with the rate's tbf as its child.
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
#
# A fixed TCP window (--window N) is a route metric: the namespace's routes (with --peer, host
# routes of their own, proto 77, to each peer) get "cwnd lock N initcwnd N", so a TCP connection
# starts with N segments in flight and never has more: it sends at most N x MSS per round trip.
# The kernel applies a locked cwnd through its TCP metrics cache, whose entry for a peer it makes
# when a connection to that peer closes normally (TIME_WAIT, or LAST_ACK to CLOSE; not on a
# reset); the cache is flushed when the window is set and removed (a failed flush fails the
# fault), so the window holds once a connection to that peer has closed normally (the first one
# starts at N segments but may grow). A route that already has cwnd or initcwnd metrics, or that
# cannot be written back as shown (multipath), is refused rather than changed; one that is down
# (linkdown, dead) is left alone. A route in table 7703 marks the window, so that a second one
# in this namespace is refused at once. Removing it deletes the host routes, takes the metrics
# off the others, and flushes the cache.
#
# A link down keeps the routes the kernel drops with it (a default route through it, say) in the
# interface's alias ("l7lab-down;<route>;<route>"), so that clear, run by another helper, can put
# them back.
set -eu

IN=L7LAB-FAULT-IN
OUT=L7LAB-FAULT-OUT
Q=L7LAB-FAULT-Q
CUT_IN=L7LAB-CUT-IN
CUT_OUT=L7LAB-CUT-OUT
CUT_FWD=L7LAB-CUT-FWD
MARK=0x10000/0x10000
# Copies the delay line sends carry this mark, which lets them pass without being queued again.
DUP_MARK=0x20000
CUT_MARK=0x40000/0x40000
TABLE=7701
CUT_TABLE=7702
# The host routes a window narrowed to peers adds, and the table of its marker route.
WINDOW_PROTO=77
WINDOW_TABLE=7703
WINDOW_MARK=192.0.2.77/32
DROPDEV=l7lab-drop
CUT_DEV=l7lab-cut
QUEUE=7701
HANDLE=77:
CHILD=78:
LATENCY=100ms
# The delay line's files, in the helper's own /tmp (L7LAB_FAULT_RUN elsewhere, for tests).
DELAY_STATS=${L7LAB_FAULT_RUN:-/tmp}/l7lab-delay.stats
DELAY_PID_FILE=${L7LAB_FAULT_RUN:-/tmp}/l7lab-delay.pid
DOWN_ALIAS=l7lab-down
# Interfaces this run put a root qdisc on, so that a failure removes only its own.
SHAPED=""
# What this run made (loss, queue, window, cut, down), so that a failure half-way removes only that.
MADE=""
# What the apply functions did, for the "applied" line.
APPLIED=""
DELAY_PID=""
DOWN_DEV=""

log() { echo "l7lab-fault: $*"; }
usage_error() { echo "net-fault.sh: $*" >&2; exit 2; }
made() { case " $MADE " in *" $1 "*) return 0 ;; esac; return 1; }
applied() { APPLIED="${APPLIED:+$APPLIED; }$*"; }

# unjump TABLE CHAIN TARGET: deletes every rule of CHAIN that jumps to TARGET, whatever it matches.
unjump() {
  iptables -t "$1" -S "$2" 2>/dev/null | grep -e "-j $3\$" | sed 's/^-A /-D /' | while read -r rule; do
    eval "iptables -t $1 $rule" 2>/dev/null || true
  done
}
drop_chain() { iptables -t "$1" -F "$2" 2>/dev/null && iptables -t "$1" -X "$2" 2>/dev/null || true; }

# jump TABLE CHAIN MATCH ADDRESS-FLAG TARGET: a jump to TARGET at the top of CHAIN, one per peer
# (matched by ADDRESS-FLAG, -s or -d), or one for everything when there are no peers.
jump() {
  if [ -z "$PEERS" ]; then
    iptables -t "$1" -I "$2" 1 $3 -j "$5"
  else
    for peer in $PEERS; do iptables -t "$1" -I "$2" 1 $3 "$4" "$peer" -j "$5"; done
  fi
}

clear_loss() {
  unjump filter INPUT $IN
  drop_chain filter $IN
  unjump mangle OUTPUT $OUT
  drop_chain mangle $OUT
  while ip rule del fwmark $MARK table $TABLE 2>/dev/null; do :; done
  ip route flush table $TABLE 2>/dev/null || true
  ip link del $DROPDEV 2>/dev/null || true
}

# Stops the delay line this run started (it releases what it holds and writes its last counters).
stop_delay_line() {
  [ -n "$DELAY_PID" ] || return 0
  kill "$DELAY_PID" 2>/dev/null || true
  wait "$DELAY_PID" 2>/dev/null || true
  DELAY_PID=""
}

# The queue's rules go first, so that nothing more is queued, then the delay line.
clear_queue() {
  unjump mangle POSTROUTING $Q
  drop_chain mangle $Q
  stop_delay_line
}

# Removes the root qdisc with handle 77: (tbf, or netem with its child) of the interfaces named
# (all that have one when none are): a delete with the handle leaves any other root qdisc alone.
# An interface that is gone took its qdisc with it.
clear_rate() {
  for dev in ${1:-$(rate_devices)}; do tc qdisc del dev "$dev" root handle $HANDLE 2>/dev/null || true; done
  check_removed "$(rate_left "${1:-}")"
}

clear_cut() {
  unjump filter INPUT $CUT_IN
  unjump filter FORWARD $CUT_IN
  unjump filter FORWARD $CUT_FWD
  unjump mangle OUTPUT $CUT_OUT
  drop_chain filter $CUT_IN
  drop_chain filter $CUT_FWD
  drop_chain mangle $CUT_OUT
  while ip rule del fwmark $CUT_MARK table $CUT_TABLE 2>/dev/null; do :; done
  ip route flush table $CUT_TABLE 2>/dev/null || true
  ip link del $CUT_DEV 2>/dev/null || true
}

# The alias of a link (empty when it has none).
link_alias() { ip link show dev "$1" 2>/dev/null | awk '$1 == "alias" { sub(/^[ \t]*alias /, ""); print; exit }'; }
down_devices() { ip -o link show 2>/dev/null | awk -v a="alias $DOWN_ALIAS" 'index($0, a) { n = $2; sub(/:$/, "", n); sub(/@.*/, "", n); print n }'; }

# Brings a link that a link-down fault took down up again, and puts back the routes its alias keeps.
link_up() {
  dev=$1
  routes=$(link_alias "$dev")
  routes=${routes#"$DOWN_ALIAS"}
  ip link set dev "$dev" up
  echo "$routes" | tr ';' '\n' | while read -r route; do
    [ -n "$route" ] || continue
    # The kernel puts the link's own prefix back as it comes up; a route through a gateway on it
    # can need a moment more.
    tries=0
    until ip route replace $route dev "$dev" 2>/dev/null; do
      tries=$((tries + 1))
      [ $tries -lt 20 ] || { echo "net-fault.sh: could not put back the route '$route' on $dev" >&2; break; }
      sleep 0.05
    done
  done
  ip link set dev "$dev" alias ""
}

clear_down() { for dev in $(down_devices); do link_up "$dev" || true; done; }

clear_fault() {
  unflushed=""
  clear_window || unflushed="the TCP metrics cache (not flushed)"
  clear_queue || true
  clear_loss || true
  clear_rate || true
  clear_cut || true
  clear_down || true
  leftovers "$unflushed"
}

# What is left of each kind of fault (nothing when it is gone).
loss_left() {
  { iptables -S 2>&1; iptables -t mangle -S 2>&1; } | grep -e "$IN" -e "$OUT" || true
  ip rule 2>&1 | grep "lookup $TABLE" || true
  ip link show $DROPDEV 2>/dev/null | head -1 || true
}
queue_left() { iptables -t mangle -S 2>&1 | grep -e "$Q" || true; }
window_left() {
  ip -4 route show table main 2>/dev/null | grep -e ' cwnd lock ' -e " proto $WINDOW_PROTO " || true
  ip -4 route show table $WINDOW_TABLE 2>/dev/null || true
}
cut_left() {
  { iptables -S 2>&1; iptables -t mangle -S 2>&1; } | grep -e "L7LAB-CUT-" || true
  ip rule 2>&1 | grep "lookup $CUT_TABLE" || true
  ip link show $CUT_DEV 2>/dev/null | head -1 || true
}
down_left() { down_devices | sed 's/$/ (down)/'; }
# rate_left [DEVICES]: the l7lab root qdiscs (tbf, netem, or htb for a rate narrowed to peers;
# handle 77:), on the devices named (a space-separated list) or on any.
rate_left() {
  tc qdisc show | awk -v h="$HANDLE" -v devs=" ${1:-} " '$1 == "qdisc" && ($2 == "tbf" || $2 == "netem" || $2 == "htb") && $3 == h && (devs == "  " || index(devs, " " $5 " ")) { print }'
}
rate_devices() { tc qdisc show | awk -v h="$HANDLE" '$1 == "qdisc" && ($2 == "tbf" || $2 == "netem" || $2 == "htb") && $3 == h { print $5 }'; }

check_removed() {
  [ -z "$1" ] || { echo "l7lab-fault: NOT removed, still in place: $1" >&2; return 1; }
}

# Fails, naming them, when any part of any l7lab fault is still in this namespace.
leftovers() { check_removed "$(loss_left)$(queue_left)$(rate_left)$(window_left)$(cut_left)$(down_left)${1:-}"; }

has_loss() { iptables -L $IN -n >/dev/null 2>&1 || iptables -t mangle -L $OUT -n >/dev/null 2>&1; }
has_queue() { iptables -t mangle -L $Q -n >/dev/null 2>&1; }
has_rate() { [ -n "$(rate_left)" ]; }
has_window() { [ -n "$(window_left)" ]; }
has_cut() { iptables -L $CUT_IN -n >/dev/null 2>&1 || iptables -t mangle -L $CUT_OUT -n >/dev/null 2>&1; }

# count TABLE CHAIN TARGET: the packets matched by the rules of CHAIN whose target is TARGET
# (0 when there are none). The jump rule's count is what entered the fault's chain. Counters are
# printed with %.0f: mawk prints numbers past 2^31 as 5e+09 with print, and clamps them with %d.
count() {
  iptables -t "$1" -L "$2" -v -x -n 2>/dev/null | awk -v t="$3" '$3 == t { n += $1 } END { printf "%.0f\n", n }'
}

# The rate counters summed over the interfaces with the l7lab tbf, from lines like
#   qdisc tbf 77: dev eth0 root refcnt 2 rate 1500Kbit burst 3000b lat 100ms
#    Sent 123456 bytes 321 pkt (dropped 4, overlimits 56 requeues 0)
# (all 0 when there is none). Under netem the tbf is its child, handle 78:.
rate_stats() {
  tc -s qdisc show | awk -v h="$HANDLE" -v c="$CHILD" '
    /^qdisc / { ours = ($2 == "tbf" && ($3 == h || $3 == c)) || ($2 == "bfifo" && $3 == c); next }
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

# The delay line's counters: from its file (asked to write them now), or from a netem qdisc.
delay_stats() {
  if [ -f "$DELAY_PID_FILE" ] && kill -USR1 "$(cat "$DELAY_PID_FILE")" 2>/dev/null; then sleep 0.1; fi
  if [ -f "$DELAY_STATS" ]; then
    grep -e '^delay_seen ' -e '^delay_sent ' -e '^delay_dropped ' -e '^delay_duplicated ' -e '^delay_reordered ' -e '^delay_held_max ' -e '^delay_send_failed ' "$DELAY_STATS"
    return
  fi
  tc -s qdisc show 2>/dev/null | awk -v h="$HANDLE" '
    /^qdisc / { ours = ($2 == "netem" && $3 == h); next }
    ours && $1 == "Sent" { sent += $4; for (i = 5; i < NF; i++) if ($i == "(dropped") { v = $(i + 1); sub(/,/, "", v); dropped += v }; ours = 0 }
    END { printf "delay_seen %.0f\ndelay_sent %.0f\ndelay_dropped %.0f\ndelay_duplicated 0\ndelay_reordered 0\ndelay_held_max 0\ndelay_send_failed 0\n", sent + dropped, sent, dropped }'
}

stats() {
  echo "ingress_seen $(count filter INPUT $IN)"
  echo "ingress_dropped $(count filter $IN DROP)"
  echo "egress_seen $(count mangle OUTPUT $OUT)"
  echo "egress_dropped $(count mangle $OUT MARK)"
  rate_stats
  delay_stats
  echo "cut_in_dropped $(count filter $CUT_IN DROP)"
  echo "cut_out_dropped $(( $(count mangle $CUT_OUT MARK) + $(count filter $CUT_FWD DROP) ))"
}

# hold: says the fault is applied, and holds it until a signal, whose trap stops the sleeper so
# that nothing outlives the script. The sleeper starts first: whoever waits for "applied" before
# sending SIGTERM (the orchestrator does) finds it known to the trap. A delay line that dies ends
# the hold too (exit 1, through the EXIT trap, which removes the fault).
SLEEPER=""
hold() {
  sleep infinity &
  SLEEPER=$!
  log "applied $APPLIED"
  if [ -n "$DELAY_PID" ]; then
    wait "$DELAY_PID" || true
    DELAY_PID=""
    echo "net-fault.sh: the delay line stopped by itself; removing the fault" >&2
    stop_sleeper
    exit 1
  fi
  wait
}
stop_sleeper() { [ -z "$SLEEPER" ] || kill "$SLEEPER" 2>/dev/null || true; }

busy() { echo "net-fault.sh: this network namespace already has an l7lab fault; remove it first" >&2; exit 3; }

# A percentage more than 0 and at most 100, as parts per million (at least 1).
ppm() {
  case "$2" in ''|*[!0-9.]*) usage_error "$1 PERCENT must be a number, got '$2'" ;; esac
  awk -v p="$2" 'BEGIN { if (p <= 0 || p > 100) exit 1; v = int(p * 10000 + 0.5); if (v < 1) v = 1; printf "%d", v }' \
    || usage_error "$1 PERCENT must be more than 0 and at most 100, got $2"
}
# A whole number of microseconds, at most 60 s.
micros() {
  case "$2" in ''|*[!0-9]*|?????????*) usage_error "$1 must be a whole number of microseconds from 0 to 60000000, got '$2'" ;; esac
  [ "$2" -le 60000000 ] || usage_error "$1 must be a whole number of microseconds from 0 to 60000000, got '$2'"
  echo $(($2 + 0))
}
cidr() {
  case "$1" in *[!0-9./]*|'') usage_error "--peer must be an IPv4 address or prefix, got '$1'" ;; esac
  echo "$1"
}

check_loss() {
  percent=$1 direction=$2
  case "$percent" in ''|*[!0-9.]*) usage_error "loss PERCENT must be a number, got '$percent'" ;; esac
  PROBABILITY=$(awk -v p="$percent" 'BEGIN { if (p <= 0 || p > 100) exit 1; printf "%.6f", p / 100 }') \
    || usage_error "loss PERCENT must be more than 0 and at most 100, got $percent"
  case "$direction" in both|ingress|egress) ;; *) usage_error "DIRECTION must be both, ingress or egress, got '$direction'" ;; esac
}

apply_loss() {
  percent=$1 direction=$2
  # The chains are the fault's lock: when one exists another fault holds this namespace, and this
  # run leaves without touching anything of it (exit 3).
  if [ "$direction" != egress ]; then iptables -N $IN 2>/dev/null || busy; fi
  if [ "$direction" != ingress ]; then
    iptables -t mangle -N $OUT 2>/dev/null || { [ "$direction" = egress ] || iptables -X $IN; busy; }
  fi
  MADE="$MADE loss"
  if [ "$direction" != egress ]; then
    iptables -A $IN -m statistic --mode random --probability "$PROBABILITY" -j DROP
    jump filter INPUT "! -i lo" -s $IN
  fi
  if [ "$direction" != ingress ]; then
    ip link add $DROPDEV type veth peer name $DROPDEV-peer
    ip link set $DROPDEV arp off up
    ip route add default dev $DROPDEV table $TABLE
    ip rule add fwmark $MARK table $TABLE priority $TABLE
    # What the delay line sends again has been through this once already.
    iptables -t mangle -A $OUT -m mark --mark $DUP_MARK/$DUP_MARK -j RETURN
    iptables -t mangle -A $OUT -m statistic --mode random --probability "$PROBABILITY" -j MARK --set-xmark $MARK
    jump mangle OUTPUT "! -o lo" -d $OUT
  fi
  applied "loss $percent% $direction (probability $PROBABILITY)${PEERS:+ to/from$PEERS}"
}

# The interfaces to shape, one "name=mtu" per line: every interface that is up, but loopback and
# the drop devices (the kernel's tunnel fallback devices, tunl0 and the like, are down).
shape_targets() {
  ip -o link show | awk '{
    name = $2; sub(/:$/, "", name); sub(/@.*/, "", name)
    if ($3 ~ /LOOPBACK/ || $3 !~ /[<,]UP[,>]/ || name ~ /^l7lab-/) next
    mtu = 1500
    for (i = 4; i < NF; i++) if ($i == "mtu") mtu = $(i + 1)
    print name "=" mtu
  }'
}

check_rate() {
  kbit=$1
  # A whole number, no leading zero (the shell would read 010 as octal), at most 8 digits.
  case "$kbit" in ''|0*|*[!0-9]*|?????????*) bad=1 ;; *) bad=$([ "$kbit" -ge 8 ] && [ "$kbit" -le 10000000 ] && echo 0 || echo 1) ;; esac
  [ "$bad" = 0 ] || usage_error "rate KBIT must be a whole number of kbit/s from 8 to 10000000, got '$kbit'"
}

# The tbf arguments for KBIT on an interface with MTU: burst max(3000, 2 MTU, 10 ms of the rate).
tbf_args() {
  kbit=$1 mtu=$2
  # 10 ms of the rate in bytes: kbit x 1000 / 8 x 0.010 = kbit x 1.25.
  ten_ms=$(( (kbit * 5 + 3) / 4 ))
  burst=3000
  [ $((2 * mtu)) -le $burst ] || burst=$((2 * mtu))
  [ "$ten_ms" -le $burst ] || burst=$ten_ms
  echo "tbf rate ${kbit}kbit burst $burst latency $LATENCY"
}

# The netem arguments for the delay-line kinds (--backend netem).
netem_args() {
  args="netem limit 10000 delay ${DELAY_US}us"
  [ "$JITTER_US" -eq 0 ] || args="$args ${JITTER_US}us distribution $DISTRIBUTION"
  [ "$DUP_PPM" -eq 0 ] || args="$args duplicate $(awk -v p="$DUP_PPM" 'BEGIN { printf "%g%%", p / 10000 }')"
  [ "$REORDER_PPM" -eq 0 ] || args="$args reorder $(awk -v p="$REORDER_PPM" 'BEGIN { printf "%g%%", p / 10000 }')"
  echo "$args"
}

# Root qdiscs on every interface: a tbf (KBIT), a netem (NETEM), or a netem with the tbf as its child.
apply_qdiscs() {
  kbit=$1 netem=$2
  targets=$(shape_targets)
  [ -n "$targets" ] || { echo "net-fault.sh: no interface to shape: this namespace has none up but loopback" >&2; exit 1; }
  done_list="" devs=""
  for target in $targets; do
    dev=${target%%=*} mtu=${target#*=}
    if [ -n "$netem" ]; then root=$netem; elif [ -n "$PEERS" ]; then root="htb default 2"; else root=$(tbf_args "$kbit" "$mtu"); fi
    # The add is the lock for this interface: it fails when a root qdisc is already there.
    if ! err=$(tc qdisc add dev "$dev" root handle $HANDLE $root 2>&1); then
      if [ -n "$(rate_left "$dev")" ]; then busy; fi
      other=$(tc qdisc show dev "$dev" | grep " root " | grep -v -e "^qdisc noqueue " -e "^qdisc pfifo_fast " -e "^qdisc mq " | head -1 || true)
      if [ -n "$other" ]; then
        echo "net-fault.sh: could not put a ${root%% *} on $dev, which has another root qdisc (not an l7lab fault's): $other" >&2
      else
        echo "net-fault.sh: tc refused a ${root%% *} on $dev: $err" >&2
      fi
      exit 1
    fi
    SHAPED="$SHAPED $dev"
    devs="$devs $dev"
    if [ -n "$netem" ] && [ -n "$kbit" ]; then
      tc qdisc add dev "$dev" parent ${HANDLE}1 handle $CHILD $(tbf_args "$kbit" "$mtu")
    elif [ -n "$PEERS" ]; then
      peer_classes "$dev" "$kbit" "$mtu"
    fi
    if [ -n "$kbit" ]; then
      burst=$(tbf_args "$kbit" "$mtu" | awk '{ print $5 }')
      done_list="$done_list $dev (burst $burst)"
    else
      done_list="$done_list $dev"
    fi
  done
  if [ -n "$kbit" ]; then applied "rate $kbit kbit/s on egress of$done_list, latency $LATENCY${PEERS:+, to$PEERS only}"; fi
  if [ -n "$netem" ]; then applied "$netem on$devs"; fi
}

# A rate narrowed to peers: under the htb root, class 77:1 holds the peers' traffic to KBIT (the
# tbf's burst, and a byte FIFO as deep as the tbf's queue: 100 ms of the rate plus the burst),
# and class 77:2, the default, lets the rest through at 10 Gbit/s. u32 filters pick the peers.
peer_classes() {
  dev=$1 kbit=$2 mtu=$3
  burst=$(tbf_args "$kbit" "$mtu" | awk '{ print $5 }')
  tc class add dev "$dev" parent $HANDLE classid ${HANDLE}1 htb rate "${kbit}kbit" ceil "${kbit}kbit" burst "$burst" cburst "$burst"
  tc class add dev "$dev" parent $HANDLE classid ${HANDLE}2 htb rate 10gbit
  tc qdisc add dev "$dev" parent ${HANDLE}1 handle $CHILD bfifo limit $((kbit * 25 / 2 + burst))
  for peer in $PEERS; do
    tc filter add dev "$dev" parent $HANDLE protocol ip prio 1 u32 match ip dst "$peer" flowid ${HANDLE}1
  done
}

apply_queue() {
  iptables -t mangle -N $Q 2>/dev/null || busy
  MADE="$MADE queue"
  iptables -t mangle -A $Q -m mark --mark $DUP_MARK/$DUP_MARK -j RETURN
  iptables -t mangle -A $Q -o $DROPDEV -j RETURN
  iptables -t mangle -A $Q -o $CUT_DEV -j RETURN
  iptables -t mangle -A $Q -j NFQUEUE --queue-num $QUEUE --queue-bypass
  rm -f "$DELAY_STATS" "$DELAY_PID_FILE"
  delay-line -q $QUEUE -d "$DELAY_US" -j "$JITTER_US" -D "$DISTRIBUTION" -p "$DUP_PPM" -r "$REORDER_PPM" -g "$GAP_US" -m $((DUP_MARK)) -s "$DELAY_STATS" &
  DELAY_PID=$!
  echo "$DELAY_PID" > "$DELAY_PID_FILE"
  # It writes its first counters once it holds the queue.
  tries=0
  until [ -f "$DELAY_STATS" ]; do
    if ! kill -0 "$DELAY_PID" 2>/dev/null; then
      wait "$DELAY_PID" || true
      DELAY_PID=""
      echo "net-fault.sh: the delay line did not start" >&2
      exit 1
    fi
    tries=$((tries + 1))
    [ $tries -lt 200 ] || { echo "net-fault.sh: the delay line did not take queue $QUEUE within 10 s" >&2; exit 1; }
    sleep 0.05
  done
  jump mangle POSTROUTING "! -o lo" -d $Q
}

# apply_window N: every route of the main table (or, with PEERS, a host route to each peer, by
# the way the kernel would reach it) gets a locked cwnd of N segments; then the TCP metrics
# cache is flushed, so that new entries take the lock from the routes.
apply_window() {
  routes=$(ip -4 route show table main)
  taken=$(printf '%s\n' "$routes" | grep -e ' cwnd ' -e ' initcwnd ' || true)
  [ -z "$taken" ] || { echo "net-fault.sh: a route here already has TCP metrics, which a window would overwrite: $taken" >&2; exit 1; }
  multipath=$(printf '%s\n' "$routes" | grep -e '^[[:space:]]' -e 'nexthop' || true)
  [ -z "$multipath" ] || { echo "net-fault.sh: a multipath route here cannot be given a window and written back: $multipath" >&2; exit 1; }
  ip route add unreachable $WINDOW_MARK table $WINDOW_TABLE 2>/dev/null || busy
  MADE="$MADE window"
  if [ -n "$PEERS" ]; then
    for peer in $PEERS; do
      address=${peer%/*}
      via=$(ip -4 route get "$address" | awk '{ for (i = 1; i < NF; i++) if ($i == "via" || $i == "dev" || $i == "src") printf "%s %s ", $i, $(i + 1); exit }')
      [ -n "$via" ] || { echo "net-fault.sh: no route to $address" >&2; exit 1; }
      # shellcheck disable=SC2086 # $via is words on purpose
      ip route add "$peer" $via proto $WINDOW_PROTO cwnd lock "$1" initcwnd "$1"
    done
  else
    printf '%s\n' "$routes" | grep -v -e ' linkdown' -e ' dead' -e '^$' | sed 's/ *$//' | while IFS= read -r route; do
      # shellcheck disable=SC2086 # a route is words on purpose
      ip route change $route cwnd lock "$1" initcwnd "$1"
    done
  fi
  ip tcp_metrics flush all || { echo "net-fault.sh: the TCP metrics cache could not be flushed, so the window would not hold" >&2; exit 1; }
  applied "TCP window $1 segments (cwnd lock, initcwnd)${PEERS:+ to$PEERS}"
}

# Takes the window off: deletes its host routes, takes the metrics off the others, flushes the
# TCP metrics cache (or fails, saying so: entries locked to the window would outlive it), and
# removes its marker.
clear_window() {
  [ -n "$(window_left)" ] || return 0
  ip route flush table main proto $WINDOW_PROTO 2>/dev/null || true
  ip -4 route show table main | grep ' cwnd lock ' | sed -e 's/ cwnd lock [0-9]*//' -e 's/ initcwnd [0-9]*//' -e 's/ *$//' | while IFS= read -r route; do
    # shellcheck disable=SC2086
    ip route change $route || true
  done
  flushed=0
  ip tcp_metrics flush all || { echo "l7lab-fault: the TCP metrics cache could not be flushed: connections may keep the window's cwnd" >&2; flushed=1; }
  ip route flush table $WINDOW_TABLE 2>/dev/null || true
  return $flushed
}

segments() {
  case "$1" in ''|*[!0-9]*) usage_error "--window must be a whole number of segments from 1 to 1000, got '$1'" ;; esac
  [ "$1" -ge 1 ] && [ "$1" -le 1000 ] || usage_error "--window must be a whole number of segments from 1 to 1000, got '$1'"
  echo "$1"
}

# The delay-line kinds as the "applied" line says them.
describe_delay() {
  d="delay ${DELAY_US} us"
  [ "$JITTER_US" -eq 0 ] || d="$d, jitter ${JITTER_US} us $DISTRIBUTION"
  [ "$DUP_PPM" -eq 0 ] || d="$d, duplicate $DUP_PPM ppm"
  [ "$REORDER_PPM" -eq 0 ] || d="$d, reorder $REORDER_PPM ppm gap ${GAP_US} us"
  echo "$d"
}

profile() {
  LOSS="" DIRECTION=both KBIT="" DELAY_US="" JITTER_US=0 DISTRIBUTION=uniform DUP_PPM=0 REORDER_PPM=0 GAP_US=10000 BACKEND=nfqueue PEERS="" WINDOW=""
  while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage_error "$1 needs a value"
    case "$1" in
      --loss) LOSS=$2 ;;
      --direction) DIRECTION=$2 ;;
      --rate) check_rate "$2"; KBIT=$2 ;;
      --delay-us) DELAY_US=$(micros --delay-us "$2") ;;
      --jitter-us) JITTER_US=$(micros --jitter-us "$2") ;;
      --distribution) case "$2" in uniform|normal) DISTRIBUTION=$2 ;; *) usage_error "--distribution must be uniform or normal, got '$2'" ;; esac ;;
      --duplicate) DUP_PPM=$(ppm duplicate "$2") ;;
      --reorder) REORDER_PPM=$(ppm reorder "$2") ;;
      --gap-us) GAP_US=$(micros --gap-us "$2") ;;
      --window) WINDOW=$(segments "$2") ;;
      --backend) case "$2" in nfqueue|netem) BACKEND=$2 ;; *) usage_error "--backend must be nfqueue or netem, got '$2'" ;; esac ;;
      --peer) PEERS="$PEERS $(cidr "$2")" ;;
      *) usage_error "unknown profile option '$1'" ;;
    esac
    shift 2
  done
  [ -z "$LOSS" ] || check_loss "$LOSS" "$DIRECTION"
  delayed=""
  if [ -n "$DELAY_US" ] || [ "$JITTER_US" -gt 0 ] || [ "$DUP_PPM" -gt 0 ] || [ "$REORDER_PPM" -gt 0 ]; then delayed=1; fi
  DELAY_US=${DELAY_US:-0}
  [ -n "$LOSS$KBIT$delayed$WINDOW" ] || usage_error "a profile needs at least one of --loss, --rate, --delay-us, --jitter-us, --duplicate, --reorder, --window"
  [ -z "$PEERS" ] || [ "$BACKEND" != netem ] || usage_error "--backend netem cannot be narrowed to a peer; use nfqueue"
  if has_loss || has_rate || has_queue || has_window; then busy; fi
  # A failure half-way (set -e), or another fault found on the way (exit 3), exits through the
  # EXIT trap, which removes what this run made and nothing else.
  trap 'rc=$?; [ $rc -eq 0 ] || undo_made' EXIT
  trap 'stop_sleeper; if remove_profile; then log removed; exit 0; else exit 1; fi' TERM INT
  [ -z "$LOSS" ] || apply_loss "$LOSS" "$DIRECTION"
  [ -z "$WINDOW" ] || apply_window "$WINDOW"
  if [ -n "$delayed" ] && [ "$BACKEND" = netem ]; then
    apply_qdiscs "$KBIT" "$(netem_args)"
  else
    [ -z "$KBIT" ] || apply_qdiscs "$KBIT" ""
    if [ -n "$delayed" ]; then
      apply_queue
      applied "$(describe_delay) through the delay line${PEERS:+ to$PEERS}"
    fi
  fi
  hold
}

undo_made() {
  if made window; then clear_window || true; fi
  if made queue; then clear_queue; fi
  if made loss; then clear_loss; fi
  [ -z "$SHAPED" ] || clear_rate "$SHAPED" || true
  if made cut; then clear_cut; fi
  if [ -n "$DOWN_DEV" ]; then link_up "$DOWN_DEV" || true; fi
}

remove_profile() {
  clear_queue
  if made loss; then clear_loss; fi
  unflushed=""
  if made window; then clear_window || unflushed="the TCP metrics cache (not flushed)"; fi
  [ -z "$SHAPED" ] || clear_rate "$SHAPED"
  check_removed "$(queue_left)$(if made loss; then loss_left; fi)$(if made window; then window_left; fi)$(rate_left "$SHAPED")$unflushed"
}

# The interface that holds ADDRESS.
dev_of() {
  dev=$(ip -o -4 addr show | awk -v a="$1" '{ split($4, x, "/"); if (x[1] == a) { print $2; exit } }')
  [ -n "$dev" ] || { echo "net-fault.sh: no interface here holds the address $1" >&2; exit 1; }
  echo "$dev"
}

cut() {
  ONE_WAY="" PEERS="" NETS=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --one-way) ONE_WAY=1; shift; continue ;;
      --peer) [ $# -ge 2 ] || usage_error "--peer needs a value"; PEERS="$PEERS $(cidr "$2")" ;;
      --net) [ $# -ge 2 ] || usage_error "--net needs a value"; NETS="$NETS $(cidr "$2")" ;;
      *) usage_error "unknown cut option '$1'" ;;
    esac
    shift 2
  done
  [ -n "$PEERS$NETS" ] || usage_error "cut needs at least one --peer or --net"
  if has_cut; then busy; fi
  trap 'rc=$?; [ $rc -eq 0 ] || undo_made' EXIT
  trap 'stop_sleeper; clear_cut; if check_removed "$(cut_left)"; then log removed; exit 0; else exit 1; fi' TERM INT
  devs=""
  for address in $NETS; do devs="$devs $(dev_of "$address")"; done
  iptables -N $CUT_IN 2>/dev/null || busy
  iptables -N $CUT_FWD 2>/dev/null || { iptables -X $CUT_IN; busy; }
  iptables -t mangle -N $CUT_OUT 2>/dev/null || { iptables -X $CUT_IN; iptables -X $CUT_FWD; busy; }
  MADE="$MADE cut"
  ip link add $CUT_DEV type veth peer name $CUT_DEV-peer
  ip link set $CUT_DEV arp off up
  ip route add default dev $CUT_DEV table $CUT_TABLE
  ip rule add fwmark $CUT_MARK table $CUT_TABLE priority $CUT_TABLE
  for peer in $PEERS; do
    iptables -t mangle -A $CUT_OUT -d "$peer" -j MARK --set-xmark $CUT_MARK
    iptables -A $CUT_FWD -d "$peer" -j DROP
    [ -n "$ONE_WAY" ] || iptables -A $CUT_IN -s "$peer" -j DROP
  done
  for dev in $devs; do
    iptables -t mangle -A $CUT_OUT -o "$dev" -j MARK --set-xmark $CUT_MARK
    iptables -A $CUT_FWD -o "$dev" -j DROP
    iptables -A $CUT_IN -i "$dev" -j DROP
  done
  iptables -I INPUT 1 ! -i lo -j $CUT_IN
  iptables -I FORWARD 1 -j $CUT_IN
  iptables -I FORWARD 1 -j $CUT_FWD
  iptables -t mangle -I OUTPUT 1 ! -o lo -j $CUT_OUT
  what=""
  [ -z "$PEERS" ] || what="${ONE_WAY:+one-way }partition from$PEERS"
  [ -z "$devs" ] || what="${what:+$what, }cut from the network on$devs"
  applied "$what"
  hold
}

linkdown() {
  address=$(cidr "$1")
  dev=$(dev_of "$address")
  [ -z "$(link_alias "$dev")" ] || { case "$(link_alias "$dev")" in "$DOWN_ALIAS"*) busy ;; esac; }
  # The routes the kernel will drop with the link: all but its own prefix (it comes back with the
  # link) and the local table's.
  routes=$(ip -4 route show table all dev "$dev" | grep -v -e ' proto kernel ' -e '^local ' -e '^broadcast ' -e ' table local' | sed 's/ *$//' | tr '\n' ';' | sed 's/;$//')
  [ ${#routes} -le 240 ] || { echo "net-fault.sh: $dev has more routes than an alias can keep: $routes" >&2; exit 1; }
  trap 'rc=$?; [ $rc -eq 0 ] || undo_made' EXIT
  trap 'stop_sleeper; link_up "$DOWN_DEV"; if check_removed "$(down_left)"; then log removed; exit 0; else exit 1; fi' TERM INT
  ip link set dev "$dev" alias "$DOWN_ALIAS;$routes"
  DOWN_DEV=$dev
  ip link set dev "$dev" down
  applied "link down: $dev (holding $address), routes to put back: ${routes:-none}"
  hold
}

capabilities() {
  netem=no nfqueue=no statistic=no tbf=no
  if tc qdisc add dev lo root handle 7799: netem delay 1ms 2>/dev/null; then netem=yes; tc qdisc del dev lo root handle 7799: 2>/dev/null || true; fi
  if tc qdisc add dev lo root handle 7799: tbf rate 1mbit burst 3000 latency 100ms 2>/dev/null; then tbf=yes; tc qdisc del dev lo root handle 7799: 2>/dev/null || true; fi
  if iptables -t mangle -N L7LAB-PROBE 2>/dev/null; then
    iptables -t mangle -A L7LAB-PROBE -j NFQUEUE --queue-num 7799 --queue-bypass 2>/dev/null && nfqueue=yes
    iptables -t mangle -A L7LAB-PROBE -m statistic --mode random --probability 0.5 -j RETURN 2>/dev/null && statistic=yes
    iptables -t mangle -F L7LAB-PROBE; iptables -t mangle -X L7LAB-PROBE
  fi
  command -v delay-line >/dev/null || nfqueue=no
  printf 'netem %s\nnfqueue %s\nstatistic %s\ntbf %s\n' $netem $nfqueue $statistic $tbf
}

USAGE="usage: net-fault.sh profile OPTIONS | loss PERCENT both|ingress|egress | rate KBIT | cut OPTIONS | linkdown ADDRESS | stats | clear | capabilities"

case "${1:-}" in
  profile) shift; profile "$@" ;;
  loss)
    [ $# -eq 3 ] || { echo "usage: net-fault.sh loss PERCENT both|ingress|egress" >&2; exit 2; }
    profile --loss "$2" --direction "$3"
    ;;
  rate)
    [ $# -eq 2 ] || { echo "usage: net-fault.sh rate KBIT" >&2; exit 2; }
    profile --rate "$2"
    ;;
  cut) shift; cut "$@" ;;
  linkdown) [ $# -eq 2 ] || { echo "usage: net-fault.sh linkdown ADDRESS" >&2; exit 2; }; linkdown "$2" ;;
  stats) stats ;;
  clear) clear_fault && log cleared ;;
  capabilities) capabilities ;;
  *) echo "$USAGE" >&2; exit 2 ;;
esac
