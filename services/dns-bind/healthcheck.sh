#!/bin/sh
# Healthy when named answers, authoritatively, a real query for the SOA of the first zone it
# serves (the zone named in its role config).
set -eu
zone=$(sed -n 's/^zone "\([^"]*\)".*/\1/p' "/etc/bind/l7lab/roles/${L7LAB_DNS_ROLE}.conf" | head -n1)
out=$(dig @127.0.0.1 +norec +time=2 +tries=1 "$zone" SOA)
echo "$out" | grep -q 'status: NOERROR' && echo "$out" | grep -q 'flags:.* aa'
