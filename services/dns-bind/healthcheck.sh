#!/bin/bash
# Healthy when named answers ZONE's SOA without recursion (host exits 1 on SERVFAIL, REFUSED or no
# answer): healthcheck.sh ZONE. While named starts (a secondary until its first transfer), it asks
# again every 0.2 s for up to 5 s rather than fail: Docker would run the check again, and each run
# is a `docker exec` that costs ~0.13 CPU-s, several times one `host`.
zone=${1:?usage: healthcheck.sh ZONE}
exec {pause}<> <(:)   # a pipe no one writes to: `read -t` on it is a sleep without a process
for ((deadline = SECONDS + 5; SECONDS < deadline; )); do
  host -r -W 2 -t SOA "$zone" 127.0.0.1 >/dev/null 2>&1 && exit 0
  read -r -t 0.2 -u "$pause"
done
exec host -r -W 3 -t SOA "$zone" 127.0.0.1
