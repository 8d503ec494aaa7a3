#!/bin/bash
# Healthy when the default route goes through the campus router (L7LAB_GATEWAY; proxy-routes sets
# it from outside) and Squid answers its cache manager's info page with 200 (the manager ACL lets
# only localhost ask). One bash process and its builtins; while Squid starts, it tries to connect again
# every 0.05 s for up to 5 s rather than failing into another docker exec.

. /usr/local/lib/l7lab/tcp-connect.sh   # expect_status (services/common/tcp-connect.sh)
. /usr/local/lib/l7lab/route-check.sh   # default_route_via (services/common/route-check.sh)
[[ -z ${L7LAB_GATEWAY:-} ]] || default_route_via "$L7LAB_GATEWAY"
expect_status 3128 "GET /squid-internal-mgr/info" $'GET /squid-internal-mgr/info HTTP/1.1\r\nHost: 127.0.0.1:3128\r\nConnection: close\r\n\r\n' "HTTP/1.1 200 OK"
