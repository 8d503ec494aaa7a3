#!/bin/bash
# Healthy when the API answers GET /api/health with 200 (it does when the orchestrator reaches
# Docker). One bash process and its builtins, not a second Node.

. /usr/local/lib/l7lab/tcp-connect.sh   # connect PORT (services/common/tcp-connect.sh)
connect 8080
printf 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: close\r\n\r\n' >&3
read -r -t 5 status <&3
status=${status%$'\r'}
[[ $status == "HTTP/1.1 200 OK" ]] || { echo "GET /api/health answered: ${status:-nothing}"; exit 1; }
