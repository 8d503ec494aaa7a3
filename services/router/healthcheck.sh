#!/bin/sh
# Healthy when forwarding is on and the campus NAT rule and the FTP/TFTP helpers are in place.
set -eu
[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
iptables -t nat -C POSTROUTING -s "$CAMPUS_SUBNET" ! -d "$CAMPUS_SUBNET" -j MASQUERADE
iptables -t raw -C PREROUTING -s "$CAMPUS_SUBNET" -p tcp --dport 21 -j CT --helper ftp
iptables -t raw -C PREROUTING -s "$CAMPUS_SUBNET" -p udp --dport 69 -j CT --helper tftp
[ -z "${CAMPUS_PROXY:-}" ] || iptables -C FORWARD -s "$CAMPUS_SUBNET" ! -d "$CAMPUS_SUBNET" -p tcp --dport 80 -j CAMPUS-WEB
