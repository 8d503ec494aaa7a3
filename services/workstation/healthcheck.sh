#!/bin/sh
# Healthy when the workstation resolves a lab name through the lab resolver and, if it has a
# gateway, its default route goes through it.
set -eu
if [ -n "${L7LAB_GATEWAY:-}" ]; then
  ip route show default | grep -q "via ${L7LAB_GATEWAY} "
fi
dig +time=2 +tries=1 +short a.root-servers.net A | grep -q '^10\.'
