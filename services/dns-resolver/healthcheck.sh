#!/bin/sh
# Healthy when a real recursive query for the root's name servers succeeds: the resolver is up and
# reaches the lab root.
out=$(dig @127.0.0.1 +time=3 +tries=1 . NS) || exit 1
echo "$out" | grep -q 'status: NOERROR' && echo "$out" | grep -q 'a.root-servers.net'
