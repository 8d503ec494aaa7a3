#!/bin/bash
# Healthy when the API answers GET /api/health with 200 (it does when the orchestrator reaches
# Docker). One bash process and its builtins, not a second Node.

. /usr/local/lib/l7lab/tcp-connect.sh   # expect_status (services/common/tcp-connect.sh)
expect_status 8080 "GET /api/health" $'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: close\r\n\r\n' "HTTP/1.1 200 OK"
