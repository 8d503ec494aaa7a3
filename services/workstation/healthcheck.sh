#!/bin/bash
# Healthy when the workstation's default route goes through its gateway, if it has one
# (L7LAB_GATEWAY: bob's is set by the one-shot bob-routes), and it resolves a lab name through its
# resolver. One bash process: the DNS check is exec'd in its place.
. /usr/local/lib/l7lab/route-check.sh   # default_route_via (services/common/route-check.sh)
[[ -z ${L7LAB_GATEWAY:-} ]] || default_route_via "$L7LAB_GATEWAY"
exec /usr/local/bin/dns-health.sh -t A a.root-servers.net.
