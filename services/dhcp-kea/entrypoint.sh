#!/bin/sh
# Kea runs as its own user (_kea), with only the two capabilities it needs: raw sockets (to answer a
# client that has no address yet) and the privileged port 67.
set -eu
mkdir -p /run/kea /var/lib/kea
chown _kea:_kea /run/kea /var/lib/kea
exec setpriv --reuid=_kea --regid=_kea --init-groups \
  --inh-caps=+net_raw,+net_bind_service --ambient-caps=+net_raw,+net_bind_service \
  kea-dhcp4 -c /etc/kea/kea-dhcp4.conf
