#!/bin/sh
# Healthy when kea-dhcp4 has bound the DHCP server port, 67/udp (0043 in /proc/net/udp).
grep -q '^ *[0-9]*: [0-9A-F]*:0043 ' /proc/net/udp
