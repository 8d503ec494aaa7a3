#!/bin/bash
# dns-health.sh HOST-ARGUMENTS: the health check of the lab's name servers, its resolver and its
# workstations. Healthy when `host HOST-ARGUMENTS` succeeds: host exits 1 on SERVFAIL, REFUSED,
# NXDOMAIN or no answer. While the server starts (a secondary until its first zone transfer, the
# resolver until the root answers), it asks again every 0.1 s, waiting 1 s at most each time, for up
# to 5 s, rather than fail: Docker would run the whole check again, and each run is a `docker exec`
# that costs ~0.13 CPU-s, several times one `host`. A last try, with its output, says what is wrong.
# The images that use it are built with services/ as their context (docker-compose.yml), not
# build.additional_contexts, which the BuildKit of Docker Engine 20.10 does not have.
exec {pause}<> <(:)   # a pipe no one writes to: `read -t` on it is a sleep without a process
for ((deadline = SECONDS + 5; SECONDS < deadline; )); do
  host -W 1 "$@" >/dev/null 2>&1 && exit 0
  read -r -t 0.1 -u "$pause"
done
exec host -W 3 "$@"
