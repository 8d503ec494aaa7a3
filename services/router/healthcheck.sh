#!/bin/sh
# Healthy when forwarding is on and the campus NAT rule and the FTP/TFTP helpers are in place.
# While the entrypoint is still adding them (the first check runs 0.1 s after the start), it looks
# again every 0.1 s for up to 5 s rather than fail: Docker would run the whole check again, and
# each run is a `docker exec` that costs ~0.13 CPU-s, far more than a few iptables -C.
set -u
ready() {
  [ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] \
    && iptables -t nat -C POSTROUTING -s "$CAMPUS_SUBNET" ! -d "$CAMPUS_SUBNET" -j MASQUERADE \
    && iptables -t raw -C PREROUTING -s "$CAMPUS_SUBNET" -p tcp --dport 21 -j CT --helper ftp \
    && iptables -t raw -C PREROUTING -s "$CAMPUS_SUBNET" -p udp --dport 69 -j CT --helper tftp \
    && { [ -z "${CAMPUS_PROXY:-}" ] || iptables -C FORWARD -s "$CAMPUS_SUBNET" ! -d "$CAMPUS_SUBNET" -p tcp --dport 80 -j CAMPUS-WEB; }
}
i=0
while [ $i -lt 50 ]; do
  ready 2>/dev/null && exit 0
  sleep 0.1
  i=$((i + 1))
done
ready   # a last try, with iptables' messages: they say what is missing
