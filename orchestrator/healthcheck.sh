#!/bin/bash
# Healthy when the API answers GET /api/health with 200 (it does when the orchestrator reaches
# Docker). One bash process and its builtins, not a second Node.
exec 3<>/dev/tcp/127.0.0.1/8080 || exit 1
printf 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: close\r\n\r\n' >&3
read -r -t 8 status <&3
status=${status%$'\r'}
[[ $status == "HTTP/1.1 200 OK" ]] || { echo "GET /api/health answered: ${status:-nothing}"; exit 1; }
