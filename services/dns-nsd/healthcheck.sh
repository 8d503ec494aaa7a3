#!/bin/sh
# Healthy when NSD answers, authoritatively, a real query for the SOA of each TLD it serves.
set -eu
for zone in edu com net fr arpa; do
  out=$(dig @127.0.0.1 +norec +time=2 +tries=1 "$zone" SOA)
  echo "$out" | grep -q 'status: NOERROR' && echo "$out" | grep -q 'flags:.* aa' || exit 1
done
