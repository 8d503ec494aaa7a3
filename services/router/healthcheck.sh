#!/bin/sh
# Healthy when forwarding is on and the campus NAT rule is in place.
set -eu
[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
iptables -t nat -C POSTROUTING -s "$CAMPUS_SUBNET" ! -d "$CAMPUS_SUBNET" -j MASQUERADE
