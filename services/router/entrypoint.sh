#!/bin/sh
# CAMPUS_SUBNET comes from docker-compose.yml. IP forwarding is switched on there (sysctls).
set -eu
: "${CAMPUS_SUBNET:?CAMPUS_SUBNET must be set}"
iptables -t nat -C POSTROUTING -s "$CAMPUS_SUBNET" ! -d "$CAMPUS_SUBNET" -j MASQUERADE 2>/dev/null \
  || iptables -t nat -A POSTROUTING -s "$CAMPUS_SUBNET" ! -d "$CAMPUS_SUBNET" -j MASQUERADE
echo "campus router: forwarding $(cat /proc/sys/net/ipv4/ip_forward), masquerading $CAMPUS_SUBNET"
ip -brief address
exec sleep infinity
